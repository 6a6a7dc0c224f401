"""The read-only audit log of 审计管理员, with filters and CSV/XLSX export.

Nobody else reads it: not the system or security administrator (三权分立),
not the ordinary roles.  Exports are themselves audited.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from kaohe.web.accounts.models import Role, User
from kaohe.web.accounts.scope import role_required
from kaohe.web.audit.exports import audit_csv, audit_xlsx
from kaohe.web.audit.forms import AuditFilterForm
from kaohe.web.audit.models import AuditEntry
from kaohe.web.audit.selectors import audit_actions, audit_entries
from kaohe.web.audit.services import audit_log

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, QuerySet[AuditEntry]]:
    user = request.user
    assert isinstance(user, User)
    form = AuditFilterForm(audit_actions(user.center_id), request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        entries = audit_entries(
            center_id=user.center_id,
            actor=data["actor"],
            action=data["action"],
            since=data["since"],
            until=data["until"],
            obj=data["obj"],
        )
    elif form.is_bound:
        entries = AuditEntry.objects.none()
    else:
        entries = audit_entries(center_id=user.center_id)
    return form, entries


@role_required(Role.AUDITOR)
@require_safe
def log(request: HttpRequest) -> HttpResponse:
    form, entries = _filtered(request)
    page = Paginator(entries.select_related("actor"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@role_required(Role.AUDITOR)
@require_safe
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    _form, entries = _filtered(request)
    rows = list(entries)
    with transaction.atomic():
        audit_log(
            actor=request.user,
            action="audit.export",
            summary=f"{fmt} {len(rows)} 行 {request.GET.urlencode()}",
            request=request,
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        response = HttpResponse(audit_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(audit_xlsx(rows), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    return response
