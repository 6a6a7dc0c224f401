"""Ledger pages by persona: who may read, who may write, and scope as 404."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kaohe.web.audit.models import AuditEntry
from kaohe.web.ledger.models import Evidence, Record
from kaohe.web.ledger.services import record_create, record_void
from kaohe.web.org.models import Assignment
from tests.web.ledger.conftest import DAY, image_bytes, photo
from tests.web.personas import World

READERS = ["inspector", "leader", "chief", "staff"]
NOT_INSPECTORS = ["leader", "chief", "staff", "sysadmin", "secadmin", "auditor"]
ADMINS = ["sysadmin", "secadmin", "auditor"]


def as_(client: Client, world: World, persona: str) -> Client:
    client.force_login(getattr(world, persona))
    return client


def listed(client: Client, **params: str) -> list[int]:
    response = client.get(reverse("ledger:list"), params)
    assert response.status_code == 200
    return [r.pk for r in response.context["page"]]


def new_post(world: World, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "subject_kind": "person",
        "person": world.zhang.pk,
        "item_code": "norms.20",
        "date": "2024-05-07",
        "count": "1",
        "points": "0.2",
        "note": "台面杂乱",
    }
    data.update(extra)
    return data


# --- list -------------------------------------------------------------------


def test_list_scope_by_persona(
    client: Client, world: World, record_a1: Record, record_b1: Record
) -> None:
    window_rec = Record.objects.create(
        center=world.center,
        window=world.a1,
        policy_id="xxqu-2022",
        item_code="norms.19",
        item_name="环境卫生不整洁",
        date=DAY,
    )
    li_rec = Record.objects.create(
        center=world.center,
        person=world.li,
        policy_id="xxqu-2022",
        item_code="norms.01",
        item_name="未着工作服上岗",
        date=DAY,
    )
    everything = {record_a1.pk, record_b1.pk, window_rec.pk, li_rec.pk}
    assert set(listed(as_(client, world, "inspector"))) == everything
    assert set(listed(as_(client, world, "leader"))) == everything
    assert set(listed(as_(client, world, "chief"))) == {record_a1.pk, window_rec.pk, li_rec.pk}
    # 张三 sees his own record and his window's, not his colleague 李四's.
    assert set(listed(as_(client, world, "staff"))) == {record_a1.pk, window_rec.pk}
    assert set(listed(as_(client, world, "other_staff"))) == {record_b1.pk}


@pytest.mark.parametrize("persona", ADMINS)
def test_admins_cannot_read_ledger(
    client: Client, world: World, record_a1: Record, persona: str
) -> None:
    as_(client, world, persona)
    ev = record_a1.evidence.get()
    assert client.get(reverse("ledger:list")).status_code == 403
    assert client.get(reverse("ledger:detail", args=[record_a1.pk])).status_code == 403
    assert client.get(reverse("ledger:evidence", args=[ev.pk])).status_code == 403


def test_list_filters_and_voided_struck_through(
    client: Client, world: World, record_a1: Record, record_b1: Record
) -> None:
    record_void(record=record_b1, by=world.inspector, reason="认错人了")
    as_(client, world, "inspector")
    assert listed(client) == [record_a1.pk]
    assert listed(client, voided="on") == [record_b1.pk, record_a1.pk]
    assert listed(client, voided="on", window=str(world.b1.pk)) == [record_b1.pk]
    assert listed(client, person=str(world.zhang.pk)) == [record_a1.pk]
    assert listed(client, month="2024-05") == [record_a1.pk]
    assert listed(client, month="2024-06") == []
    assert listed(client, item="discipline") == [record_a1.pk]
    assert listed(client, item="迟到") == [record_a1.pk]
    html = client.get(reverse("ledger:list"), {"voided": "on"}).content.decode()
    assert 'class="voided"' in html
    assert "已作废：认错人了" in html


def test_chief_cannot_filter_on_other_units_window(
    client: Client, world: World, record_b1: Record
) -> None:
    response = as_(client, world, "chief").get(reverse("ledger:list"), {"window": world.b1.pk})
    assert response.status_code == 200
    assert "window" in response.context["form"].errors
    assert list(response.context["page"]) == []


# --- detail and evidence ----------------------------------------------------


def test_detail_shows_record_photos_and_void_form_to_inspector(
    client: Client, world: World, record_a1: Record
) -> None:
    ev = record_a1.evidence.get()
    html = as_(client, world, "inspector").get(reverse("ledger:detail", args=[record_a1.pk]))
    body = html.content.decode()
    assert html.status_code == 200
    assert "上班迟到早退擅自离岗缺岗" in body
    assert reverse("ledger:evidence", args=[ev.pk]) in body
    assert 'id="void-form"' in body
    assert "/media/" not in body


def test_detail_has_no_void_form_for_leader(
    client: Client, world: World, record_a1: Record
) -> None:
    response = as_(client, world, "leader").get(reverse("ledger:detail", args=[record_a1.pk]))
    assert response.status_code == 200
    assert 'id="void-form"' not in response.content.decode()


def test_chief_gets_404_for_other_units_record(
    client: Client, world: World, record_b1: Record
) -> None:
    as_(client, world, "chief")
    ev = record_b1.evidence.get()
    assert client.get(reverse("ledger:detail", args=[record_b1.pk])).status_code == 404
    assert client.get(reverse("ledger:evidence", args=[ev.pk])).status_code == 404


def test_staff_gets_404_for_colleagues_record(client: Client, world: World) -> None:
    li_rec = record_create(
        center=world.center,
        by=world.inspector,
        subject=world.li,
        item_code="discipline.01",
        date=DAY,
        photos=[photo()],
    )
    as_(client, world, "staff")
    assert client.get(reverse("ledger:detail", args=[li_rec.pk])).status_code == 404
    ev = li_rec.evidence.get()
    assert client.get(reverse("ledger:evidence", args=[ev.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["inspector", "leader", "chief", "staff"])
def test_evidence_served_in_scope(
    client: Client, world: World, record_a1: Record, persona: str
) -> None:
    ev = record_a1.evidence.get()
    response = as_(client, world, persona).get(reverse("ledger:evidence", args=[ev.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == image_bytes()


# --- create -----------------------------------------------------------------


def test_inspector_creates_record_with_photos(client: Client, world: World) -> None:
    as_(client, world, "inspector")
    data = new_post(world, photos=[photo("1.png"), photo("2.jpg", fmt="JPEG", color=(1, 2, 3))])
    response = client.post(reverse("ledger:new"), data)
    rec = Record.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:detail", args=[rec.pk])
    assert (rec.person, rec.item_code, rec.points, rec.date) == (
        world.zhang,
        "norms.20",
        Decimal("0.2"),
        date(2024, 5, 7),
    )
    assert rec.evidence.count() == 2
    assert AuditEntry.objects.filter(action="record.create", object_id=str(rec.pk)).count() == 1


def test_new_form_shows_service_errors_by_field(client: Client, world: World) -> None:
    as_(client, world, "inspector")
    bogus = SimpleUploadedFile("假.jpg", b"hello", content_type="image/jpeg")
    response = client.post(reverse("ledger:new"), new_post(world, points="0.9", photos=[bogus]))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert sorted(errors) == ["photos", "points"]
    assert Record.objects.count() == 0


def test_new_form_window_subject(client: Client, world: World) -> None:
    as_(client, world, "inspector")
    data = new_post(world, subject_kind="window", window=world.b1.pk, person="")
    assert client.post(reverse("ledger:new"), data).status_code == 302
    assert Record.objects.get().window == world.b1


def test_inspector_sees_new_form(client: Client, world: World) -> None:
    response = as_(client, world, "inspector").get(reverse("ledger:new"))
    assert response.status_code == 200
    assert "norms.20" in response.content.decode()


@pytest.mark.parametrize("persona", NOT_INSPECTORS)
def test_others_cannot_create(client: Client, world: World, persona: str) -> None:
    as_(client, world, persona)
    assert client.get(reverse("ledger:new")).status_code == 403
    response = client.post(reverse("ledger:new"), new_post(world, photos=[photo()]))
    assert response.status_code == 403
    assert (Record.objects.count(), Evidence.objects.count()) == (0, 0)
    assert not AuditEntry.objects.filter(action="record.create").exists()


# --- void -------------------------------------------------------------------


def test_inspector_voids_with_reason(client: Client, world: World, record_a1: Record) -> None:
    as_(client, world, "inspector")
    url = reverse("ledger:void", args=[record_a1.pk])
    response = client.post(url, {"reason": "照片拍错窗口"})
    assert response.status_code == 302
    record_a1.refresh_from_db()
    assert record_a1.void_reason == "照片拍错窗口"
    detail = client.get(reverse("ledger:detail", args=[record_a1.pk])).content.decode()
    assert "照片拍错窗口" in detail and 'id="void-form"' not in detail


def test_void_without_reason_refused(client: Client, world: World, record_a1: Record) -> None:
    as_(client, world, "inspector")
    response = client.post(reverse("ledger:void", args=[record_a1.pk]), {"reason": ""})
    assert response.status_code == 400
    record_a1.refresh_from_db()
    assert record_a1.voided_at is None


@pytest.mark.parametrize("persona", NOT_INSPECTORS)
def test_others_cannot_void(client: Client, world: World, record_a1: Record, persona: str) -> None:
    as_(client, world, persona)
    response = client.post(reverse("ledger:void", args=[record_a1.pk]), {"reason": "不服"})
    assert response.status_code == 403
    record_a1.refresh_from_db()
    assert (record_a1.voided_at, record_a1.void_reason) == (None, "")
    assert Record.objects.count() == 1
    assert not AuditEntry.objects.filter(action="record.void").exists()


def test_void_is_post_only(client: Client, world: World, record_a1: Record) -> None:
    as_(client, world, "inspector")
    assert client.get(reverse("ledger:void", args=[record_a1.pk])).status_code == 405
    record_a1.refresh_from_db()
    assert record_a1.voided_at is None


def test_window_filter_follows_the_post_on_the_records_day(
    client: Client, world: World, record_a1: Record
) -> None:
    # 张三 moves from A1 to A2 after the record: it stays under A1, not A2.
    Assignment.objects.filter(person=world.zhang).update(end=date(2024, 5, 31))
    Assignment.objects.create(person=world.zhang, window=world.a2, start=date(2024, 6, 1))
    as_(client, world, "inspector")
    assert listed(client, window=str(world.a1.pk)) == [record_a1.pk]
    assert listed(client, window=str(world.a2.pk)) == []
