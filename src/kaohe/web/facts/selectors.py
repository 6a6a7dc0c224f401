"""Reads for the facts pages: imports, the working-day calendar, attendance by day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from kaohe.engine import Period
from kaohe.engine.attendance import (
    AttendanceResult,
    DayRow,
    LeaveSpan,
    PersonSummary,
    derive_attendance,
)
from kaohe.engine.periods import PeriodKind
from kaohe.engine.workdays import UnknownYearError, WorkCalendar, YearArrangement
from kaohe.web.facts.models import (
    AttendanceSummary,
    CalendarDay,
    CalendarYear,
    DayKind,
    ImportBatch,
    Leave,
    Punch,
)
from kaohe.web.org.models import Center, Person
from kaohe.web.scoring.bridge import policy_for, roster


def batches(center: Center) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.filter(center=center).select_related("imported_by", "rolled_back_by")


def work_calendar(center: Center) -> WorkCalendar:
    """chinese-calendar plus the center's entered years and local closures.

    A year entered in full (:class:`CalendarYear`) becomes known even past the
    package's range; day rows in other years only adjust a known year.
    """
    complete = set(CalendarYear.objects.filter(center=center).values_list("year", flat=True))
    off: dict[int, set[date]] = defaultdict(set)
    work: dict[int, set[date]] = defaultdict(set)
    for day, kind in CalendarDay.objects.filter(center=center).values_list("date", "kind"):
        (off if kind == DayKind.HOLIDAY else work)[day.year].add(day)
    years = complete | set(off) | set(work)
    return WorkCalendar(
        {
            y: YearArrangement(y, frozenset(off[y]), frozenset(work[y]), y in complete)
            for y in sorted(years)
        }
    )


@dataclass
class CalendarYearView:
    year: int
    known: bool
    entered: CalendarYear | None
    days: list[CalendarDay]
    workdays: int | None
    months: list[tuple[int, int]]


def calendar_year(center: Center, year: int) -> CalendarYearView:
    cal = work_calendar(center)
    entered = CalendarYear.objects.filter(center=center, year=year).first()
    days = list(CalendarDay.objects.filter(center=center, date__year=year))
    if not cal.knows(year):
        return CalendarYearView(year, False, entered, days, None, [])
    months = []
    for m in range(1, 13):
        p = Period.parse(f"{year}-{m:02d}")
        months.append((m, cal.count(p.start, p.end)))
    return CalendarYearView(
        year, True, entered, days, cal.count(date(year, 1, 1), date(year, 12, 31)), months
    )


def known_years(center: Center) -> list[int]:
    return work_calendar(center).known_years()


@dataclass
class AttendanceMonth:
    """One month of derived attendance for the people a user may see."""

    month: str
    error: str
    days: list[date]
    people: list[tuple[Person, PersonSummary | None, dict[date, DayRow]]]
    corrections: list[Punch]
    #: person code → the live 考勤汇总 of the month: it, not the punches, is scored
    imported: dict[str, AttendanceSummary] = field(default_factory=dict)


def attendance_month(center: Center, month: str, people: QuerySet[Person]) -> AttendanceMonth:
    """Punches classified under the policy's schedule with the center's calendar.

    The same derivation the engine uses when it scores the month, so what the
    page shows is what is charged.
    """
    period = Period.parse(month)
    start, end = period.start, period.end
    out = AttendanceMonth(str(period), "", [], [], [])
    try:
        policy = policy_for(center, end)
    except LookupError as exc:
        out.error = str(exc)
        return out
    if policy.schedule is None:
        out.error = f"考核办法 {policy.id} 没有签到时间表，无法按打卡推算考勤"
        return out
    cal = work_calendar(center)
    if not cal.knows(start.year):
        out.error = str(UnknownYearError(start.year))
        return out
    org = roster(center, period)
    chosen = {p.code: p for p in people}
    spans = [(p.id, p.joined, p.left) for p in org.people.values() if p.id in chosen]
    codes = [s[0] for s in spans]
    times = [
        (code, timezone.localtime(t).replace(tzinfo=None))
        for code, t in Punch.objects.filter(
            center=center,
            rolled_back=False,
            person__code__in=codes,
            time__date__gte=start,
            time__date__lte=end,
        ).values_list("person__code", "time")
    ]
    leave = [
        LeaveSpan(code, t, s, e, d, ok)
        for code, t, s, e, d, ok in Leave.objects.filter(
            center=center,
            rolled_back=False,
            person__code__in=codes,
            start__lte=end,
            end__gte=start,
        ).values_list("person__code", "type", "start", "end", "days", "approved")
    ]
    try:
        result: AttendanceResult = derive_attendance(
            policy.schedule, cal, spans, times, leave, start, end
        )
    except (ValueError, UnknownYearError) as exc:
        out.error = str(exc)
        return out
    out.days = cal.workdays(start, end)
    out.imported = {
        row.person.code: row
        for row in AttendanceSummary.objects.filter(
            center=center,
            rolled_back=False,
            person__code__in=codes,
            month__in=[str(m) for m in period.subperiods(PeriodKind.MONTH)],
        ).select_related("person", "batch")
    }
    for code in sorted(chosen):
        rows = {r.day: r for r in result.days.get(code, ())}
        out.people.append((chosen[code], result.summaries.get(code), rows))
    out.corrections = list(
        Punch.objects.filter(
            center=center,
            rolled_back=False,
            device="correction",
            person__code__in=list(chosen),
            time__date__gte=start,
            time__date__lte=end,
        ).select_related("person")
    )
    return out


def status_cells(row: DayRow | None) -> list[dict[str, Any]]:
    if row is None:
        return []
    return [
        {
            "name": s.name,
            "status": str(s.status),
            "time": f"{s.punch:%H:%M}" if s.punch else "",
        }
        for s in row.slots
    ]
