"""The 接口令牌 page: only the 安全管理员, his own center's accounts, the secret shown once."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from kaohe.web.accounts.models import Role
from kaohe.web.api.models import ApiToken
from kaohe.web.api.services import hash_key, token_issue
from kaohe.web.audit.models import AuditEntry
from kaohe.web.org.models import Center
from tests.web.personas import World, make_user

LIST = "tokens:list"


def test_the_security_admin_issues_a_token_and_sees_its_secret_once(
    client: Client, world: World
) -> None:
    client.force_login(world.secadmin)
    page = client.get(reverse(LIST))
    assert page.status_code == 200
    offered = {u.username for u in page.context["form"].fields["user"].queryset}
    assert offered == {"inspector", "leader"}  # the roles a scope can go to, of his center
    r = client.post(
        reverse(LIST),
        {"user": world.inspector.pk, "name": "大厅考勤机", "scopes": ["imports"], "days": "90"},
    )
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    raw = re.search(r'id="token-secret"[^>]*>([^<]+)<', r.content.decode()).group(1)  # type: ignore[union-attr]
    token = ApiToken.objects.get()
    assert token.key_hash == hash_key(raw) and token.created_by == world.secadmin
    listed = client.get(reverse(LIST)).content.decode()
    assert token.prefix in listed and raw not in listed and "大厅考勤机" in listed
    audit = AuditEntry.objects.get(action="api_token.issue")
    assert audit.actor == world.secadmin and audit.center == world.center


def test_a_scope_the_account_may_not_hold_is_shown_on_the_form(
    client: Client, world: World
) -> None:
    client.force_login(world.secadmin)
    r = client.post(
        reverse(LIST), {"user": world.leader.pk, "name": "x", "scopes": ["imports"], "days": "30"}
    )
    assert r.status_code == 200 and "只能签发给" in r.content.decode()
    assert not ApiToken.objects.exists()


def test_revoke_needs_a_reason_and_stays_listed(client: Client, world: World) -> None:
    token, _ = token_issue(user=world.inspector, name="x", scopes=["imports"])
    client.force_login(world.secadmin)
    client.post(reverse("tokens:revoke", args=[token.pk]), {"reason": ""})
    assert ApiToken.objects.get().revoked_at is None
    client.post(reverse("tokens:revoke", args=[token.pk]), {"reason": "设备报废"})
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == world.secadmin
    assert "设备报废" in client.get(reverse(LIST)).content.decode()


def test_another_centers_token_cannot_be_revoked(client: Client, world: World) -> None:
    other = Center.objects.create(code="other", name="别的中心")
    token, _ = token_issue(
        user=make_user("o-insp", Role.INSPECTOR, other), name="x", scopes=["imports"]
    )
    client.force_login(world.secadmin)
    assert token.prefix not in client.get(reverse(LIST)).content.decode()
    assert (
        client.post(reverse("tokens:revoke", args=[token.pk]), {"reason": "r"}).status_code == 404
    )
    assert ApiToken.objects.get().revoked_at is None


@pytest.mark.parametrize(
    "persona", ["sysadmin", "auditor", "inspector", "leader", "staff", "chief"]
)
def test_only_the_security_admin_manages_tokens(client: Client, world: World, persona: str) -> None:
    client.force_login(getattr(world, persona))
    assert client.get(reverse(LIST)).status_code == 403
    r = client.post(
        reverse(LIST),
        {"user": world.inspector.pk, "name": "x", "scopes": ["imports"], "days": "30"},
    )
    assert r.status_code == 403 and not ApiToken.objects.exists()
