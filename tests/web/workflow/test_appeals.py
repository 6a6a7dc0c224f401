"""Appeals: filed in the window by the people concerned, decided by leadership, re-ranked."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kaohe.web.audit.models import AuditEntry
from kaohe.web.ledger.models import Record
from kaohe.web.scoring.models import ScoreRun
from kaohe.web.workflow import services
from kaohe.web.workflow.models import (
    Adjustment,
    Appeal,
    AppealState,
    AssessmentPeriod,
    Decision,
    Notification,
    PeriodState,
)
from tests.web.workflow.conftest import Cycle
from tests.web.workflow.helpers import open_period, to_publicity

NEW = reverse("workflow:appeal_new")


def in_publicity_now(cycle: Cycle) -> AssessmentPeriod:
    """Publicity started today: the appeal window (during publicity under 广德) is open."""
    p = open_period(cycle.world)
    to_publicity(cycle.world, p, day=None)
    p.refresh_from_db()
    return p


def test_staff_appeals_his_windows_record_inside_the_window(client, cycle: Cycle) -> None:  # type: ignore[no-untyped-def]
    p = in_publicity_now(cycle)
    client.force_login(cycle.world.other_staff)  # 王五, window B1
    page = client.get(NEW, {"record": cycle.b1_record.pk}).content.decode()
    assert "提交申诉" in page
    assert "business.02 事项变更5个工作日内未调整报送" in page  # the trace line of the record
    response = client.post(NEW, {"record": cycle.b1_record.pk, "text": "已按时报送，有回执"})
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workflow:appeal", args=[appeal.pk])
    assert (appeal.period, appeal.appellant, appeal.record, appeal.subject, appeal.state) == (
        p,
        cycle.world.other_staff,
        cycle.b1_record,
        "B1",
        AppealState.FILED,
    )
    assert AuditEntry.objects.filter(action="appeal.file", object_id=str(appeal.pk)).count() == 1


def test_outside_the_window_the_button_is_gone_and_the_server_refuses(client, cycle: Cycle) -> None:  # type: ignore[no-untyped-def]
    p = open_period(cycle.world)
    to_publicity(cycle.world, p, day=date(2024, 6, 3))  # appeals closed on 2024-06-11
    client.force_login(cycle.world.other_staff)
    page = client.get(NEW, {"record": cycle.b1_record.pk}).content.decode()
    assert "提交申诉" not in page
    assert "当前不在申诉期内（申诉截止 2024-06-11）" in page
    response = client.post(NEW, {"record": cycle.b1_record.pk, "text": "补交"})
    assert response.status_code == 400
    assert "不在申诉期内，不能提出申诉。" in response.content.decode()
    assert Appeal.objects.count() == 0
    with pytest.raises(ValidationError):
        services.appeal_file(period=p, by=cycle.world.other_staff, text="x", record=cycle.b1_record)
    assert Appeal.objects.count() == 0


def test_a_draft_period_takes_no_appeals(cycle: Cycle) -> None:
    p = open_period(cycle.world)
    with pytest.raises(ValidationError):
        services.appeal_file(period=p, by=cycle.world.staff, text="x", record=cycle.zhang_record)
    assert Appeal.objects.count() == 0


def test_appeals_only_within_ones_own_scope(client, cycle: Cycle) -> None:  # type: ignore[no-untyped-def]
    p = in_publicity_now(cycle)
    w = cycle.world
    client.force_login(w.staff)  # 张三 (A1) may not appeal B1's record
    assert client.get(NEW, {"record": cycle.b1_record.pk}).status_code == 404
    assert client.post(NEW, {"record": cycle.b1_record.pk, "text": "x"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.appeal_file(period=p, by=w.staff, text="x", record=cycle.b1_record)
    client.force_login(w.chief)  # 陈首席 answers for unit A: A2 yes, B1 no
    assert client.get(NEW, {"record": cycle.a2_record.pk}).status_code == 200
    assert client.get(NEW, {"record": cycle.b1_record.pk}).status_code == 404
    for persona in ("inspector", "leader", "sysadmin", "auditor"):
        client.force_login(getattr(w, persona))
        assert client.get(NEW, {"record": cycle.a2_record.pk}).status_code == 403
        assert client.post(NEW, {"record": cycle.a2_record.pk, "text": "x"}).status_code == 403
    assert Appeal.objects.count() == 0


def test_overturn_voids_the_record_reranks_and_tells_those_whose_grade_moved(
    client, cycle: Cycle
) -> None:  # type: ignore[no-untyped-def]
    w = cycle.world
    p = in_publicity_now(cycle)
    appeal = services.appeal_file(
        period=p, by=w.other_staff, text="已按时报送", record=cycle.b1_record
    )
    client.force_login(w.leader)
    page = client.get(reverse("workflow:appeal", args=[appeal.pk])).content.decode()
    assert "business.02 事项变更5个工作日内未调整报送" in page and "-2" in page
    response = client.post(
        reverse("workflow:appeal", args=[appeal.pk]),
        {"decision": "overturn", "reason": "回执证明已按时报送"},
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert (appeal.state, appeal.decided_by, appeal.reason) == (
        AppealState.OVERTURNED,
        w.leader,
        "回执证明已按时报送",
    )
    rec = Record.objects.get(pk=cycle.b1_record.pk)
    assert rec.voided and rec.void_reason == "申诉改判：回执证明已按时报送"
    subjects = ScoreRun.objects.get(center=w.center, period="2024-05").result["subjects"]
    windows = {
        c: (s["score"], s["rank"], s["grade"])
        for c, s in subjects.items()
        if c in ("A1", "A2", "B1")
    }
    assert windows == {
        "B1": ("93", 1, "优质服务窗口"),
        "A1": ("92.5", 2, "优质服务窗口"),
        "A2": ("92", 3, None),
    }
    link = reverse("workflow:period", args=[p.pk])
    told = {
        (n.user.username, n.text, n.link)
        for n in Notification.objects.select_related("user").order_by("id")
    }
    assert told == {
        ("staff2", "2024-05 经申诉复核重新排名：窗口B1 的等次由“无等次”变为“优质服务窗口”。", link),
        ("chief", "2024-05 经申诉复核重新排名：窗口A2 的等次由“优质服务窗口”变为“无等次”。", link),
        (
            "staff2",
            "您对 2024-05 的申诉已复核：改判。意见：回执证明已按时报送",
            reverse("workflow:appeal", args=[appeal.pk]),
        ),
    }
    client.force_login(w.chief)
    assert (
        "窗口A2 的等次由“优质服务窗口”变为“无等次”"
        in client.get(reverse("workflow:periods")).content.decode()
    )
    client.force_login(w.other_staff)
    page = client.get(reverse("workflow:appeal", args=[appeal.pk])).content.decode()
    assert "改判" in page and "回执证明已按时报送" in page


def test_uphold_changes_no_score(cycle: Cycle) -> None:
    w = cycle.world
    p = in_publicity_now(cycle)
    appeal = services.appeal_file(period=p, by=w.staff, text="没有违规", record=cycle.zhang_record)
    services.appeal_start_review(appeal=appeal, by=w.leader)
    services.appeal_decide(appeal=appeal, by=w.leader, decision=Decision.UPHOLD, reason="照片清楚")
    appeal.refresh_from_db()
    assert appeal.state == AppealState.UPHELD
    assert not Record.objects.get(pk=cycle.zhang_record.pk).voided
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["staff"]


@pytest.mark.parametrize("persona", ["inspector", "chief", "staff", "auditor"])
def test_only_leadership_decides(client, cycle: Cycle, persona: str) -> None:  # type: ignore[no-untyped-def]
    w = cycle.world
    p = in_publicity_now(cycle)
    appeal = services.appeal_file(period=p, by=w.staff, text="没有违规", record=cycle.zhang_record)
    with pytest.raises(PermissionDenied):
        services.appeal_decide(
            appeal=appeal, by=getattr(w, persona), decision=Decision.OVERTURN, reason="x"
        )
    client.force_login(getattr(w, persona))
    response = client.post(
        reverse("workflow:appeal", args=[appeal.pk]), {"decision": "overturn", "reason": "x"}
    )
    assert response.status_code in (403, 404)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.FILED
    assert not Record.objects.get(pk=cycle.zhang_record.pk).voided
    assert Notification.objects.count() == 0


def test_a_pending_appeal_blocks_approval(cycle: Cycle) -> None:
    w = cycle.world
    p = in_publicity_now(cycle)
    services.appeal_file(period=p, by=w.staff, text="没有违规", record=cycle.zhang_record)
    with pytest.raises(ValidationError, match="尚有 1 件申诉未复核"):
        services.period_approve(period=p, by=w.leader, today=date(2030, 1, 1))
    p.refresh_from_db()
    assert p.state == PeriodState.PUBLICITY


def test_grade_appeal_overturned_sets_the_grade(client, cycle: Cycle) -> None:  # type: ignore[no-untyped-def]
    w = cycle.world
    p = in_publicity_now(cycle)
    client.force_login(w.other_staff)
    page = client.get(reverse("workflow:period", args=[p.pk])).content.decode()
    assert f"?period={p.pk}&amp;subject=B1" in page
    response = client.post(NEW, {"period": p.pk, "subject": "B1", "text": "综合窗口服务量大"})
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert (appeal.record, appeal.subject, appeal.grade) == (None, "B1", "")
    services.appeal_decide(
        appeal=appeal,
        by=w.leader,
        decision=Decision.OVERTURN,
        reason="综合窗口平衡",
        grade="优质服务窗口",
    )
    assert list(Adjustment.objects.values_list("subject", "grade", "reason")) == [
        ("B1", "优质服务窗口", "综合窗口平衡")
    ]
    run = ScoreRun.objects.get(center=w.center, period="2024-05")
    assert run.result["subjects"]["B1"]["grade"] == "优质服务窗口"
    assert "超过名额 2 个" in run.result["warnings"][0]


def test_overturn_after_publication_reopens_a_new_version(cycle: Cycle) -> None:
    w = cycle.world
    p = in_publicity_now(cycle)
    appeal = services.appeal_file(period=p, by=w.other_staff, text="x", record=cycle.b1_record)
    AssessmentPeriod.objects.filter(pk=p.pk).update(state=PeriodState.PUBLISHED)
    services.appeal_decide(appeal=appeal, by=w.leader, decision=Decision.OVERTURN, reason="属实")
    p.refresh_from_db()
    assert (p.state, p.version) == (PeriodState.DRAFT, 2)


def test_notification_read(client, cycle: Cycle) -> None:  # type: ignore[no-untyped-def]
    w = cycle.world
    n = Notification.objects.create(user=w.staff, text="请查看", link="/cycle/")
    client.force_login(w.other_staff)
    assert client.post(reverse("workflow:notification_read", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None
    client.force_login(w.staff)
    assert "请查看" in client.get(reverse("workflow:notifications")).content.decode()
    response = client.post(reverse("workflow:notification_read", args=[n.pk]))
    assert (response.status_code, response["Location"]) == (302, "/cycle/")
    n.refresh_from_db()
    assert n.read_at is not None


def test_grade_appeal_from_a_score_card_by_period_code(client, cycle: Cycle) -> None:  # type: ignore[no-untyped-def]
    in_publicity_now(cycle)
    client.force_login(cycle.world.staff)
    page = client.get(NEW, {"period_code": "2024-05", "subject": "1001"}).content.decode()
    assert "对 1001 本期等次提出申诉" in page and "提交申诉" in page
    assert client.get(NEW, {"period_code": "2024-05", "subject": "2001"}).status_code == 404
    assert client.get(NEW, {"period_code": "2099-01", "subject": "1001"}).status_code == 404


def test_attachment_must_be_pdf_or_image(client, cycle: Cycle) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    in_publicity_now(cycle)
    client.force_login(cycle.world.staff)
    bad = SimpleUploadedFile("a.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(
        NEW, {"record": cycle.zhang_record.pk, "text": "见附件", "attachment": bad}
    )
    assert response.status_code == 400
    assert Appeal.objects.count() == 0
    good = SimpleUploadedFile("回执.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    response = client.post(
        NEW, {"record": cycle.zhang_record.pk, "text": "见附件", "attachment": good}
    )
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.attachment.name.endswith(".pdf")
    assert appeal.attachment.read() == b"%PDF-1.4 receipt"


@pytest.mark.parametrize("persona", ["inspector", "leader", "chief", "staff"])
def test_period_page_for_each_role(client, cycle: Cycle, persona: str) -> None:  # type: ignore[no-untyped-def]
    p = in_publicity_now(cycle)
    client.force_login(getattr(cycle.world, persona))
    page = client.get(reverse("workflow:period", args=[p.pk])).content.decode()
    assert "公示剩余" in page
    manager = persona in ("inspector", "leader")
    assert ('id="grade-chart"' in page) is True
    assert ("下载通报 XLSX（草稿）" in page) is manager
    assert ("领导小组调整等次" in page) is (persona == "leader")
    assert ("对等次提出申诉" in page) is not manager
