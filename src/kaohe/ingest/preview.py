"""The result of parsing one file: what would be imported, and what is wrong.

Parsing never touches a database: the same result feeds the CLI's dry run and
the web preview, and only a later, separate step commits the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class RowError:
    """One problem, tied to the spreadsheet row a user can find (None: the whole file)."""

    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ParseResult:
    """Rows typed for the engine's table plus everything a preview must show.

    ``format`` is the export recognised (``dingtalk``, ``zkteco_dat``, a mapping),
    ``container`` what the bytes really were (``xlsx``, ``html``, ``text`` ...).
    ``rows`` carry ``_row`` (the source row number) and exactly the engine
    table's fields; ``extras`` is parallel to ``rows`` with opaque, non-personal
    metadata (device status keys, DingTalk results, case numbers) that the
    engine does not read but an audit might. ``skipped`` lists rows left out on
    purpose (duplicate ratings, yellow cards superseded by a red) so nothing
    disappears without a trace.
    """

    kind: str
    table: str
    format: str = ""
    container: str = ""
    encoding: str | None = None
    source_rows: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    extras: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    header_row: int | None = None
    timezone: str = "Asia/Shanghai"

    def error(self, row: int | None, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    @property
    def valid(self) -> int:
        return len(self.rows)

    def as_dict(self, *, with_rows: bool = False) -> dict[str, Any]:
        """The dry-run preview; rows themselves only on request (they can be millions)."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "table": self.table,
            "rows": self.source_rows,
            "valid": self.valid,
            "errors": [e.as_dict() for e in self.errors],
            "skipped": [e.as_dict() for e in self.skipped],
            "unmatched": list(self.unmatched),
            "dropped_columns": list(self.dropped_columns),
            "format": self.format,
            "container": self.container,
            "encoding": self.encoding,
            "header_row": self.header_row,
            "timezone": self.timezone,
        }
        if with_rows:
            out["data"] = [{k: _jsonable(v) for k, v in r.items()} for r in self.rows]
        return out


def _jsonable(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value
