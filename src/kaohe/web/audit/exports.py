"""CSV and XLSX of the audit log.

Every text cell goes through ``kaohe.outputs.safe_text``: a value starting
with = + - @ (a username typed at the login page, a note, a JSON snapshot) is
written as text, never as a formula in the reader's spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

import xlsxwriter
from django.utils import timezone

from kaohe.outputs import safe_text
from kaohe.web.audit.models import AuditEntry

HEADER = ["时间", "操作人账号", "操作", "对象类型", "对象", "摘要", "变更前", "变更后", "来源地址"]


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def entry_row(entry: AuditEntry) -> list[str]:
    return [
        safe_text(timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S")),
        safe_text(entry.actor_name),
        safe_text(entry.action),
        safe_text(entry.object_type),
        safe_text(entry.object_id),
        safe_text(entry.summary),
        safe_text(_json(entry.before)),
        safe_text(_json(entry.after)),
        safe_text(entry.ip or ""),
    ]


def audit_csv(entries: Iterable[AuditEntry]) -> bytes:
    """UTF-8 with a BOM so that Excel in a Chinese locale opens it right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for entry in entries:
        writer.writerow(entry_row(entry))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def audit_xlsx(entries: Iterable[AuditEntry]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    try:
        sheet = book.add_worksheet("审计日志")
        bold = book.add_format({"bold": True})
        for c, name in enumerate(HEADER):
            sheet.write_string(0, c, name, bold)
        for r, entry in enumerate(entries, start=1):
            for c, value in enumerate(entry_row(entry)):
                sheet.write_string(r, c, value)
        sheet.set_column(0, 0, 20)
        sheet.set_column(5, 7, 40)
    finally:
        book.close()
    return buffer.getvalue()
