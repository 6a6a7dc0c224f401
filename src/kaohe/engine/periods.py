"""Periods (``2024-05``, ``2024-Q2``, ``2024``) as immutable value objects."""

from __future__ import annotations

import calendar as _cal
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


_RANK = {PeriodKind.MONTH: 0, PeriodKind.QUARTER: 1, PeriodKind.YEAR: 2}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, quarter or year; ``index`` is the month or quarter number."""

    year: int
    kind: PeriodKind
    index: int = 1

    @classmethod
    def parse(cls, text: object) -> Period:
        if isinstance(text, Period):
            return text
        if isinstance(text, int):
            text = str(text)
        if isinstance(text, date):
            return cls(text.year, PeriodKind.MONTH, text.month)
        if not isinstance(text, str):
            raise ValueError(f"not a period: {text!r}")
        s = text.strip()
        if m := _MONTH.match(s):
            month = int(m.group(2))
            if not 1 <= month <= 12:
                raise ValueError(f"not a period: {text!r} (month {month})")
            return cls(int(m.group(1)), PeriodKind.MONTH, month)
        if m := _QUARTER.match(s):
            return cls(int(m.group(1)), PeriodKind.QUARTER, int(m.group(2)))
        if m := _YEAR.match(s):
            return cls(int(m.group(1)), PeriodKind.YEAR, 1)
        raise ValueError(f"not a period: {text!r} (expected YYYY-MM, YYYY-Qn or YYYY)")

    def __str__(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"{self.year:04d}-{self.index:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.year:04d}-Q{self.index}"
        return f"{self.year:04d}"

    @property
    def start(self) -> date:
        if self.kind is PeriodKind.MONTH:
            return date(self.year, self.index, 1)
        if self.kind is PeriodKind.QUARTER:
            return date(self.year, 3 * self.index - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """Last day, inclusive."""
        if self.kind is PeriodKind.MONTH:
            last = _cal.monthrange(self.year, self.index)[1]
            return date(self.year, self.index, last)
        if self.kind is PeriodKind.QUARTER:
            month = 3 * self.index
            return date(self.year, month, _cal.monthrange(self.year, month)[1])
        return date(self.year, 12, 31)

    def days(self) -> list[date]:
        n = (self.end - self.start).days + 1
        return [self.start + timedelta(days=i) for i in range(n)]

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def subperiods(self, kind: PeriodKind) -> list[Period]:
        """The months or quarters that make up this period, in order."""
        if _RANK[kind] > _RANK[self.kind]:
            raise ValueError(f"{self} has no {kind} sub-periods")
        if kind is self.kind:
            return [self]
        if kind is PeriodKind.MONTH:
            first = self.start.month
            last = self.end.month
            return [Period(self.year, PeriodKind.MONTH, m) for m in range(first, last + 1)]
        return [Period(self.year, PeriodKind.QUARTER, q) for q in range(1, 5)]

    def enclosing(self, kind: PeriodKind) -> Period:
        """The quarter or year this period lies in."""
        if _RANK[kind] < _RANK[self.kind]:
            raise ValueError(f"{self} is not inside a {kind}")
        if kind is PeriodKind.YEAR:
            return Period(self.year, PeriodKind.YEAR, 1)
        if kind is PeriodKind.QUARTER:
            return Period(self.year, PeriodKind.QUARTER, (self.start.month - 1) // 3 + 1)
        return self

    def previous(self) -> Period:
        if self.kind is PeriodKind.YEAR:
            return Period(self.year - 1, self.kind, 1)
        count = 12 if self.kind is PeriodKind.MONTH else 4
        if self.index == 1:
            return Period(self.year - 1, self.kind, count)
        return Period(self.year, self.kind, self.index - 1)


_MONTHS_SCOPE = re.compile(r"months:([1-9][0-9]?)")
SCOPE_HELP = "'period', 'quarter', 'year' or 'months:N' (the N months ending with the period)"


def scope_span(period: Period, scope: str) -> tuple[date, date]:
    """The days a counter with this ``scope`` reads when ``period`` is scored.

    ``quarter``/``year`` reach back to the start of the enclosing quarter or
    year (a monthly veto that looks at "this year"); ``months:N`` is a trailing
    window of N calendar months ending with the period's last month, for rules
    like 广德's "停发3个月绩效奖励" that keep acting after the month of the
    violation. A scope never reads less than the period itself.
    """
    if scope == "period":
        return period.start, period.end
    match = _MONTHS_SCOPE.fullmatch(scope)
    if match is not None:
        back = int(match.group(1)) - 1
        y, m = period.end.year, period.end.month - back
        while m < 1:
            y, m = y - 1, m + 12
        return min(period.start, date(y, m, 1)), period.end
    try:
        kind = PeriodKind(scope)
    except ValueError:
        raise ValueError(f"unknown scope {scope!r}: use {SCOPE_HELP}") from None
    if _RANK[kind] < _RANK[period.kind]:
        return period.start, period.end
    enclosing = period.enclosing(kind)
    return enclosing.start, enclosing.end
