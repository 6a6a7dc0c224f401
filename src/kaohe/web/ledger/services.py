"""Writing the ledger: creating a record with its photos, and voiding one.

Each write is one transaction that also writes its audit row, so a record
never exists without the trace of who made it.  Records are checked here
against the regulation in force on their date with the same rules the engine
applies, because one bad record would stop the whole month from scoring.
Nothing is ever deleted: a mistake is voided with a reason that stays visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from kaohe.engine.policy.models import Item
from kaohe.web.accounts.models import User
from kaohe.web.audit.services import audit_log, snapshot
from kaohe.web.ledger.models import Evidence, Record, RecordSource
from kaohe.web.org.models import Assignment, Center, Person, Window
from kaohe.web.scoring import bridge
from kaohe.web.scoring.services import ledger_changed
from kaohe.web.uploads import CheckedFile, Upload, checked, image_format, read_capped

#: Pillow's format name → the content type we store and serve.
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


Errors = dict[str, list[str]]


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def photo_check(upload: Upload) -> CheckedFile:
    """Accept a photo by its bytes, never by its name: size first, then Pillow decodes it.

    A text file renamed ``.jpg`` fails to decode; a real image of a type the
    center does not accept (GIF, BMP …) fails the format check.
    """
    name = (getattr(upload, "name", "") or "")[:200]
    limit = settings.KAOHE_PHOTO_MAX_BYTES
    data = read_capped(
        upload, limit, too_big=_too_big(name, limit), empty=f"照片“{name}”是空文件。", code="photo"
    )
    fmt = image_format(data)
    if fmt is None:
        raise ValidationError(f"“{name}”不是可识别的图片文件。", code="photo_type")
    if fmt not in settings.KAOHE_PHOTO_TYPES or fmt not in CONTENT_TYPES:
        allowed = "、".join(settings.KAOHE_PHOTO_TYPES)
        raise ValidationError(
            f"“{name}”的图片格式 {fmt or '未知'} 不被接受，仅限 {allowed}。", code="photo_type"
        )
    return checked(data, name, CONTENT_TYPES[fmt])


def _too_big(name: str, limit: int) -> str:
    return f"照片“{name}”超过 {filesizeformat(limit)} 的大小上限。"


def _as_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def _check_points(item: Item, points: Decimal | None, errors: Errors) -> Decimal | None:
    """The points to store: None for a fixed item, the inspector's value otherwise."""
    unit = item.unit or "次"
    if item.points is not None:
        if points is not None and points != item.points:
            _add(
                errors,
                "points",
                f"“{item.name}”的分值固定为 {item.points} 分/{unit}，不能填写其他分值。",
            )
        return None
    if points is None:
        if item.range is not None:
            lo, hi = item.range
            _add(errors, "points", f"“{item.name}”须在 {lo}–{hi} 分之间填写分值。")
        else:
            _add(errors, "points", f"“{item.name}”须填写分值。")
        return None
    if points <= 0:
        _add(errors, "points", "分值填写正数，扣分或加分由考核项决定。")
        return None
    if points.as_tuple().exponent < -4 or abs(points) >= Decimal("100000"):  # type: ignore[operator]
        _add(errors, "points", "分值最多保留四位小数。")
        return None
    if item.range is not None:
        lo, hi = item.range
        if not lo <= points <= hi:
            _add(errors, "points", f"分值 {points} 超出“{item.name}”的范围 {lo}–{hi} 分。")
            return None
    if item.max_points is not None and points > item.max_points:
        _add(errors, "points", f"分值 {points} 超过“{item.name}”的上限 {item.max_points} 分。")
        return None
    return points


def _on_roster(subject: Person | Window, day: date) -> bool:
    """Whether the engine will find the subject in the roster of ``day``'s period."""
    current = Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))
    if isinstance(subject, Person):
        return Assignment.objects.filter(current, person=subject).exists()
    return subject.active or Assignment.objects.filter(current, window=subject).exists()


@transaction.atomic
def record_create(
    *,
    center: Center,
    by: User | None,
    subject: Person | Window,
    item_code: str,
    date: date,
    count: int = 1,
    points: Decimal | int | str | None = None,
    major: bool = False,
    exempt: bool = False,
    note: str = "",
    photos: Sequence[Upload] = (),
    source: RecordSource = RecordSource.MANUAL,
    request: HttpRequest | None = None,
) -> Record:
    """Record one finding against a person or a window, with its evidence photos.

    Everything is checked before anything is written; all errors come back
    together, keyed by field, so a form can show them next to its inputs.
    """
    errors: Errors = {}
    if not isinstance(subject, Person | Window) or subject.center_id != center.pk:
        _add(errors, "subject", "考核对象不属于本中心。")
    if date > timezone.localdate():
        _add(errors, "date", "日期不能晚于今天。")
    elif isinstance(subject, Person | Window) and not _on_roster(subject, date):
        what = "该人员当天没有在岗安排" if isinstance(subject, Person) else "该窗口已停用"
        _add(errors, "subject", f"{what}，不能记录。")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        _add(errors, "count", "次数须为不小于 1 的整数。")
    try:
        given = _as_decimal(points)
    except ValueError:
        _add(errors, "points", "分值须为数字。")
        given = None
    item: Item | None = None
    policy_id = ""
    try:
        policy = bridge.policy_for(center, date)
    except bridge.NoPolicyError:
        _add(errors, "item_code", "本中心尚未选定考核办法。")
    else:
        policy_id = policy.id
        item = policy.item(item_code)
        if item is None:
            _add(errors, "item_code", f"考核办法 {policy.id} 中没有考核项 {item_code}。")
    stored_points: Decimal | None = None
    if item is not None:
        if "points" not in errors:
            stored_points = _check_points(item, given, errors)
        if major and item.major is None:
            _add(errors, "major", f"“{item.name}”没有“情节严重”的规定。")
        if exempt and not item.exempt:
            _add(errors, "exempt", f"“{item.name}”没有主动报告免责的规定。")
    checked: list[CheckedFile] = []
    for upload in photos:
        try:
            checked.append(photo_check(upload))
        except ValidationError as exc:
            for message in exc.messages:
                _add(errors, "photos", message)
    if errors:
        raise ValidationError(errors)
    assert item is not None

    record = Record.objects.create(
        center=center,
        person=subject if isinstance(subject, Person) else None,
        window=subject if isinstance(subject, Window) else None,
        policy_id=policy_id,
        item_code=item.code,
        item_name=item.name[:200],
        dimension=item.dimension,
        date=date,
        count=count,
        points=stored_points,
        major=major,
        exempt=exempt,
        note=note.strip(),
        source=source,
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    evidence = [_evidence_store(record, photo) for photo in checked]
    audit_log(
        actor=by,
        action="record.create",
        obj=record,
        summary=f"{date} {subject} {item.name}",
        before=None,
        after={**snapshot(record), "evidence": [e.sha256 for e in evidence]},
        request=request,
        center=center,
    )
    ledger_changed(center, date)
    return record


def _evidence_store(record: Record, photo: CheckedFile) -> Evidence:
    evidence = Evidence(record=record)
    evidence.keep(photo)
    return evidence


@transaction.atomic
def record_void(
    *, record: Record, by: User, reason: str, request: HttpRequest | None = None
) -> Record:
    """Take a record out of scoring while keeping it, its evidence and the reason on view."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["作废须填写原因。"]})
    locked = Record.objects.select_for_update().get(pk=record.pk)
    if locked.voided_at is not None:
        raise ValidationError({"reason": ["该记录已经作废，不能重复作废。"]})
    before = snapshot(locked)
    locked.voided_at = timezone.now()
    locked.voided_by = by
    locked.void_reason = reason
    locked.save(update_fields=["voided_at", "voided_by", "void_reason"])
    audit_log(
        actor=by,
        action="record.void",
        obj=locked,
        summary=f"作废 {locked}：{reason}",
        before=before,
        after=snapshot(locked),
        request=request,
        center=locked.center,
    )
    ledger_changed(locked.center, locked.date)
    return locked


def error_items(exc: ValidationError) -> Iterable[tuple[str, list[str]]]:
    """A service error as (field, messages) pairs, whether it was raised with fields or not."""
    if hasattr(exc, "error_dict"):
        return list(exc.message_dict.items())
    return [("__all__", exc.messages)]
