"""Fixture writers: every test builds its files in tmp_path, deterministically."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook


def xlsx_bytes(rows: Sequence[Sequence[object]], merge_title: str | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(list(row))
    if merge_title:
        ws.merge_cells(merge_title)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_text(rows: Sequence[Sequence[object]], sep: str = ",") -> str:
    return "".join(sep.join("" if c is None else str(c) for c in row) + "\r\n" for row in rows)


def html_table(rows: Sequence[Sequence[object]], charset: str = "utf-8") -> str:
    body = "".join(
        "<tr>" + "".join(f"<td>{'' if c is None else c}</td>" for c in row) + "</tr>\n"
        for row in rows
    )
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"</head><body><table border=1>\n{body}</table></body></html>"
    )


def xls_bytes(rows: Sequence[Sequence[object]], sheet: str = "Sheet1") -> bytes:
    """A real legacy BIFF ``.xls`` (xlwt), as old ZKTeco PC software saves it."""
    import xlwt  # type: ignore[import-untyped]

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(sheet)
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:
                ws.write(i, j, value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
