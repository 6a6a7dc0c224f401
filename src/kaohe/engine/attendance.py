"""Daily attendance derived from raw clock punches, the sign-in schedule and the calendar.

Regulations charge 迟到 / 早退 / 缺卡 / 旷工 per event (luoshan s_attendance.01–.03,
guangde attendance.01–.04) and guangde's window ratio divides missed by required
sign-ins (R1, R8), but a centre only has raw punches from a face terminal or
DingTalk. The terminal's own in/out key is unreliable (people press the wrong
key, ingest.md), so every punch is placed by its time against the policy's
:class:`~kaohe.engine.policy.models.Schedule`, never by what was pressed.

The rules, chosen so that a reviewer can predict every outcome by hand:

* Only working days of the :class:`~kaohe.engine.workdays.WorkCalendar` (holidays
  off, 调休 make-up days on) on which the person is in post count; ``left`` is the
  last day served (luoshan R20). An unknown calendar year raises
  :class:`~kaohe.engine.workdays.UnknownYearError` — a guess would change counts.
* Punches of one person less than or equal to ``merge_seconds`` after the first
  punch of a run collapse into one (device double reads, overlapping exports).
  The run keeps its first time (used for a sign-in) and its last (used for a
  sign-out), so a second press never makes anyone later or earlier.
* With ``overnight_until`` set, a punch from midnight up to that time belongs to
  the previous calendar day as its last sign-out when that day was a working day
  in post; otherwise it stays on its own day (an early arrival after a holiday).
* Each slot owns a window of the day. An ``in`` slot is on time up to
  ``on_time_until`` (else ``latest``), an ``out`` slot from ``on_time_from`` (else
  ``earliest``). Explicit ``earliest`` / ``latest`` bound the windows (luoshan
  Amb. 18: an afternoon-in punch before 12:50 is no sign-in); where neither
  neighbour gives a bound, the boundary is the midpoint of the two on-time
  limits, so 10:00 is a late morning sign-in and 11:00 an early sign-out. An
  ``in`` slot takes its earliest punch (after the limit: LATE), an ``out`` slot
  its latest (before the limit: EARLY); no punch: MISSED. A schedule without
  times (guangde gives none) cannot classify and raises ``ValueError``.
* Leave rows are the administrative fact and win over punches. Approved leave
  marks its slots LEAVE (removed from the expected sign-ins); unapproved leave
  marks them ABSENT (旷工). ``days`` allocates whole working days from ``start``
  in order and a final ``.5`` to one half of the next working day; ``days``
  larger than the span's working days (counted in natural days) covers them
  all. The rows do not say which half, so a half day covers the half that
  leaves the fewest late/early/missed/absent slots — the half the person was
  away — and the first (morning) half on a tie. The first half is the first
  ``ceil(n / 2)`` slots.
* A working day whose uncovered slots all went without a punch is ABSENT, not
  n × MISSED: the person did not come (or did not come back), one 旷工 day or
  half day, not several forgotten punches.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from kaohe.engine.periods import Period, PeriodKind
from kaohe.engine.policy.models import Schedule, Signin
from kaohe.engine.workdays import UnknownYearError, WorkCalendar

__all__ = [
    "AttendanceResult",
    "DayRow",
    "LeaveSpan",
    "PersonSpan",
    "PersonSummary",
    "SlotResult",
    "SlotStatus",
    "collapse_punches",
    "derive_attendance",
    "summarize",
    "to_attendance_rows",
    "to_records",
]

PersonSpan = tuple[str, date | None, date | None]
"""``(person id, joined, left)``; ``None`` = open. A person may appear more than once
(two stints at the hall); the days in post are the union."""

ZERO = Decimal(0)
ONE = Decimal(1)
HALF = Decimal("0.5")
MAX_HALF_DAYS = 8
_ONE_DAY = timedelta(days=1)


class SlotStatus(StrEnum):
    """What happened to one required sign-in."""

    OK = "ok"
    LATE = "late"
    EARLY = "early"
    MISSED = "missed"
    LEAVE = "leave"
    ABSENT = "absent"


_BAD = frozenset({SlotStatus.LATE, SlotStatus.EARLY, SlotStatus.MISSED, SlotStatus.ABSENT})
_LABEL = {
    SlotStatus.LATE: "迟到",
    SlotStatus.EARLY: "早退",
    SlotStatus.MISSED: "缺卡",
    SlotStatus.ABSENT: "旷工",
}


@dataclass(frozen=True)
class LeaveSpan:
    """One row of the ``leave`` table that can be placed on days.

    ``end`` defaults to ``start``; ``days`` (working days, whole or ``.5``) limits
    how many of the span's working days are covered, ``None`` covers all of them.
    """

    person: str
    type: str
    start: date
    end: date | None = None
    days: Decimal | None = None
    approved: bool = True

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(
                f"leave of {self.person} ends ({self.end}) before it starts ({self.start})"
            )
        if self.days is not None:
            if not self.days.is_finite() or self.days < 0:
                raise ValueError(
                    f"leave of {self.person} from {self.start}: days must be ≥ 0, not {self.days}"
                )
            if (self.days * 2) != (self.days * 2).to_integral_value():
                raise ValueError(
                    f"leave of {self.person} from {self.start}: days must be whole "
                    f"or half days, not {self.days} (a sign-in cannot be split "
                    f"finer than half a day)"
                )

    @property
    def last(self) -> date:
        """The last calendar day of the span (inclusive)."""
        return self.end if self.end is not None else self.start

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> LeaveSpan:
        """Build from a typed ``leave`` row (see :mod:`kaohe.engine.inputs`).

        A row without ``start`` cannot be put on days, so it cannot excuse a
        sign-in; it raises rather than silently excusing nothing.
        """
        person, kind, start = row.get("person"), row.get("type"), row.get("start")
        end, days, approved = row.get("end"), row.get("days"), row.get("approved")
        if not isinstance(start, date):
            raise ValueError(f"leave of {person}: no start date, cannot place it on days")
        if end is not None and not isinstance(end, date):
            raise ValueError(f"leave of {person}: end is not a date: {end!r}")
        if days is not None and not isinstance(days, Decimal):
            days = Decimal(str(days))
        return cls(
            person=str(person),
            type=str(kind),
            start=start.date() if isinstance(start, datetime) else start,
            end=end.date() if isinstance(end, datetime) else end,
            days=days,
            approved=True if approved is None else bool(approved),
        )


@dataclass(frozen=True)
class SlotResult:
    """One required sign-in of one day: its status and the punch time that decided it.

    ``leave_type`` is set when a leave row decided the slot (LEAVE, or ABSENT for
    unapproved leave), so a report can tell 旷工 without punches from 旷工 by an
    unapproved leave.
    """

    code: str
    name: str
    kind: Literal["in", "out"]
    status: SlotStatus
    punch: datetime | None = None
    leave_type: str | None = None


def _halves(n: int) -> tuple[range, ...]:
    """The non-empty halves of n slots: the first ceil(n/2) and the rest."""
    k = (n + 1) // 2
    return tuple(h for h in (range(0, k), range(k, n)) if len(h))


@dataclass(frozen=True)
class DayRow:
    """One working day in post of one person."""

    person: str
    day: date
    slots: tuple[SlotResult, ...]
    punches: tuple[datetime, ...] = ()
    """The collapsed punches attributed to this day (first time of each run)."""

    def count(self, status: SlotStatus) -> int:
        return sum(1 for s in self.slots if s.status is status)

    def _portion(self, status: SlotStatus) -> Decimal:
        halves = _halves(len(self.slots))
        if not halves:
            return ZERO
        weight = ONE / len(halves)
        return sum((weight for h in halves if all(self.slots[i].status is status for i in h)), ZERO)

    @property
    def absent_days(self) -> Decimal:
        """1 for a 旷工 day, 0.5 for a 旷工 half day (a whole half ABSENT), else 0."""
        return self._portion(SlotStatus.ABSENT)

    @property
    def leave_days(self) -> Decimal:
        """1 or 0.5 when approved leave covers the whole day or one half."""
        return self._portion(SlotStatus.LEAVE)

    @property
    def expected_signins(self) -> int:
        """Sign-ins owed: every slot not excused by approved leave."""
        return len(self.slots) - self.count(SlotStatus.LEAVE)

    @property
    def missed_signins(self) -> int:
        """Sign-ins owed and not made (MISSED or ABSENT): the attendance table's meaning."""
        return self.count(SlotStatus.MISSED) + self.count(SlotStatus.ABSENT)

    def leave_by_type(self) -> dict[str, Decimal]:
        halves = _halves(len(self.slots))
        out: dict[str, Decimal] = {}
        for h in halves:
            if all(self.slots[i].status is SlotStatus.LEAVE for i in h):
                kind = self.slots[h[0]].leave_type or ""
                out[kind] = out.get(kind, ZERO) + ONE / len(halves)
        return out


@dataclass(frozen=True)
class PersonSummary:
    """A person's totals over a run of day rows (the ``attendance`` table and more).

    ``missed_signins`` counts MISSED and ABSENT slots (guangde R1/R8 ratio);
    ``missed`` only MISSED ones (the ledger's 缺卡 item, since absent days are
    charged as 旷工 instead). ``present_days`` = workdays − leave − absence.
    """

    person: str
    workdays: int
    present_days: Decimal
    expected_signins: int
    missed_signins: int
    missed: int
    late: int
    early: int
    absent_days: Decimal
    leave_days: Decimal
    leave_by_type: Mapping[str, Decimal]


@dataclass(frozen=True)
class AttendanceResult:
    """Day rows and summaries per person, in the order the people were given.

    ``unknown_people`` lists ids that had punches or leave but were not among the
    people: an unmapped PIN must be queued for mapping, never silently dropped.
    """

    start: date
    end: date
    days: Mapping[str, tuple[DayRow, ...]]
    summaries: Mapping[str, PersonSummary]
    unknown_people: tuple[str, ...] = ()


# ------------------------------------------------------------------ the schedule


@dataclass(frozen=True)
class _Slot:
    signin: Signin
    lo: int
    """First microsecond of the day inside the slot's window."""
    hi: int | None
    """First microsecond past the window; ``None``: to the end of the day."""
    limit: time
    """On-time limit: a sign-in at or before it, a sign-out at or after it."""


def _us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _plan(schedule: Schedule) -> tuple[_Slot, ...]:
    """Turn the schedule into disjoint windows, or say clearly why it cannot classify."""
    signins = schedule.signins
    if not signins:
        raise ValueError(f"schedule ({schedule.ref}) has no sign-ins")
    if schedule.merge_seconds < 0:
        raise ValueError(f"schedule ({schedule.ref}): merge_seconds must be ≥ 0")
    limits: list[time] = []
    for s in signins:
        limit = (s.on_time_until or s.latest) if s.kind == "in" else (s.on_time_from or s.earliest)
        if limit is None:
            field = "on_time_until" if s.kind == "in" else "on_time_from"
            raise ValueError(
                f"schedule ({schedule.ref}): sign-in {s.code!r} ({s.name}) has no time, so "
                f"punches cannot be classified; the regulation gives none — set {field} "
                f"(and optionally earliest/latest) in the policy's schedule"
            )
        if s.earliest is not None and s.earliest > limit:
            raise ValueError(f"schedule: sign-in {s.code!r}: earliest is after its on-time limit")
        if s.latest is not None and s.latest < limit:
            raise ValueError(f"schedule: sign-in {s.code!r}: latest is before its on-time limit")
        if limits and limit <= limits[-1]:
            raise ValueError(f"schedule: sign-in {s.code!r} is not after the one before it")
        limits.append(limit)
    n = len(signins)
    lo = [0] * n
    hi: list[int | None] = [None] * n
    if signins[0].earliest is not None:
        lo[0] = _us(signins[0].earliest)
    if signins[-1].latest is not None:
        hi[-1] = _us(signins[-1].latest) + 1
    for i in range(n - 1):
        latest, earliest = signins[i].latest, signins[i + 1].earliest
        if latest is not None and earliest is not None:
            if latest >= earliest:
                raise ValueError(
                    f"schedule: sign-ins {signins[i].code!r} and {signins[i + 1].code!r} overlap"
                )
            hi[i], lo[i + 1] = _us(latest) + 1, _us(earliest)
        elif latest is not None:
            hi[i] = lo[i + 1] = _us(latest) + 1
        elif earliest is not None:
            hi[i] = lo[i + 1] = _us(earliest)
        else:
            boundary = (_us(limits[i]) + _us(limits[i + 1]) + 1) // 2
            hi[i] = lo[i + 1] = boundary
    slots = tuple(_Slot(s, lo[i], hi[i], limits[i]) for i, s in enumerate(signins))
    for slot in slots:
        top = slot.hi
        if not (slot.lo <= _us(slot.limit) and (top is None or _us(slot.limit) < top)):
            raise ValueError(
                f"schedule: the on-time limit of {slot.signin.code!r} lies outside "
                f"its window (check earliest/latest of its neighbours)"
            )
    return slots


# ------------------------------------------------------------------ punches


@dataclass(frozen=True)
class _Run:
    first: datetime
    last: datetime


def collapse_punches(
    times: Iterable[datetime], merge_seconds: int
) -> list[tuple[datetime, datetime]]:
    """Collapse repeated punches: ``(first, last)`` of each run, in time order.

    A punch at most ``merge_seconds`` after the first punch of the current run
    joins it; measuring from the run's first punch (not the previous one) keeps a
    run from growing without bound when someone presses every 50 seconds.
    """
    gap = timedelta(seconds=merge_seconds)
    runs: list[tuple[datetime, datetime]] = []
    for t in sorted(times):
        if runs and t - runs[-1][0] <= gap:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs


def _serves(stints: Sequence[tuple[date | None, date | None]], day: date) -> bool:
    return any((j is None or j <= day) and (left is None or day <= left) for j, left in stints)


def _classify(
    plan: tuple[_Slot, ...], day: date, punches: Sequence[tuple[_Run, bool]]
) -> list[tuple[SlotStatus, datetime | None]]:
    """Status of each slot from the punches alone (before leave)."""
    candidates: list[list[tuple[_Run, bool]]] = [[] for _ in plan]
    for run, overnight in punches:
        if overnight:
            candidates[-1].append((run, overnight))
            continue
        us = _us(run.first.time())
        for i, slot in enumerate(plan):
            if slot.lo <= us and (slot.hi is None or us < slot.hi):
                candidates[i].append((run, overnight))
                break
    out: list[tuple[SlotStatus, datetime | None]] = []
    for slot, found in zip(plan, candidates, strict=True):
        limit = datetime.combine(day, slot.limit)
        if not found:
            out.append((SlotStatus.MISSED, None))
        elif slot.signin.kind == "in":
            t = min(run.first for run, _ in found)
            out.append((SlotStatus.OK if t <= limit else SlotStatus.LATE, t))
        else:
            run, overnight = max(found, key=lambda f: (f[1], f[0].last))
            t = run.last
            out.append((SlotStatus.OK if overnight or t >= limit else SlotStatus.EARLY, t))
    return out


# ------------------------------------------------------------------ leave


@dataclass(frozen=True)
class _Cover:
    approved: bool
    type: str


def _allocate(
    span: LeaveSpan, calendar: WorkCalendar, start: date, end: date
) -> list[tuple[date, Decimal]]:
    """Working days of the span inside [start, end] with the portion covered (1 or 0.5)."""
    remaining = span.days
    day = span.start if remaining is not None else max(span.start, start)
    stop = min(span.last, end)
    out: list[tuple[date, Decimal]] = []
    while day <= stop and (remaining is None or remaining > 0):
        if calendar.is_workday(day):
            portion = ONE if remaining is None or remaining >= 1 else HALF
            if day >= start:
                out.append((day, portion))
            if remaining is not None:
                remaining -= portion
        day += _ONE_DAY
    return out


def _resolve(
    plan: tuple[_Slot, ...],
    base: Sequence[tuple[SlotStatus, datetime | None]],
    cover: Sequence[_Cover | None],
) -> tuple[SlotResult, ...]:
    slots: list[SlotResult] = []
    for slot, (status, punch), c in zip(plan, base, cover, strict=True):
        s = slot.signin
        if c is None:
            slots.append(SlotResult(s.code, s.name, s.kind, status, punch))
        elif c.approved:
            slots.append(SlotResult(s.code, s.name, s.kind, SlotStatus.LEAVE, None, c.type))
        else:
            slots.append(SlotResult(s.code, s.name, s.kind, SlotStatus.ABSENT, None, c.type))
    open_slots = [i for i, c in enumerate(cover) if c is None]
    if open_slots and all(slots[i].status is SlotStatus.MISSED for i in open_slots):
        for i in open_slots:
            s = plan[i].signin
            slots[i] = SlotResult(s.code, s.name, s.kind, SlotStatus.ABSENT)
    return tuple(slots)


def _day(
    plan: tuple[_Slot, ...],
    person: str,
    day: date,
    punches: Sequence[tuple[_Run, bool]],
    whole: Sequence[_Cover],
    halves_: Sequence[_Cover],
) -> DayRow:
    base = _classify(plan, day, punches)
    if len(halves_) > MAX_HALF_DAYS:
        raise ValueError(
            f"{person} has {len(halves_)} half-day leave rows on {day}; "
            f"at most {MAX_HALF_DAYS} are supported"
        )
    halves = _halves(len(plan))
    best: tuple[int, tuple[SlotResult, ...]] | None = None
    for choice in itertools.product(range(len(halves)), repeat=len(halves_)):
        cover: list[_Cover | None] = [None] * len(plan)

        def put(c: _Cover, where: Iterable[int], cover: list[_Cover | None] = cover) -> None:
            for i in where:
                current = cover[i]
                if current is None or (c.approved and not current.approved):
                    cover[i] = c

        for c in whole:
            put(c, range(len(plan)))
        for c, h in zip(halves_, choice, strict=True):
            put(c, halves[h])
        slots = _resolve(plan, base, cover)
        bad = sum(1 for s in slots if s.status in _BAD)
        if best is None or bad < best[0]:
            best = (bad, slots)
    assert best is not None
    used = tuple(sorted(run.first for run, _ in punches))
    return DayRow(person, day, best[1], used)


# ------------------------------------------------------------------ derivation


def derive_attendance(
    schedule: Schedule,
    calendar: WorkCalendar,
    people: Iterable[PersonSpan],
    punches: list[tuple[str, datetime]],
    leave: list[LeaveSpan],
    start: date,
    end: date,
) -> AttendanceResult:
    """Classify every required sign-in of every working day in post from start to end.

    Punches are naive local times (ingest attaches Asia/Shanghai by dropping
    nothing but the zone). The result does not depend on the order of
    ``punches`` or ``leave``. See the module docstring for the rules.
    """
    if end < start:
        raise ValueError(f"attendance range ends ({end}) before it starts ({start})")
    plan = _plan(schedule)
    stints: dict[str, list[tuple[date | None, date | None]]] = {}
    for person, joined, left in people:
        if joined is not None and left is not None and left < joined:
            raise ValueError(f"{person} left ({left}) before joining ({joined})")
        stints.setdefault(person, []).append((joined, left))
    workdays = calendar.workdays(start, end)

    unknown: set[str] = set()
    times: dict[str, list[datetime]] = {p: [] for p in stints}
    for person, t in punches:
        if person in times:
            times[person].append(t)
        else:
            unknown.add(person)
    spans: dict[str, list[LeaveSpan]] = {p: [] for p in stints}
    for span in leave:
        if span.person in spans:
            spans[span.person].append(span)
        else:
            unknown.add(span.person)

    def workday_in_post(person: str, day: date) -> bool:
        if not _serves(stints[person], day):
            return False
        try:
            return calendar.is_workday(day)
        except UnknownYearError:
            return False

    days: dict[str, tuple[DayRow, ...]] = {}
    for person, person_stints in stints.items():
        in_post = [d for d in workdays if _serves(person_stints, d)]
        attributed: dict[date, list[tuple[_Run, bool]]] = {d: [] for d in in_post}
        for first, last in collapse_punches(times[person], schedule.merge_seconds):
            day, overnight = first.date(), False
            if not start <= day <= end + _ONE_DAY:
                continue
            if (
                schedule.overnight_until is not None
                and first.time() <= schedule.overnight_until
                and workday_in_post(person, day - _ONE_DAY)
            ):
                day, overnight = day - _ONE_DAY, True
            bucket = attributed.get(day)
            if bucket is not None:
                bucket.append((_Run(first, last), overnight))

        whole: dict[date, list[_Cover]] = {}
        half: dict[date, list[_Cover]] = {}
        ordered = sorted(
            spans[person],
            key=lambda s: (not s.approved, s.start, s.last, s.type, s.days is None, s.days or ZERO),
        )
        for span in ordered:
            for day, portion in _allocate(span, calendar, start, end):
                if day in attributed:
                    target = whole if portion == ONE else half
                    target.setdefault(day, []).append(_Cover(span.approved, span.type))

        days[person] = tuple(
            _day(plan, person, d, attributed[d], whole.get(d, ()), half.get(d, ())) for d in in_post
        )
    summaries = {person: summarize(person, rows) for person, rows in days.items()}
    return AttendanceResult(start, end, days, summaries, tuple(sorted(unknown)))


def summarize(person: str, rows: Sequence[DayRow]) -> PersonSummary:
    """Totals over any run of day rows (a month of a longer result, say)."""
    leave_by_type: dict[str, Decimal] = {}
    for row in rows:
        for kind, amount in row.leave_by_type().items():
            leave_by_type[kind] = leave_by_type.get(kind, ZERO) + amount
    absent = sum((r.absent_days for r in rows), ZERO)
    on_leave = sum((r.leave_days for r in rows), ZERO)
    return PersonSummary(
        person=person,
        workdays=len(rows),
        present_days=Decimal(len(rows)) - absent - on_leave,
        expected_signins=sum(r.expected_signins for r in rows),
        missed_signins=sum(r.missed_signins for r in rows),
        missed=sum(r.count(SlotStatus.MISSED) for r in rows),
        late=sum(r.count(SlotStatus.LATE) for r in rows),
        early=sum(r.count(SlotStatus.EARLY) for r in rows),
        absent_days=absent,
        leave_days=on_leave,
        leave_by_type=dict(sorted(leave_by_type.items())),
    )


# ------------------------------------------------------------------ outputs


def _describe(slots: Iterable[SlotResult]) -> str:
    parts = []
    for s in slots:
        parts.append(f"{s.name} {s.punch:%H:%M:%S}" if s.punch is not None else s.name)
    return "、".join(parts)


def to_records(
    result: AttendanceResult,
    schedule: Schedule,
    *,
    include_unapproved_leave: bool = True,
    charged_leave_types: frozenset[str] = frozenset(),
) -> list[dict[str, object]]:
    """Ledger rows ``{date, subject, item, count, note}`` for the schedule's items.

    One row per person, day and item, ``count`` = events that day. A whole 旷工
    day is one ``absent_item``; a 旷工 half day cannot be a fraction of a count,
    so its sign-ins go to ``missed_item`` (each is a sign-in owed and not made,
    as guangde attendance.03 counts them). Items the schedule leaves ``None``
    are skipped. ``include_unapproved_leave=False`` drops 旷工 that comes from an
    unapproved leave row, for a policy whose ``derive.leave`` rules already
    charge those rows (otherwise they would be charged twice);
    ``charged_leave_types`` does the same for unapproved leave of those types
    only (a policy charging unapproved 事假 but not, say, an unlisted type).
    """
    out: list[dict[str, object]] = []

    def emit(row: DayRow, item: str | None, slots: list[SlotResult], note: str) -> None:
        if item is not None and slots:
            out.append(
                {
                    "date": row.day,
                    "subject": row.person,
                    "item": item,
                    "count": len(slots),
                    "note": note,
                }
            )

    for rows in result.days.values():
        for row in rows:
            absent = [
                s
                for s in row.slots
                if s.status is SlotStatus.ABSENT
                and (
                    s.leave_type is None
                    or (include_unapproved_leave and s.leave_type not in charged_leave_types)
                )
            ]
            whole_day = row.absent_days == ONE and len(absent) == len(row.slots)
            late = [s for s in row.slots if s.status is SlotStatus.LATE]
            early = [s for s in row.slots if s.status is SlotStatus.EARLY]
            missed = [s for s in row.slots if s.status is SlotStatus.MISSED]
            emit(row, schedule.late_item, late, f"迟到: {_describe(late)}")
            emit(row, schedule.early_item, early, f"早退: {_describe(early)}")
            missed_note = f"缺卡: {_describe(missed)}" if missed else ""
            if absent and not whole_day:
                half_note = f"半天旷工: {_describe(absent)}{_why(absent)}"
                missed_note = f"{missed_note}; {half_note}" if missed_note else half_note
                missed = missed + absent
            emit(row, schedule.missed_item, missed, missed_note)
            if whole_day:
                emit(row, schedule.absent_item, [absent[0]], f"旷工一天{_why(absent)}")
    return out


def _why(slots: Sequence[SlotResult]) -> str:
    kinds = sorted({s.leave_type for s in slots if s.leave_type is not None})
    if kinds:
        return f" (未经批准的{'、'.join(kinds)})"
    return " (无打卡)"


def to_attendance_rows(result: AttendanceResult, month: Period | str) -> list[dict[str, object]]:
    """Rows of the ``attendance`` fact table for one month of the result.

    Refuses a month the result does not wholly cover: a partial month would
    understate ``workdays`` and every ratio built on it. People without a
    working day in post that month get no row.
    """
    period = Period.parse(month)
    if period.kind is not PeriodKind.MONTH:
        raise ValueError(f"{period} is not a month")
    if period.start < result.start or period.end > result.end:
        raise ValueError(
            f"the attendance covers {result.start}–{result.end}, not the whole of {period}"
        )
    out: list[dict[str, object]] = []
    for person, rows in result.days.items():
        in_month = [r for r in rows if period.contains(r.day)]
        if not in_month:
            continue
        s = summarize(person, in_month)
        out.append(
            {
                "person": person,
                "month": str(period),
                "workdays": Decimal(s.workdays),
                "present_days": s.present_days,
                "expected_signins": Decimal(s.expected_signins),
                "missed_signins": Decimal(s.missed_signins),
            }
        )
    return out
