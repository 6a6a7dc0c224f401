"""The policy page, choosing and editing a regulation, and the item search for the ledger."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

import kaohe
from kaohe.web.audit.models import AuditEntry
from kaohe.web.org.models import CenterPolicy, PolicySource
from kaohe.web.scoring import bridge
from tests.web.personas import START, World

XXQU = (Path(kaohe.__file__).parent / "policies" / "xxqu-2022.yaml").read_text(encoding="utf-8")
D01 = "code: discipline.01, name: 上班迟到早退擅自离岗缺岗, dimension: discipline, points: 0.5"


def _as(client: Client, user: object) -> Client:
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _rows(world: World) -> list[tuple[str, str, date]]:
    return list(
        CenterPolicy.objects.filter(center=world.center)
        .order_by("effective_from", "id")
        .values_list("policy_id", "source", "effective_from")
    )


@pytest.mark.parametrize("persona", ["inspector", "leader", "sysadmin"])
def test_policy_page_readers(client: Client, world: World, persona: str) -> None:
    r = _as(client, getattr(world, persona)).get(reverse("org:policy"))
    assert r.status_code == 200
    assert r.context["row"].policy_id == "xxqu-2022"
    assert len(r.context["items"]) == 63
    html = r.content.decode()
    assert "discipline.01" in html and "附件1 二(一)1" in html
    assert (reverse("org:policy_edit") in html) is (persona != "leader")


@pytest.mark.parametrize("persona", ["chief", "staff", "secadmin", "auditor"])
def test_policy_page_denied(client: Client, world: World, persona: str) -> None:
    assert _as(client, getattr(world, persona)).get(reverse("org:policy")).status_code == 403


def test_catalog_search_partial(client: Client, world: World) -> None:
    r = _as(client, world.leader).get(
        reverse("org:policy"), {"q": "迟到", "partial": "items"}, HTTP_HX_REQUEST="true"
    )
    assert [t.name for t in r.templates] == ["org/_items.html"]
    assert [i["code"] for i in r.context["items"]] == [
        "discipline.01",
        "discipline.02",
        "case_mgmt.15",
    ]
    assert "<html" not in r.content.decode()


def test_history_newest_first_and_choose_bundled(client: Client, world: World) -> None:
    c = _as(client, world.inspector)
    r = c.post(
        reverse("org:policy_choose"), {"policy_id": "guangde-2023", "effective_from": "2024-07-01"}
    )
    assert r.status_code == 302
    assert _rows(world) == [
        ("xxqu-2022", PolicySource.BUNDLED, START),
        ("guangde-2023", PolicySource.BUNDLED, date(2024, 7, 1)),
    ]
    assert bridge.policy_for(world.center, date(2024, 6, 30)).id == "xxqu-2022"
    assert bridge.policy_for(world.center, date(2024, 7, 1)).id == "guangde-2023"
    history = c.get(reverse("org:policy")).context["history"]
    assert [h.policy_id for h in history] == ["guangde-2023", "xxqu-2022"]
    entry = AuditEntry.objects.get(action="policy.choose")
    assert (entry.actor, entry.after["policy_id"]) == (world.inspector, "guangde-2023")


def test_unknown_bundled_policy_is_refused(client: Client, world: World) -> None:
    _as(client, world.inspector).post(
        reverse("org:policy_choose"), {"policy_id": "nowhere", "effective_from": "2024-07-01"}
    )
    assert _rows(world) == [("xxqu-2022", PolicySource.BUNDLED, START)]


@pytest.mark.parametrize("persona", ["leader", "chief", "staff", "secadmin", "auditor"])
def test_others_cannot_change_the_policy(client: Client, world: World, persona: str) -> None:
    c = _as(client, getattr(world, persona))
    assert (
        c.post(
            reverse("org:policy_choose"),
            {"policy_id": "guangde-2023", "effective_from": "2024-07-01"},
        ).status_code
        == 403
    )
    assert (
        c.post(
            reverse("org:policy_edit"), {"text": XXQU, "effective_from": "2024-07-01"}
        ).status_code
        == 403
    )
    assert c.get(reverse("org:policy_edit")).status_code == 403
    assert _rows(world) == [("xxqu-2022", PolicySource.BUNDLED, START)]
    assert not AuditEntry.objects.exists()


def test_editor_starts_from_the_policy_in_force(client: Client, world: World) -> None:
    r = _as(client, world.sysadmin).get(reverse("org:policy_edit"))
    assert r.status_code == 200
    assert r.context["form"].initial["text"] == XXQU
    assert "id: xxqu-2022" in r.content.decode()


def test_invalid_text_shows_key_paths_keeps_text_saves_nothing(
    client: Client, world: World
) -> None:
    bad = XXQU.replace(D01, D01.replace("points: 0.5", "points: abc"), 1)
    assert bad != XXQU
    r = _as(client, world.inspector).post(
        reverse("org:policy_edit"), {"text": bad, "effective_from": "2024-07-01"}
    )
    assert r.status_code == 200
    assert r.context["problems"] == [
        "test/custom.yaml: items[0](discipline.01).points: Input should be a valid decimal"
    ]
    html = r.content.decode()
    assert "items[0](discipline.01).points" in html
    assert "points: abc" in html
    assert _rows(world) == [("xxqu-2022", PolicySource.BUNDLED, START)]
    assert not AuditEntry.objects.exists()


def test_broken_yaml_is_reported(client: Client, world: World) -> None:
    r = _as(client, world.inspector).post(
        reverse("org:policy_edit"), {"text": "id: [unclosed", "effective_from": "2024-07-01"}
    )
    assert r.context["problems"][0].startswith("test/custom.yaml: not valid YAML")
    assert _rows(world) == [("xxqu-2022", PolicySource.BUNDLED, START)]


def test_valid_custom_policy_is_used_by_the_bridge(client: Client, world: World) -> None:
    edited = XXQU.replace(D01, D01.replace("points: 0.5", "points: 0.8"), 1)
    r = _as(client, world.inspector).post(
        reverse("org:policy_edit"), {"text": edited, "effective_from": "2024-07-01"}
    )
    assert r.status_code == 302
    assert _rows(world) == [
        ("xxqu-2022", PolicySource.BUNDLED, START),
        ("xxqu-2022", PolicySource.CUSTOM, date(2024, 7, 1)),
    ]
    row = CenterPolicy.objects.get(center=world.center, source=PolicySource.CUSTOM)
    assert (row.yaml_text, row.created_by) == (edited, world.inspector)
    assert (
        str(bridge.policy_for(world.center, date(2024, 7, 1)).item("discipline.01").points) == "0.8"
    )
    assert (
        str(bridge.policy_for(world.center, date(2024, 6, 30)).item("discipline.01").points)
        == "0.5"
    )
    assert AuditEntry.objects.get(action="policy.save_custom").object_id == str(row.pk)


# ---------------------------------------------------------------- item search


def _search(client: Client, world: World, **params: str) -> list[dict[str, object]]:
    r = _as(client, world.inspector).get(reverse("org:item_search"), params)
    assert r.status_code == 200
    return r.json()["items"]


def test_item_search_shape(client: Client, world: World) -> None:
    assert _search(client, world, q="norms.20") == [
        {
            "code": "norms.20",
            "name": "其他未按标准化建设实施方案执行",
            "dimension": "norms",
            "points": None,
            "range": ["0.1", "0.3"],
            "free_entry": False,
            "unit": "次",
            "major": False,
            "exempt": False,
        }
    ]
    assert _search(client, world, q="discipline.01")[0]["points"] == "0.5"
    assert _search(client, world, q="case_mgmt.16")[0]["free_entry"] is True


def test_item_search_by_code_prefix_and_name(client: Client, world: World) -> None:
    assert len(_search(client, world, q="norms")) == 30
    assert len(_search(client, world)) == 30
    assert [i["code"] for i in _search(client, world, q="DISCIPLINE.1")] == [
        "discipline.10",
        "discipline.11",
        "discipline.12",
        "discipline.13",
    ]
    assert [i["code"] for i in _search(client, world, q="工作服")] == [
        "norms.01",
        "norms.02",
        "norms.03",
    ]
    assert _search(client, world, q="chidao") == []


def test_item_search_follows_the_policy_of_the_day(client: Client, world: World) -> None:
    CenterPolicy.objects.create(
        center=world.center, policy_id="guangde-2023", effective_from=date(2024, 7, 1)
    )
    assert _search(client, world, q="attendance.01", on="2024-06-30") == []
    assert [i["name"] for i in _search(client, world, q="attendance.01", on="2024-07-01")] == [
        "迟到"
    ]
    bad = _as(client, world.inspector).get(reverse("org:item_search"), {"on": "June"})
    assert bad.status_code == 400


@pytest.mark.parametrize("persona", ["secadmin", "auditor"])
def test_item_search_denied(client: Client, world: World, persona: str) -> None:
    assert _as(client, getattr(world, persona)).get(reverse("org:item_search")).status_code == 403
