"""Issuing, revoking and checking API tokens; each change writes its audit row."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kaohe.web.accounts.models import Role, User
from kaohe.web.api.models import ApiToken, Scope
from kaohe.web.audit.services import audit_log, snapshot

#: Which roles a scope may be issued to: the same people who do it in the browser.
SCOPE_ROLES = {
    Scope.IMPORTS: (Role.INSPECTOR,),
    Scope.RESULTS: (Role.INSPECTOR, Role.LEADER),
}
DEFAULT_DAYS = 365
MAX_DAYS = 3 * 365
#: ``last_used_at`` is written at most this often, not on every call.
TOUCH_EVERY = timedelta(minutes=1)


def hash_key(raw: str) -> str:
    """The secret is 256 random bits, so a plain sha256 is enough to keep it unrecoverable."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _after(token: ApiToken) -> dict[str, Any]:
    return {k: v for k, v in snapshot(token).items() if k != "key_hash"}


def token_issue(
    *,
    user: User,
    name: str,
    scopes: Iterable[str],
    days: int = DEFAULT_DAYS,
    by: Any = None,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its secret, which is shown this once and never stored."""
    wanted = sorted(set(scopes))
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["请填写令牌的用途名称。"]
    if not wanted:
        errors["scopes"] = ["至少选择一项权限范围。"]
    for scope in wanted:
        if scope not in Scope.values:
            errors.setdefault("scopes", []).append(f"未知的权限范围：{scope}")
        elif user.role not in SCOPE_ROLES[Scope(scope)]:
            allowed = "、".join(str(Role(r).label) for r in SCOPE_ROLES[Scope(scope)])
            errors.setdefault("scopes", []).append(
                f"“{Scope(scope).label}”只能签发给{allowed}账号，{user} 不是。"
            )
    if user.center_id is None:
        errors.setdefault("user", []).append(f"{user} 不属于任何中心，不能签发接口令牌。")
    if not user.is_active:
        errors.setdefault("user", []).append(f"{user} 已停用。")
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = [f"有效期须为 1 至 {MAX_DAYS} 天。"]
    if errors:
        raise ValidationError(errors)
    prefix = f"kh_{secrets.token_hex(4)}"
    raw = f"{prefix}.{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            prefix=prefix,
            key_hash=hash_key(raw),
            scopes=wanted,
            created_by=by if getattr(by, "pk", None) else None,
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_log(
            actor=by,
            action="api_token.issue",
            obj=token,
            summary=f"为 {user} 签发接口令牌 {token}，范围 {'、'.join(wanted)}，{days} 天",
            after=_after(token),
            request=request,
            center=user.center,
        )
    return token, raw


def token_revoke(
    *, token: ApiToken, reason: str, by: Any = None, request: HttpRequest | None = None
) -> ApiToken:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["吊销须填写原因。"]})
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise ValidationError({"reason": ["该令牌已经吊销。"]})
        before = _after(locked)
        locked.revoked_at = timezone.now()
        locked.revoked_by = by if getattr(by, "pk", None) else None
        locked.revoke_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_log(
            actor=by,
            action="api_token.revoke",
            obj=locked,
            summary=f"吊销接口令牌 {locked}：{reason}",
            before=before,
            after=_after(locked),
            request=request,
            center=locked.user.center,
        )
    return locked


def token_authenticate(raw: str, request: HttpRequest | None = None) -> ApiToken | None:
    """The live token this secret belongs to, or None; every refusal is audited.

    The account behind it must still be active and not locked: locking a
    person out of the browser locks his integrations out too.
    """
    token = (
        ApiToken.objects.select_related("user", "user__center")
        .filter(key_hash=hash_key(raw or ""))
        .first()
    )
    problem = ""
    if token is None:
        problem = "未知令牌"
    elif token.revoked_at is not None:
        problem = "令牌已吊销"
    elif token.expires_at <= timezone.now():
        problem = "令牌已过期"
    elif not token.user.is_active or token.user.is_locked():
        problem = "令牌所属账号已停用或锁定"
    if problem:
        audit_log(
            actor=token.user if token else None,
            actor_name=str(token.prefix) if token else "",
            action="api.auth_failed",
            obj=token,
            summary=f"接口认证失败：{problem}"
            + (f"（{(raw or '')[:11]}…）" if token is None and raw else ""),
            request=request,
            center=token.user.center if token else None,
        )
        return None
    assert token is not None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
