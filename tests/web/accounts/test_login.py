"""Login: lockout by account (not by address), locked means locked, audit rows, logout."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.utils import timezone

from kaohe.web.accounts.models import User
from kaohe.web.audit.models import AuditEntry
from tests.web.personas import PASSWORD, World

LOGIN = "/accounts/login/"


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _actions(username: str) -> list[str]:
    return list(
        AuditEntry.objects.filter(actor_name=username)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_login_ok_writes_audit_row_with_address(client: Client, world: World) -> None:
    response = _login(client, "inspector", PASSWORD, ip="192.168.1.7")
    assert response.status_code == 302
    assert response["Location"] == "/"
    entry = AuditEntry.objects.get(action="login.ok")
    assert (entry.actor_id, entry.ip, entry.center_id) == (
        world.inspector.pk,
        "192.168.1.7",
        world.center.pk,
    )
    assert client.get("/accounts/password/").status_code == 200


def test_lockout_counts_failures_from_different_addresses_together(
    client: Client, world: World
) -> None:
    n = settings.KAOHE_LOCKOUT_FAILURES
    for i in range(n - 1):
        response = _login(client, "staff", "wrong", ip=f"10.0.0.{i + 1}")
        assert response.status_code == 200
        assert "账号或密码不正确。" in response.content.decode()
    world.staff.refresh_from_db()
    assert world.staff.failed_logins == n - 1
    assert world.staff.locked_until is None

    response = _login(client, "staff", "wrong", ip="172.16.0.9")
    assert "连续登录失败次数过多" in response.content.decode()
    world.staff.refresh_from_db()
    assert world.staff.failed_logins == n
    assert world.staff.is_locked()
    expected = timezone.now() + timedelta(minutes=settings.KAOHE_LOCKOUT_MINUTES)
    assert abs((world.staff.locked_until - expected).total_seconds()) < 60
    assert _actions("staff") == ["login.failed"] * (n - 1) + ["login.locked"]


def test_locked_account_refused_even_with_right_password(client: Client, world: World) -> None:
    User.objects.filter(pk=world.staff.pk).update(
        failed_logins=5, locked_until=timezone.now() + timedelta(minutes=10)
    )
    response = _login(client, "staff", PASSWORD, ip="10.9.9.9")
    assert response.status_code == 200
    assert "账号已锁定至" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert _actions("staff") == ["login.refused_locked"]
    world.staff.refresh_from_db()
    assert world.staff.failed_logins == 5


def test_other_account_unaffected_by_a_lock(client: Client, world: World) -> None:
    for _ in range(settings.KAOHE_LOCKOUT_FAILURES):
        _login(client, "staff", "wrong")
    assert User.objects.get(username="staff").is_locked()
    response = _login(client, "leader", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world.leader.pk)
    assert User.objects.get(username="leader").failed_logins == 0


def test_lock_runs_out_and_counting_starts_again(client: Client, world: World) -> None:
    User.objects.filter(pk=world.staff.pk).update(
        failed_logins=5, locked_until=timezone.now() - timedelta(seconds=1)
    )
    response = _login(client, "staff", "wrong")
    assert "账号或密码不正确。" in response.content.decode()
    world.staff.refresh_from_db()
    assert (world.staff.failed_logins, world.staff.locked_until) == (1, None)
    response = _login(client, "staff", PASSWORD)
    assert response.status_code == 302
    world.staff.refresh_from_db()
    assert world.staff.failed_logins == 0


def test_success_resets_the_failure_count(client: Client, world: World) -> None:
    _login(client, "staff", "wrong")
    _login(client, "staff", "wrong")
    assert User.objects.get(username="staff").failed_logins == 2
    assert _login(client, "staff", PASSWORD).status_code == 302
    assert User.objects.get(username="staff").failed_logins == 0


def test_unknown_account_and_inactive_account(client: Client, world: World) -> None:
    response = _login(client, "nobody", "whatever")
    assert "账号或密码不正确。" in response.content.decode()
    assert _actions("nobody") == ["login.unknown_account"]
    User.objects.filter(pk=world.staff.pk).update(is_active=False)
    response = _login(client, "staff", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert _actions("staff") == ["login.inactive"]


def test_logout_writes_audit_row(client: Client, world: World) -> None:
    client.force_login(world.leader)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert _actions("leader") == ["logout"]
    assert client.get("/accounts/password/").status_code == 302


def test_logout_needs_post(client: Client, world: World) -> None:
    client.force_login(world.leader)
    assert client.get("/accounts/logout/").status_code == 405
    assert _actions("leader") == []


def test_next_url_is_kept_only_when_local(client: Client, world: World) -> None:
    response = client.post(
        LOGIN,
        {"username": "leader", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"
    client.post("/accounts/logout/")
    response = client.post(
        LOGIN, {"username": "leader", "password": PASSWORD, "next": "/accounts/password/"}
    )
    assert response["Location"] == "/accounts/password/"
