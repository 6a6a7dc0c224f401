"""The Chinese working-day calendar: statutory holidays and 调休 make-up days.

The State Council publishes each year's arrangement late in the year before;
the ``chinese-calendar`` package knows the years up to its release and an
override table adds later years and local closures. A day in a year neither
knows is an error — a guess would silently change every leave count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar


class UnknownYearError(ValueError):
    """The calendar has no official arrangement for this year."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"工作日历未收录 {year} 年的节假日安排 (the working-day calendar does not know "
            f"{year}); enter the State Council arrangement for {year} first"
        )
        self.year = year


@dataclass(frozen=True)
class YearArrangement:
    """One year's arrangement entered by an administrator (or a local closure list)."""

    year: int
    days_off: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    complete: bool = True


@dataclass
class WorkCalendar:
    """Working days from chinese-calendar plus administrator overrides.

    ``overrides`` maps a year to its arrangement; a complete arrangement makes an
    otherwise unknown year usable, an incomplete one only adjusts a known year
    (local closures, e.g. a typhoon day).
    """

    overrides: dict[int, YearArrangement] = field(default_factory=dict)
    _days: dict[date, bool] = field(default_factory=dict, repr=False, compare=False)
    _spans: dict[tuple[date, date], list[date]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def from_mapping(cls, data: Mapping[int, Mapping[str, Iterable[date]]]) -> WorkCalendar:
        arr = {
            int(y): YearArrangement(
                int(y),
                frozenset(v.get("days_off", ())),
                frozenset(v.get("workdays", ())),
                bool(v.get("complete", True)),
            )
            for y, v in data.items()
        }
        return cls(arr)

    def known_years(self) -> list[int]:
        years = {y for y in range(2004, 2100) if self._package_knows(y)}
        years |= {y for y, a in self.overrides.items() if a.complete}
        return sorted(years)

    @staticmethod
    def _package_knows(year: int) -> bool:
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def knows(self, year: int) -> bool:
        arrangement = self.overrides.get(year)
        return (arrangement is not None and arrangement.complete) or self._package_knows(year)

    def is_workday(self, day: date) -> bool:
        known = self._days.get(day)
        if known is None:
            known = self._is_workday(day)
            self._days[day] = known
        return known

    def _is_workday(self, day: date) -> bool:
        arrangement = self.overrides.get(day.year)
        if arrangement is not None:
            if day in arrangement.workdays:
                return True
            if day in arrangement.days_off:
                return False
            if arrangement.complete and not self._package_knows(day.year):
                return day.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            raise UnknownYearError(day.year) from None

    def workdays(self, start: date, end: date) -> list[date]:
        """Working days from start to end, both inclusive."""
        cached = self._spans.get((start, end))
        if cached is not None:
            return list(cached)
        out: list[date] = []
        day = start
        while day <= end:
            if self.is_workday(day):
                out.append(day)
            day += timedelta(days=1)
        self._spans[(start, end)] = out
        return list(out)

    def count(self, start: date, end: date) -> int:
        return len(self.workdays(start, end))

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (publicity and appeal deadlines)."""
        day = start
        left = n
        while left > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def fingerprint(self) -> str:
        """A stable text naming the arrangement used, stored with published results."""
        parts = [f"chinese-calendar {chinese_calendar.__version__}"]
        for year in sorted(self.overrides):
            a = self.overrides[year]
            parts.append(
                f"{year}:{'full' if a.complete else 'local'}:"
                f"{','.join(sorted(d.isoformat() for d in a.days_off))}|"
                f"{','.join(sorted(d.isoformat() for d in a.workdays))}"
            )
        return ";".join(parts)


DEFAULT_CALENDAR = WorkCalendar()
