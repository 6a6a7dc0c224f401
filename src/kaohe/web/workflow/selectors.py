"""Reads of the monthly cycle: rules in force, windows open, what a user may do, bulletin rows."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from kaohe.engine import Period, PeriodKind, Policy, load_policy
from kaohe.engine.policy.models import ACTION_NAMES
from kaohe.engine.workdays import DEFAULT_CALENDAR, UnknownYearError
from kaohe.web.accounts.models import Role, User
from kaohe.web.accounts.scope import visible_people, visible_windows
from kaohe.web.ledger.models import Record
from kaohe.web.org.models import Center, Person
from kaohe.web.scoring import bridge
from kaohe.web.workflow.models import (
    Adjustment,
    Appeal,
    AppealState,
    AssessmentPeriod,
    Notification,
    PeriodState,
    Snapshot,
)

#: Used when a regulation leaves the duration open (宝山, 罗山, 广德, 新乡 give none).
DEFAULT_PUBLICITY_WORKDAYS = 5
DEFAULT_APPEAL_WORKDAYS = 5


@dataclass(frozen=True)
class CycleRules:
    """The regulation's workflow timings, with the defaults applied and said so."""

    publicity_workdays: int
    appeal_workdays: int
    appeal_from: str  # "publicity" | "publication"
    defaulted: bool


def policy_of(period: AssessmentPeriod) -> Policy:
    """The regulation the period is assessed under (the one in force at its end)."""
    p = Period.parse(period.period)
    try:
        return bridge.policy_for(period.center, p.end)
    except bridge.NoPolicyError:
        return load_policy(period.policy_id)


def rules_for(period: AssessmentPeriod) -> CycleRules:
    """Publicity and appeal timings from the policy; appeals run during publicity by default.

    Regulations that are silent (all but 揭东) get the defaults above; the
    period page says a default is in use so a center can set its own policy.
    """
    policy = policy_of(period)
    return CycleRules(
        publicity_workdays=policy.publicity_workdays or DEFAULT_PUBLICITY_WORKDAYS,
        appeal_workdays=policy.appeal_workdays or DEFAULT_APPEAL_WORKDAYS,
        appeal_from=policy.appeal_from or "publicity",
        defaulted=policy.publicity_workdays is None or policy.appeal_workdays is None,
    )


def deadline(start: date, workdays: int) -> date:
    """The last day of a span of ``workdays`` working days counted from the day after ``start``.

    As for any legal term (民法典 第201条), the starting day is not counted.
    """
    try:
        return DEFAULT_CALENDAR.add_workdays(start, workdays)
    except UnknownYearError as exc:
        raise ValidationError(
            f"工作日历尚未包含 {exc.year} 年的节假日安排，无法计算期限。"
        ) from exc


def publicity_left(period: AssessmentPeriod, today: date | None = None) -> int | None:
    """Working days of publicity still to run, today included while it is one of them.

    The span is the one ``deadline`` counted: the day publicity starts is not
    part of it, so on that day all N working days are still ahead.
    """
    if period.state != PeriodState.PUBLICITY or period.publicity_ends is None:
        return None
    day = today or timezone.localdate()
    if period.publicity_start is not None and day <= period.publicity_start:
        day = period.publicity_start + timedelta(days=1)
    if day > period.publicity_ends:
        return 0
    try:
        return DEFAULT_CALENDAR.count(day, period.publicity_ends)
    except UnknownYearError:
        return None


def appeal_open(period: AssessmentPeriod, today: date | None = None) -> bool:
    """Whether appeals may be filed now: inside the policy's window, in the right state."""
    day = today or timezone.localdate()
    if period.appeal_ends is None or day > period.appeal_ends:
        return False
    if rules_for(period).appeal_from == "publicity":
        return period.state == PeriodState.PUBLICITY
    return period.state == PeriodState.PUBLISHED


def periods_for(user: User) -> QuerySet[AssessmentPeriod]:
    return AssessmentPeriod.objects.filter(center_id=user.center_id).order_by("-period")


def period_for_day(center: Center, day: date) -> AssessmentPeriod | None:
    """The assessment period a dated record belongs to (month, quarter or year, as opened)."""
    month, quarter, year = (
        f"{day:%Y-%m}",
        f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        f"{day.year}",
    )
    found = {p.period: p for p in AssessmentPeriod.objects.filter(center=center)}
    for key in (month, quarter, year):
        if key in found:
            return found[key]
    return None


def adjustments_for(center: Center, period: str) -> list[dict[str, str]]:
    """The engine's ``adjustments`` fact table: the latest grade leadership set per subject."""
    latest: dict[str, Adjustment] = {}
    for a in Adjustment.objects.filter(period__center=center, period__period=str(period)).order_by(
        "at", "id"
    ):
        latest[a.subject] = a
    return [{"subject": a.subject, "grade": a.grade, "reason": a.reason} for a in latest.values()]


def period_records(period: AssessmentPeriod) -> list[dict[str, Any]]:
    """The live ledger rows of the period, as frozen with a snapshot."""
    p = Period.parse(period.period)
    rows = []
    for r in (
        Record.objects.filter(
            center=period.center, voided_at__isnull=True, date__gte=p.start, date__lte=p.end
        )
        .select_related("person", "window")
        .order_by("date", "id")
    ):
        rows.append(
            {
                "id": r.pk,
                "date": r.date.isoformat(),
                "subject": r.person.code if r.person_id else r.window.code,
                "subject_name": str(r.person.name if r.person_id else r.window.name),
                "item": r.item_code,
                "item_name": r.item_name,
                "count": r.count,
                "points": None if r.points is None else format(r.points.normalize(), "f"),
                "major": r.major,
                "exempt": r.exempt,
                "note": r.note,
            }
        )
    return rows


def latest_snapshot(period: AssessmentPeriod) -> Snapshot | None:
    return Snapshot.objects.filter(period=period).order_by("-version").first()


def can_appeal_subject(user: User, subject: str) -> bool:
    """A staff member appeals his own grade or his window's; a chief rep those of his unit."""
    if user.role not in (Role.STAFF, Role.CHIEF):
        return False
    return (
        visible_people(user).filter(code=subject).exists()
        or visible_windows(user).filter(code=subject).exists()
    )


def appealable_records(user: User) -> QuerySet[Record]:
    """Records a staff member or chief rep may appeal: his own, his window's, his unit's."""
    if user.role not in (Role.STAFF, Role.CHIEF):
        return Record.objects.none()
    return Record.objects.filter(center_id=user.center_id).filter(
        Q(person__in=visible_people(user)) | Q(window__in=visible_windows(user))
    )


@dataclass(frozen=True)
class CardAppeals:
    """What a score card offers to appeal today: the grade (``open``) and which records."""

    open: bool
    records: frozenset[int]


def card_appeals(user: User, center: Center, period: str) -> CardAppeals:
    """Appeals a staff member or chief rep may file from a card of ``period`` right now.

    Only inside the appeal window, only his own scope, only live records of the
    period that are not already under appeal: the card shows a button exactly
    where the server would accept one.
    """
    ap = AssessmentPeriod.objects.filter(center=center, period=str(period)).first()
    if ap is None or user.role not in (Role.STAFF, Role.CHIEF) or not appeal_open(ap):
        return CardAppeals(open=False, records=frozenset())
    p = Period.parse(ap.period)
    live = appealable_records(user).filter(
        voided_at__isnull=True, date__gte=p.start, date__lte=p.end
    )
    pending = Appeal.objects.filter(state__in=[AppealState.FILED, AppealState.UNDER_REVIEW])
    ids = live.exclude(pk__in=pending.filter(record__isnull=False).values("record_id"))
    return CardAppeals(open=True, records=frozenset(ids.values_list("pk", flat=True)))


def appeals_for(user: User, period: AssessmentPeriod) -> QuerySet[Appeal]:
    qs = Appeal.objects.filter(period=period).select_related("appellant", "record", "decided_by")
    if user.role in (Role.INSPECTOR, Role.LEADER):
        return qs
    return qs.filter(appellant=user)


def users_for_subject(center: Center, subject: str) -> list[User]:
    """Who is told when a subject's grade moves: the person, or a window's staff and chief reps."""
    users = User.objects.filter(center=center, is_active=True).select_related("person")
    person = Person.objects.filter(center=center, code=subject).first()
    if person is not None:
        return list(users.filter(person=person))
    return [
        u
        for u in users.filter(role__in=[Role.STAFF, Role.CHIEF], person__isnull=False)
        if visible_windows(u).filter(code=subject).exists()
    ]


def unread_notifications(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, read_at__isnull=True)


# ---------------------------------------------------------------- results for display


def grades_of(result: dict[str, Any] | None) -> dict[str, str | None]:
    if not result:
        return {}
    return {code: s.get("grade") for code, s in result["subjects"].items()}


def grade_distribution(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per scorecard, how many subjects got each grade (无等次 for none): the page's chart."""
    if not result:
        return []
    by_card: dict[str, Counter[str]] = defaultdict(Counter)
    for s in result["subjects"].values():
        by_card[s["scorecard"]][s.get("grade") or "无等次"] += 1
    return [{"scorecard": k, "grades": dict(sorted(v.items()))} for k, v in sorted(by_card.items())]


def scorecard_grades(policy: Policy, scorecard: str) -> list[str]:
    """The grades a scorecard's pools can give, in the policy's order (none: not graded)."""
    grades: list[str] = []
    for sc in policy.scorecards:
        if sc.id == scorecard:
            for pool in sc.pools:
                grades.extend(g for g in pool.grades if g not in grades)
    return grades


def adjustment_forms(policy: Policy, result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One adjustment form per graded scorecard: its subjects and the grades it defines.

    Leadership picks a grade the regulation has for that scorecard; nothing is typed.
    """
    if not result:
        return []
    forms = []
    for sc in policy.scorecards:
        grades = scorecard_grades(policy, sc.id)
        subjects = sorted(
            (code, s.get("name") or code, s.get("grade"))
            for code, s in result["subjects"].items()
            if s["scorecard"] == sc.id
        )
        if grades and subjects:
            forms.append({"id": sc.id, "name": sc.name, "grades": grades, "subjects": subjects})
    return forms


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def ranking_tables(
    result: dict[str, Any], policy: Policy, adjustments: list[dict[str, str]] | None = None
) -> list[dict[str, Any]]:
    """One table per scorecard: ranked rows with dimensions, grade, deductions by item, notes.

    Everything shown is what the engine computed; only labels come from the policy.
    """
    cards = {sc.id: sc for sc in policy.scorecards}
    items = {it.code: it.name for it in policy.items}
    adjusted = {a["subject"]: a for a in adjustments or []}
    grouped: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for code, s in result["subjects"].items():
        grouped[s["scorecard"]].append((code, s))
    tables = []
    for card_id in [sc.id for sc in policy.scorecards if sc.id in grouped] + sorted(
        set(grouped) - set(cards)
    ):
        sc = cards.get(card_id)
        dims = [(d.code, d.name) for d in sc.dimensions] if sc else []
        rows = []
        for code, s in sorted(
            grouped[card_id],
            key=lambda cs: (cs[1]["rank"] is None, cs[1]["rank"] or 0, cs[0]),
        ):
            deductions: dict[str, Decimal] = defaultdict(Decimal)
            for t in s.get("trace", []):
                if t.get("item") and t.get("points") is not None:
                    deductions[t["item"]] += Decimal(t["points"])
            notes = action_names(s.get("actions")) + list(s.get("warnings", []))
            if code in adjusted:
                notes.insert(
                    0, f"领导小组调整为{adjusted[code]['grade']}：{adjusted[code]['reason']}"
                )
            rows.append(
                {
                    "code": code,
                    "name": s.get("name") or code,
                    "unit": s.get("unit") or "",
                    "window": s.get("window") or "",
                    "score": _dec(s.get("score")),
                    "rank": s.get("rank"),
                    "grade": s.get("grade") or "",
                    "dimensions": [_dec(s.get("dimensions", {}).get(d)) for d, _ in dims],
                    "deductions": [
                        {"item": k, "name": items.get(k, k), "points": v}
                        for k, v in sorted(deductions.items())
                        if v
                    ],
                    "bonus": _dec(s.get("bonus")),
                    "actions": action_names(s.get("actions")),
                    "notes": notes,
                }
            )
        tables.append(
            {
                "scorecard": card_id,
                "name": sc.name if sc else card_id,
                "dimensions": [name for _, name in dims],
                "rows": rows,
            }
        )
    return tables


def action_names(codes: list[str] | None) -> list[str]:
    """Engine action codes (``interview``) as the bulletin and the sheets print them (约谈)."""
    return [ACTION_NAMES.get(code, code) for code in codes or []]


def money_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The engine's bonus amounts and actions per subject, for the bonus sheet (no rule here)."""
    rows = []
    for code, s in sorted(result["subjects"].items()):
        if s.get("bonus") is None and not s.get("actions"):
            continue
        rows.append(
            {
                "code": code,
                "name": s.get("name") or code,
                "kind": s.get("kind"),
                "unit": s.get("unit") or "",
                "window": s.get("window") or "",
                "score": _dec(s.get("score")),
                "grade": s.get("grade") or "",
                "bonus": _dec(s.get("bonus")),
                "actions": action_names(s.get("actions")),
            }
        )
    return rows


def vote_tallies(period: AssessmentPeriod) -> dict[str, dict[str, dict[str, int]]]:
    """Live ballots entered for the period: subject → group → level → count (before weighting)."""
    from kaohe.web.facts.models import Vote

    out: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for subject, group, level in Vote.objects.filter(
        center=period.center, period=period.period, rolled_back=False
    ).values_list("subject", "group", "level"):
        out[subject][group][level] = out[subject][group].get(level, 0) + 1
    return {s: dict(g) for s, g in out.items()}


def voters(period: AssessmentPeriod) -> list[tuple[str, str]]:
    """(group, voter) of every ballot entered, in entry order."""
    from kaohe.web.facts.models import Vote

    seen: dict[tuple[str, str], None] = {}
    for g, v in (
        Vote.objects.filter(center=period.center, period=period.period, rolled_back=False)
        .order_by("id")
        .values_list("group", "voter")
    ):
        seen[(g, v)] = None
    return list(seen)


def history_for(center: Center, period: str) -> list[dict[str, Any]]:
    """The engine's ``history`` table: each person's grade in earlier published years.

    Only published yearly snapshots count (their latest version): multi-year
    actions such as 宝山's promotion after two consecutive 优秀 stand on results
    that went through publicity, never on drafts.  A ``promote`` action in a
    published year marks that year as a promotion, which restarts the streaks.
    """
    p = Period.parse(period)
    if p.kind is not PeriodKind.YEAR:
        return []
    rows: list[dict[str, Any]] = []
    years = AssessmentPeriod.objects.filter(center=center).exclude(snapshots=None)
    for ap in years:
        if not ap.period.isdigit() or int(ap.period) >= p.start.year:
            continue
        snap = latest_snapshot(ap)
        if snap is None:
            continue
        for code, subject in (snap.result or {}).get("subjects", {}).items():
            if subject.get("kind") != "person" or not subject.get("grade"):
                continue
            rows.append(
                {
                    "person": code,
                    "year": int(ap.period),
                    "grade": subject["grade"],
                    "promoted": "promote" in (subject.get("actions") or []),
                }
            )
    return rows
