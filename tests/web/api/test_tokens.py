"""Issuing, checking and revoking API tokens: who may hold which scope, and every refusal audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from kaohe.web.api.models import ApiToken
from kaohe.web.api.services import hash_key, token_authenticate, token_issue, token_revoke
from kaohe.web.audit.models import AuditEntry
from tests.web.personas import World


def _get(client: Client, raw: str, path: str = "/api/v1/me") -> object:
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_secret_is_shown_once_and_only_its_hash_is_kept(client: Client, world: World) -> None:
    token, raw = token_issue(user=world.inspector, name="大厅考勤机", scopes=["imports"])
    assert raw.startswith(token.prefix + ".") and len(raw) > 40
    assert token.key_hash == hash_key(raw) and raw not in str(ApiToken.objects.values().get())
    entry = AuditEntry.objects.get(action="api_token.issue")
    assert raw not in str(entry.after) and "key_hash" not in (entry.after or {})
    r = _get(client, raw)
    assert r.status_code == 200  # type: ignore[attr-defined]
    assert r.json() | {"expires_at": None} == {  # type: ignore[attr-defined]
        "token": token.prefix,
        "name": "大厅考勤机",
        "scopes": ["imports"],
        "expires_at": None,
        "user": "inspector",
        "role": "inspector",
        "center": world.center.code,
        "center_name": world.center.name,
    }


@pytest.mark.parametrize(
    ("persona", "scopes", "ok"),
    [
        ("inspector", ["imports", "results"], True),
        ("leader", ["results"], True),
        ("leader", ["imports"], False),
        ("staff", ["results"], False),
        ("chief", ["results"], False),
        ("sysadmin", ["results"], False),
        ("auditor", ["results"], False),
        ("inspector", [], False),
        ("inspector", ["everything"], False),
    ],
)
def test_a_scope_goes_only_to_the_roles_that_do_it_in_the_browser(
    world: World, persona: str, scopes: list[str], ok: bool
) -> None:
    user = getattr(world, persona)
    if ok:
        token_issue(user=user, name="x", scopes=scopes)
        assert ApiToken.objects.filter(user=user).count() == 1
    else:
        with pytest.raises(ValidationError):
            token_issue(user=user, name="x", scopes=scopes)
        assert not ApiToken.objects.exists() and not AuditEntry.objects.exists()


def test_no_token_a_wrong_one_or_a_session_is_refused(client: Client, world: World) -> None:
    assert client.get("/api/v1/me").status_code == 401
    assert _get(client, "kh_00000000.nonsense").status_code == 401  # type: ignore[attr-defined]
    failed = AuditEntry.objects.get(action="api.auth_failed")
    assert "未知令牌" in failed.summary and "nonsense" not in failed.summary
    client.force_login(world.inspector)
    assert client.get("/api/v1/me").status_code == 401  # the browser session does not count


def test_revoked_expired_and_locked_tokens_stop_working(client: Client, world: World) -> None:
    token, raw = token_issue(user=world.inspector, name="x", scopes=["results"])
    assert _get(client, raw).status_code == 200  # type: ignore[attr-defined]
    world.inspector.locked_until = timezone.now() + timedelta(minutes=30)
    world.inspector.save(update_fields=["locked_until"])
    assert _get(client, raw).status_code == 401  # type: ignore[attr-defined]
    world.inspector.locked_until = None
    world.inspector.save(update_fields=["locked_until"])
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _get(client, raw).status_code == 401  # type: ignore[attr-defined]
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError):
        token_revoke(token=token, reason=" ")
    token_revoke(token=token, reason="考勤机更换", by=world.secadmin)
    assert _get(client, raw).status_code == 401  # type: ignore[attr-defined]
    assert [
        e.summary.split("：")[1]
        for e in AuditEntry.objects.filter(action="api.auth_failed").order_by("id")
    ] == [
        "令牌所属账号已停用或锁定",
        "令牌已过期",
        "令牌已吊销",
    ]
    assert ApiToken.objects.filter(pk=token.pk).exists()  # revoked, never deleted


def test_last_use_is_noted_without_a_write_per_call(world: World) -> None:
    token, raw = token_issue(user=world.inspector, name="x", scopes=["results"])
    first = token_authenticate(raw)
    assert first is not None and first.last_used_at is not None
    stamp = first.last_used_at
    again = token_authenticate(raw)
    assert again is not None
    assert ApiToken.objects.get(pk=token.pk).last_used_at == stamp


def test_the_command_issues_lists_and_revokes(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "api_token", "issue", "--user", "inspector", "--name", "好差评平台", "--scope", "imports"
    )
    out = capsys.readouterr().out
    raw = out.strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert token.key_hash == hash_key(raw) and token.created_by is None
    call_command("api_token", "list")
    listed = capsys.readouterr().out
    assert token.prefix in listed and "好差评平台" in listed and raw not in listed
    call_command("api_token", "revoke", token.prefix, "--reason", "平台停用")
    assert ApiToken.objects.get().revoked_at is not None
    with pytest.raises(CommandError, match="吊销"):
        call_command("api_token", "revoke", token.prefix, "--reason", "again")
    with pytest.raises(CommandError, match="只能签发给"):
        call_command("api_token", "issue", "--user", "staff", "--name", "x", "--scope", "results")
