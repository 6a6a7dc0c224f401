"""The demo center under each of the five bundled policies, built directly (no server).

One build per policy (they take seconds each); every assertion about that
build lives in its one test.  ``today`` is fixed so the three months are
2026-08, 2026-09 and 2026-10 whatever day the suite runs.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.hashers import check_password

from kaohe.web.accounts.models import Role, User
from kaohe.web.demo import catalog
from kaohe.web.demo.builder import DEMO_ROLES, build_demo, bundled_policies, demo_months
from kaohe.web.facts.models import AttendanceSummary, ExternalScore, Leave, Punch, Rating
from kaohe.web.ledger.models import Record
from kaohe.web.org.models import Assignment, Person, PersonRole, Unit, Window, WindowKind
from kaohe.web.scoring.models import RunStatus

TODAY = date(2026, 11, 22)
PASSWORD = "Demo#Pass2026"
MONTHS = ("2026-08", "2026-09", "2026-10")
PERIODS = {
    "guangde-2023": list(MONTHS),
    "jiedong-2022": list(MONTHS),
    "xxqu-2022": list(MONTHS),
    "luoshan": ["2026-Q3"],
    "baoshan-2024": ["2025"],
}

#: The same day and policy always give the same center (seeded random.Random(2026)).
COUNTS = {
    "baoshan-2024": {
        "records": 154,
        "punches": 35882,
        "attendance": 447,
        "leave": 26,
        "ratings": 2086,
        "scores": 41,
    },
    "guangde-2023": {
        "records": 189,
        "punches": 35882,
        "attendance": 0,
        "leave": 25,
        "ratings": 2080,
        "scores": 0,
    },
    "jiedong-2022": {
        "records": 169,
        "punches": 35882,
        "attendance": 447,
        "leave": 25,
        "ratings": 2080,
        "scores": 0,
    },
    "luoshan": {
        "records": 199,
        "punches": 49441,
        "attendance": 0,
        "leave": 25,
        "ratings": 2747,
        "scores": 0,
    },
    "xxqu-2022": {
        "records": 178,
        "punches": 35882,
        "attendance": 447,
        "leave": 25,
        "ratings": 2080,
        "scores": 0,
    },
}


def test_the_five_bundled_policies_are_offered() -> None:
    assert bundled_policies() == sorted(PERIODS)


def test_demo_months_cross_the_year() -> None:
    assert demo_months(TODAY) == [(2026, 8), (2026, 9), (2026, 10)]
    assert demo_months(date(2027, 2, 3)) == [(2026, 11), (2026, 12), (2027, 1)]


def _month(d: date) -> str:
    return f"{d:%Y-%m}"


@pytest.mark.parametrize("policy_id", sorted(PERIODS))
def test_build_demo(db: None, policy_id: str) -> None:
    result = build_demo(policy_id=policy_id, password=PASSWORD, today=TODAY)
    center = result.center
    assert result.counts == {"windows": 33, "units": 33, "people": 150, **COUNTS[policy_id]}
    assert Punch.objects.count() == COUNTS[policy_id]["punches"]

    # the organisation: 33 windows of the XX区 regulation, one unit and one chief each
    assert center.code.startswith("demo")
    windows = Window.objects.filter(center=center)
    assert windows.count() == 33
    assert windows.filter(kind=WindowKind.SINGLE).count() == 24
    assert windows.filter(kind=WindowKind.COMPREHENSIVE).count() == 9
    assert set(windows.values_list("name", flat=True)) >= {"公安窗口", "综合窗口（金融）"}
    people = Person.objects.filter(center=center)
    assert people.count() == 150
    assert people.filter(role=PersonRole.BACKBONE).count() == 6
    assert people.filter(employment="purchased").count() >= 20
    for unit in Unit.objects.filter(center=center):
        chiefs = Assignment.objects.filter(unit=unit, person__role=PersonRole.CHIEF_REP)
        assert chiefs.count() == 1, unit.name
    # the transfer, the joiner and the substitute
    transfer = Assignment.objects.filter(note="调出至司法综合窗口").get()
    assert transfer.end == date(2026, 9, 15)
    assert Assignment.objects.filter(person=transfer.person, start=date(2026, 9, 16)).exists()
    joiner = Assignment.objects.get(note="新进驻")
    assert joiner.start == date(2026, 9, 10)
    substitute = Assignment.objects.get(substitutes_for__isnull=False)
    assert substitute.window and substitute.window.code == catalog.SUBSTITUTE_WINDOW
    assert Leave.objects.filter(person=substitute.substitutes_for, type="产假").count() == 1

    # three months of ledger, punches and ratings; two voids with their reasons
    records = Record.objects.filter(center=center)
    assert {_month(d) for d in records.values_list("date", flat=True)} >= set(MONTHS)
    assert all(r.policy_id == policy_id for r in records)
    voided = records.filter(voided_at__isnull=False)
    assert voided.count() == 2
    assert all(r.void_reason in catalog.VOID_REASONS for r in voided)
    punch_months = {_month(t.date()) for t in Punch.objects.values_list("time", flat=True)}
    assert punch_months >= set(MONTHS)
    rating_months = {_month(d) for d in Rating.objects.values_list("date", flat=True)}
    assert rating_months >= set(MONTHS)
    assert Rating.objects.filter(stars__lte=2).exists()
    assert Rating.objects.filter(default=True).exists()
    assert Rating.objects.filter(stars=5).count() > Rating.objects.count() * 0.8
    assert not Punch.objects.filter(batch__isnull=False).exists()
    assert not Punch.objects.filter(natural_key__isnull=True).exists()

    # one demo account per role, the given password, the chief and staff linked to people
    users = {u.username: u for u in User.objects.filter(center=center)}
    assert set(users) == {r.value for r in DEMO_ROLES}
    for role in DEMO_ROLES:
        user = users[role.value]
        assert user.role == role
        assert user.is_demo
        assert check_password(PASSWORD, user.password)
    chief, staff = users[Role.CHIEF.value], users[Role.STAFF.value]
    assert chief.person is not None and chief.person.role == PersonRole.CHIEF_REP
    chief_unit = chief.person.assignments.get().unit
    assert chief_unit is not None and chief_unit.code == catalog.DEMO_UNIT
    assert staff.person is not None
    staff_window = staff.person.assignments.get().window
    assert staff_window is not None and staff_window.unit_id == chief_unit.pk
    assert users[Role.SYSADMIN.value].person is None

    # scored by the engine, every run current
    assert result.periods == PERIODS[policy_id]
    assert result.errors == []
    assert [r.period for r in result.runs] == PERIODS[policy_id]
    for run in result.runs:
        run.refresh_from_db()
        assert run.status == RunStatus.CURRENT
        assert run.result is not None
        scored = [s for s in run.result["subjects"].values() if s["score"] is not None]
        assert len(scored) >= 20

    # what differs by policy
    if policy_id == "xxqu-2022":
        # windows only: nothing is recorded on a person
        assert not records.filter(person__isnull=False).exists()
    else:
        own = records.filter(person=staff.person, voided_at__isnull=True)
        assert own.count() >= 2
    if policy_id == "jiedong-2022":
        # no sign-in schedule: the monthly attendance table carries the attendance rate
        assert AttendanceSummary.objects.filter(month="2026-09").count() >= 140
    if policy_id in ("guangde-2023", "luoshan"):
        assert not AttendanceSummary.objects.exists()
    if policy_id == "luoshan":
        # whole quarter: July too
        assert Punch.objects.filter(time__month=7).exists()
    if policy_id == "baoshan-2024":
        scores = ExternalScore.objects.filter(period="2025", source="rating_form")
        assert scores.count() == result.counts["scores"] > 20
        run = result.runs[0].result
        assert run is not None
        purchased = set(people.filter(employment="purchased").values_list("code", flat=True))
        graded = {c for c, s in run["subjects"].items() if s["grade"]}
        assert graded and graded <= purchased
        assert center.context == {"bonus_per_month": 2000}
    else:
        assert not ExternalScore.objects.exists()
