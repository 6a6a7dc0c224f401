"""Who may see and do what: roles for actions, scope for objects.

Views ask here and nowhere else.  Out-of-scope objects are 404 (their
existence is not revealed); a role not allowed to act gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from kaohe.web.accounts.models import CENTER_WIDE, Role, User
from kaohe.web.org.models import Person, Window

F = TypeVar("F", bound=Callable[..., HttpResponse])


def role_required(*roles: Role) -> Callable[[F], F]:
    """403 unless the user has one of ``roles``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or getattr(user, "role", None) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def has_role(user: Any, *roles: Role) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "role", None) in roles)


def _current(qs: QuerySet[Any], on: date) -> QuerySet[Any]:
    return qs.filter(start__lte=on).filter(Q(end__isnull=True) | Q(end__gte=on))


def chief_scope(person: Person, on: date | None = None) -> tuple[set[int], set[int]]:
    """(unit ids, window ids) a chief representative answers for on a day."""
    day = on or timezone.localdate()
    units: set[int] = set()
    windows: set[int] = set()
    for a in _current(person.assignments.select_related("window"), day):
        if a.unit_id:
            units.add(a.unit_id)
        if a.window_id:
            windows.add(a.window_id)
            if a.window.unit_id:
                units.add(a.window.unit_id)
    return units, windows


def visible_windows(user: User) -> QuerySet[Window]:
    base = Window.objects.filter(center_id=user.center_id)
    if user.role in CENTER_WIDE:
        return base
    if user.role == Role.CHIEF and user.person_id:
        units, windows = chief_scope(user.person)
        return base.filter(Q(unit_id__in=units) | Q(id__in=windows))
    if user.role == Role.STAFF and user.person_id:
        return base.filter(
            id__in=_current(user.person.assignments.all(), timezone.localdate()).values("window_id")
        )
    return base.none()


def visible_people(user: User) -> QuerySet[Person]:
    base = Person.objects.filter(center_id=user.center_id)
    if user.role in CENTER_WIDE:
        return base
    if user.role == Role.CHIEF and user.person_id:
        units, windows = chief_scope(user.person)
        return base.filter(
            Q(id=user.person_id)
            | Q(assignments__window__unit_id__in=units)
            | Q(assignments__window_id__in=windows)
            | Q(assignments__unit_id__in=units)
        ).distinct()
    if user.role == Role.STAFF and user.person_id:
        return base.filter(id=user.person_id)
    return base.none()


def can_see_scores(user: User) -> bool:
    return user.role in (Role.INSPECTOR, Role.LEADER, Role.CHIEF, Role.STAFF)


def require_scores(user: Any) -> None:
    if not getattr(user, "is_authenticated", False) or not can_see_scores(user):
        raise PermissionDenied
