"""Facts pages: imports (upload → preview → commit, rollback), templates, attendance, calendar.

Views parse the request, call ``services``/``selectors`` and render.  Imports
are the inspector's (督查员); the calendar the system administrator's.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kaohe.engine import Period
from kaohe.ingest import ColumnMapping, MappingError, load_mapping
from kaohe.web.accounts.models import Role
from kaohe.web.accounts.scope import has_role, role_required, visible_people
from kaohe.web.facts import selectors, services
from kaohe.web.facts.forms import (
    MAX_PIN_WIDTH,
    CorrectionForm,
    DayForm,
    RollbackForm,
    UploadForm,
    YearForm,
)
from kaohe.web.facts.models import CalendarDay, DayKind, ImportBatch, ImportKind
from kaohe.web.facts.xlsx_templates import TEMPLATES, template_xlsx
from kaohe.web.org.models import Person

PREVIEW_ROWS = 500
ATTENDANCE_READERS = (Role.INSPECTOR, Role.LEADER, Role.CHIEF, Role.STAFF)

SHOWN_WARNINGS = 5  # whole-file warnings repeated after a commit (row ones stay on the preview)


def mappings_dir() -> Path:
    return Path(os.environ.get("KAOHE_MAPPINGS_DIR") or Path(settings.DATA_DIR) / "mappings")


def saved_mappings() -> list[str]:
    folder = mappings_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


def _mapping(name: str) -> ColumnMapping | None:
    return load_mapping(name, mappings_dir()) if name else None


@require_http_methods(["GET", "POST"])
@role_required(Role.INSPECTOR)
def imports(request: HttpRequest) -> HttpResponse:
    center = request.user.center  # type: ignore[union-attr]
    form = UploadForm(request.POST or None, request.FILES or None, mappings=saved_mappings())
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        sha = services.upload_store(data=upload.read())
        query = {
            "kind": form.cleaned_data["kind"],
            "name": Path(upload.name).name[:200],
            "mapping": form.cleaned_data["mapping"] or "",
            "period": form.cleaned_data["period"],
            "pin_width": form.cleaned_data["pin_width"] or "",
        }
        return redirect(f"{reverse('facts:preview', args=[sha])}?{urlencode(query)}")
    return render(
        request,
        "facts/imports.html",
        {
            "form": form,
            "batches": selectors.batches(center)[:100],
            "rollback_form": RollbackForm(),
            "templates": [(k, ImportKind(k).label) for k in TEMPLATES],
        },
    )


def _preview_args(request: HttpRequest) -> dict[str, str]:
    src = request.POST if request.method == "POST" else request.GET
    kind = src.get("kind", "")
    if kind not in services.FACT_MODELS:
        raise Http404
    return {
        "kind": kind,
        "name": src.get("name", "")[:200],
        "mapping": src.get("mapping", ""),
        "period": src.get("period", "").strip(),
        "pin_width": _pin_width(src.get("pin_width", "")),
    }


def _pin_width(value: str) -> str:
    """The 工号 width of the upload form, carried in the preview's URL (else none)."""
    value = value.strip()
    return value if value.isdigit() and 1 <= int(value) <= MAX_PIN_WIDTH else ""


@require_http_methods(["GET", "POST"])
@role_required(Role.INSPECTOR)
def preview(request: HttpRequest, sha: str) -> HttpResponse:
    """The row-by-row preview of a stored upload; POST commits it (with PIN resolutions)."""
    center = request.user.center  # type: ignore[union-attr]
    args = _preview_args(request)
    try:
        data = services.upload_read(sha)
    except (FileNotFoundError, OSError):
        raise Http404 from None
    try:
        mapping = _mapping(args["mapping"])
    except MappingError as exc:
        messages.error(request, str(exc))
        return redirect("facts:imports")
    common = {
        "center": center,
        "kind": args["kind"],
        "data": data,
        "file_name": args["name"],
        "mapping": mapping,
        "period": args["period"],
        "pin_width": int(args["pin_width"]) if args["pin_width"] else None,
    }
    people = list(Person.objects.filter(center=center).order_by("code"))
    result = services.import_preview(**common)
    if request.method == "POST":
        by_pk = {str(p.pk): p for p in people}
        resolutions = {}
        for i, u in enumerate(result.unmatched):
            chosen = request.POST.get(f"resolve-{i}", "")
            if chosen in by_pk:
                resolutions[u.value] = by_pk[chosen]
        try:
            batch = services.import_commit(
                **common, by=request.user, resolutions=resolutions, request=request
            )
        except services.ImportRefused as exc:
            messages.error(request, str(exc))
            result = exc.preview
        else:
            messages.success(
                request,
                f"已导入 {batch.file_name}：新增 {batch.added} 条，重复 {batch.duplicates} 条",
            )
            for warning in [w for w in result.warnings if w.row is None][:SHOWN_WARNINGS]:
                messages.warning(request, warning.message)
            return redirect("facts:imports")
    shown = result.rows[:PREVIEW_ROWS]
    columns = list(dict.fromkeys(k for r in shown for k in r.values))
    return render(
        request,
        "facts/preview.html",
        {
            "sha": sha,
            "args": args,
            "kind_label": ImportKind(args["kind"]).label,
            "preview": result,
            "rows": [(r, [r.values.get(c) for c in columns]) for r in shown],
            "more": max(0, len(result.rows) - len(shown)),
            "people": people,
            "columns": columns,
        },
    )


@require_POST
@role_required(Role.INSPECTOR)
def rollback(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(ImportBatch, pk=pk, center=request.user.center)  # type: ignore[union-attr]
    form = RollbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, "撤销导入必须填写原因")
        return redirect("facts:imports")
    try:
        services.import_rollback(
            batch=batch, by=request.user, reason=form.cleaned_data["reason"], request=request
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已撤销导入批次 {batch.pk}")
    return redirect("facts:imports")


@require_GET
@role_required(Role.INSPECTOR)
def template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in TEMPLATES:
        raise Http404
    response = HttpResponse(
        template_xlsx(kind),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="kaohe-{kind}-template.xlsx"'
    return response


def _month(value: str) -> str:
    try:
        p = Period.parse(value)
    except ValueError:
        p = Period.parse(timezone.localdate().strftime("%Y-%m"))
    if str(p.kind) != "month":
        p = Period.parse(p.start.strftime("%Y-%m"))
    return str(p)


@require_http_methods(["GET", "POST"])
@role_required(*ATTENDANCE_READERS)
def attendance(request: HttpRequest) -> HttpResponse:
    """Derived attendance per person per day; the inspector can add a 补卡 here."""
    user = request.user
    center = user.center  # type: ignore[union-attr]
    people = visible_people(user).order_by("code")  # type: ignore[arg-type]
    can_correct = has_role(user, Role.INSPECTOR)
    choices = [(str(p.pk), str(p)) for p in people]
    form = CorrectionForm(request.POST or None, people=choices)
    month = _month(request.POST.get("month") or request.GET.get("month", ""))
    if request.method == "POST":
        if not can_correct:
            raise PermissionDenied
        if form.is_valid():
            person = get_object_or_404(people, pk=form.cleaned_data["person"])
            try:
                services.punch_correct(
                    person=person,
                    when=form.cleaned_data["when"],
                    reason=form.cleaned_data["reason"],
                    by=user,
                    request=request,
                )
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, "已补卡")
                month = _month(f"{timezone.localtime(form.cleaned_data['when']):%Y-%m}")
                return redirect(f"{reverse('facts:attendance')}?month={month}")
    data = selectors.attendance_month(center, month, people)
    table = [
        (
            person,
            summary,
            [(d, selectors.status_cells(rows.get(d))) for d in data.days],
            data.imported.get(person.code),
        )
        for person, summary, rows in data.people
    ]
    return render(
        request,
        "facts/attendance.html",
        {
            "data": data,
            "table": table,
            "month": month,
            "form": form if can_correct else None,
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.SYSADMIN)
def calendar(request: HttpRequest) -> HttpResponse:
    """Years the calendar knows; enter a year's arrangement and local closures."""
    user = request.user
    center = user.center  # type: ignore[union-attr]
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    year_form = YearForm(initial={"year": year})
    day_form = DayForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "year":
            year_form = YearForm(request.POST)
            if year_form.is_valid():
                d = year_form.cleaned_data
                try:
                    services.calendar_year_enter(
                        center=center,
                        year=d["year"],
                        days_off=d["days_off"],
                        workdays=d["workdays"],
                        note=d["note"],
                        by=user,
                        request=request,
                    )
                except ValueError as exc:
                    year_form.add_error(None, str(exc))
                else:
                    messages.success(request, f"已录入 {d['year']} 年节假日安排")
                    return redirect(f"{reverse('facts:calendar')}?year={d['year']}")
        elif action == "day":
            day_form = DayForm(request.POST)
            if day_form.is_valid():
                d = day_form.cleaned_data
                services.calendar_day_set(
                    center=center,
                    day=d["date"],
                    kind=DayKind(d["kind"]),
                    note=d["note"],
                    by=user,
                    request=request,
                )
                messages.success(request, f"已设置 {d['date']}")
                return redirect(f"{reverse('facts:calendar')}?year={d['date'].year}")
        elif action == "remove":
            entry = get_object_or_404(CalendarDay, pk=request.POST.get("day"), center=center)
            services.calendar_day_remove(entry=entry, by=user, request=request)
            messages.success(request, f"已取消 {entry.date} 的调整")
            return redirect(f"{reverse('facts:calendar')}?year={entry.date.year}")
    view = selectors.calendar_year(center, year)
    known = selectors.known_years(center)
    return render(
        request,
        "facts/calendar.html",
        {
            "view": view,
            "known": known,
            "year_form": year_form,
            "day_form": day_form,
            "next_year": max(known) + 1 if known else date.today().year,
        },
    )
