"""Login outcomes as single atomic actions that write their audit row.

Lockout is by account, not by IP: a burst of guesses against one account
locks it whatever addresses they come from; guesses spread across accounts
lock each of them.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from kaohe.web.accounts.models import User
from kaohe.web.audit.services import audit_log


class LoginOutcome(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    INACTIVE = "inactive"


def user_attempt_login(
    *, request: HttpRequest, username: str, password: str
) -> tuple[LoginOutcome, User | None]:
    account = User.objects.filter(username=username).first()
    if account is not None and account.is_locked():
        with transaction.atomic():
            audit_log(
                actor=None,
                actor_name=username,
                action="login.refused_locked",
                obj=account,
                request=request,
                center=account.center,
            )
        return LoginOutcome.LOCKED, account
    user = authenticate(request, username=username, password=password)
    if user is not None:
        assert isinstance(user, User)
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            audit_log(actor=user, action="login.ok", obj=user, request=request)
        user.refresh_from_db()
        return LoginOutcome.OK, user
    with transaction.atomic():
        if account is None:
            audit_log(
                actor=None,
                actor_name=username[:150],
                action="login.unknown_account",
                request=request,
            )
            return LoginOutcome.BAD_CREDENTIALS, None
        if not account.is_active:
            audit_log(
                actor=None,
                actor_name=username,
                action="login.inactive",
                obj=account,
                request=request,
                center=account.center,
            )
            return LoginOutcome.INACTIVE, account
        User.objects.filter(pk=account.pk).update(failed_logins=F("failed_logins") + 1)
        account.refresh_from_db(fields=["failed_logins"])
        if account.failed_logins >= settings.KAOHE_LOCKOUT_FAILURES:
            account.locked_until = timezone.now() + timedelta(
                minutes=settings.KAOHE_LOCKOUT_MINUTES
            )
            account.save(update_fields=["locked_until"])
            audit_log(
                actor=None,
                actor_name=username,
                action="login.locked",
                obj=account,
                request=request,
                center=account.center,
                after={
                    "failed_logins": account.failed_logins,
                    "locked_until": account.locked_until,
                },
            )
            return LoginOutcome.LOCKED, account
        audit_log(
            actor=None,
            actor_name=username,
            action="login.failed",
            obj=account,
            request=request,
            center=account.center,
            after={"failed_logins": account.failed_logins},
        )
    return LoginOutcome.BAD_CREDENTIALS, account


def password_expired(user: User) -> bool:
    max_age = settings.KAOHE_PASSWORD_MAX_AGE_DAYS
    if not max_age:
        return False
    changed = user.password_changed_at
    return changed is None or changed < timezone.now() - timedelta(days=max_age)
