"""安全管理员's page: lock state, unlock, password reset, role changes, settings in force."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from kaohe.web.accounts.models import Role, User
from kaohe.web.accounts.services import user_change_role
from kaohe.web.audit.models import AuditEntry
from kaohe.web.org.models import Center
from tests.web.personas import PASSWORD, World, make_user

DENIED = ["inspector", "leader", "chief", "staff", "sysadmin", "auditor"]


def _state() -> list[tuple[object, ...]]:
    return list(
        User.objects.order_by("pk").values_list(
            "pk", "role", "password", "failed_logins", "locked_until", "password_changed_at"
        )
    )


def _lock(user: User) -> None:
    User.objects.filter(pk=user.pk).update(
        failed_logins=5, locked_until=timezone.now() + timedelta(minutes=30)
    )


def test_page_shows_lock_state_and_settings(client: Client, world: World) -> None:
    _lock(world.staff)
    client.force_login(world.secadmin)
    response = client.get("/accounts/security/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "连续失败 5 次锁定账号 30 分钟（按账号计，不按来源地址）" in text
    assert "30 分钟无操作自动退出" in text
    assert "90 天" in text
    assert "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。" in text
    assert "锁定至" in text
    assert response.context["settings_in_force"][3][1] == "10"


@pytest.mark.parametrize("persona", DENIED)
def test_other_roles_are_refused(client: Client, world: World, persona: str) -> None:
    _lock(world.staff)
    client.force_login(getattr(world, persona))
    before = _state()
    assert client.get("/accounts/security/").status_code == 403
    assert client.post(f"/accounts/security/{world.staff.pk}/unlock/").status_code == 403
    assert client.post(f"/accounts/security/{world.staff.pk}/reset/").status_code == 403
    assert (
        client.post(f"/accounts/security/{world.leader.pk}/role/", {"role": "sysadmin"}).status_code
        == 403
    )
    assert _state() == before
    assert not AuditEntry.objects.filter(
        action__in=["user.unlock", "password.reset", "user.change_role"]
    ).exists()


def test_unlock(client: Client, world: World) -> None:
    _lock(world.staff)
    client.force_login(world.secadmin)
    response = client.post(f"/accounts/security/{world.staff.pk}/unlock/")
    assert response.status_code == 302
    world.staff.refresh_from_db()
    assert (world.staff.failed_logins, world.staff.locked_until) == (0, None)
    entry = AuditEntry.objects.get(action="user.unlock")
    assert entry.actor_id == world.secadmin.pk
    assert entry.before["failed_logins"] == 5
    assert entry.before["locked_until"] is not None
    assert entry.after["locked_until"] is None
    # and the right password works again
    assert (
        Client().post("/accounts/login/", {"username": "staff", "password": PASSWORD}).status_code
        == 302
    )


def test_reset_password_gives_temporary_one_that_must_be_changed(
    client: Client, world: World
) -> None:
    client.force_login(world.secadmin)
    response = client.post(f"/accounts/security/{world.staff.pk}/reset/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    temp = response.context["password"]
    assert temp in response.content.decode()
    world.staff.refresh_from_db()
    assert world.staff.check_password(temp)
    assert world.staff.password_changed_at is None
    entry = AuditEntry.objects.get(action="password.reset")
    assert entry.actor_id == world.secadmin.pk
    assert entry.after["password_changed_at"] is None
    assert temp not in json.dumps([entry.before, entry.after, entry.summary])
    # the user logs in with it and is sent to change it
    user_client = Client()
    response = user_client.post("/accounts/login/", {"username": "staff", "password": temp})
    assert response["Location"] == "/accounts/password/"
    assert user_client.get("/").status_code == 302


def test_change_role_including_admin_roles(client: Client, world: World) -> None:
    client.force_login(world.secadmin)
    response = client.post(f"/accounts/security/{world.leader.pk}/role/", {"role": "auditor"})
    assert response.status_code == 302
    world.leader.refresh_from_db()
    assert world.leader.role == Role.AUDITOR
    entry = AuditEntry.objects.get(action="user.change_role")
    assert (entry.before["role"], entry.after["role"]) == ("leader", "auditor")
    assert entry.summary == "考核领导小组 → 审计管理员"
    client.post(f"/accounts/security/{world.inspector.pk}/role/", {"role": "leader"})
    assert User.objects.get(pk=world.inspector.pk).role == Role.LEADER


def test_cannot_change_own_role(client: Client, world: World) -> None:
    client.force_login(world.secadmin)
    before = _state()
    response = client.post(f"/accounts/security/{world.secadmin.pk}/role/", {"role": "sysadmin"})
    assert response.status_code == 403
    assert _state() == before
    with pytest.raises(PermissionDenied):
        user_change_role(by=world.secadmin, user=world.secadmin, role=Role.AUDITOR, request=None)
    assert _state() == before
    assert not AuditEntry.objects.filter(action="user.change_role").exists()


def test_invalid_role_changes_nothing(client: Client, world: World) -> None:
    client.force_login(world.secadmin)
    before = _state()
    response = client.post(f"/accounts/security/{world.leader.pk}/role/", {"role": "root"})
    assert response.status_code == 302
    assert _state() == before


def test_other_center_account_is_404(client: Client, world: World) -> None:
    other = Center.objects.create(code="other", name="别的中心")
    outsider = make_user("outsider", Role.STAFF, other)
    _lock(outsider)
    client.force_login(world.secadmin)
    before = _state()
    for action in ("unlock", "reset"):
        assert client.post(f"/accounts/security/{outsider.pk}/{action}/").status_code == 404
    response = client.post(f"/accounts/security/{outsider.pk}/role/", {"role": "leader"})
    assert response.status_code == 404
    assert _state() == before
    assert "outsider" not in client.get("/accounts/security/").content.decode()


def test_sysadmin_cannot_change_roles_through_the_service(world: World) -> None:
    with pytest.raises(PermissionDenied):
        user_change_role(by=world.sysadmin, user=world.leader, role=Role.SYSADMIN, request=None)
    assert User.objects.get(pk=world.leader.pk).role == Role.LEADER
