"""Every page needs a login, except the login page itself and static files.

A user whose password has expired (or is a temporary one set by an
administrator) may open nothing but the password change page and logout
until he has chosen a new password.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from kaohe.web.accounts.models import User
from kaohe.web.accounts.services import password_expired

#: The API authenticates every call by its own token (``kaohe.web.api``), never by session.
OPEN_PREFIXES = ("/accounts/login", "/static/", "/healthz", "/api/")
#: What a user with an expired password may still reach.
PASSWORD_CHANGE_PATHS = ("/accounts/password/", "/accounts/logout/")


class LoginRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            if not request.path.startswith(OPEN_PREFIXES):
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        elif (
            isinstance(user, User)
            and not request.path.startswith(OPEN_PREFIXES + PASSWORD_CHANGE_PATHS)
            and password_expired(user)
        ):
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(reverse("accounts:password_change"))
            return redirect("accounts:password_change")
        return self.get_response(request)
