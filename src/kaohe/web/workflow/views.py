"""Pages of the monthly cycle.  Views parse, call a service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from kaohe.web.accounts.models import Role
from kaohe.web.accounts.scope import role_required, visible_people
from kaohe.web.ledger.models import Record
from kaohe.web.scoring.models import RunStatus
from kaohe.web.scoring.services import current_run
from kaohe.web.workflow import exports, selectors, services
from kaohe.web.workflow.models import (
    Appeal,
    AssessmentPeriod,
    Decision,
    Notification,
    PeriodState,
    Snapshot,
)

CYCLE_ROLES = (Role.INSPECTOR, Role.LEADER, Role.CHIEF, Role.STAFF)
MANAGERS = (Role.INSPECTOR, Role.LEADER)

#: (step, label, role allowed, state it starts from)
STEPS: list[tuple[str, str, Role, PeriodState]] = [
    ("review", "初审", Role.INSPECTOR, PeriodState.DRAFT),
    ("publicity", "开始公示", Role.INSPECTOR, PeriodState.REVIEWED),
    ("approve", "审定", Role.LEADER, PeriodState.PUBLICITY),
    ("publish", "发布通报", Role.INSPECTOR, PeriodState.APPROVED),
]


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _period(request: HttpRequest, pk: int) -> AssessmentPeriod:
    return get_object_or_404(AssessmentPeriod, pk=pk, center_id=request.user.center_id)


@role_required(*CYCLE_ROLES)
def periods(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            obj = services.period_create(
                center=request.user.center,
                period=request.POST.get("period", ""),
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            return redirect("workflow:periods")
        return redirect("workflow:period", pk=obj.pk)
    rows = []
    for p in selectors.periods_for(request.user):
        rows.append(
            {
                "obj": p,
                "publicity_left": selectors.publicity_left(p),
                "appeal_open": selectors.appeal_open(p),
            }
        )
    return render(
        request,
        "workflow/periods.html",
        {
            "rows": rows,
            "can_create": request.user.role == Role.INSPECTOR,
            "unread": selectors.unread_notifications(request.user)[:5],
        },
    )


def _appealable_subjects(
    request: HttpRequest, result: dict[str, Any] | None
) -> list[dict[str, Any]]:
    if not result or request.user.role not in (Role.STAFF, Role.CHIEF):
        return []
    return [
        {"code": code, "name": s.get("name"), "grade": s.get("grade"), "score": s.get("score")}
        for code, s in sorted(result["subjects"].items())
        if selectors.can_appeal_subject(request.user, code)
    ]


@role_required(*CYCLE_ROLES)
def period_detail(request: HttpRequest, pk: int) -> HttpResponse:
    period = _period(request, pk)
    user = request.user
    rules = selectors.rules_for(period)
    run = current_run(period.center, period.period)
    result = run.result if run.status != RunStatus.FAILED else None
    steps = [
        {
            "step": step,
            "label": label,
            "done": list(PeriodState).index(PeriodState(period.state))
            > list(PeriodState).index(start),
            "current": period.state == start,
            "allowed": period.state == start and user.role == role,
            "role": role.label,
        }
        for step, label, role, start in STEPS
    ]
    manager = user.role in MANAGERS
    published = period.state == PeriodState.PUBLISHED
    ctx = {
        "period": period,
        "rules": rules,
        "steps": steps,
        "run": run,
        "warnings": (result or {}).get("warnings", []) if manager else [],
        "publicity_left": selectors.publicity_left(period),
        "appeal_open": selectors.appeal_open(period),
        "snapshots": Snapshot.objects.filter(period=period).order_by("-version"),
        "adjustments": period.adjustments.select_related("by").order_by("-at", "-id")
        if manager
        else [],
        "appeals": selectors.appeals_for(user, period),
        "can_reopen": user.role == Role.LEADER and published,
        "adjust_forms": selectors.adjustment_forms(selectors.policy_of(period), result)
        if user.role == Role.LEADER and not published
        else [],
        "appealable": _appealable_subjects(request, result)
        if selectors.appeal_open(period)
        else [],
        # Staff and chief reps see results once they are public (公示 onwards).
        "chart": selectors.grade_distribution(result)
        if result and (manager or period.state not in (PeriodState.DRAFT, PeriodState.REVIEWED))
        else [],
        "can_draft": manager,
        "can_download": manager or published,
        "unread": selectors.unread_notifications(user),
        "has_votes": user.role == Role.INSPECTOR and selectors.policy_of(period).votes is not None,
        "annual_people": _annual_people(request, period, result) if manager or published else [],
        "forms": list(exports.FORMS.items()),
    }
    return render(request, "workflow/period.html", ctx)


def _annual_people(
    request: HttpRequest, period: AssessmentPeriod, result: dict[str, Any] | None
) -> list[tuple[str, str]]:
    """People of a yearly period whose annual forms (登记表, 评分表, 民主测评表) the user may print."""
    if not result or not period.period.isdigit():
        return []
    people = [
        (c, s.get("name") or c)
        for c, s in sorted(result["subjects"].items())
        if s.get("kind") == "person"
    ]
    if request.user.role in MANAGERS:
        return people
    mine = set(visible_people(request.user).values_list("code", flat=True))
    return [(c, n) for c, n in people if c in mine]


@require_POST
@role_required(Role.INSPECTOR, Role.LEADER)
def period_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    period = _period(request, pk)
    actions = {
        "review": services.period_review,
        "publicity": services.period_start_publicity,
        "approve": services.period_approve,
        "publish": services.period_publish,
    }
    try:
        if step == "reopen":
            services.period_reopen(
                period=period,
                by=request.user,
                reason=request.POST.get("reason", ""),
                request=request,
            )
        elif step in actions:
            actions[step](period=period, by=request.user, request=request)
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "操作已完成。")
    return redirect("workflow:period", pk=period.pk)


@require_POST
@role_required(Role.LEADER)
def period_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    period = _period(request, pk)
    try:
        services.adjustment_set(
            period=period,
            subject=request.POST.get("subject", ""),
            grade=request.POST.get("grade", "").strip(),
            reason=request.POST.get("reason", ""),
            by=request.user,
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "等次已调整。")
    return redirect("workflow:period", pk=period.pk)


def _source(request: HttpRequest, period: AssessmentPeriod) -> exports.BulletinSource:
    """A snapshot for anyone who sees scores once published; drafts only for the inspector/leader."""
    version = request.GET.get("version")
    manager = request.user.role in MANAGERS
    try:
        if version:
            src = exports.bulletin_source(period.center, period.period, int(version))
        else:
            src = exports.bulletin_source(period.center, period.period)
    except (ValueError, exports.NoResultsError) as exc:
        raise Http404(str(exc)) from exc
    if src.draft and not manager:
        raise PermissionDenied
    return src


def _file(data: bytes, name: str, content_type: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@role_required(*CYCLE_ROLES)
def bulletin_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    period = _period(request, pk)
    src = _source(request, period)
    if fmt == "xlsx":
        return _file(exports.bulletin_xlsx(src), f"{src.filename_stem}.xlsx", XLSX)
    return _file(exports.bulletin_pdf(src), f"{src.filename_stem}.pdf", "application/pdf")


@role_required(Role.INSPECTOR, Role.LEADER)
def bonus_download(request: HttpRequest, pk: int) -> HttpResponse:
    period = _period(request, pk)
    src = _source(request, period)
    return _file(exports.bonus_xlsx(src), f"绩效奖励-{period.period}.xlsx", XLSX)


# ---------------------------------------------------------------- appeals


@role_required(Role.STAFF, Role.CHIEF)
def appeal_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    data = request.POST if request.method == "POST" else request.GET
    record: Record | None = None
    subject = ""
    if data.get("record"):
        try:
            record_pk = int(data["record"])
        except ValueError as exc:
            raise Http404 from exc
        record = get_object_or_404(selectors.appealable_records(user), pk=record_pk)
        period = selectors.period_for_day(user.center, record.date)
        if period is None:
            raise Http404("该记录所在考核期尚未开启")
    else:
        if data.get("period_code"):  # from a score card, which knows the period but not its row
            period = get_object_or_404(
                AssessmentPeriod, center_id=user.center_id, period=data["period_code"]
            )
        else:
            try:
                period = _period(request, int(data.get("period", "")))
            except ValueError as exc:
                raise Http404 from exc
        subject = data.get("subject", "")
        if not selectors.can_appeal_subject(user, subject):
            raise Http404
    is_open = selectors.appeal_open(period)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            appeal = services.appeal_file(
                period=period,
                by=user,
                text=request.POST.get("text", ""),
                record=record,
                subject=subject,
                attachments=request.FILES.getlist("attachments"),
                request=request,
            )
        except ValidationError as exc:
            error = _errors(exc)
            status = 400
        else:
            messages.success(request, "申诉已提交。")
            return redirect("workflow:appeal", pk=appeal.pk)
    trace = _record_trace(period, record) if record else []
    return render(
        request,
        "workflow/appeal_new.html",
        {
            "period": period,
            "record": record,
            "subject": subject,
            "open": is_open,
            "error": error,
            "trace": trace,
            "text": request.POST.get("text", ""),
            "max_files": services.ATTACHMENT_MAX_COUNT,
        },
        status=status,
    )


def _record_trace(period: AssessmentPeriod, record: Record) -> list[dict[str, Any]]:
    """The trace lines the engine wrote for this record (from the latest run, voided or not)."""
    run = current_run(period.center, period.period)
    lines = [
        t
        for s in (run.result or {}).get("subjects", {}).values()
        for t in s.get("trace", [])
        if t.get("record") == record.pk
    ]
    if not lines:
        snap = selectors.latest_snapshot(period)
        if snap is not None:
            lines = [
                t
                for s in snap.result.get("subjects", {}).values()
                for t in s.get("trace", [])
                if t.get("record") == record.pk
            ]
    return lines


def _appeal(request: HttpRequest, pk: int) -> Appeal:
    """An appeal of the user's center: any for the inspector and leader, else only his own."""
    user = request.user
    qs = Appeal.objects.filter(period__center_id=user.center_id).select_related(
        "period", "record", "appellant", "decided_by"
    )
    if user.role not in MANAGERS:
        qs = qs.filter(appellant=user)
    return get_object_or_404(qs, pk=pk)


@role_required(*CYCLE_ROLES)
def appeal_attachment(request: HttpRequest, pk: int, attachment: int) -> FileResponse:
    """One attachment, to the reviewers and the appellant only, as the type its bytes proved."""
    row = get_object_or_404(_appeal(request, pk).attachments, pk=attachment)
    try:
        handle = row.file.open("rb")
    except OSError as exc:
        raise Http404("附件文件缺失") from exc
    response = FileResponse(handle, content_type=row.content_type)
    response["Content-Disposition"] = f'inline; filename="{row.sha256[:12]}{row.extension}"'
    return response


@role_required(*CYCLE_ROLES)
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    appeal = _appeal(request, pk)
    if request.method == "POST":
        if user.role != Role.LEADER:
            raise PermissionDenied
        try:
            if request.POST.get("action") == "review":
                services.appeal_start_review(appeal=appeal, by=user, request=request)
            else:
                try:
                    decision = Decision(request.POST.get("decision", ""))
                except ValueError as exc:
                    raise ValidationError("请选择复核结论。") from exc
                services.appeal_decide(
                    appeal=appeal,
                    by=user,
                    decision=decision,
                    reason=request.POST.get("reason", ""),
                    grade=request.POST.get("grade", "").strip(),
                    request=request,
                )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, "复核已记录。")
        return redirect("workflow:appeal", pk=appeal.pk)
    record = appeal.record
    return render(
        request,
        "workflow/appeal.html",
        {
            "appeal": appeal,
            "record": record,
            "evidence": list(record.evidence.all()) if record else [],
            "attachments": list(appeal.attachments.all()),
            "trace": _record_trace(appeal.period, record) if record else [],
            "can_decide": user.role == Role.LEADER and appeal.open,
            "grades": _subject_grades(appeal) if record is None else [],
            "decisions": Decision.choices,
        },
    )


def _subject_grades(appeal: Appeal) -> list[str]:
    """The grades an overturned grade appeal may set: those of the subject's scorecard."""
    run = current_run(appeal.period.center, appeal.period.period)
    subject = (run.result or {}).get("subjects", {}).get(appeal.subject)
    if subject is None:
        return []
    return selectors.scorecard_grades(selectors.policy_of(appeal.period), subject["scorecard"])


# ---------------------------------------------------------------- notifications


@role_required(*CYCLE_ROLES)
def notifications(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "workflow/notifications.html",
        {"notifications": Notification.objects.filter(user=request.user)[:200]},
    )


@require_POST
@role_required(*CYCLE_ROLES)
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    n = get_object_or_404(Notification, pk=pk, user=request.user)
    services.notification_read(notification=n, by=request.user)
    return redirect(n.link or "workflow:notifications")


# ---------------------------------------------------------------- ballots and annual forms


@role_required(Role.INSPECTOR)
def ballots(request: HttpRequest, pk: int) -> HttpResponse:
    period = _period(request, pk)
    policy = selectors.policy_of(period)
    run = current_run(period.center, period.period)
    subjects = sorted(
        (c, s.get("name") or c) for c, s in ((run.result or {}).get("subjects", {})).items()
    )
    if request.method == "POST":
        try:
            services.ballot_enter(
                period=period,
                group=request.POST.get("group", ""),
                voter=request.POST.get("voter", ""),
                levels={c: request.POST.get(f"level-{c}", "") for c, _ in subjects},
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, "测评票已录入。")
        return redirect("workflow:ballots", pk=period.pk)
    tallies = selectors.vote_tallies(period)
    votes = policy.votes
    return render(
        request,
        "workflow/ballots.html",
        {
            "period": period,
            "votes": votes,
            "groups": list(votes.groups.items()) if votes else [],
            "levels": list(votes.weights) if votes else [],
            "subjects": subjects,
            "voters": selectors.voters(period),
            "tally_rows": [
                {
                    "code": c,
                    "name": n,
                    "groups": [
                        (label, [tallies.get(c, {}).get(g, {}).get(lv, 0) for lv in votes.weights])
                        for g, label in votes.groups.items()
                    ],
                }
                for c, n in subjects
                if c in tallies
            ]
            if votes
            else [],
            "open": period.state in (PeriodState.DRAFT, PeriodState.REVIEWED),
        },
    )


@role_required(*CYCLE_ROLES)
def annual_form(request: HttpRequest, pk: int, kind: str, code: str, fmt: str) -> HttpResponse:
    period = _period(request, pk)
    if kind not in exports.FORMS or fmt not in ("pdf", "xlsx"):
        raise Http404
    if (
        request.user.role not in MANAGERS
        and not visible_people(request.user).filter(code=code).exists()
    ):
        raise Http404
    src = _source(request, period)
    tallies = selectors.vote_tallies(period)
    name = f"{exports.FORMS[kind]}-{period.period}-{code}.{fmt}"
    try:
        if fmt == "xlsx":
            return _file(exports.annual_form_xlsx(src, code, kind, tallies), name, XLSX)
        return _file(exports.annual_form_pdf(src, code, kind, tallies), name, "application/pdf")
    except exports.NoResultsError as exc:
        raise Http404(str(exc)) from exc
