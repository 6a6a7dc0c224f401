"""From the database to the engine's inputs: the policy in force, the roster of a
period, and the period's fact tables.

Engine ids are the center's own codes (window 编号, person 工号, unit 代码), so
a trace reads the way the hall speaks.  Ledger records are passed with their
primary key as the engine's row number: every trace line that names a row
names the record behind it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from kaohe.engine import Facts, Org, Period, Policy, build_facts, build_org, load_policy
from kaohe.engine.policy.loader import parse_policy
from kaohe.engine.reach import fact_span
from kaohe.web.facts import summaries
from kaohe.web.facts.models import (
    ExternalScore,
    Leave,
    Punch,
    Rating,
    Vote,
)
from kaohe.web.ledger.models import Record
from kaohe.web.org.models import Assignment, Center, CenterPolicy, PolicySource, Unit, Window


class NoPolicyError(LookupError):
    """The center has no regulation in force on the day asked for."""


def policy_row(center: Center, on: date) -> CenterPolicy:
    row = (
        CenterPolicy.objects.filter(center=center, effective_from__lte=on)
        .order_by("-effective_from", "-id")
        .first()
    )
    if row is None:
        row = CenterPolicy.objects.filter(center=center).order_by("effective_from", "id").first()
    if row is None:
        raise NoPolicyError(f"{center} 尚未选定考核办法")
    return row


def policy_for(center: Center, on: date) -> Policy:
    """The regulation in force on ``on``: bundled by id, or the center's own edited copy."""
    row = policy_row(center, on)
    if row.source == PolicySource.CUSTOM and row.yaml_text:
        return parse_policy(row.yaml_text, f"{center.code}/{row.policy_id}.yaml")
    return load_policy(row.policy_id)


def roster(center: Center, period: Period) -> Org:
    """The organisation as it stood in the period.

    Everyone with an assignment overlapping the period is on the roster, at
    the post of his latest such assignment; ``joined`` and ``left`` come from
    the first start and last end of all his assignments, so the engine can
    prorate or exclude people who joined or left part-way.
    """
    start, end = period.start, period.end
    units = {u.pk: u for u in Unit.objects.filter(center=center)}
    windows = {w.pk: w for w in Window.objects.filter(center=center)}
    by_person: dict[int, list[Assignment]] = defaultdict(list)
    for a in (
        Assignment.objects.filter(person__center=center)
        .select_related("person", "substitutes_for")
        .order_by("person_id", "start", "id")
    ):
        by_person[a.person_id].append(a)
    people: list[dict[str, Any]] = []
    for assignments in by_person.values():
        overlapping = [
            a for a in assignments if a.start <= end and (a.end is None or a.end >= start)
        ]
        if not overlapping:
            continue
        post = overlapping[-1]
        person = post.person
        ends = [a.end for a in assignments]
        row: dict[str, Any] = {
            "id": person.code,
            "name": person.name,
            "role": person.role,
            "employment": person.employment,
            "joined": min(a.start for a in assignments),
            "left": None if any(e is None for e in ends) else max(e for e in ends if e),
        }
        if post.window_id:
            row["window"] = windows[post.window_id].code
        # A chief rep keeps his unit even when later also given named windows.
        unit_post = next((a for a in reversed(overlapping) if a.unit_id), None)
        if unit_post is not None:
            row["unit"] = units[unit_post.unit_id].code
        named = [windows[a.window_id].code for a in overlapping if a.window_id]
        if person.role == "chief_rep" and named:
            row["windows"] = sorted(set(named))
        if post.substitutes_for_id and post.substitutes_for:
            row["substitutes_for"] = post.substitutes_for.code
        if person.pin:
            row["pin"] = person.pin
        people.append(row)
    wanted_windows = {w for p in people for w in [p.get("window"), *p.get("windows", [])] if w}
    return build_org(
        {
            "units": [{"id": u.code, "name": u.name} for u in units.values()],
            "windows": [
                {
                    "id": w.code,
                    "name": w.name,
                    "unit": units[w.unit_id].code if w.unit_id else None,
                    "kind": w.kind,
                }
                for w in windows.values()
                if w.active or w.code in wanted_windows
            ],
            "people": _substitutes_last(people),
        }
    )


def _substitutes_last(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A substitute names someone who must be on the roster too."""
    codes = {p["id"] for p in people}
    for p in people:
        if p.get("substitutes_for") not in (None, *codes):
            p.pop("substitutes_for")
    return people


def facts(
    center: Center, period: Period, policy: Policy | None = None, org: Org | None = None
) -> Facts:
    """The period's facts, live rows only (voided records and rolled-back imports are out).

    Attendance summaries (考勤汇总) become the ``attendance`` table and, under
    ``policy``'s sign-in schedule, ledger rows of their counts; a person's
    punches of a month his summary covers are left out (the summary wins,
    see :mod:`kaohe.web.facts.summaries`).  ``policy`` and ``org`` default to
    the regulation in force at the period's end and the period's roster.
    """
    start, end = period.start, period.end
    # counters whose scope reaches past the period (a veto over the year, a 3-month bonus stop)
    # read records, leave and ratings of that span; the engine still charges only the period's
    if policy is None:
        try:
            policy = policy_for(center, end)
        except NoPolicyError:
            policy = None
    first, last = fact_span(policy, period) if policy is not None else (start, end)
    records = [
        {
            "_row": r.pk,
            "date": r.date,
            "subject": r.person.code if r.person_id else r.window.code,
            "item": r.item_code,
            "count": r.count,
            "points": r.points,
            "major": r.major,
            "exempt": r.exempt,
            "note": r.note or None,
        }
        for r in Record.objects.filter(
            center=center, voided_at__isnull=True, date__gte=first, date__lte=last
        )
        .select_related("person", "window")
        .order_by("date", "id")
    ]
    live = Q(center=center, rolled_back=False)
    # Punches are stored aware; the engine reads the wall-clock time in the hall.
    since = timezone.make_aware(datetime.combine(start, time.min))
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    months = {f"{y:04d}-{m:02d}" for y, m in _months(start, end)}
    summary_rows = summaries.live_summaries(center, months)
    decided = summaries.covered(summary_rows)
    punches = []
    for code, t in (
        Punch.objects.filter(live, time__gte=since, time__lt=until)
        .values_list("person__code", "time")
        .order_by("time")
    ):
        local = timezone.localtime(t).replace(tzinfo=None)
        if (code, f"{local:%Y-%m}") not in decided:
            punches.append({"person": code, "time": local})
    leave = [
        {"person": code, "type": t, "start": s, "end": e, "days": d, "approved": ok}
        for code, t, s, e, d, ok in Leave.objects.filter(
            live, start__lte=last, end__gte=first
        ).values_list("person__code", "type", "start", "end", "days", "approved")
    ]
    ratings = [
        {"date": d, "window": w, "person": p, "stars": s, "verified": v, "default": df}
        for d, w, p, s, v, df in Rating.objects.filter(
            live, date__gte=first, date__lte=last
        ).values_list("date", "window__code", "person__code", "stars", "verified", "default")
    ]
    attendance: list[dict[str, Any]] = []
    if summary_rows:
        policy = policy or policy_for(center, end)
        org = org or roster(center, period)
        served = {p.id: (p.joined, p.left) for p in org.people.values()}
        attendance, counted = summaries.summary_tables(summary_rows, policy, served)
        records.extend(counted)
    votes = [
        {"group": g, "voter": v, "subject": s, "level": lv}
        for g, v, s, lv in Vote.objects.filter(live, period=str(period)).values_list(
            "group", "voter", "subject", "level"
        )
    ]
    scores = [
        {"source": so, "subject": s, "value": v, "rank": r}
        for so, s, v, r in ExternalScore.objects.filter(live, period=str(period)).values_list(
            "source", "subject", "value", "rank"
        )
    ]
    # Imported here: the workflow app's selectors import this module.
    from kaohe.web.workflow.selectors import adjustments_for, history_for

    adjustments = adjustments_for(center, str(period))
    history = history_for(center, str(period))
    if (first, last) != (start, end):
        org = org or roster(center, period)
        records, leave, ratings = _beyond_on_roster(
            org, start, end, records=records, leave=leave, ratings=ratings
        )
    tables: dict[str, object] = {"records": records}
    for name, rows in (
        ("punches", punches),
        ("leave", leave),
        ("ratings", ratings),
        ("attendance", attendance),
        ("votes", votes),
        ("scores", scores),
        ("adjustments", adjustments),
        ("history", history),
    ):
        if rows:
            tables[name] = rows
    return build_facts(tables)


def _beyond_on_roster(
    org: Org, start: date, end: date, **tables: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], ...]:
    """Rows outside the period only for people and windows on its roster.

    A wide scope reads a subject's own earlier rows (and, for a window, its
    current staff's), so rows of someone who has left or not yet joined can
    change nothing here; the engine would refuse them as unknown subjects.
    Rows inside the period are kept whoever they name: an unknown subject
    there is a real error the run must report.
    """
    known = set(org.people) | set(org.windows)

    def inside(row: dict[str, Any]) -> bool:
        lo = row.get("date") or row.get("start")
        hi = row.get("date") or row.get("end") or lo
        return lo is None or (lo <= end and hi >= start)

    def named(row: dict[str, Any]) -> bool:
        return all(
            row.get(key) is None or row[key] in known for key in ("subject", "person", "window")
        )

    return tuple([r for r in rows if inside(r) or named(r)] for rows in tables.values())


def _months(start: date, end: date) -> list[tuple[int, int]]:
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
