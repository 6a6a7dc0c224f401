"""Organisation and policy pages: parse, call a selector or service, render.

Roles: 系统管理员 and 督查员 change the organisation and the regulation;
考核领导小组 reads everything; 首席代表 and 窗口工作人员 read what is in
their scope (anything else is 404).  The other admin roles get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from kaohe.engine import PolicyError
from kaohe.web.accounts.models import User
from kaohe.web.accounts.scope import has_role, role_required
from kaohe.web.org import selectors, services
from kaohe.web.org.forms import (
    ChoosePolicyForm,
    HallForm,
    JoinForm,
    LeaveForm,
    PersonForm,
    PolicyTextForm,
    SubstituteForm,
    TransferForm,
    UnitForm,
    WindowForm,
)
from kaohe.web.org.models import (
    Employment,
    Hall,
    Person,
    PersonRole,
    Unit,
    WindowKind,
)
from kaohe.web.org.selectors import CATALOG_USERS, MANAGERS, ORG_READERS, POLICY_READERS
from kaohe.web.scoring import dry_run
from kaohe.web.scoring.bridge import NoPolicyError


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form fields it names, or on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _window_url(code: str) -> str | None:
    """The scoring helper's window page, when it exists."""
    for kwargs in ({"code": code}, None):
        try:
            if kwargs:
                return reverse("scoring:window", kwargs=kwargs)
            return reverse("scoring:window", args=[code])
        except NoReverseMatch:
            continue
    return None


def _form_page(
    request: HttpRequest, form: forms.Form, title: str, back: str, **extra: Any
) -> HttpResponse:
    return render(request, "org/form.html", {"form": form, "title": title, "back": back, **extra})


# ---------------------------------------------------------------- windows


@require_GET
@role_required(*ORG_READERS)
def window_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    groups: dict[str, dict[str, Any]] = {}
    for w in selectors.window_list(user):
        key = w.unit.code if w.unit else ""
        group = groups.setdefault(key, {"unit": w.unit, "windows": []})
        group["windows"].append({"w": w, "url": _window_url(w.code)})
    return render(
        request,
        "org/windows.html",
        {
            "groups": list(groups.values()),
            "can_manage": selectors.can_manage(user),
            "admin_links": has_role(user, *POLICY_READERS),
        },
    )


@role_required(*MANAGERS)
def window_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = WindowForm(request.POST or None, center=user.center)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            w = services.window_create(
                center=user.center,
                code=d["code"].strip(),
                name=d["name"],
                kind=WindowKind(d["kind"]),
                unit=d["unit"],
                hall=d["hall"],
                by=user,
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已新增窗口 {w.code} {w.name}")
            return redirect("org:windows")
    return _form_page(request, form, "新增窗口", reverse("org:windows"))


@role_required(*MANAGERS)
def window_edit(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    window = get_object_or_404(selectors.org_windows(user), code=code)
    initial = {
        "code": window.code,
        "name": window.name,
        "kind": window.kind,
        "unit": window.unit_id,
        "hall": window.hall_id,
    }
    form = WindowForm(request.POST or None, initial=initial, center=user.center, editing=True)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.window_update(
                window=window,
                name=d["name"],
                kind=WindowKind(d["kind"]),
                unit=d["unit"],
                hall=d["hall"],
                by=user,
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已保存窗口 {window.code}")
            return redirect("org:windows")
    return _form_page(
        request,
        form,
        f"编辑窗口 {window.code}",
        reverse("org:windows"),
        toggle={
            "url": reverse("org:window_active", args=[window.code]),
            "active": window.active,
        },
    )


@require_POST
@role_required(*MANAGERS)
def window_active(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    window = get_object_or_404(selectors.org_windows(user), code=code)
    services.window_set_active(window=window, active=not window.active, by=user, request=request)
    messages.success(request, f"窗口 {window.code} 已{'启用' if window.active else '停用'}")
    return redirect("org:windows")


# ---------------------------------------------------------------- units and halls


@require_GET
@role_required(*POLICY_READERS)
def unit_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "org/units.html",
        {
            "units": Unit.objects.filter(center=user.center).order_by("code"),
            "halls": Hall.objects.filter(center=user.center).order_by("name"),
            "can_manage": selectors.can_manage(user),
        },
    )


@role_required(*MANAGERS)
def unit_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_create(
                center=user.center,
                code=form.cleaned_data["code"].strip(),
                name=form.cleaned_data["name"],
                by=user,
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "已新增进驻单位")
            return redirect("org:units")
    return _form_page(request, form, "新增进驻单位", reverse("org:units"))


@role_required(*MANAGERS)
def unit_edit(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    unit = get_object_or_404(Unit, center=user.center, code=code)
    form = UnitForm(
        request.POST or None, initial={"code": unit.code, "name": unit.name}, editing=True
    )
    if request.method == "POST" and form.is_valid():
        services.unit_update(unit=unit, name=form.cleaned_data["name"], by=user, request=request)
        messages.success(request, f"已保存单位 {unit.code}")
        return redirect("org:units")
    return _form_page(
        request,
        form,
        f"编辑进驻单位 {unit.code}",
        reverse("org:units"),
        toggle={"url": reverse("org:unit_active", args=[unit.code]), "active": unit.active},
    )


@require_POST
@role_required(*MANAGERS)
def unit_active(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    unit = get_object_or_404(Unit, center=user.center, code=code)
    services.unit_set_active(unit=unit, active=not unit.active, by=user, request=request)
    messages.success(request, f"单位 {unit.name} 已{'启用' if unit.active else '停用'}")
    return redirect("org:units")


@role_required(*MANAGERS)
def hall_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = HallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.hall_create(
            center=user.center, name=form.cleaned_data["name"], by=user, request=request
        )
        messages.success(request, "已新增大厅")
        return redirect("org:units")
    return _form_page(request, form, "新增大厅", reverse("org:units"))


@role_required(*MANAGERS)
def hall_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    hall = get_object_or_404(Hall, center=user.center, pk=pk)
    form = HallForm(request.POST or None, initial={"name": hall.name})
    if request.method == "POST" and form.is_valid():
        services.hall_update(hall=hall, name=form.cleaned_data["name"], by=user, request=request)
        messages.success(request, "已保存大厅")
        return redirect("org:units")
    return _form_page(
        request,
        form,
        f"编辑大厅 {hall.name}",
        reverse("org:units"),
        toggle={"url": reverse("org:hall_active", args=[hall.pk]), "active": hall.active},
    )


@require_POST
@role_required(*MANAGERS)
def hall_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    hall = get_object_or_404(Hall, center=user.center, pk=pk)
    services.hall_set_active(hall=hall, active=not hall.active, by=user, request=request)
    messages.success(request, f"大厅 {hall.name} 已{'启用' if hall.active else '停用'}")
    return redirect("org:units")


# ---------------------------------------------------------------- people


@require_GET
@role_required(*ORG_READERS)
def people_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    g = request.GET
    f = selectors.PeopleFilter(
        unit=g.get("unit", ""),
        window=g.get("window", ""),
        role=g.get("role", ""),
        employment=g.get("employment", ""),
        active=g.get("active", ""),
    )
    windows = selectors.org_windows(user).order_by("code")
    units = Unit.objects.filter(center=user.center, pk__in=windows.values("unit_id")).order_by(
        "code"
    )
    return render(
        request,
        "org/people.html",
        {
            "rows": selectors.people_list(user, f),
            "f": f,
            "units": units,
            "windows": windows,
            "roles": PersonRole.choices,
            "employments": Employment.choices,
            "can_manage": selectors.can_manage(user),
            "admin_links": has_role(user, *POLICY_READERS),
        },
    )


def _person(request: HttpRequest, code: str) -> Person:
    """A person in the user's scope, else 404 (existence is not revealed)."""
    return get_object_or_404(selectors.org_people(_user(request)), code=code)


@require_GET
@role_required(*ORG_READERS)
def person_detail(request: HttpRequest, code: str) -> HttpResponse:
    person = _person(request, code)
    history = [
        {"a": a, "window_url": _window_url(a.window.code) if a.window else None}
        for a in selectors.person_history(person)
    ]
    return render(
        request,
        "org/person.html",
        {
            "person": person,
            "history": history,
            "current": selectors.current_assignment(person),
            "stood_in_by": person.substituted_by.select_related("person", "window").order_by(
                "-start"
            ),
            "can_manage": selectors.can_manage(_user(request)),
        },
    )


@role_required(*MANAGERS)
def person_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            person = services.person_create(
                center=user.center,
                code=d["code"].strip(),
                name=d["name"],
                role=PersonRole(d["role"]),
                employment=d["employment"],
                pin=d["pin"],
                by=user,
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"已新增人员 {person}，请安排岗位")
            return redirect("org:person_join", code=person.code)
    return _form_page(request, form, "新增人员", reverse("org:people"))


def _assignment_page(
    request: HttpRequest, person: Person, form: forms.Form, title: str
) -> HttpResponse:
    return _form_page(
        request,
        form,
        f"{title} · {person.name}（{person.code}）",
        reverse("org:person", args=[person.code]),
        current=selectors.current_assignment(person),
    )


def _assignment_action(
    request: HttpRequest,
    person: Person,
    form: forms.Form,
    title: str,
    act: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """Run one assignment service on a valid POST; ``act`` calls it and returns the success message.

    A service's ValidationError lands on the form fields it names and the page is shown again.
    """
    if request.method == "POST" and form.is_valid():
        try:
            message = act(form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("org:person", code=person.code)
    return _assignment_page(request, person, form, title)


@role_required(*MANAGERS)
def person_join(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    person = _person(request, code)

    def act(d: dict[str, Any]) -> str:
        services.person_join(
            person=person,
            window=d["window"],
            unit=d["unit"],
            start=d["start"],
            note=d["note"],
            by=user,
            request=request,
        )
        return f"{person.name} 已到岗"

    form = JoinForm(request.POST or None, center=user.center)
    return _assignment_action(request, person, form, "到岗", act)


@role_required(*MANAGERS)
def person_transfer(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    person = _person(request, code)

    def act(d: dict[str, Any]) -> str:
        services.person_transfer(
            person=person,
            to_window=d["to_window"],
            on=d["on"],
            note=d["note"],
            by=user,
            request=request,
        )
        return f"{person.name} 已调至 {d['to_window']}"

    form = TransferForm(request.POST or None, center=user.center)
    return _assignment_action(request, person, form, "调动", act)


@role_required(*MANAGERS)
def person_leave(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    person = _person(request, code)

    def act(d: dict[str, Any]) -> str:
        services.person_leave(
            person=person, on=d["on"], reason=d["reason"], by=user, request=request
        )
        return f"{person.name} 已离岗"

    return _assignment_action(request, person, LeaveForm(request.POST or None), "离岗", act)


@role_required(*MANAGERS)
def person_substitute(request: HttpRequest, code: str) -> HttpResponse:
    """Arrange 顶岗 for ``code`` (the person replaced)."""
    user = _user(request)
    replaced = _person(request, code)
    current = selectors.current_assignment(replaced)
    initial = {"window": current.window_id} if current and current.window_id else {}

    def act(d: dict[str, Any]) -> str:
        services.substitute_start(
            substitute=d["substitute"],
            replaced=replaced,
            window=d["window"],
            start=d["start"],
            end=d["end"],
            by=user,
            request=request,
        )
        return f"已安排 {d['substitute'].name} 顶岗 {replaced.name}"

    form = SubstituteForm(
        request.POST or None, initial=initial, center=user.center, replaced=replaced
    )
    return _assignment_action(request, replaced, form, "安排顶岗", act)


# ---------------------------------------------------------------- policy


@require_GET
@role_required(*POLICY_READERS)
def policy_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    q = request.GET.get("q", "")
    try:
        row, policy = selectors.policy_in_force(user.center)
    except NoPolicyError:
        row, policy = None, None
    items = selectors.catalog_rows(policy, q) if policy else []
    if request.headers.get("HX-Request") and request.GET.get("partial") == "items":
        return render(request, "org/_items.html", {"items": items, "q": q})
    return render(
        request,
        "org/policy.html",
        {
            "row": row,
            "policy": policy,
            "history": selectors.policy_history(user.center),
            "dimensions": selectors.dimension_rows(policy) if policy else [],
            "items": items,
            "q": q,
            "can_manage": selectors.can_manage(user),
            "choose_form": ChoosePolicyForm(initial={"effective_from": timezone.localdate()}),
        },
    )


@require_POST
@role_required(*MANAGERS)
def policy_choose(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ChoosePolicyForm(request.POST)
    if form.is_valid():
        row = services.policy_choose_bundled(
            center=user.center,
            policy_id=form.cleaned_data["policy_id"],
            effective_from=form.cleaned_data["effective_from"],
            by=user,
            request=request,
        )
        messages.success(request, f"自 {row.effective_from} 起使用 {row.policy_id}")
    else:
        messages.error(request, "请选择办法并填写生效日期")
    return redirect("org:policy")


@role_required(*MANAGERS)
def policy_edit(request: HttpRequest) -> HttpResponse:
    """Edit a copy of the policy in force; an invalid text is shown back with its errors.

    The 试算 button runs the text over chosen past months instead of saving it,
    so a center sees whom a change would move before it takes effect.
    """
    user = _user(request)
    problems: list[str] = []
    comparisons: list[dry_run.PeriodComparison] | None = None
    offered = dry_run.recent_periods(user.center)
    if request.method == "POST":
        form = PolicyTextForm(request.POST, periods=offered)
        if form.is_valid() and "dry_run" in request.POST:
            try:
                candidate = services.policy_parse(user.center, form.cleaned_data["text"])
            except PolicyError as exc:
                problems = str(exc).splitlines()
            else:
                chosen = form.cleaned_data["periods"] or offered[:1]
                comparisons = dry_run.dry_run(user.center, candidate, sorted(chosen))
        elif form.is_valid():
            try:
                row = services.policy_save_custom(
                    center=user.center,
                    text=form.cleaned_data["text"],
                    effective_from=form.cleaned_data["effective_from"],
                    by=user,
                    request=request,
                )
            except PolicyError as exc:
                problems = str(exc).splitlines()
            else:
                messages.success(
                    request, f"已保存本中心修订版 {row.policy_id}，自 {row.effective_from} 起生效"
                )
                return redirect("org:policy")
    else:
        try:
            row = selectors.policy_in_force(user.center)[0]
        except NoPolicyError:
            raise Http404("本中心尚未选定考核办法") from None
        form = PolicyTextForm(
            initial={
                "text": selectors.policy_text(row),
                "effective_from": timezone.localdate(),
                "periods": offered[:1],
            },
            periods=offered,
        )
    return render(
        request,
        "org/policy_edit.html",
        {"form": form, "problems": problems, "comparisons": comparisons, "offered": offered},
    )


@require_GET
@role_required(*CATALOG_USERS)
def item_search(request: HttpRequest) -> JsonResponse:
    """Items of the policy in force matching ``q``, for the ledger forms.

    ``GET /org/policy/items?q=迟到[&on=2024-05-06]`` (``on``: the record's date;
    default today) answers, at most 30 items, code-prefix matches first::

        {"items": [{"code": "attendance.01", "name": "迟到", "dimension": "attendance",
                    "points": "1" | null, "range": ["0.5", "2"] | null,
                    "free_entry": false, "unit": "次", "major": false, "exempt": false}]}

    Numbers are decimal strings.  The match is plain text: code prefix, or
    a substring of the name or code (no pinyin).  No policy in force: ``{"items": []}``.
    """
    user = _user(request)
    on = None
    if request.GET.get("on"):
        try:
            on = forms.DateField().clean(request.GET["on"])
        except ValidationError:
            return JsonResponse({"error": "on 应为日期，如 2024-05-06"}, status=400)
    try:
        _, policy = selectors.policy_in_force(user.center, on)
    except NoPolicyError:
        return JsonResponse({"items": []})
    found = selectors.item_matches(policy, request.GET.get("q", ""), limit=30)
    return JsonResponse({"items": [selectors.item_row(i) for i in found]})
