"""Scores on screen: ranking, score card, window page, items that cost the most.

Views parse the request, check role and scope through ``accounts.scope``,
ask ``selectors`` for what the stored engine run says, and render.  No
number is computed here.
"""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from kaohe.engine import Period
from kaohe.outputs import safe_text
from kaohe.web.accounts.models import Role
from kaohe.web.accounts.scope import has_role, require_scores
from kaohe.web.org.models import Person, Window
from kaohe.web.scoring import selectors as sel
from kaohe.web.workflow.selectors import card_appeals

RANKING_ROLES = (Role.INSPECTOR, Role.LEADER, Role.CHIEF)


def _with_period(url: str, period: object) -> str:
    return f"{url}?{urlencode({'period': str(period)})}" if period else url


@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    """The period's ranking, one tab per scorecard, rows limited to the user's scope."""
    require_scores(request.user)
    if has_role(request.user, Role.STAFF):
        return redirect(_with_period(reverse("scoring:my_card"), request.GET.get("period")))
    user = request.user
    pc = sel.period_context(user.center, request.GET.get("period"), timezone.localdate())
    view = sel.run_view(user.center, pc.period)
    tabs = sel.ranking_tabs(
        pc.policy, pc.period, view.subjects, sel.visible(user), sel.unit_names(user.center)
    )
    tab = next((t for t in tabs if t.id == request.GET.get("card")), tabs[0] if tabs else None)
    sort = request.GET.get("sort", "rank")
    if tab is not None:
        tab.rows, sort = sel.sort_rows(tab.rows, sort, tab.columns)
    if tab is not None and request.GET.get("format") == "xlsx":
        return _ranking_xlsx(tab, pc.period)
    return render(
        request,
        "scoring/ranking.html",
        {
            "pc": pc,
            "view": view,
            "tabs": tabs,
            "tab": tab,
            "sort": sort,
            "keep": [("card", tab.id)] if tab else [],
            "message": view.message or pc.error,
        },
    )


def _ranking_xlsx(tab: sel.Tab, period: Period) -> HttpResponse:
    """The tab as shown, as a workbook; text cells are formula-safe."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("排名")
    bold = book.add_format({"bold": True})
    columns = [*tab.columns, sel.Column("warnings", "提示")]
    for c, col in enumerate(columns):
        sheet.write_string(0, c, safe_text(col.label), bold)
    for r, row in enumerate(tab.rows, start=1):
        for c, col in enumerate(columns):
            value: Any = sel.cell(row, col)
            if col.key == "warnings":
                sheet.write_string(r, c, safe_text("；".join(value or [])))
            elif value is None:
                continue
            elif col.numeric:
                sheet.write_number(r, c, float(value))
            else:
                sheet.write_string(r, c, safe_text(value))
    book.close()
    response = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="ranking-{period}-{tab.id}.xlsx"'
    return response


@login_required
def my_card(request: HttpRequest) -> HttpResponse:
    """Staff and chief representatives land on their own card."""
    require_scores(request.user)
    if not has_role(request.user, Role.STAFF, Role.CHIEF):
        raise PermissionDenied
    person = request.user.person
    if person is None:
        raise Http404("账号未关联人员")
    url = reverse("scoring:card", args=[person.code])
    return redirect(_with_period(url, request.GET.get("period")))


@login_required
def card(request: HttpRequest, code: str) -> HttpResponse:
    """One subject's score and every trace line behind it, plus its voided records.

    Staff see only themselves; under a window-only regulation a staff
    member's card is his window's card with his own ledger records below.
    """
    require_scores(request.user)
    user = request.user
    center = user.center
    seen = sel.visible(user)
    if has_role(user, Role.STAFF):
        allowed = user.person is not None and code == user.person.code
    else:
        allowed = seen.allows(code)
    person = Person.objects.filter(center=center, code=code).first()
    window = None if person else Window.objects.filter(center=center, code=code).first()
    if not allowed or (person is None and window is None):
        raise Http404
    pc = sel.period_context(center, request.GET.get("period"), timezone.localdate())
    view = sel.run_view(center, pc.period)
    subject = view.subjects.get(code)
    shown = code
    own_records = False
    if subject is None and person is not None and not view.message:
        window_code = sel.window_of(person, pc.period)
        if window_code and window_code in view.subjects:
            subject, shown, own_records = view.subjects[window_code], window_code, True
    records = list(
        sel.subject_records(center, pc.period, person=person, window_code=code if window else "")
    )
    voided = (
        list(sel.window_voided_records(center, pc.period, code))
        if window
        else [r for r in records if r.voided]
    )
    total = None
    peers = 0
    if subject is not None:
        total = sel.trace_sum(subject)
        peers = sum(1 for s in view.subjects.values() if s["scorecard"] == subject["scorecard"])
    score = sel.dec(subject.get("score")) if subject else None
    return render(
        request,
        "scoring/card.html",
        {
            "pc": pc,
            "view": view,
            "code": code,
            "name": person.name if person else window.name if window else code,
            "subject": subject,
            "shown": shown,
            "own_records": own_records,
            "groups": sel.trace_groups(pc.policy, subject) if subject else [],
            "trace_total": sel.fmt(total) if total is not None else "",
            "sum_ok": total is not None and score is not None and total == score,
            "peers": peers,
            "live_records": [r for r in records if not r.voided],
            "voided_records": voided,
            "voided_subjects": window is not None,
            "record_urls": {r.pk: sel.record_url(r.pk) for r in [*records, *voided]},
            "message": view.message or pc.error,
            # The monthly cycle decides whether the appeal window is open (and for what).
            "appeals": card_appeals(user, center, str(pc.period)),
        },
    )


@login_required
def window(request: HttpRequest, code: str) -> HttpResponse:
    """A window's score, its staff's scores and its trend over the last periods."""
    require_scores(request.user)
    if not has_role(request.user, *RANKING_ROLES):
        raise PermissionDenied
    user = request.user
    if code not in sel.visible(user).windows:
        raise Http404
    win = Window.objects.select_related("unit").get(center=user.center, code=code)
    pc = sel.period_context(user.center, request.GET.get("period"), timezone.localdate())
    view = sel.run_view(user.center, pc.period)
    return render(
        request,
        "scoring/window.html",
        {
            "pc": pc,
            "view": view,
            "window": win,
            "subject": view.subjects.get(code),
            "staff": sel.window_staff(view.subjects, code),
            "trend": sel.window_trend(user.center, code, pc.period),
            "message": view.message or pc.error,
        },
    )


@login_required
def top_items(request: HttpRequest) -> HttpResponse:
    """Which items cost the most points, over a range of periods, optionally one window."""
    require_scores(request.user)
    if not has_role(request.user, *RANKING_ROLES):
        raise PermissionDenied
    user = request.user
    today = timezone.localdate()
    last = sel.period_context(user.center, request.GET.get("to"), today)
    first = sel.period_context(
        user.center, request.GET.get("from") or str(last.period), today, kinds=last.kinds
    )
    notes: list[str] = []
    try:
        periods = sel.periods_between(first.period, last.period)
    except ValueError as exc:
        notes.append(str(exc))
        periods = [last.period]
    seen = sel.visible(user)
    window_code = request.GET.get("window", "")
    if window_code and window_code not in seen.windows:
        raise Http404
    result = sel.top_items(user.center, periods, last.policy, seen, window_code)
    chart = {
        "items": [f"{i['code']} {i['name']}" for i in result.items[:15]],
        "lost": [sel.fmt(i["lost"]) for i in result.items[:15]],
    }
    return render(
        request,
        "scoring/top_items.html",
        {
            "first": periods[0],
            "last": periods[-1],
            "choices": last.choices,
            "windows": sorted(seen.windows),
            "window_code": window_code,
            "result": result,
            "chart": chart,
            "notes": notes + result.messages,
        },
    )
