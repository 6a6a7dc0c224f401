"""Reads for the account administration pages: always the administrator's own center."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from kaohe.web.accounts.models import User


def center_users(by: User) -> QuerySet[User]:
    return (
        User.objects.filter(center_id=by.center_id)
        .select_related("person")
        .order_by("role", "username")
    )


def center_user(by: User, pk: int) -> User:
    """An account of the administrator's center; another center's is 404."""
    return get_object_or_404(center_users(by), pk=pk)
