"""Ledger pages: the list, one record, its photos, the desktop form, voiding, and patrol.

Views parse the request, ask ``selectors``/``services`` and render.  Roles are
checked with ``role_required`` (403); objects through the user's scope (404).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kaohe.web.accounts.models import Role
from kaohe.web.accounts.scope import has_role, role_required, visible_people, visible_windows
from kaohe.web.ledger import selectors
from kaohe.web.ledger.forms import PatrolForm, RecordFilterForm, RecordForm, VoidForm
from kaohe.web.ledger.models import Record, RecordSource
from kaohe.web.ledger.services import error_items, record_create, record_void
from kaohe.web.org.models import Person, Window

READERS = (Role.INSPECTOR, Role.LEADER, Role.CHIEF, Role.STAFF)
PAGE_SIZE = 50


def _apply_errors(form: Form, exc: ValidationError) -> None:
    """Put a service's field errors next to the form's inputs (others at the top)."""
    for field, msgs in error_items(exc):
        target = field if field in form.fields else None
        for msg in msgs:
            form.add_error(target, msg)


@require_GET
@role_required(*READERS)
def record_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    windows = visible_windows(user).order_by("code")  # type: ignore[arg-type]
    people = visible_people(user).order_by("code")  # type: ignore[arg-type]
    form = RecordFilterForm(request.GET or None, windows=windows, people=people)
    f = selectors.RecordFilter()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        f = selectors.RecordFilter(
            month=d["month"] or "",
            window=d["window"],
            person=d["person"],
            item=d["item"].strip(),
            include_voided=d["voided"],
        )
    page = Paginator(selectors.record_list(user, f), PAGE_SIZE).get_page(  # type: ignore[arg-type]
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ledger/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_write": has_role(user, Role.INSPECTOR),
        },
    )


@require_GET
@role_required(*READERS)
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = selectors.record_get(request.user, pk)  # type: ignore[arg-type]
    return _detail(request, record, VoidForm())


def _detail(
    request: HttpRequest, record: Record, void_form: VoidForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "ledger/detail.html",
        {
            "record": record,
            "evidence": list(record.evidence.order_by("id")),
            "void_form": void_form,
            "can_void": has_role(request.user, Role.INSPECTOR) and not record.voided,
            # The cycle decides whether the appeal window is open; the form says so.
            "can_appeal": has_role(request.user, Role.STAFF, Role.CHIEF) and not record.voided,
        },
        status=status,
    )


@require_GET
@role_required(*READERS)
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """A photo, only to those who may see its record; never a public media URL."""
    evidence = selectors.evidence_get(request.user, pk)  # type: ignore[arg-type]
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404("照片文件缺失") from None
    response = FileResponse(handle, content_type=evidence.content_type)
    response["Content-Disposition"] = (
        f'inline; filename="{evidence.sha256[:12]}{evidence.extension}"'
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
@role_required(Role.INSPECTOR)
def record_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    center = user.center  # type: ignore[union-attr]
    today = timezone.localdate()
    form = RecordForm(
        request.POST or None,
        request.FILES or None,
        people=visible_people(user).filter(active=True).order_by("code"),  # type: ignore[arg-type]
        windows=visible_windows(user).filter(active=True).order_by("code"),  # type: ignore[arg-type]
        items=selectors.item_catalog(center, today),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            record = record_create(
                center=center,
                by=user,  # type: ignore[arg-type]
                subject=form.subject,
                item_code=d["item_code"],
                date=d["date"],
                count=d["count"],
                points=d["points"],
                major=d["major"],
                exempt=d["exempt"],
                note=d["note"],
                photos=d["photos"],
                source=RecordSource.MANUAL,
                request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"已记录：{record.subject} {record.item_name}")
            return redirect("ledger:detail", pk=record.pk)
    return render(
        request,
        "ledger/new.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
@role_required(Role.INSPECTOR)
def record_void_view(request: HttpRequest, pk: int) -> HttpResponse:
    record = selectors.record_get(request.user, pk)  # type: ignore[arg-type]
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            record_void(
                record=record,
                by=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "记录已作废，原因已留存。")
            return redirect("ledger:detail", pk=record.pk)
    return _detail(request, record, form, status=400)


# --- patrol -----------------------------------------------------------------


def _patrol_url(**params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return reverse("ledger:patrol") + (f"?{query}" if query else "")


def _window_from(windows: QuerySet[Window], code: str | None) -> Window | None:
    if not code:
        return None
    window = windows.filter(code=code).first()
    if window is None:
        raise Http404("窗口不存在")
    return window


@require_http_methods(["GET", "POST"])
@role_required(Role.INSPECTOR)
def patrol(request: HttpRequest) -> HttpResponse:
    """Window → person (or the window itself) → item → photo → save, one tap per step.

    State travels in the query string, so every step is a plain link and the
    page works without JavaScript; htmx only boosts the navigation.
    """
    user = request.user
    center = user.center  # type: ignore[union-attr]
    today = timezone.localdate()
    windows = selectors.patrol_windows(user)  # type: ignore[arg-type]
    params = request.POST if request.method == "POST" else request.GET
    window = _window_from(windows, params.get("window"))
    people = selectors.window_people(window, today) if window else []
    person: Person | None = None
    person_code = params.get("person") or ""
    if window and person_code:
        person = next((p for p in people if p.code == person_code), None)
        if person is None:
            raise Http404("该人员今天不在此窗口")
    subject_chosen = window is not None and (
        person is not None or params.get("subject") == "window"
    )
    items = selectors.item_catalog(center, today, most_used_first=True) if subject_chosen else []
    item_code = params.get("item") or ""
    item = next((i for i in items if i.code == item_code), None) if item_code else None
    if item_code and subject_chosen and item is None:
        raise Http404("考核项不存在")

    form = PatrolForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not (window and subject_chosen and item):
            raise Http404("请先选择窗口、对象和考核项")
        if form.is_valid():
            d = form.cleaned_data
            try:
                record = record_create(
                    center=center,
                    by=user,  # type: ignore[arg-type]
                    subject=person or window,
                    item_code=item.code,
                    date=today,
                    points=d["points"],
                    major=d["major"],
                    exempt=d["exempt"],
                    note=d["note"],
                    photos=d["photos"],
                    source=RecordSource.PATROL,
                    request=request,
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                return redirect(_patrol_url(window=window.code, done=record.pk))

    done = None
    if request.method == "GET" and window and params.get("done", "").isdigit():
        done = (
            Record.objects.filter(
                pk=int(params["done"]), center=center, recorded_by=user, source=RecordSource.PATROL
            )
            .select_related("person", "window")
            .first()
        )
    step = 1 if window is None else 2 if not subject_chosen else 3 if item is None else 4
    context = {
        "step": step,
        "windows": windows if step == 1 else [],
        "window": window,
        "people": people,
        "person": person,
        "subject_is_window": subject_chosen and person is None,
        "items": items,
        "item": item,
        "form": form,
        "done": done,
        "today": today,
        "base": {"window": window.code if window else "", "person": person.code if person else ""},
        "subject_query": urlencode(
            {"window": window.code, "person": person.code}
            if person and window
            else {"window": window.code, "subject": "window"}
            if window
            else {}
        ),
        "action": reverse("ledger:patrol"),
    }
    # htmx does not swap a 4xx answer; a boosted form gets its errors with 200.
    refused = request.method == "POST" and not getattr(request, "htmx", False)
    return render(request, "ledger/patrol.html", context, status=400 if refused else 200)
