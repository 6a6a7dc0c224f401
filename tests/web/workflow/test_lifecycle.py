"""The period's state machine: who may take each step, when, and what a step leaves behind."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kaohe.web.audit.models import AuditEntry
from kaohe.web.scoring.models import ScoreRun
from kaohe.web.workflow import exports, services
from kaohe.web.workflow.models import AssessmentPeriod, ImmutableError, PeriodState, Snapshot
from kaohe.web.workflow.selectors import deadline, policy_of, scorecard_grades
from tests.web.personas import World
from tests.web.workflow.conftest import Cycle, baoshan_year, full_attendance, use_policy
from tests.web.workflow.helpers import (
    PUBLICITY_DAY,
    open_period,
    publish,
    run_through,
    to_publicity,
)


def test_the_cycle_from_draft_to_published(cycle: Cycle) -> None:
    w = cycle.world
    p = open_period(w)
    assert (p.state, p.version, p.policy_id) == (PeriodState.DRAFT, 1, "guangde-2023")
    services.period_review(period=p, by=w.inspector)
    services.period_start_publicity(period=p, by=w.inspector, today=PUBLICITY_DAY)
    p.refresh_from_db()
    # 5 working days (default) after Monday 2024-06-03, 端午 2024-06-10 is a holiday.
    assert (p.state, p.publicity_start, p.publicity_ends) == (
        PeriodState.PUBLICITY,
        date(2024, 6, 3),
        date(2024, 6, 11),
    )
    assert p.appeal_ends == date(2024, 6, 11)
    snap = publish(w, p)
    p.refresh_from_db()
    assert p.state == PeriodState.PUBLISHED
    run = ScoreRun.objects.get(center=w.center, period="2024-05")
    assert snap.result == run.result
    assert (snap.version, snap.policy_id, snap.by) == (1, "guangde-2023", w.inspector)
    assert snap.calendar.startswith("chinese-calendar")
    assert [r["id"] for r in snap.records] == sorted(
        [cycle.b1_record.pk, cycle.a2_record.pk, cycle.zhang_record.pk]
    )
    assert len(snap.sha256) == 64
    grades = {c: s["grade"] for c, s in snap.result["subjects"].items() if s["kind"] == "window"}
    assert grades == {"A1": "优质服务窗口", "A2": "优质服务窗口", "B1": None}
    actions = list(
        AuditEntry.objects.filter(object_type="workflow.assessmentperiod")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "period.create",
        "period.review",
        "period.publicity",
        "period.approve",
        "period.publish",
    ]


STEP_ROLES = [
    ("review", PeriodState.DRAFT, "inspector"),
    ("publicity", PeriodState.REVIEWED, "inspector"),
    ("approve", PeriodState.PUBLICITY, "leader"),
    ("publish", PeriodState.APPROVED, "inspector"),
]
ALL = ["inspector", "leader", "chief", "staff", "sysadmin", "secadmin", "auditor"]
STEP_FN = {
    "review": services.period_review,
    "publicity": services.period_start_publicity,
    "approve": services.period_approve,
    "publish": services.period_publish,
}


def _period_in(world: World, state: PeriodState) -> AssessmentPeriod:
    p = open_period(world)
    AssessmentPeriod.objects.filter(pk=p.pk).update(
        state=state, publicity_ends=date(2024, 6, 11) if state == PeriodState.PUBLICITY else None
    )
    p.refresh_from_db()
    return p


@pytest.mark.parametrize(
    ("step", "state", "persona"),
    [(s, st, who) for s, st, allowed in STEP_ROLES for who in ALL if who != allowed],
)
def test_a_step_by_another_role_is_refused_and_changes_nothing(
    world: World, step: str, state: PeriodState, persona: str
) -> None:
    use_policy(world, "guangde-2023")
    p = _period_in(world, state)
    audits = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        STEP_FN[step](period=p, by=getattr(world, persona))
    p.refresh_from_db()
    assert p.state == state
    assert AuditEntry.objects.count() == audits
    assert Snapshot.objects.count() == 0


@pytest.mark.parametrize(
    ("step", "persona", "state"),
    [
        ("publicity", "inspector", PeriodState.DRAFT),
        ("approve", "leader", PeriodState.REVIEWED),
        ("publish", "inspector", PeriodState.PUBLICITY),
        ("review", "inspector", PeriodState.PUBLISHED),
    ],
)
def test_a_step_out_of_order_is_refused_and_changes_nothing(
    world: World, step: str, persona: str, state: PeriodState
) -> None:
    use_policy(world, "guangde-2023")
    p = _period_in(world, state)
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        STEP_FN[step](period=p, by=getattr(world, persona))
    p.refresh_from_db()
    assert p.state == state
    assert AuditEntry.objects.count() == audits


def test_approval_waits_for_the_end_of_publicity(cycle: Cycle) -> None:
    w = cycle.world
    p = open_period(w)
    to_publicity(w, p)
    with pytest.raises(ValidationError, match="公示期至 2024-06-11 结束"):
        services.period_approve(period=p, by=w.leader, today=date(2024, 6, 11))
    p.refresh_from_db()
    assert p.state == PeriodState.PUBLICITY
    services.period_approve(period=p, by=w.leader, today=date(2024, 6, 12))
    p.refresh_from_db()
    assert p.state == PeriodState.APPROVED


def test_publicity_deadline_in_working_days_across_national_day(world: World) -> None:
    # 2024-10-01..07 off: three working days after 2024-09-30 end on 2024-10-10.
    assert deadline(date(2024, 9, 30), 3) == date(2024, 10, 10)
    use_policy(world, "jiedong-2022")  # publicity_workdays: 2, appeals after publication
    full_attendance(world, ["2024-09"])
    p = open_period(world, "2024-09")
    services.period_review(period=p, by=world.inspector)
    services.period_start_publicity(period=p, by=world.inspector, today=date(2024, 9, 30))
    p.refresh_from_db()
    assert (p.publicity_ends, p.appeal_ends) == (date(2024, 10, 9), None)
    services.period_approve(period=p, by=world.leader, today=date(2024, 10, 10))
    services.period_publish(period=p, by=world.inspector, today=date(2024, 10, 10))
    p.refresh_from_db()
    # 2 working days after publication: Friday 10-11 and Saturday 10-12 (a make-up working day).
    assert p.appeal_ends == date(2024, 10, 12)


def test_countdown_on_the_periods_page(client, cycle: Cycle) -> None:  # type: ignore[no-untyped-def]
    w = cycle.world
    p = open_period(w, "2026-10")
    services.period_review(period=p, by=w.inspector)
    services.period_start_publicity(period=p, by=w.inspector)
    p.refresh_from_db()
    client.force_login(w.staff)
    page = client.get(reverse("workflow:periods")).content.decode()
    assert "公示剩余" in page
    assert f"截止 {p.publicity_ends:%Y-%m-%d}" in page


def test_snapshot_is_immutable(cycle: Cycle) -> None:
    _, snap = run_through(cycle.world)
    original = (snap.result, snap.sha256)
    snap.sha256 = "0" * 64
    with pytest.raises(ImmutableError):
        snap.save()
    with pytest.raises(ImmutableError):
        snap.delete()
    with pytest.raises(ImmutableError):
        Snapshot.objects.filter(pk=snap.pk).update(sha256="x")
    with pytest.raises(ImmutableError):
        Snapshot.objects.filter(pk=snap.pk).delete()
    stored = Snapshot.objects.get(pk=snap.pk)
    assert (stored.result, stored.sha256) == original


def test_reopen_needs_a_reason_and_makes_a_new_version(cycle: Cycle) -> None:
    w = cycle.world
    p, v1 = run_through(w)
    with pytest.raises(ValidationError):
        services.period_reopen(period=p, by=w.leader, reason="  ")
    with pytest.raises(PermissionDenied):
        services.period_reopen(period=p, by=w.inspector, reason="更正")
    p.refresh_from_db()
    assert (p.state, p.version) == (PeriodState.PUBLISHED, 1)
    services.period_reopen(period=p, by=w.leader, reason="更正窗口B1的记录")
    p.refresh_from_db()
    assert (p.state, p.version) == (PeriodState.DRAFT, 2)
    cycle.b1_record.voided_at = cycle.b1_record.recorded_at
    cycle.b1_record.void_reason = "更正"
    cycle.b1_record.save()
    to_publicity(w, p)
    v2 = publish(w, p)
    assert v2.version == 2
    assert v2.result["subjects"]["B1"]["score"] == "93"
    old = exports.bulletin_source(w.center, "2024-05", version=1)
    assert old.result == v1.result
    assert old.result["subjects"]["B1"]["score"] == "91"
    assert exports.bulletin_source(w.center, "2024-05").version == 2


def test_leadership_adjustment_reaches_the_engine_and_warns_of_the_quota(
    client, cycle: Cycle, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    w = cycle.world
    p = open_period(w)
    with pytest.raises(PermissionDenied):
        services.adjustment_set(
            period=p, subject="B1", grade="优质服务窗口", reason="x", by=w.inspector
        )
    with pytest.raises(ValidationError):
        services.adjustment_set(period=p, subject="B1", grade="优秀", reason="平衡", by=w.leader)
    assert p.adjustments.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.adjustment_set(
            period=p, subject="B1", grade="优质服务窗口", reason="综合窗口服务量大", by=w.leader
        )
    run = ScoreRun.objects.get(center=w.center, period="2024-05")
    b1 = run.result["subjects"]["B1"]
    assert b1["grade"] == "优质服务窗口"
    assert any(
        t["text"] == "领导小组调整：无等次 → 优质服务窗口；理由：综合窗口服务量大"
        for t in b1["trace"]
    )
    assert run.result["warnings"] == [
        "优质服务窗口（派驻窗口）：优质服务窗口 3 人，超过名额 2 个"
        "（quota of 优质服务窗口 exceeded after adjustments）"
    ]
    client.force_login(w.leader)
    page = client.get(reverse("workflow:period", args=[p.pk])).content.decode()
    assert "超过名额 2 个" in page
    assert "综合窗口服务量大" in page
    # the grade is picked from the scorecard's own grades, never typed
    scorecard = run.result["subjects"]["B1"]["scorecard"]
    grades = scorecard_grades(policy_of(p), scorecard)
    assert "优质服务窗口" in grades and "优秀" not in grades
    select = re.search(rf'<select id="adj-grade-{scorecard}" name="grade" required>(.*?)</select>', page)
    assert select is not None
    assert re.findall(r'<option value="([^"]+)">', select.group(1)) == grades
    assert not re.search(r'<input[^>]+name="grade"', page)


@pytest.mark.parametrize(
    ("policy_id", "period"),
    [
        ("xxqu-2022", "2024-05"),
        ("jiedong-2022", "2024-05"),
        ("luoshan", "2024-Q2"),
        ("baoshan-2024", "2024"),
    ],
)
def test_the_cycle_runs_under_every_policy(world: World, policy_id: str, period: str) -> None:
    use_policy(world, policy_id)
    full_attendance(world, [f"2024-{m:02d}" for m in range(1, 13)])
    if policy_id == "baoshan-2024":
        baoshan_year(world)
    p, snap = run_through(world, period)
    assert p.state == PeriodState.PUBLISHED
    assert snap.policy_id == policy_id
    assert snap.result["period"] == period
    assert snap.result["subjects"]
    assert exports.bulletin_xlsx(exports.bulletin_source(world.center, period))[:2] == b"PK"


def test_step_buttons_only_for_the_role_and_others_get_403(client, cycle: Cycle) -> None:  # type: ignore[no-untyped-def]
    w = cycle.world
    p = open_period(w)
    url = reverse("workflow:period", args=[p.pk])
    step = reverse("workflow:step", args=[p.pk, "review"])
    client.force_login(w.leader)
    assert step not in client.get(url).content.decode()
    assert client.post(step).status_code == 403
    client.force_login(w.staff)
    assert client.post(step).status_code == 403
    p.refresh_from_db()
    assert p.state == PeriodState.DRAFT
    client.force_login(w.inspector)
    assert step in client.get(url).content.decode()
    assert client.post(step).status_code == 302
    p.refresh_from_db()
    assert p.state == PeriodState.REVIEWED


@pytest.mark.parametrize("persona", ["sysadmin", "secadmin", "auditor"])
def test_admin_roles_see_no_cycle(client, cycle: Cycle, persona: str) -> None:  # type: ignore[no-untyped-def]
    p = open_period(cycle.world)
    client.force_login(getattr(cycle.world, persona))
    assert client.get(reverse("workflow:periods")).status_code == 403
    assert client.get(reverse("workflow:period", args=[p.pk])).status_code == 403
    assert client.post(reverse("workflow:periods"), {"period": "2024-06"}).status_code == 403
    assert AssessmentPeriod.objects.count() == 1


def test_period_of_another_center_is_404(client, cycle: Cycle) -> None:  # type: ignore[no-untyped-def]
    from kaohe.web.org.models import Center

    other = Center.objects.create(code="other", name="别的中心")
    p = AssessmentPeriod.objects.create(center=other, period="2024-05")
    client.force_login(cycle.world.inspector)
    assert client.get(reverse("workflow:period", args=[p.pk])).status_code == 404
    assert client.post(reverse("workflow:step", args=[p.pk, "review"])).status_code == 404
    p.refresh_from_db()
    assert p.state == PeriodState.DRAFT
