"""The phone patrol page driven by plain GETs and POSTs, and the score it moves."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kaohe.web.ledger.models import Evidence, Record, RecordSource
from kaohe.web.ledger.services import record_create
from kaohe.web.org.models import Assignment, CenterPolicy
from kaohe.web.scoring.services import current_run
from tests.web.ledger.conftest import photo
from tests.web.personas import World

PATROL = "/ledger/patrol/"


@pytest.fixture
def inspector(client: Client, world: World) -> Client:
    client.force_login(world.inspector)
    return client


def test_url_name() -> None:
    assert reverse("ledger:patrol") == PATROL


def test_step1_lists_windows(inspector: Client) -> None:
    html = inspector.get(PATROL).content.decode()
    for code in ("A1", "A2", "B1"):
        assert f'data-window="{code}"' in html


def test_step2_lists_people_on_the_window_today(inspector: Client, world: World) -> None:
    Assignment.objects.filter(person=world.li).update(end=date(2024, 6, 30))
    html = inspector.get(PATROL, {"window": "A1"}).content.decode()
    assert 'data-person="1001"' in html
    assert 'data-person="1002"' not in html  # 李四 left A1 in 2024
    assert 'data-person="2001"' not in html
    assert 'data-subject="window"' in html
    assert "窗口本身" in html


def test_step3_items_most_used_first(inspector: Client, world: World) -> None:
    for _ in range(2):
        record_create(
            center=world.center,
            by=world.inspector,
            subject=world.a1,
            item_code="norms.19",
            date=timezone.localdate(),
        )
    response = inspector.get(PATROL, {"window": "A1", "person": "1001"})
    items = [i.code for i in response.context["items"]]
    assert items[0] == "norms.19"
    assert items[1:3] == ["discipline.01", "discipline.02"]
    assert 'data-item="norms.20"' in response.content.decode()


def test_step4_points_only_for_range_items(inspector: Client) -> None:
    fixed = inspector.get(PATROL, {"window": "A1", "person": "1001", "item": "discipline.01"})
    ranged = inspector.get(PATROL, {"window": "A1", "person": "1001", "item": "norms.20"})
    fixed_html, ranged_html = fixed.content.decode(), ranged.content.decode()
    for html in (fixed_html, ranged_html):
        assert 'id="patrol-save"' in html
        assert 'name="photos" accept="image/*" capture="environment"' in html
    assert 'name="points"' not in fixed_html
    assert 'name="points"' in ranged_html and 'min="0.1" max="0.3"' in ranged_html


def test_save_person_record_then_continue_on_same_window(inspector: Client, world: World) -> None:
    response = inspector.post(
        PATROL,
        {
            "window": "A1",
            "person": "1001",
            "item": "discipline.01",
            "note": "未在岗",
            "photos": [photo()],
        },
    )
    rec = Record.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{PATROL}?window=A1&done={rec.pk}"
    assert (rec.person, rec.window, rec.item_code, rec.source, rec.date) == (
        world.zhang,
        None,
        "discipline.01",
        RecordSource.PATROL,
        timezone.localdate(),
    )
    assert rec.evidence.count() == 1
    done = inspector.get(response["Location"]).content.decode()
    assert 'id="patrol-done"' in done
    assert "上班迟到早退擅自离岗缺岗" in done
    assert "继续巡查" in done
    assert 'data-person="1001"' in done  # straight back to step 2 on A1


def test_save_window_record_with_range_points(inspector: Client, world: World) -> None:
    response = inspector.post(
        PATROL, {"window": "B1", "subject": "window", "item": "norms.20", "points": "0.3"}
    )
    assert response.status_code == 302
    rec = Record.objects.get()
    assert (rec.window, rec.person, rec.points) == (world.b1, None, Decimal("0.3"))


def test_save_refuses_out_of_range_and_fake_photo(inspector: Client) -> None:
    fake = SimpleUploadedFile("x.jpg", b"plain text", content_type="image/jpeg")
    response = inspector.post(
        PATROL,
        {"window": "A1", "person": "1001", "item": "norms.20", "points": "0.5", "photos": [fake]},
    )
    assert response.status_code == 400
    assert sorted(response.context["form"].errors) == ["photos", "points"]
    assert 'id="patrol-save"' in response.content.decode()
    assert (Record.objects.count(), Evidence.objects.count()) == (0, 0)


def test_person_not_on_window_is_404(inspector: Client) -> None:
    assert inspector.get(PATROL, {"window": "A1", "person": "2001"}).status_code == 404
    response = inspector.post(PATROL, {"window": "A1", "person": "2001", "item": "discipline.01"})
    assert response.status_code == 404
    assert Record.objects.count() == 0


def test_unknown_window_or_item_is_404(inspector: Client) -> None:
    assert inspector.get(PATROL, {"window": "ZZ"}).status_code == 404
    assert (
        inspector.get(PATROL, {"window": "A1", "subject": "window", "item": "x.1"}).status_code
        == 404
    )


@pytest.mark.parametrize("persona", ["leader", "chief", "staff", "sysadmin", "secadmin", "auditor"])
def test_only_inspector_patrols(client: Client, world: World, persona: str) -> None:
    client.force_login(getattr(world, persona))
    assert client.get(PATROL).status_code == 403
    response = client.post(
        PATROL, {"window": "A1", "person": "1001", "item": "discipline.01", "photos": [photo()]}
    )
    assert response.status_code == 403
    assert (Record.objects.count(), Evidence.objects.count()) == (0, 0)


def test_created_record_reaches_the_months_score(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    CenterPolicy.objects.filter(center=world.center).update(policy_id="guangde-2023")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        rec = record_create(
            center=world.center,
            by=world.inspector,
            subject=world.zhang,
            item_code="discipline.01",
            date=date(2024, 5, 6),
        )
    run = current_run(world.center, "2024-05")
    assert run.error == ""
    zhang = run.result["subjects"]["1001"]
    li = run.result["subjects"]["1002"]
    assert [t["item"] for t in zhang["trace"] if t["record"] == rec.pk] == ["discipline.01"]
    assert Decimal(zhang["score"]) == Decimal(li["score"]) - 1


def test_boosted_save_with_errors_answers_200_so_htmx_shows_them(inspector: Client) -> None:
    response = inspector.post(
        PATROL,
        {"window": "A1", "person": "1001", "item": "norms.20", "points": "9"},
        headers={"HX-Request": "true", "HX-Boosted": "true"},
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["points"]
    assert Record.objects.count() == 0
