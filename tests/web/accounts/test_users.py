"""系统管理员's account page: list, create ordinary accounts, link a person, deactivate."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from kaohe.web.accounts.models import Role, User
from kaohe.web.accounts.services import user_create, user_set_active
from kaohe.web.audit.models import AuditEntry
from kaohe.web.org.models import Center, Person
from tests.web.personas import PASSWORD, World, make_user

NEW_PASSWORD = "Start#Pass2026"
DENIED = ["inspector", "leader", "chief", "staff", "secadmin", "auditor"]


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "username": "lisi",
        "full_name": "李四",
        "role": "staff",
        "person": "",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def _state() -> list[tuple[object, ...]]:
    return list(
        User.objects.order_by("pk").values_list("pk", "username", "role", "is_active", "person_id")
    )


def test_list_shows_own_center_only(client: Client, world: World) -> None:
    other = Center.objects.create(code="other", name="别的中心")
    make_user("outsider", Role.INSPECTOR, other)
    client.force_login(world.sysadmin)
    response = client.get("/accounts/users/")
    assert response.status_code == 200
    listed = [u.username for u in response.context["users"]]
    assert sorted(listed) == sorted(
        ["inspector", "leader", "chief", "staff", "staff2", "sysadmin", "secadmin", "auditor"]
    )
    assert "outsider" not in response.content.decode()
    assert "用户管理" in response.content.decode()


@pytest.mark.parametrize("persona", DENIED)
def test_other_roles_are_refused(client: Client, world: World, persona: str) -> None:
    client.force_login(getattr(world, "other_staff" if persona == "staff2" else persona))
    before = _state()
    assert client.get("/accounts/users/").status_code == 403
    assert client.get("/accounts/users/new/").status_code == 403
    assert client.post("/accounts/users/new/", _form(person=world.li.pk)).status_code == 403
    assert (
        client.post(f"/accounts/users/{world.staff.pk}/active/", {"active": "0"}).status_code == 403
    )
    assert (
        client.post(
            f"/accounts/users/{world.staff.pk}/person/", {"person": world.li.pk}
        ).status_code
        == 403
    )
    assert _state() == before
    assert not AuditEntry.objects.filter(action__startswith="user.").exists()


def test_create_staff_linked_to_person(client: Client, world: World) -> None:
    client.force_login(world.sysadmin)
    page = client.get("/accounts/users/new/")
    assert page.status_code == 200
    offered = [p.code for p in page.context["form"].fields["person"].queryset]
    assert offered == ["1002"]  # 张三, 王五 and 陈首席 already have accounts
    response = client.post("/accounts/users/new/", _form(person=world.li.pk))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/users/"
    user = User.objects.get(username="lisi")
    assert (user.role, user.person_id, user.center_id, user.first_name) == (
        Role.STAFF,
        world.li.pk,
        world.center.pk,
        "李四",
    )
    assert user.password_changed_at is None
    assert user.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.get(action="user.create")
    assert entry.actor_id == world.sysadmin.pk
    assert entry.object_id == str(user.pk)
    assert entry.after["role"] == "staff"
    assert entry.after["person_id"] == world.li.pk
    assert "password" not in entry.after

    # the first login must change the initial password
    other = Client()
    response = other.post("/accounts/login/", {"username": "lisi", "password": NEW_PASSWORD})
    assert response["Location"] == "/accounts/password/"
    assert other.get("/").status_code == 302


def test_create_inspector_without_person(client: Client, world: World) -> None:
    client.force_login(world.sysadmin)
    response = client.post("/accounts/users/new/", _form(username="insp2", role="inspector"))
    assert response.status_code == 302
    assert User.objects.get(username="insp2").role == Role.INSPECTOR


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_sysadmin_cannot_create_admin_roles(client: Client, world: World, role: str) -> None:
    client.force_login(world.sysadmin)
    before = _state()
    response = client.post("/accounts/users/new/", _form(username="boss", role=role))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["role"]
    assert _state() == before
    with pytest.raises(PermissionDenied):
        user_create(
            by=world.sysadmin,
            username="boss",
            full_name="boss",
            role=Role(role),
            person=None,
            password=NEW_PASSWORD,
            request=None,
        )
    assert _state() == before
    assert not AuditEntry.objects.filter(action="user.create").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"role": "chief"}, "person", "首席代表与窗口工作人员须选择对应人员。"),
        ({"username": "STAFF", "person": "P"}, "username", "该账号已存在。"),
        (
            {"password1": "simplepassword", "password2": "simplepassword", "person": "P"},
            "password1",
            "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。",
        ),
        ({"password2": "Other#Pass2026", "person": "P"}, "password2", "两次输入的密码不一致。"),
        ({"role": "leader", "person": "P"}, "person", "只有首席代表和窗口工作人员的账号对应人员。"),
    ],
)
def test_create_rejects_bad_input(
    client: Client, world: World, overrides: dict[str, object], field: str, message: str
) -> None:
    if overrides.get("person") == "P":
        overrides = {**overrides, "person": world.li.pk}
    client.force_login(world.sysadmin)
    before = _state()
    response = client.post("/accounts/users/new/", _form(**overrides))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert _state() == before


def test_person_with_account_or_of_other_center_not_offered(client: Client, world: World) -> None:
    other = Center.objects.create(code="other", name="别的中心")
    stranger = Person.objects.create(center=other, code="7001", name="外人")
    client.force_login(world.sysadmin)
    before = _state()
    for person in (world.zhang, stranger):  # 张三 already has the account "staff"
        response = client.post("/accounts/users/new/", _form(person=person.pk))
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["person"]
    assert _state() == before


def test_deactivate_and_reactivate(client: Client, world: World) -> None:
    client.force_login(world.sysadmin)
    response = client.post(f"/accounts/users/{world.staff.pk}/active/", {"active": "0"})
    assert response.status_code == 302
    world.staff.refresh_from_db()
    assert world.staff.is_active is False
    assert User.objects.filter(pk=world.staff.pk).exists()
    entry = AuditEntry.objects.get(action="user.deactivate")
    assert (entry.before["is_active"], entry.after["is_active"]) == (True, False)
    # a deactivated account cannot log in
    other = Client()
    other.post("/accounts/login/", {"username": "staff", "password": PASSWORD})
    assert "_auth_user_id" not in other.session
    client.post(f"/accounts/users/{world.staff.pk}/active/", {"active": "1"})
    world.staff.refresh_from_db()
    assert world.staff.is_active is True
    assert AuditEntry.objects.filter(action="user.activate").count() == 1


@pytest.mark.parametrize("target", ["secadmin", "auditor", "sysadmin"])
def test_cannot_deactivate_admins_or_himself(client: Client, world: World, target: str) -> None:
    client.force_login(world.sysadmin)
    before = _state()
    user = getattr(world, target)
    response = client.post(f"/accounts/users/{user.pk}/active/", {"active": "0"})
    assert response.status_code == 403
    assert _state() == before
    assert not AuditEntry.objects.filter(action="user.deactivate").exists()


def test_other_center_user_is_404(client: Client, world: World) -> None:
    other = Center.objects.create(code="other", name="别的中心")
    outsider = make_user("outsider", Role.STAFF, other)
    client.force_login(world.sysadmin)
    before = _state()
    assert client.post(f"/accounts/users/{outsider.pk}/active/", {"active": "0"}).status_code == 404
    assert client.get(f"/accounts/users/{outsider.pk}/person/").status_code == 404
    assert _state() == before
    with pytest.raises(PermissionDenied):
        user_set_active(by=world.sysadmin, user=outsider, active=False, request=None)


def test_link_person(client: Client, world: World) -> None:
    client.force_login(world.sysadmin)
    assert client.get(f"/accounts/users/{world.other_staff.pk}/person/").status_code == 200
    response = client.post(
        f"/accounts/users/{world.other_staff.pk}/person/", {"person": world.li.pk}
    )
    assert response.status_code == 302
    world.other_staff.refresh_from_db()
    assert world.other_staff.person_id == world.li.pk
    entry = AuditEntry.objects.get(action="user.link_person")
    assert (entry.before["person_id"], entry.after["person_id"]) == (world.wang.pk, world.li.pk)


def test_link_person_refused_for_non_person_roles(client: Client, world: World) -> None:
    client.force_login(world.sysadmin)
    response = client.post(f"/accounts/users/{world.leader.pk}/person/", {"person": world.li.pk})
    assert response.status_code == 302
    world.leader.refresh_from_db()
    assert world.leader.person_id is None
    assert not AuditEntry.objects.filter(action="user.link_person").exists()
