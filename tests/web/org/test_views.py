"""Organisation pages by persona: allowed, 403 denied (nothing changed), 404 out of scope."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from kaohe.web.audit.models import AuditEntry
from kaohe.web.org.models import Assignment, Hall, Person, Unit, Window
from tests.web.personas import START, World


def _as(client: Client, user: object) -> Client:
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _codes(response: object, marker: str = "org/people/") -> list[str]:
    html = response.content.decode()  # type: ignore[attr-defined]
    return sorted({part.split("/")[0] for part in html.split(marker)[1:]})


# ---------------------------------------------------------------- windows


@pytest.mark.parametrize(
    ("persona", "codes"),
    [
        ("inspector", ["A1", "A2", "B1"]),
        ("leader", ["A1", "A2", "B1"]),
        ("sysadmin", ["A1", "A2", "B1"]),
        ("chief", ["A1", "A2"]),
        ("staff", ["A1"]),
    ],
)
def test_window_list_in_scope(client: Client, world: World, persona: str, codes: list[str]) -> None:
    r = _as(client, getattr(world, persona)).get(reverse("org:windows"))
    assert r.status_code == 200
    shown = sorted(row["w"].code for g in r.context["groups"] for row in g["windows"])
    assert shown == codes


def test_window_list_shows_kind_and_current_staff(client: Client, world: World) -> None:
    r = _as(client, world.inspector).get(reverse("org:windows"))
    rows = {row["w"].code: row["w"] for g in r.context["groups"] for row in g["windows"]}
    assert {c: w.staff_count for c, w in rows.items()} == {"A1": 2, "A2": 0, "B1": 1}
    assert "综合窗口" in r.content.decode()
    assert [g["unit"].code for g in r.context["groups"]] == ["A", "B"]


@pytest.mark.parametrize("persona", ["secadmin", "auditor"])
def test_window_list_denied_to_other_admins(client: Client, world: World, persona: str) -> None:
    assert _as(client, getattr(world, persona)).get(reverse("org:windows")).status_code == 403


@pytest.mark.parametrize("persona", ["inspector", "sysadmin"])
def test_managers_create_windows(client: Client, world: World, persona: str) -> None:
    r = _as(client, getattr(world, persona)).post(
        reverse("org:window_create"),
        {"code": "C1", "name": "不动产综合窗口", "kind": "comprehensive", "unit": world.unit_b.pk},
    )
    assert r.status_code == 302
    w = Window.objects.get(center=world.center, code="C1")
    assert (w.name, w.kind, w.unit, w.active) == (
        "不动产综合窗口",
        "comprehensive",
        world.unit_b,
        True,
    )
    assert AuditEntry.objects.get(action="window.create").actor == getattr(world, persona)


def test_duplicate_window_code_is_shown_on_the_form(client: Client, world: World) -> None:
    r = _as(client, world.inspector).post(
        reverse("org:window_create"), {"code": "A1", "name": "重复", "kind": "single"}
    )
    assert r.status_code == 200
    assert r.context["form"].errors["code"] == ["窗口编号 A1 已存在"]
    assert Window.objects.filter(center=world.center).count() == 3


@pytest.mark.parametrize("persona", ["leader", "chief", "staff", "secadmin", "auditor"])
def test_others_cannot_change_windows(client: Client, world: World, persona: str) -> None:
    c = _as(client, getattr(world, persona))
    assert (
        c.post(
            reverse("org:window_create"), {"code": "C1", "name": "x", "kind": "single"}
        ).status_code
        == 403
    )
    assert (
        c.post(
            reverse("org:window_edit", args=["A1"]), {"name": "改名", "kind": "single"}
        ).status_code
        == 403
    )
    assert c.post(reverse("org:window_active", args=["A1"])).status_code == 403
    world.a1.refresh_from_db()
    assert (world.a1.name, world.a1.active) == ("窗口A1", True)
    assert Window.objects.filter(center=world.center).count() == 3
    assert not AuditEntry.objects.exists()


def test_edit_and_deactivate_window(client: Client, world: World) -> None:
    c = _as(client, world.sysadmin)
    r = c.post(
        reverse("org:window_edit", args=["A2"]),
        {"code": "ignored", "name": "窗口A2（新）", "kind": "section", "unit": world.unit_b.pk},
    )
    assert r.status_code == 302
    world.a2.refresh_from_db()
    assert (world.a2.code, world.a2.name, world.a2.kind, world.a2.unit) == (
        "A2",
        "窗口A2（新）",
        "section",
        world.unit_b,
    )
    assert c.post(reverse("org:window_active", args=["A2"])).status_code == 302
    world.a2.refresh_from_db()
    assert world.a2.active is False
    entry = AuditEntry.objects.get(action="window.deactivate")
    assert (entry.before["active"], entry.after["active"]) == (True, False)
    assert c.post(reverse("org:window_active", args=["A2"])).status_code == 302
    world.a2.refresh_from_db()
    assert world.a2.active is True


# ---------------------------------------------------------------- units and halls


def test_units_and_halls_crud(client: Client, world: World) -> None:
    c = _as(client, world.inspector)
    assert c.post(reverse("org:unit_create"), {"code": "C", "name": "单位C"}).status_code == 302
    assert c.post(reverse("org:unit_edit", args=["C"]), {"name": "单位C（改）"}).status_code == 302
    assert c.post(reverse("org:unit_active", args=["C"])).status_code == 302
    unit = Unit.objects.get(center=world.center, code="C")
    assert (unit.name, unit.active) == ("单位C（改）", False)
    assert c.post(reverse("org:hall_create"), {"name": "一楼大厅"}).status_code == 302
    hall = Hall.objects.get(center=world.center)
    assert c.post(reverse("org:hall_edit", args=[hall.pk]), {"name": "二楼大厅"}).status_code == 302
    assert c.post(reverse("org:hall_active", args=[hall.pk])).status_code == 302
    hall.refresh_from_db()
    assert (hall.name, hall.active) == ("二楼大厅", False)
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("id")) == [
        "unit.create",
        "unit.update",
        "unit.deactivate",
        "hall.create",
        "hall.update",
        "hall.deactivate",
    ]


def test_leader_reads_units_without_edit_links(client: Client, world: World) -> None:
    r = _as(client, world.leader).get(reverse("org:units"))
    assert r.status_code == 200
    assert "单位A" in r.content.decode()
    assert reverse("org:unit_create") not in r.content.decode()
    assert (
        _as(client, world.leader)
        .post(reverse("org:unit_create"), {"code": "C", "name": "C"})
        .status_code
        == 403
    )
    assert not Unit.objects.filter(code="C").exists()


@pytest.mark.parametrize("persona", ["chief", "staff", "secadmin", "auditor"])
def test_units_page_denied(client: Client, world: World, persona: str) -> None:
    assert _as(client, getattr(world, persona)).get(reverse("org:units")).status_code == 403


# ---------------------------------------------------------------- people


@pytest.mark.parametrize(
    ("persona", "codes"),
    [
        ("leader", ["1001", "1002", "2001", "9001"]),
        ("sysadmin", ["1001", "1002", "2001", "9001"]),
        ("chief", ["1001", "1002", "9001"]),
        ("staff", ["1001"]),
    ],
)
def test_people_list_in_scope(client: Client, world: World, persona: str, codes: list[str]) -> None:
    r = _as(client, getattr(world, persona)).get(reverse("org:people"))
    assert r.status_code == 200
    assert [row["person"].code for row in r.context["rows"]] == codes


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ({"window": "A1"}, ["1001", "1002"]),
        ({"unit": "A"}, ["1001", "1002", "9001"]),
        ({"unit": "B"}, ["2001"]),
        ({"role": "chief_rep"}, ["9001"]),
        ({"employment": "purchased"}, ["1002"]),
        ({"active": "0"}, ["2001"]),
        ({"active": "1", "window": "A1", "employment": "seconded"}, ["1001"]),
    ],
)
def test_people_filters(
    client: Client, world: World, query: dict[str, str], codes: list[str]
) -> None:
    Person.objects.filter(pk=world.li.pk).update(employment="purchased")
    Person.objects.filter(pk=world.wang.pk).update(active=False)
    r = _as(client, world.inspector).get(reverse("org:people"), query)
    assert [row["person"].code for row in r.context["rows"]] == codes


def test_person_detail_shows_full_history(client: Client, world: World) -> None:
    Assignment.objects.filter(person=world.li).update(end=date(2024, 4, 15))
    Assignment.objects.create(
        person=world.li, window=world.a2, start=date(2024, 4, 16), note="调令"
    )
    r = _as(client, world.chief).get(reverse("org:person", args=["1002"]))
    assert r.status_code == 200
    assert [(h["a"].window.code, h["a"].start, h["a"].end) for h in r.context["history"]] == [
        ("A2", date(2024, 4, 16), None),
        ("A1", START, date(2024, 4, 15)),
    ]
    html = r.content.decode()
    assert "2024-04-15" in html and "调令" in html
    assert reverse("org:person_transfer", args=["1002"]) not in html


@pytest.mark.parametrize(
    ("persona", "code"),
    [("chief", "2001"), ("staff", "1002"), ("staff", "9001"), ("other_staff", "1001")],
)
def test_person_out_of_scope_is_404(client: Client, world: World, persona: str, code: str) -> None:
    assert (
        _as(client, getattr(world, persona)).get(reverse("org:person", args=[code])).status_code
        == 404
    )


def test_staff_sees_himself(client: Client, world: World) -> None:
    r = _as(client, world.staff).get(reverse("org:person", args=["1001"]))
    assert r.status_code == 200
    assert r.context["person"] == world.zhang


@pytest.mark.parametrize("persona", ["secadmin", "auditor"])
def test_people_denied_to_other_admins(client: Client, world: World, persona: str) -> None:
    c = _as(client, getattr(world, persona))
    assert c.get(reverse("org:people")).status_code == 403
    assert c.get(reverse("org:person", args=["1001"])).status_code == 403


# ---------------------------------------------------------------- assignment forms


def test_transfer_form(client: Client, world: World) -> None:
    c = _as(client, world.inspector)
    assert c.get(reverse("org:person_transfer", args=["1002"])).status_code == 200
    r = c.post(
        reverse("org:person_transfer", args=["1002"]),
        {"to_window": world.b1.pk, "on": "2024-04-16", "note": "区编办调令"},
    )
    assert r.status_code == 302
    assert list(
        world.li.assignments.order_by("start").values_list("window__code", "start", "end")
    ) == [
        ("A1", START, date(2024, 4, 15)),
        ("B1", date(2024, 4, 16), None),
    ]


def test_transfer_backwards_shows_the_error_and_changes_nothing(
    client: Client, world: World
) -> None:
    r = _as(client, world.inspector).post(
        reverse("org:person_transfer", args=["1002"]),
        {"to_window": world.b1.pk, "on": "2023-12-01"},
    )
    assert r.status_code == 200
    assert r.context["form"].errors["on"] == [
        "调动日期必须晚于当前岗位的起始日期 2024-01-01（只能向后调动）"
    ]
    assert list(world.li.assignments.values_list("window__code", "end")) == [("A1", None)]
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("persona", ["leader", "chief", "staff", "secadmin"])
def test_assignment_forms_denied(client: Client, world: World, persona: str) -> None:
    c = _as(client, getattr(world, persona))
    assert (
        c.post(
            reverse("org:person_transfer", args=["1001"]),
            {"to_window": world.a2.pk, "on": "2024-05-01"},
        ).status_code
        == 403
    )
    assert (
        c.post(
            reverse("org:person_leave", args=["1001"]), {"on": "2024-05-01", "reason": "x"}
        ).status_code
        == 403
    )
    assert (
        c.post(
            reverse("org:person_join", args=["1001"]),
            {"window": world.a2.pk, "start": "2030-01-01"},
        ).status_code
        == 403
    )
    assert (
        c.post(
            reverse("org:person_substitute", args=["1001"]),
            {
                "substitute": world.wang.pk,
                "window": world.a1.pk,
                "start": "2024-06-01",
                "end": "2024-06-30",
            },
        ).status_code
        == 403
    )
    assert (
        c.post(
            reverse("org:person_create"),
            {"code": "3001", "name": "x", "role": "staff", "employment": "seconded"},
        ).status_code
        == 403
    )
    assert Assignment.objects.count() == 4
    assert list(world.zhang.assignments.values_list("window__code", "end")) == [("A1", None)]
    assert not Person.objects.filter(code="3001").exists()
    assert not AuditEntry.objects.exists()


def test_new_person_joins_then_leaves(client: Client, world: World) -> None:
    c = _as(client, world.sysadmin)
    r = c.post(
        reverse("org:person_create"),
        {"code": "3001", "name": "周九", "role": "staff", "employment": "purchased", "pin": "3001"},
    )
    assert r.status_code == 302
    assert r.url == reverse("org:person_join", args=["3001"])
    assert c.post(r.url, {"window": world.a2.pk, "start": "2024-03-11"}).status_code == 302
    assert (
        c.post(
            reverse("org:person_leave", args=["3001"]), {"on": "2024-05-20", "reason": "合同到期"}
        ).status_code
        == 302
    )
    p = Person.objects.get(code="3001")
    assert (p.employment, p.active) == ("purchased", False)
    a = p.assignments.get()
    assert (a.window, a.start, a.end) == (world.a2, date(2024, 3, 11), date(2024, 5, 20))
    assert "合同到期" in a.note


def test_substitute_form(client: Client, world: World) -> None:
    temp = Person.objects.create(center=world.center, code="1009", name="钱七")
    c = _as(client, world.inspector)
    r = c.get(reverse("org:person_substitute", args=["1001"]))
    assert r.context["form"].initial == {"window": world.a1.pk}
    r = c.post(
        reverse("org:person_substitute", args=["1001"]),
        {"substitute": temp.pk, "window": world.a1.pk, "start": "2024-06-03", "end": "2024-07-31"},
    )
    assert r.status_code == 302
    a = temp.assignments.get()
    assert (a.substitutes_for, a.window, a.start, a.end) == (
        world.zhang,
        world.a1,
        date(2024, 6, 3),
        date(2024, 7, 31),
    )
    html = c.get(reverse("org:person", args=["1001"])).content.decode()
    assert "钱七" in html and "顶岗" in html


def test_substitute_overlap_is_shown(client: Client, world: World) -> None:
    r = _as(client, world.inspector).post(
        reverse("org:person_substitute", args=["1001"]),
        {
            "substitute": world.li.pk,
            "window": world.a1.pk,
            "start": "2024-06-03",
            "end": "2024-07-31",
        },
    )
    assert r.status_code == 200
    assert "不能重叠" in str(r.context["form"].non_field_errors())
    assert Assignment.objects.filter(substitutes_for__isnull=False).count() == 0
