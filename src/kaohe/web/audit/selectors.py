"""Reads of the audit log, for the 审计管理员 only (the views check the role)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from kaohe.web.audit.models import AuditEntry


def _center_entries(center_id: int | None) -> QuerySet[AuditEntry]:
    """The center's rows, plus rows bound to no center (attempts on unknown accounts)."""
    return AuditEntry.objects.filter(Q(center_id=center_id) | Q(center__isnull=True))


def audit_actions(center_id: int | None) -> list[str]:
    return sorted(set(_center_entries(center_id).values_list("action", flat=True).distinct()))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_entries(
    *,
    center_id: int | None,
    actor: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
    obj: str = "",
) -> QuerySet[AuditEntry]:
    """Newest first; dates are local calendar days, both ends included."""
    qs = _center_entries(center_id)
    if actor:
        qs = qs.filter(actor_name__icontains=actor)
    if action:
        qs = qs.filter(action=action)
    if since:
        qs = qs.filter(at__gte=_day_start(since))
    if until:
        qs = qs.filter(at__lt=_day_start(until + timedelta(days=1)))
    if obj:
        kind, _sep, ident = obj.partition(":")
        if kind:
            qs = qs.filter(object_type__icontains=kind.strip())
        if ident:
            qs = qs.filter(object_id=ident.strip())
    return qs.order_by("-at", "-id")
