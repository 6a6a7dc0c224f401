from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kaohe.web.accounts.forms import LoginForm
from kaohe.web.accounts.services import LoginOutcome, password_expired, user_attempt_login
from kaohe.web.audit.services import audit_log


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
                messages.warning(request, "密码已超过有效期，请先修改密码。")
                return redirect("accounts:password_change")
            if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                next_url = ""
            return redirect(next_url or "home")
        if outcome is LoginOutcome.LOCKED and user is not None and user.locked_until:
            until = timezone.localtime(user.locked_until).strftime("%H:%M")
            form.add_error(
                None, f"连续登录失败次数过多，账号已锁定至 {until}，请稍后再试或联系安全管理员。"
            )
        else:
            form.add_error(None, "账号或密码不正确。")
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
        audit_log(actor=request.user, action="logout", obj=request.user, request=request)
    logout(request)
    return redirect("accounts:login")
