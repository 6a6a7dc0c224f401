"""Login, password change and the two account administration pages.

系统管理员 manages accounts of the ordinary roles (``users``); 安全管理员
manages locks, passwords and roles (``security``).  Views parse, call a
service, render.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaohe.web.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    PersonLinkForm,
    RoleForm,
    UserCreateForm,
)
from kaohe.web.accounts.models import Role, User
from kaohe.web.accounts.scope import role_required
from kaohe.web.accounts.selectors import center_user, center_users
from kaohe.web.accounts.services import (
    PERSON_ROLES,
    LoginOutcome,
    password_expired,
    user_attempt_login,
    user_change_password,
    user_change_role,
    user_create,
    user_link_person,
    user_logout,
    user_reset_password,
    user_set_active,
    user_unlock,
)
from kaohe.web.accounts.validators import ComplexityValidator


def _me(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        outcome, user = user_attempt_login(
            request=request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if outcome is LoginOutcome.OK and user is not None:
            login(request, user)
            if password_expired(user):
                messages.warning(request, _("密码已过期或为临时密码，请先修改密码。"))
                return redirect("accounts:password_change")
            if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                next_url = ""
            return redirect(next_url or "home")
        if outcome is LoginOutcome.LOCKED and user is not None and user.locked_until:
            until = timezone.localtime(user.locked_until).strftime("%H:%M")
            form.add_error(
                None,
                _("连续登录失败次数过多，账号已锁定至 %(until)s，请稍后再试或联系安全管理员。")
                % {"until": until},
            )
        else:
            form.add_error(None, _("账号或密码不正确。"))
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "next": next_url,
            "failures": settings.KAOHE_LOCKOUT_FAILURES,
            "lock_minutes": settings.KAOHE_LOCKOUT_MINUTES,
            "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        user_logout(user=_me(request), request=request)
    logout(request)
    return redirect("accounts:login")


def password_change(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_change_password(
            user=user, new_password=form.cleaned_data["new_password1"], request=request
        )
        update_session_auth_hash(request, user)
        messages.success(request, _("密码已修改。"))
        return redirect("home")
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "forced": password_expired(user)},
    )


# --- 系统管理员: accounts of the ordinary roles --------------------------------------


@role_required(Role.SYSADMIN)
def users(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    return render(
        request,
        "accounts/users.html",
        {"users": center_users(me), "me": me, "person_roles": [r.value for r in PERSON_ROLES]},
    )


@role_required(Role.SYSADMIN)
def user_new(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    form = UserCreateForm(me.center_id, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = user_create(
            by=me,
            username=data["username"],
            full_name=data["full_name"],
            role=Role(data["role"]),
            person=data["person"],
            password=data["password1"],
            request=request,
        )
        messages.success(
            request, _("已创建账号 %(u)s，首次登录须修改初始密码。") % {"u": user.username}
        )
        return redirect("accounts:users")
    return render(request, "accounts/user_new.html", {"form": form})


@role_required(Role.SYSADMIN)
@require_POST
def user_active(request: HttpRequest, pk: int) -> HttpResponse:
    me = _me(request)
    user = center_user(me, pk)
    active = request.POST.get("active") == "1"
    user_set_active(by=me, user=user, active=active, request=request)
    if active:
        messages.success(request, _("已启用账号 %(u)s。") % {"u": user.username})
    else:
        messages.success(request, _("已停用账号 %(u)s。") % {"u": user.username})
    return redirect("accounts:users")


@role_required(Role.SYSADMIN)
def user_person(request: HttpRequest, pk: int) -> HttpResponse:
    me = _me(request)
    user = center_user(me, pk)
    if user.role not in PERSON_ROLES:
        messages.error(request, _("只有首席代表和窗口工作人员的账号对应人员。"))
        return redirect("accounts:users")
    form = PersonLinkForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_link_person(by=me, user=user, person=form.cleaned_data["person"], request=request)
        messages.success(request, _("已更新账号 %(u)s 的对应人员。") % {"u": user.username})
        return redirect("accounts:users")
    return render(request, "accounts/user_person.html", {"form": form, "account": user})


# --- 安全管理员: locks, passwords, roles, settings in force ---------------------------


def _security_settings() -> list[tuple[str, str]]:
    complexity = next(
        (
            v.get("OPTIONS", {}).get("min_classes", 3)
            for v in settings.AUTH_PASSWORD_VALIDATORS
            if v["NAME"].endswith("ComplexityValidator")
        ),
        None,
    )
    min_length = next(
        (
            v.get("OPTIONS", {}).get("min_length", 8)
            for v in settings.AUTH_PASSWORD_VALIDATORS
            if v["NAME"].endswith("MinimumLengthValidator")
        ),
        None,
    )
    max_age = settings.KAOHE_PASSWORD_MAX_AGE_DAYS
    return [
        (
            _("登录失败锁定"),
            _("连续失败 %(n)d 次锁定账号 %(m)d 分钟（按账号计，不按来源地址）")
            % {"n": settings.KAOHE_LOCKOUT_FAILURES, "m": settings.KAOHE_LOCKOUT_MINUTES},
        ),
        (
            _("空闲超时"),
            _("%(m)d 分钟无操作自动退出") % {"m": settings.SESSION_COOKIE_AGE // 60},
        ),
        (
            _("密码有效期"),
            _("%(d)d 天") % {"d": max_age} if max_age else _("不限"),
        ),
        (_("密码最短长度"), str(min_length) if min_length else _("不限")),
        (
            _("密码复杂度"),
            ComplexityValidator(complexity).get_help_text() if complexity else _("不限"),
        ),
    ]


@role_required(Role.SECADMIN)
def security(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    return render(
        request,
        "accounts/security.html",
        {
            "users": center_users(me),
            "me": me,
            "roles": Role.choices,
            "settings_in_force": _security_settings(),
            "now": timezone.now(),
        },
    )


@role_required(Role.SECADMIN)
@require_POST
def security_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    me = _me(request)
    user = user_unlock(by=me, user=center_user(me, pk), request=request)
    messages.success(request, _("已解锁账号 %(u)s。") % {"u": user.username})
    return redirect("accounts:security")


@role_required(Role.SECADMIN)
@require_POST
def security_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Shows the temporary password once, on this response only (never in a message or log)."""
    me = _me(request)
    user = center_user(me, pk)
    password = user_reset_password(by=me, user=user, request=request)
    response = render(
        request, "accounts/temp_password.html", {"account": user, "password": password}
    )
    response["Cache-Control"] = "no-store"
    return response


@role_required(Role.SECADMIN)
@require_POST
def security_role(request: HttpRequest, pk: int) -> HttpResponse:
    me = _me(request)
    user = center_user(me, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("角色无效。"))
        return redirect("accounts:security")
    user_change_role(by=me, user=user, role=Role(form.cleaned_data["role"]), request=request)
    messages.success(
        request,
        _("账号 %(u)s 的角色已改为 %(r)s。") % {"u": user.username, "r": user.get_role_display()},
    )
    return redirect("accounts:security")
