"""Spreadsheet output of a run (``kaohe score --format xlsx``).

Cells that start with = + - @ are written as text so that a name or a note
typed into the ledger can never become a formula in someone's Excel.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from kaohe.engine.numbers import normalize
from kaohe.engine.results import RunResult

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_DANGEROUS):
        return "'" + text
    return text


def write_result_xlsx(result: RunResult, out: Path) -> None:
    book = xlsxwriter.Workbook(str(out))
    try:
        sheet = book.add_worksheet("结果")
        codes: list[str] = []
        for r in result.subjects.values():
            for code in r.dimensions:
                if code not in codes:
                    codes.append(code)
        header = ["对象", "得分", "名次", "等次", *codes, "奖金", "处理"]
        bold = book.add_format({"bold": True})
        for c, name in enumerate(header):
            sheet.write_string(0, c, name, bold)
        for row, (subject, r) in enumerate(result.subjects.items(), start=1):
            sheet.write_string(row, 0, safe_text(subject))
            if r.score is not None:
                sheet.write_number(row, 1, float(normalize(r.score)))
            if r.rank is not None:
                sheet.write_number(row, 2, r.rank)
            sheet.write_string(row, 3, safe_text(r.grade or ""))
            for i, code in enumerate(codes):
                if code in r.dimensions:
                    sheet.write_number(row, 4 + i, float(normalize(r.dimensions[code])))
            if r.bonus is not None:
                sheet.write_number(row, 4 + len(codes), float(normalize(r.bonus)))
            sheet.write_string(row, 5 + len(codes), safe_text(",".join(r.actions)))
        trace = book.add_worksheet("明细")
        for c, name in enumerate(["对象", "类别", "维度", "事项", "日期", "次数", "分值", "说明"]):
            trace.write_string(0, c, name, bold)
        n = 1
        for subject, r in result.subjects.items():
            for e in r.trace:
                trace.write_string(n, 0, safe_text(subject))
                trace.write_string(n, 1, e.kind)
                trace.write_string(n, 2, safe_text(e.dimension or ""))
                trace.write_string(n, 3, safe_text(e.item or ""))
                trace.write_string(n, 4, e.date.isoformat() if e.date else "")
                if e.count is not None:
                    trace.write_number(n, 5, e.count)
                if e.points is not None:
                    trace.write_number(n, 6, float(normalize(e.points)))
                trace.write_string(n, 7, safe_text(e.text))
                n += 1
    finally:
        book.close()
