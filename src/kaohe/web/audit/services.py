"""Writing the audit log.  Call inside the transaction of the change it describes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils.functional import Promise

from kaohe.web.audit.models import AuditEntry


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Promise):  # a lazy translation
        return str(value)
    return value


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The model's concrete field values, JSON-ready, for before/after columns."""
    out: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if fields is not None and f.name not in fields:
            continue
        out[f.attname] = _jsonable(getattr(obj, f.attname))
    return out


def audit_log(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    center: Any = None,
    actor_name: str | None = None,
) -> AuditEntry:
    user = actor if getattr(actor, "pk", None) else None
    if center is None:
        center = getattr(obj, "center", None) if obj is not None else getattr(user, "center", None)
    return AuditEntry.objects.create(
        actor=user,
        actor_name=actor_name if actor_name is not None else (user.get_username() if user else ""),
        center=center if getattr(center, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:300],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        ip=client_ip(request),
    )
