"""Writers for the three containers of one schema, used by the tests of kaohe.cases."""

from __future__ import annotations

import csv
import io
import types
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
import yaml

Rows = Sequence[Mapping[str, Any]]


def header_of(rows: Rows) -> list[str]:
    return list(dict.fromkeys(k for row in rows for k in row))


def csv_bytes(rows: Rows, encoding: str = "utf-8-sig", cell: Callable[[Any], str] = str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    header = header_of(rows)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else cell(row[c]) for c in header])
    return out.getvalue().encode(encoding)


def write_yaml(path: Path, data: Mapping[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False), "utf-8")
    return path


def write_xlsx(path: Path, tables: Mapping[str, Rows], cell: Callable[[str, Any], Any]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in tables.items():
        sheet = book.create_sheet(name)
        header = header_of(rows)
        sheet.append(header)
        for row in rows:
            sheet.append([cell(c, row.get(c)) for c in header])
    book.save(path)
    return path


def write_parquet(path: Path, rows: Rows) -> Path:
    header = header_of(rows)
    pl.DataFrame({c: [row.get(c) for row in rows] for c in header}).write_parquet(path)
    return path


def excel_cell(column: str, value: Any) -> Any:
    """What Excel makes of a value: numbers for numeric ids, dates for ISO text."""
    if isinstance(value, str) and value.isdigit() and column in ("id", "subject", "person"):
        return float(value)
    if column == "month" and isinstance(value, str):
        return datetime.strptime(value, "%Y-%m")
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, list):
        return ",".join(value)
    return value


def text_cell(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


@pytest.fixture(scope="session")
def w() -> types.SimpleNamespace:
    """The writers above, for tests (conftest modules are not imported by name)."""
    names = (
        "header_of",
        "csv_bytes",
        "write_yaml",
        "write_xlsx",
        "write_parquet",
        "excel_cell",
        "text_cell",
    )
    return types.SimpleNamespace(**{n: globals()[n] for n in names})


@pytest.fixture
def shared_cases() -> Path:
    path = Path(__file__).resolve().parents[2].parent / "shared" / "cases"
    if not path.is_dir():
        pytest.skip("../shared/cases is absent")
    return path
