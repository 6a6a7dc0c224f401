"""Changes to the organisation and to the regulation a center uses.

Each function is one atomic action that writes its audit row in the same
transaction.  Nothing is deleted: halls, units and windows are deactivated,
assignments are ended, and a new regulation is a new dated CenterPolicy row,
so any past period still gets the roster and rules it had.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from kaohe.engine import bundled_policy_ids
from kaohe.engine.policy.loader import parse_policy
from kaohe.engine.policy.models import Policy
from kaohe.web.audit.services import audit_log, snapshot
from kaohe.web.org.models import (
    Assignment,
    Center,
    CenterPolicy,
    Hall,
    Person,
    PersonRole,
    PolicySource,
    Unit,
    Window,
    WindowKind,
)

# ---------------------------------------------------------------- halls, units, windows

M = TypeVar("M", bound=Model)


def _change(obj: M, action: str, by: Any, request: HttpRequest | None, **fields: Any) -> M:
    """Set ``fields`` on ``obj`` and write the audit row with before/after, in one transaction."""
    with transaction.atomic():
        before = snapshot(obj)
        for name, value in fields.items():
            setattr(obj, name, value)
        obj.save(update_fields=list(fields))
        audit_log(
            actor=by, action=action, obj=obj, before=before, after=snapshot(obj), request=request
        )
    return obj


def hall_create(*, center: Center, name: str, by: Any, request: HttpRequest | None = None) -> Hall:
    with transaction.atomic():
        hall = Hall.objects.create(center=center, name=name)
        audit_log(actor=by, action="hall.create", obj=hall, after=snapshot(hall), request=request)
    return hall


def hall_update(*, hall: Hall, name: str, by: Any, request: HttpRequest | None = None) -> Hall:
    return _change(hall, "hall.update", by, request, name=name)


def hall_set_active(
    *, hall: Hall, active: bool, by: Any, request: HttpRequest | None = None
) -> Hall:
    """Halls are switched off, never deleted: windows and history still name them."""
    return _change(
        hall, "hall.activate" if active else "hall.deactivate", by, request, active=active
    )


def unit_create(
    *, center: Center, code: str, name: str, by: Any, request: HttpRequest | None = None
) -> Unit:
    """A unit's code is the engine's id for it, so it is unique and fixed once created."""
    if Unit.objects.filter(center=center, code=code).exists():
        raise ValidationError({"code": f"单位代码 {code} 已存在"})
    with transaction.atomic():
        unit = Unit.objects.create(center=center, code=code, name=name)
        audit_log(actor=by, action="unit.create", obj=unit, after=snapshot(unit), request=request)
    return unit


def unit_update(*, unit: Unit, name: str, by: Any, request: HttpRequest | None = None) -> Unit:
    return _change(unit, "unit.update", by, request, name=name)


def unit_set_active(
    *, unit: Unit, active: bool, by: Any, request: HttpRequest | None = None
) -> Unit:
    return _change(
        unit, "unit.activate" if active else "unit.deactivate", by, request, active=active
    )


def _check_place(center: Center, unit: Unit | None, hall: Hall | None) -> None:
    if unit is not None and unit.center_id != center.pk:
        raise ValidationError({"unit": "单位不属于本中心"})
    if hall is not None and hall.center_id != center.pk:
        raise ValidationError({"hall": "大厅不属于本中心"})


def window_create(
    *,
    center: Center,
    code: str,
    name: str,
    kind: WindowKind,
    unit: Unit | None,
    hall: Hall | None,
    by: Any,
    request: HttpRequest | None = None,
) -> Window:
    """A window's code (窗口编号) is its engine id: unique in the center and fixed."""
    _check_place(center, unit, hall)
    if Window.objects.filter(center=center, code=code).exists():
        raise ValidationError({"code": f"窗口编号 {code} 已存在"})
    with transaction.atomic():
        window = Window.objects.create(
            center=center, code=code, name=name, kind=kind, unit=unit, hall=hall
        )
        audit_log(
            actor=by, action="window.create", obj=window, after=snapshot(window), request=request
        )
    return window


def window_update(
    *,
    window: Window,
    name: str,
    kind: WindowKind,
    unit: Unit | None,
    hall: Hall | None,
    by: Any,
    request: HttpRequest | None = None,
) -> Window:
    _check_place(window.center, unit, hall)
    return _change(window, "window.update", by, request, name=name, kind=kind, unit=unit, hall=hall)


def window_set_active(
    *, window: Window, active: bool, by: Any, request: HttpRequest | None = None
) -> Window:
    """An inactive window leaves the roster unless someone served there in the period."""
    return _change(
        window, "window.activate" if active else "window.deactivate", by, request, active=active
    )


# ---------------------------------------------------------------- people and assignments


def person_create(
    *,
    center: Center,
    code: str,
    name: str,
    role: PersonRole,
    employment: str,
    pin: str,
    by: Any,
    request: HttpRequest | None = None,
) -> Person:
    """A person's 工号 is the engine id; the post comes from :func:`person_join`."""
    if Person.objects.filter(center=center, code=code).exists():
        raise ValidationError({"code": f"工号 {code} 已存在"})
    with transaction.atomic():
        person = Person.objects.create(
            center=center, code=code, name=name, role=role, employment=employment, pin=pin
        )
        audit_log(
            actor=by, action="person.create", obj=person, after=snapshot(person), request=request
        )
    return person


def _overlapping(person: Person, start: date, end: date | None) -> QuerySet[Assignment]:
    qs = person.assignments.filter(Q(end__isnull=True) | Q(end__gte=start))
    if end is not None:
        qs = qs.filter(start__lte=end)
    return qs


def _check_free(
    person: Person,
    start: date,
    end: date | None,
    window: Window | None = None,
    unit: Unit | None = None,
) -> None:
    """A person holds one post at a time.

    The one exception is a chief representative: he is assigned to his unit
    and may in the same days answer for named windows, so only a second
    assignment to the same unit or window overlaps for him.
    """
    if end is not None and end < start:
        raise ValidationError({"end": "结束日期不能早于起始日期"})
    clash = _overlapping(person, start, end)
    if person.role == PersonRole.CHIEF_REP:
        clash = clash.filter(
            Q(window=window) if window is not None else Q(window__isnull=True),
            Q(unit=unit) if unit is not None else Q(unit__isnull=True),
        )
    first = clash.order_by("start").first()
    if first is not None:
        raise ValidationError(
            f"{person.name} 在 {first.start}–{first.end or '至今'} 已有岗位（{first.window or first.unit}），"
            "岗位期间不能重叠"
        )


def _check_same_center(person: Person, window: Window | None, unit: Unit | None) -> None:
    if window is not None and window.center_id != person.center_id:
        raise ValidationError({"window": "窗口不属于本中心"})
    if unit is not None and unit.center_id != person.center_id:
        raise ValidationError({"unit": "单位不属于本中心"})


def person_join(
    *,
    person: Person,
    start: date,
    by: Any,
    window: Window | None = None,
    unit: Unit | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Assignment:
    """Put a person on a post from ``start`` (open-ended): staff on a window, a chief rep on a unit."""
    if window is None and unit is None:
        raise ValidationError("请选择窗口或单位")
    _check_same_center(person, window, unit)
    _check_free(person, start, None, window=window, unit=unit)
    with transaction.atomic():
        a = Assignment.objects.create(
            person=person, window=window, unit=unit, start=start, note=note
        )
        if not person.active:
            person.active = True
            person.save(update_fields=["active"])
        audit_log(
            actor=by,
            action="person.join",
            obj=person,
            summary=f"{person.name} 自 {start} 到岗 {window or unit}",
            after=snapshot(a),
            request=request,
            center=person.center,
        )
    return a


def _last(person: Person) -> Assignment | None:
    return person.assignments.order_by("-start", "-id").first()


def person_transfer(
    *,
    person: Person,
    to_window: Window,
    on: date,
    by: Any,
    note: str = "",
    request: HttpRequest | None = None,
) -> Assignment:
    """Move a person to another window from ``on``.

    The current assignment ends the day before ``on`` and a new one starts on
    ``on``, so each period's roster puts him where he stood at its end and
    his records stay with the window he served when they happened.  Only
    forward: ``on`` must be after the start of his last assignment.
    """
    _check_same_center(person, to_window, None)
    current = _last(person)
    if current is None or (current.end is not None and current.end < on - timedelta(days=1)):
        raise ValidationError("该人员当前没有在岗的岗位，请使用“到岗”")
    if on <= current.start:
        raise ValidationError(
            {"on": f"调动日期必须晚于当前岗位的起始日期 {current.start}（只能向后调动）"}
        )
    if current.window_id == to_window.pk:
        raise ValidationError({"to_window": "调入窗口与当前窗口相同"})
    with transaction.atomic():
        before = snapshot(current)
        current.end = on - timedelta(days=1)
        current.save(update_fields=["end"])
        new = Assignment.objects.create(
            person=person,
            window=to_window,
            unit=current.unit if person.role == PersonRole.CHIEF_REP else None,
            start=on,
            note=note,
        )
        audit_log(
            actor=by,
            action="person.transfer",
            obj=person,
            summary=f"{person.name} 自 {on} 由 {current.window or current.unit} 调至 {to_window}",
            before=before,
            after={"ended": snapshot(current), "started": snapshot(new)},
            request=request,
            center=person.center,
        )
    return new


def person_leave(
    *,
    person: Person,
    on: date,
    by: Any,
    reason: str,
    request: HttpRequest | None = None,
) -> Assignment:
    """End a person's service: ``on`` is his last day in post (the engine's ``left``)."""
    if not reason.strip():
        raise ValidationError({"reason": "请填写离岗原因"})
    open_now = person.assignments.filter(Q(end__isnull=True) | Q(end__gt=on)).order_by(
        "-start", "-id"
    )
    current = open_now.first()
    if current is None:
        raise ValidationError("该人员当前没有在岗的岗位")
    if on < current.start:
        raise ValidationError({"on": f"离岗日期不能早于当前岗位的起始日期 {current.start}"})
    if open_now.filter(start__gt=on).exists():
        raise ValidationError({"on": "离岗日期之后还有已安排的岗位，请先处理"})
    with transaction.atomic():
        before = snapshot(current)
        current.end = on
        current.note = (f"{current.note}；" if current.note else "") + f"离岗：{reason}"
        current.note = current.note[:200]
        current.save(update_fields=["end", "note"])
        person.active = False
        person.save(update_fields=["active"])
        audit_log(
            actor=by,
            action="person.leave",
            obj=person,
            summary=f"{person.name} 于 {on} 离岗：{reason}",
            before=before,
            after=snapshot(current),
            request=request,
            center=person.center,
        )
    return current


def substitute_start(
    *,
    substitute: Person,
    replaced: Person,
    window: Window,
    start: date,
    end: date,
    by: Any,
    request: HttpRequest | None = None,
) -> Assignment:
    """顶岗: ``substitute`` works ``window`` from ``start`` to ``end`` for ``replaced``.

    The assignment names the person replaced (``substitutes_for``), so the
    engine books the substitute's records to him.  The replaced person must
    hold a post in those days, otherwise there is nobody to carry the points.
    """
    if substitute.pk == replaced.pk:
        raise ValidationError({"replaced": "顶岗人员不能是被顶岗人员本人"})
    if replaced.center_id != substitute.center_id:
        raise ValidationError({"replaced": "被顶岗人员不属于本中心"})
    _check_same_center(substitute, window, None)
    if end < start:
        raise ValidationError({"end": "结束日期不能早于起始日期"})
    if not _overlapping(replaced, start, end).exists():
        raise ValidationError({"replaced": f"{replaced.name} 在 {start}–{end} 没有岗位"})
    _check_free(substitute, start, end, window=window)
    with transaction.atomic():
        a = Assignment.objects.create(
            person=substitute,
            window=window,
            start=start,
            end=end,
            substitutes_for=replaced,
            note=f"顶岗 {replaced.name}",
        )
        audit_log(
            actor=by,
            action="person.substitute",
            obj=substitute,
            summary=f"{substitute.name} 于 {start}–{end} 在 {window} 顶岗 {replaced.name}",
            after=snapshot(a),
            request=request,
            center=substitute.center,
        )
    return a


# ---------------------------------------------------------------- policies


def policy_choose_bundled(
    *,
    center: Center,
    policy_id: str,
    effective_from: date,
    by: Any,
    request: HttpRequest | None = None,
) -> CenterPolicy:
    """Use a bundled regulation from a date: a new row; earlier periods keep theirs."""
    if policy_id not in bundled_policy_ids():
        raise ValidationError({"policy_id": f"没有内置办法 {policy_id}"})
    with transaction.atomic():
        row = CenterPolicy.objects.create(
            center=center,
            policy_id=policy_id,
            source=PolicySource.BUNDLED,
            effective_from=effective_from,
            created_by=by if getattr(by, "pk", None) else None,
        )
        audit_log(
            actor=by,
            action="policy.choose",
            obj=row,
            summary=f"自 {effective_from} 起使用 {policy_id}",
            after=snapshot(row),
            request=request,
            center=center,
        )
    return row


def policy_file_name(center: Center) -> str:
    """The name validation messages give the edited text (the bridge uses the same)."""
    return f"{center.code}/custom.yaml"


def policy_parse(center: Center, text: str) -> Policy:
    """The center's edited text as a policy; :class:`kaohe.engine.PolicyError` names each problem."""
    return parse_policy(text, policy_file_name(center))


def policy_save_custom(
    *,
    center: Center,
    text: str,
    effective_from: date,
    by: Any,
    request: HttpRequest | None = None,
) -> CenterPolicy:
    """Save the center's own edited copy, valid or not at all.

    Raises :class:`kaohe.engine.PolicyError` (file and key path per line)
    before anything is written when the text is not a usable policy.
    """
    policy = policy_parse(center, text)
    with transaction.atomic():
        row = CenterPolicy.objects.create(
            center=center,
            policy_id=policy.id,
            source=PolicySource.CUSTOM,
            yaml_text=text,
            effective_from=effective_from,
            created_by=by if getattr(by, "pk", None) else None,
        )
        audit_log(
            actor=by,
            action="policy.save_custom",
            obj=row,
            summary=f"自 {effective_from} 起使用本中心修订版 {policy.id}",
            after={k: v for k, v in snapshot(row).items() if k != "yaml_text"},
            request=request,
            center=center,
        )
    return row
