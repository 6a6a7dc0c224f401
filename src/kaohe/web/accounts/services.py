"""Account changes as single atomic actions that write their audit row.

Lockout is by account, not by IP: a burst of guesses against one account
locks it whatever addresses they come from; guesses spread across accounts
lock each of them.

三权分立 is enforced here as well as in the views, so that no other caller
(a command, a future API) can let the system administrator grant an admin
role or the security administrator change his own role.
"""

from __future__ import annotations

import secrets
import string
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.web.accounts.models import ADMIN_ROLES, Role, User
from kaohe.web.audit.services import audit_log, snapshot
from kaohe.web.org.models import Center, Person

#: Roles the system administrator may create and manage; the admin roles are
#: granted only by the security administrator.
ORDINARY_ROLES = (Role.INSPECTOR, Role.LEADER, Role.CHIEF, Role.STAFF)
#: Roles whose account stands for one person of the roster.
PERSON_ROLES = frozenset({Role.CHIEF, Role.STAFF})
#: The fields of a user an audit row shows (never the password hash).
AUDITED_FIELDS = [
    "username",
    "first_name",
    "role",
    "center",
    "person",
    "is_active",
    "failed_logins",
    "locked_until",
    "password_changed_at",
]


class LoginOutcome(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    INACTIVE = "inactive"


def _state(user: User) -> dict[str, object]:
    return snapshot(user, AUDITED_FIELDS)


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
    if account is not None and account.locked_until is not None:
        # The lock has run out: the account starts again with a clean count,
        # otherwise one more typo would lock it again at once.
        User.objects.filter(pk=account.pk).update(failed_logins=0, locked_until=None)
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


def user_logout(*, user: User, request: HttpRequest) -> None:
    """The audit row of a logout; the session itself is ended by the view."""
    with transaction.atomic():
        audit_log(actor=user, action="logout", obj=user, request=request)


def password_expired(user: User) -> bool:
    """True when the password is older than the maximum age, or was set by someone else.

    ``password_changed_at`` is empty for a new account and after a reset: the
    temporary password must be replaced before anything else.
    """
    changed = user.password_changed_at
    if changed is None:
        return True
    max_age = settings.KAOHE_PASSWORD_MAX_AGE_DAYS
    if not max_age:
        return False
    return changed < timezone.now() - timedelta(days=max_age)


def user_change_password(*, user: User, new_password: str, request: HttpRequest | None) -> None:
    """The user sets his own password (validated by the caller's form)."""
    with transaction.atomic():
        before = _state(user)
        user.set_password(new_password)
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
        audit_log(
            actor=user,
            action="password.change",
            obj=user,
            before=before,
            after=_state(user),
            request=request,
        )


def _require(by: User, role: Role) -> None:
    if by.role != role:
        raise PermissionDenied


def _require_same_center(by: User, user: User) -> None:
    if user.center_id != by.center_id:
        raise PermissionDenied


def _check_person(role: Role, person: Person | None, center_id: int | None) -> None:
    if person is None:
        return
    if role not in PERSON_ROLES:
        raise ValidationError(_("只有首席代表和窗口工作人员的账号对应人员。"))
    if person.center_id != center_id:
        raise PermissionDenied


def user_create(
    *,
    by: User,
    username: str,
    full_name: str,
    role: Role,
    person: Person | None,
    password: str,
    request: HttpRequest | None,
) -> User:
    """The system administrator opens an account for an ordinary role of his center.

    The initial password is temporary: ``password_changed_at`` stays empty, so
    the new user must choose his own at the first login.
    """
    _require(by, Role.SYSADMIN)
    if role not in ORDINARY_ROLES:
        raise PermissionDenied
    _check_person(role, person, by.center_id)
    with transaction.atomic():
        user = User(
            username=username,
            first_name=full_name,
            role=role,
            center_id=by.center_id,
            person=person,
            password_changed_at=None,
        )
        password_validation.validate_password(password, user)
        user.set_password(password)
        user.save()
        audit_log(
            actor=by,
            action="user.create",
            obj=user,
            after=_state(user),
            summary=f"{username} {Role(role).label}",
            request=request,
        )
    return user


def user_set_active(*, by: User, user: User, active: bool, request: HttpRequest | None) -> User:
    """Deactivate or reactivate an ordinary account; accounts are never deleted.

    The admin accounts are not the system administrator's to switch off: that
    would let him silence the security or audit administrator.
    """
    _require(by, Role.SYSADMIN)
    _require_same_center(by, user)
    if user.role in ADMIN_ROLES or user.pk == by.pk:
        raise PermissionDenied
    with transaction.atomic():
        before = _state(user)
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_log(
            actor=by,
            action="user.activate" if active else "user.deactivate",
            obj=user,
            before=before,
            after=_state(user),
            request=request,
        )
    return user


def user_link_person(
    *, by: User, user: User, person: Person | None, request: HttpRequest | None
) -> User:
    """Tie a chief's or staff member's account to his row of the roster (or untie it)."""
    _require(by, Role.SYSADMIN)
    _require_same_center(by, user)
    if user.role in ADMIN_ROLES:
        raise PermissionDenied
    _check_person(Role(user.role), person, by.center_id)
    with transaction.atomic():
        before = _state(user)
        user.person = person
        user.save(update_fields=["person"])
        audit_log(
            actor=by,
            action="user.link_person",
            obj=user,
            before=before,
            after=_state(user),
            request=request,
        )
    return user


def user_unlock(*, by: User, user: User, request: HttpRequest | None) -> User:
    _require(by, Role.SECADMIN)
    _require_same_center(by, user)
    with transaction.atomic():
        before = _state(user)
        user.failed_logins = 0
        user.locked_until = None
        user.save(update_fields=["failed_logins", "locked_until"])
        audit_log(
            actor=by,
            action="user.unlock",
            obj=user,
            before=before,
            after=_state(user),
            request=request,
        )
    return user


def temporary_password() -> str:
    """Twelve characters with all four classes, so it passes the complexity rule."""
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _i in range(8))
    return (
        secrets.choice(string.ascii_uppercase)
        + secrets.choice(string.ascii_lowercase)
        + secrets.choice(string.digits)
        + secrets.choice("#%*+-=@")
        + core
    )


def user_reset_password(*, by: User, user: User, request: HttpRequest | None) -> str:
    """Give the user a temporary password he must change at his next login; returns it."""
    _require(by, Role.SECADMIN)
    _require_same_center(by, user)
    password = temporary_password()
    with transaction.atomic():
        before = _state(user)
        user.set_password(password)
        user.password_changed_at = None
        user.save(update_fields=["password", "password_changed_at"])
        audit_log(
            actor=by,
            action="password.reset",
            obj=user,
            before=before,
            after=_state(user),
            request=request,
        )
    return password


def user_change_role(*, by: User, user: User, role: Role, request: HttpRequest | None) -> User:
    """The security administrator grants a role, admin roles included, but never to himself."""
    _require(by, Role.SECADMIN)
    _require_same_center(by, user)
    if user.pk == by.pk:
        raise PermissionDenied
    role = Role(role)
    with transaction.atomic():
        before = _state(user)
        user.role = role
        user.save(update_fields=["role"])
        audit_log(
            actor=by,
            action="user.change_role",
            obj=user,
            before=before,
            after=_state(user),
            summary=f"{Role(before['role']).label} → {role.label}",
            request=request,
        )
    return user


def admins_create(
    *, center: Center, usernames: dict[Role, str], password: str, by_name: str
) -> list[User]:
    """The first three administrators of a real installation, all with a temporary password.

    Each must change the shared start password at his first login, after which
    none knows the others'.
    """
    created: list[User] = []
    with transaction.atomic():
        for role, username in usernames.items():
            if role not in ADMIN_ROLES:
                raise ValueError(role)
            user = User(
                username=username,
                first_name=str(role.label),
                role=role,
                center=center,
                password_changed_at=None,
            )
            password_validation.validate_password(password, user)
            user.set_password(password)
            user.save()
            audit_log(
                actor=None,
                actor_name=by_name,
                action="user.create",
                obj=user,
                after=_state(user),
                summary=f"{username} {role.label}",
                center=center,
            )
            created.append(user)
    return created
