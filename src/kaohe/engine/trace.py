"""Trace entries: what an appeal reads.

Every entry that moves a score carries ``points``; the entries of a subject sum
to its reported score. Entries without points (vetoes, quota decisions, flags,
adjustments) explain the grade.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from kaohe.engine.numbers import normalize


@dataclass(frozen=True)
class TraceEntry:
    kind: str
    text: str
    points: Decimal | None = None
    dimension: str | None = None
    item: str | None = None
    date: date | None = None
    count: int | None = None
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "text": self.text}
        if self.points is not None:
            out["points"] = float(normalize(self.points)) + 0.0 if self.points else 0.0
        for key in ("dimension", "item", "count", "row"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.date is not None:
            out["date"] = self.date.isoformat()
        return out


def fmt(value: Decimal | None) -> str:
    if value is None:
        return "—"
    v = normalize(value)
    exponent = v.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        v = normalize(v.quantize(Decimal("0.000001")))
    return format(v, "f")
