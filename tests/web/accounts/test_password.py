"""Password change, complexity messages, forced change on expiry, idle timeout."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.test import Client
from django.utils import timezone

from kaohe.web.accounts.models import User
from kaohe.web.audit.models import AuditEntry
from tests.web.personas import PASSWORD, World

URL = "/accounts/password/"
NEW = "Neu#Passwort2026"
COMPLEXITY = "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。"


def _change(client: Client, old: str, new1: str, new2: str | None = None):
    return client.post(
        URL,
        {"old_password": old, "new_password1": new1, "new_password2": new2 or new1},
    )


def test_change_password_sets_time_keeps_session_and_audits(client: Client, world: World) -> None:
    client.force_login(world.staff)
    before = world.staff.password_changed_at
    response = _change(client, PASSWORD, NEW)
    assert response.status_code == 302
    assert response["Location"] == "/"
    world.staff.refresh_from_db()
    assert world.staff.check_password(NEW)
    assert world.staff.password_changed_at > before
    entry = AuditEntry.objects.get(action="password.change")
    assert entry.actor_id == world.staff.pk
    assert entry.object_id == str(world.staff.pk)
    assert "password" not in entry.after
    assert entry.after["password_changed_at"] == world.staff.password_changed_at.isoformat()
    # still logged in after the hash changed
    assert client.get(URL).status_code == 200


def _errors(response) -> dict[str, list[str]]:
    return {k: list(v) for k, v in response.context["form"].errors.items()}


def test_complexity_message(client: Client, world: World) -> None:
    client.force_login(world.staff)
    response = _change(client, PASSWORD, "onlylowercaseletters")
    assert response.status_code == 200
    assert _errors(response) == {"new_password1": [COMPLEXITY]}
    assert COMPLEXITY in response.content.decode()
    world.staff.refresh_from_db()
    assert world.staff.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="password.change").exists()


def test_too_short_and_too_simple(client: Client, world: World) -> None:
    client.force_login(world.staff)
    response = _change(client, PASSWORD, "abc12")
    errors = _errors(response)["new_password1"]
    assert len(errors) == 2
    assert errors[1] == COMPLEXITY
    assert "10" in errors[0]
    assert User.objects.get(pk=world.staff.pk).check_password(PASSWORD)


def test_wrong_old_password_mismatch_and_reuse(client: Client, world: World) -> None:
    client.force_login(world.staff)
    assert _errors(_change(client, "wrong", NEW)) == {"old_password": ["当前密码不正确。"]}
    assert _errors(_change(client, PASSWORD, NEW, NEW + "x")) == {
        "new_password2": ["两次输入的新密码不一致。"]
    }
    assert _errors(_change(client, PASSWORD, PASSWORD)) == {
        "new_password1": ["新密码不能与当前密码相同。"]
    }
    assert User.objects.get(pk=world.staff.pk).check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="password.change").exists()


def _expire(user: User) -> None:
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now()
        - timedelta(days=settings.KAOHE_PASSWORD_MAX_AGE_DAYS + 1)
    )


def test_expired_password_blocks_every_page_until_changed(client: Client, world: World) -> None:
    _expire(world.sysadmin)
    client.force_login(world.sysadmin)
    for path in ("/accounts/users/", "/", "/audit/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == URL
    page = client.get(URL)
    assert page.status_code == 200
    assert "密码已过期或为临时密码" in page.content.decode()
    assert _change(client, PASSWORD, NEW).status_code == 302
    assert client.get("/accounts/users/").status_code == 200


def test_expired_password_htmx_gets_client_redirect(client: Client, world: World) -> None:
    _expire(world.sysadmin)
    client.force_login(world.sysadmin)
    response = client.get("/accounts/users/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == URL


def test_expired_password_can_still_log_out(client: Client, world: World) -> None:
    _expire(world.staff)
    client.force_login(world.staff)
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"


def test_login_with_expired_password_goes_to_change(client: Client, world: World) -> None:
    _expire(world.leader)
    response = client.post("/accounts/login/", {"username": "leader", "password": PASSWORD})
    assert response["Location"] == URL


def test_password_within_max_age_is_not_forced(client: Client, world: World) -> None:
    User.objects.filter(pk=world.sysadmin.pk).update(
        password_changed_at=timezone.now()
        - timedelta(days=settings.KAOHE_PASSWORD_MAX_AGE_DAYS - 1)
    )
    client.force_login(world.sysadmin)
    assert client.get("/accounts/users/").status_code == 200


def test_idle_session_is_logged_out(client: Client, world: World) -> None:
    client.post("/accounts/login/", {"username": "sysadmin", "password": PASSWORD})
    assert client.get("/accounts/users/").status_code == 200
    idle = settings.SESSION_COOKIE_AGE
    real_now = timezone.now
    # Activity just before the timeout keeps the session (saved on every request) ...
    with mock.patch("django.utils.timezone.now", lambda: real_now() + timedelta(seconds=idle - 5)):
        assert client.get("/accounts/users/").status_code == 200
    # ... and idleness longer than the timeout, counted from that last request, ends it.
    later = timedelta(seconds=2 * idle - 5 + 1)
    with mock.patch("django.utils.timezone.now", lambda: real_now() + later):
        response = client.get("/accounts/users/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_idle_timeout_settings(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE == 30 * 60
