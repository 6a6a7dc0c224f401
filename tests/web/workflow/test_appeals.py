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


def png(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real 8×8 PNG (a photo of a receipt, as far as the checks can tell)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, format="PNG")
    return out.getvalue()


#: The smallest file that is a PDF by header and trailer.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(name: str, data: bytes, content_type: str = "application/octet-stream"):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def test_several_attachments_checked_by_content_stored_by_hash_and_shown_to_the_reviewer(
    client, cycle: Cycle, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    settings.MEDIA_ROOT = tmp_path
    in_publicity_now(cycle)
    w = cycle.world
    photo = png()
    client.force_login(w.staff)
    response = client.post(
        NEW,
        {
            "record": cycle.zhang_record.pk,
            "text": "见回执和照片",
            # the photo's name says PDF, the receipt's says JPEG: only the bytes count
            "attachments": [_upload("照片.pdf", photo), _upload("回执.jpg", PDF)],
        },
    )
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    rows = list(appeal.attachments.order_by("id"))
    assert [(a.original_name, a.content_type, a.size, a.sha256) for a in rows] == [
        ("照片.pdf", "image/png", len(photo), hashlib.sha256(photo).hexdigest()),
        ("回执.jpg", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest()),
    ]
    assert rows[0].file.name == f"appeals/{rows[0].sha256[:2]}/{rows[0].sha256}.png"
    assert rows[1].file.name == f"appeals/{rows[1].sha256[:2]}/{rows[1].sha256}.pdf"
    entry = AuditEntry.objects.get(action="appeal.file")
    assert entry.after["attachments"] == [rows[0].sha256, rows[1].sha256]

    client.force_login(w.leader)
    page = client.get(reverse("workflow:appeal", args=[appeal.pk])).content.decode()
    assert "申诉附件（2）" in page
    for a in rows:
        url = reverse("workflow:appeal_attachment", args=[appeal.pk, a.pk])
        assert url in page
        got = client.get(url)
        assert (got.status_code, got["Content-Type"]) == (200, a.content_type)
        assert b"".join(got.streaming_content) == (photo if a.pk == rows[0].pk else PDF)
    client.force_login(w.other_staff)  # not his appeal
    url = reverse("workflow:appeal_attachment", args=[appeal.pk, rows[0].pk])
    assert client.get(url).status_code == 404


def test_the_same_file_on_two_appeals_is_stored_once(client, cycle: Cycle, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    in_publicity_now(cycle)
    client.force_login(cycle.world.chief)
    for rec in (cycle.a2_record, cycle.zhang_record):
        response = client.post(
            NEW, {"record": rec.pk, "text": "同一张回执", "attachments": [_upload("a.pdf", PDF)]}
        )
        assert response.status_code == 302
    names = {a.file.name for a in Appeal.objects.get(record=cycle.a2_record).attachments.all()}
    names |= {a.file.name for a in Appeal.objects.get(record=cycle.zhang_record).attachments.all()}
    assert len(names) == 1
    assert len(list((tmp_path / "appeals").rglob("*.pdf"))) == 1


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("a.pdf", b"MZ\x90\x00 not a pdf")], "只能是 PDF、JPEG 或 PNG 文件"),
        ([("a.pdf", b"%PDF-1.4 cut off")], "不是完整的 PDF 文件"),
        ([("a.txt", b"")], "是空文件"),
        ([("ok.pdf", PDF), ("bad.png", b"GIF89a\x01\x00")], "bad.png"),
        ([(f"{i}.pdf", PDF) for i in range(6)], "附件最多 5 个"),
    ],
)
def test_a_bad_attachment_refuses_the_whole_appeal(
    client, cycle: Cycle, settings, tmp_path, files: list[tuple[str, bytes]], message: str
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    in_publicity_now(cycle)
    client.force_login(cycle.world.staff)
    response = client.post(
        NEW,
        {
            "record": cycle.zhang_record.pk,
            "text": "见附件",
            "attachments": [_upload(n, d) for n, d in files],
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Appeal.objects.count() == 0
    assert not (tmp_path / "appeals").exists()


def test_an_image_gif_or_too_large_attachment_is_refused(cycle: Cycle, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    with pytest.raises(ValidationError, match="只能是 PDF、JPEG 或 PNG"):
        services.attachment_check(_upload("a.gif", gif.getvalue()))
    monkeypatch.setattr(services, "ATTACHMENT_MAX_BYTES", 100)
    with pytest.raises(ValidationError, match="超过 10 MB"):
        services.attachment_check(_upload("big.png", png() + b"\0" * 200))
    assert services.attachment_check(_upload("ok.pdf", PDF)).content_type == "application/pdf"


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
