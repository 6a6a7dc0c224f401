from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path

from kaohe.web.accounts.models import Role
from kaohe.web.api.api import api


def home(request: HttpRequest) -> HttpResponse:
    """Each role starts where its day starts."""
    role = getattr(request.user, "role", None)
    start = {
        Role.INSPECTOR: "ledger:patrol",
        Role.LEADER: "scoring:ranking",
        Role.CHIEF: "scoring:ranking",
        Role.STAFF: "scoring:my_card",
        Role.SYSADMIN: "accounts:users",
        Role.SECADMIN: "accounts:security",
        Role.AUDITOR: "audit:log",
    }.get(role, "accounts:login")
    return redirect(start)


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz),
    path("accounts/", include("kaohe.web.accounts.urls")),
    path("org/", include("kaohe.web.org.urls")),
    path("ledger/", include("kaohe.web.ledger.urls")),
    path("facts/", include("kaohe.web.facts.urls")),
    path("scores/", include("kaohe.web.scoring.urls")),
    path("audit/", include("kaohe.web.audit.urls")),
    path("cycle/", include("kaohe.web.workflow.urls")),
    path("api/v1/", api.urls),
    path("security/tokens/", include("kaohe.web.api.urls")),
]
