"""Writes of the monthly cycle: each step is one atomic action that writes its audit row.

Roles are checked here as well as in the views, so no other caller (a CLI, a
task, an API) can skip a step: the inspector runs review, publicity and
publishing; leadership approves, adjusts grades, decides appeals and
reopens; staff and chief reps appeal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from kaohe.engine import Period
from kaohe.web.accounts.models import Role, User
from kaohe.web.audit.services import audit_log, snapshot
from kaohe.web.facts.models import Vote
from kaohe.web.ledger.models import Record
from kaohe.web.ledger.services import record_void
from kaohe.web.org.models import Center
from kaohe.web.scoring.models import RunStatus, ScoreRun
from kaohe.web.scoring.services import compute, current_run, is_large
from kaohe.web.uploads import CheckedFile, checked, image_format, read_capped
from kaohe.web.workflow import selectors
from kaohe.web.workflow.models import (
    Adjustment,
    Appeal,
    AppealAttachment,
    AppealState,
    AssessmentPeriod,
    Decision,
    Notification,
    PeriodState,
    Snapshot,
)

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_MAX_COUNT = 5
#: Pillow's format name → the content type an image attachment is stored as.
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


def _snap(obj: models.Model) -> dict[str, Any]:
    """The audit snapshot of a row, with an uploaded file as its stored name."""
    files = [f for f in obj._meta.concrete_fields if isinstance(f, models.FileField)]
    out = snapshot(obj, [f.name for f in obj._meta.concrete_fields if f not in files])
    for f in files:
        out[f.attname] = getattr(obj, f.attname).name or ""
    return out


def _require(user: User, *roles: Role) -> None:
    if getattr(user, "role", None) not in roles:
        raise PermissionDenied


def _locked(period: AssessmentPeriod) -> AssessmentPeriod:
    return AssessmentPeriod.objects.select_for_update().get(pk=period.pk)


def _expect(period: AssessmentPeriod, *states: PeriodState) -> None:
    if period.state not in states:
        raise ValidationError(
            f"考核期 {period.period} 当前为“{period.get_state_display()}”，不能进行此操作。"
        )


def _fresh_run(period: AssessmentPeriod) -> ScoreRun:
    """A run computed now from the ledger; an engine refusal stops the step."""
    run = compute(period.center, period.period)
    if run.status != RunStatus.CURRENT or run.result is None:
        raise ValidationError(f"计分失败，不能继续：{run.error}")
    return run


def _audit(
    *,
    by: User,
    action: str,
    obj: Any,
    summary: str,
    before: dict[str, Any] | None,
    request: HttpRequest | None,
    center: Center,
) -> None:
    audit_log(
        actor=by,
        action=action,
        obj=obj,
        summary=summary,
        before=before,
        after=_snap(obj),
        request=request,
        center=center,
    )


# ---------------------------------------------------------------- the period lifecycle


def period_create(
    *, center: Center, period: str, by: User, request: HttpRequest | None = None
) -> AssessmentPeriod:
    """Open a period for the cycle (a draft); its results are the engine's from the start."""
    _require(by, Role.INSPECTOR)
    try:
        p = Period.parse(period.strip())
    except (ValueError, TypeError) as exc:
        raise ValidationError("考核期格式应为 2024-05、2024-Q2 或 2024。") from exc
    with transaction.atomic():
        if AssessmentPeriod.objects.filter(center=center, period=str(p)).exists():
            raise ValidationError(f"考核期 {p} 已经存在。")
        obj = AssessmentPeriod.objects.create(center=center, period=str(p))
        obj.policy_id = selectors.policy_of(obj).id
        obj.save(update_fields=["policy_id"])
        _audit(
            by=by,
            action="period.create",
            obj=obj,
            summary=f"新建考核期 {p}",
            before=None,
            request=request,
            center=center,
        )
    return obj


def period_review(
    *, period: AssessmentPeriod, by: User, request: HttpRequest | None = None
) -> AssessmentPeriod:
    """初审: the inspector has checked the draft computed from the ledger as it is now."""
    _require(by, Role.INSPECTOR)
    with transaction.atomic():
        obj = _locked(period)
        _expect(obj, PeriodState.DRAFT)
        before = _snap(obj)
        _fresh_run(obj)
        obj.state = PeriodState.REVIEWED
        obj.save(update_fields=["state"])
        _audit(
            by=by,
            action="period.review",
            obj=obj,
            summary=f"{obj.period} 初审",
            before=before,
            request=request,
            center=obj.center,
        )
    return obj


def period_start_publicity(
    *,
    period: AssessmentPeriod,
    by: User,
    request: HttpRequest | None = None,
    today: date | None = None,
) -> AssessmentPeriod:
    """公示: the deadline is counted in working days; appeals open now if the policy says so."""
    _require(by, Role.INSPECTOR)
    day = today or timezone.localdate()
    with transaction.atomic():
        obj = _locked(period)
        _expect(obj, PeriodState.REVIEWED)
        before = _snap(obj)
        rules = selectors.rules_for(obj)
        obj.state = PeriodState.PUBLICITY
        obj.publicity_start = day
        obj.publicity_ends = selectors.deadline(day, rules.publicity_workdays)
        obj.appeal_ends = (
            selectors.deadline(day, rules.appeal_workdays)
            if rules.appeal_from == "publicity"
            else None
        )
        obj.save(update_fields=["state", "publicity_start", "publicity_ends", "appeal_ends"])
        _audit(
            by=by,
            action="period.publicity",
            obj=obj,
            summary=f"{obj.period} 公示至 {obj.publicity_ends}",
            before=before,
            request=request,
            center=obj.center,
        )
    return obj


def period_approve(
    *,
    period: AssessmentPeriod,
    by: User,
    request: HttpRequest | None = None,
    today: date | None = None,
) -> AssessmentPeriod:
    """审定: only once publicity has run its course and every appeal is decided."""
    _require(by, Role.LEADER)
    day = today or timezone.localdate()
    with transaction.atomic():
        obj = _locked(period)
        _expect(obj, PeriodState.PUBLICITY)
        if obj.publicity_ends is not None and day <= obj.publicity_ends:
            raise ValidationError(f"公示期至 {obj.publicity_ends} 结束，公示期满后方可审定。")
        pending = Appeal.objects.filter(
            period=obj, state__in=[AppealState.FILED, AppealState.UNDER_REVIEW]
        ).count()
        if pending:
            raise ValidationError(f"尚有 {pending} 件申诉未复核，不能审定。")
        before = _snap(obj)
        obj.state = PeriodState.APPROVED
        obj.save(update_fields=["state"])
        _audit(
            by=by,
            action="period.approve",
            obj=obj,
            summary=f"{obj.period} 审定",
            before=before,
            request=request,
            center=obj.center,
        )
    return obj


def _digest(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def period_publish(
    *,
    period: AssessmentPeriod,
    by: User,
    request: HttpRequest | None = None,
    today: date | None = None,
) -> Snapshot:
    """通报: freeze a fresh engine run, the ledger rows and adjustments behind it, as a snapshot."""
    _require(by, Role.INSPECTOR)
    day = today or timezone.localdate()
    with transaction.atomic():
        obj = _locked(period)
        _expect(obj, PeriodState.APPROVED)
        before = _snap(obj)
        run = _fresh_run(obj)
        records = selectors.period_records(obj)
        adjustments = selectors.adjustments_for(obj.center, obj.period)
        now = timezone.now()
        payload = {
            "period": obj.period,
            "version": obj.version,
            "policy_id": run.policy_id,
            "calendar": run.calendar,
            "result": run.result,
            "records": records,
            "adjustments": adjustments,
        }
        snap = Snapshot.objects.create(
            period=obj,
            version=obj.version,
            published_at=now,
            by=by,
            policy_id=run.policy_id,
            calendar=run.calendar,
            result=run.result,
            records=records,
            adjustments=adjustments,
            sha256=_digest(payload),
        )
        rules = selectors.rules_for(obj)
        obj.state = PeriodState.PUBLISHED
        obj.published_at = now
        obj.policy_id = run.policy_id
        if rules.appeal_from == "publication":
            obj.appeal_ends = selectors.deadline(day, rules.appeal_workdays)
        obj.save(update_fields=["state", "published_at", "policy_id", "appeal_ends"])
        _audit(
            by=by,
            action="period.publish",
            obj=obj,
            summary=f"{obj.period} 第 {snap.version} 版通报发布（sha256 {snap.sha256[:12]}）",
            before=before,
            request=request,
            center=obj.center,
        )
    return snap


def _reopen(obj: AssessmentPeriod) -> None:
    obj.state = PeriodState.DRAFT
    obj.version += 1
    obj.publicity_start = None
    obj.publicity_ends = None
    obj.published_at = None
    obj.save(
        update_fields=["state", "version", "publicity_start", "publicity_ends", "published_at"]
    )


def period_reopen(
    *, period: AssessmentPeriod, by: User, reason: str, request: HttpRequest | None = None
) -> AssessmentPeriod:
    """Reopen a published period as a new version; the published snapshot stays as it was."""
    _require(by, Role.LEADER)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("重新打开须填写原因。")
    with transaction.atomic():
        obj = _locked(period)
        _expect(obj, PeriodState.PUBLISHED)
        before = _snap(obj)
        _reopen(obj)
        _audit(
            by=by,
            action="period.reopen",
            obj=obj,
            summary=f"{obj.period} 重新打开为第 {obj.version} 版：{reason}",
            before=before,
            request=request,
            center=obj.center,
        )
    return obj


# ---------------------------------------------------------------- adjustments


def _grades_of_subject(period: AssessmentPeriod, subject: str) -> tuple[str, list[str]]:
    """(display name, grades its scorecard can give) of a subject of the current run."""
    run = current_run(period.center, period.period)
    subjects = (run.result or {}).get("subjects", {})
    if subject not in subjects:
        raise ValidationError(f"本期没有考核对象 {subject}。")
    grades = selectors.scorecard_grades(
        selectors.policy_of(period), subjects[subject]["scorecard"]
    )
    return subjects[subject].get("name") or subject, grades


def _adjust(
    *, obj: AssessmentPeriod, subject: str, grade: str, reason: str, by: User
) -> Adjustment:
    name, grades = _grades_of_subject(obj, subject)
    if grade not in grades:
        raise ValidationError(
            f"{name} 的等次只能是：{'、'.join(grades) or '（该考核表不评等次）'}。"
        )
    return Adjustment.objects.create(
        period=obj, subject=subject, subject_name=name, grade=grade, reason=reason, by=by
    )


def _rescore_after_commit(obj: AssessmentPeriod) -> None:
    """The period's run is out of date: recompute it after commit (as a task for a large center)."""
    ScoreRun.objects.filter(center=obj.center, period=obj.period).update(status=RunStatus.STALE)
    center, p = obj.center, obj.period

    def recompute() -> None:
        if is_large(center):
            from kaohe.web.scoring.tasks import recompute_period

            recompute_period.enqueue(center.pk, p)
        else:
            compute(center, p)

    transaction.on_commit(recompute)


def adjustment_set(
    *,
    period: AssessmentPeriod,
    subject: str,
    grade: str,
    reason: str,
    by: User,
    request: HttpRequest | None = None,
) -> Adjustment:
    """Leadership sets a grade by hand with a written reason; the engine applies it and
    still checks the quotas (its run warns when a quota is exceeded)."""
    _require(by, Role.LEADER)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("调整等次须填写理由。")
    with transaction.atomic():
        obj = _locked(period)
        _expect(
            obj,
            PeriodState.DRAFT,
            PeriodState.REVIEWED,
            PeriodState.PUBLICITY,
            PeriodState.APPROVED,
        )
        adj = _adjust(obj=obj, subject=subject, grade=grade, reason=reason, by=by)
        audit_log(
            actor=by,
            action="adjustment.set",
            obj=adj,
            summary=f"{obj.period} {adj.subject_name} 等次调整为 {grade}：{reason}",
            after=_snap(adj),
            request=request,
            center=obj.center,
        )
        _rescore_after_commit(obj)
    return adj


# ---------------------------------------------------------------- appeals


def _content_type(data: bytes, name: str) -> str:
    """What the bytes are, never what the name says: a PDF by its header and trailer,
    an image by Pillow decoding it (a renamed text file fails either way)."""
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-1024:]:
            raise ValidationError(f"附件“{name}”不是完整的 PDF 文件。")
        return "application/pdf"
    fmt = image_format(data)
    if fmt not in IMAGE_TYPES:
        raise ValidationError(f"附件“{name}”只能是 PDF、JPEG 或 PNG 文件。")
    return IMAGE_TYPES[fmt]


def attachment_check(upload: UploadedFile) -> CheckedFile:
    """Size first (without reading more than the limit), then the content."""
    name = (upload.name or "附件")[:200]
    data = read_capped(
        upload,
        ATTACHMENT_MAX_BYTES,
        too_big=f"附件“{name}”超过 10 MB。",
        empty=f"附件“{name}”是空文件。",
    )
    return checked(data, name, _content_type(data, name))


def _attachments_check(uploads: Sequence[UploadedFile]) -> list[CheckedFile]:
    if len(uploads) > ATTACHMENT_MAX_COUNT:
        raise ValidationError(f"附件最多 {ATTACHMENT_MAX_COUNT} 个。")
    checked: list[CheckedFile] = []
    errors: list[str] = []
    for upload in uploads:
        try:
            checked.append(attachment_check(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return checked


def _attachment_store(appeal: Appeal, item: CheckedFile) -> AppealAttachment:
    row = AppealAttachment(appeal=appeal)
    row.keep(item)
    return row


def appeal_file(
    *,
    period: AssessmentPeriod,
    by: User,
    text: str,
    record: Record | None = None,
    subject: str = "",
    attachments: Sequence[UploadedFile] = (),
    request: HttpRequest | None = None,
    today: date | None = None,
) -> Appeal:
    """A staff member or chief rep appeals a record or a grade of his own scope, in the window."""
    _require(by, Role.STAFF, Role.CHIEF)
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写申诉理由。")
    files = _attachments_check(attachments)
    with transaction.atomic():
        obj = _locked(period)
        if obj.center_id != by.center_id:
            raise PermissionDenied
        if not selectors.appeal_open(obj, today):
            raise ValidationError("不在申诉期内，不能提出申诉。")
        if record is not None:
            if not selectors.appealable_records(by).filter(pk=record.pk).exists():
                raise PermissionDenied
            p = Period.parse(obj.period)
            if not p.start <= record.date <= p.end or record.voided:
                raise ValidationError("该记录不属于本考核期或已作废。")
            if Appeal.objects.filter(
                record=record, state__in=[AppealState.FILED, AppealState.UNDER_REVIEW]
            ).exists():
                raise ValidationError("该记录已有申诉正在复核。")
            subject = record.person.code if record.person_id else record.window.code
        elif not subject or not selectors.can_appeal_subject(by, subject):
            raise PermissionDenied
        grade = selectors.grades_of(current_run(obj.center, obj.period).result).get(subject) or ""
        appeal = Appeal(
            period=obj, appellant=by, record=record, subject=subject, grade=grade, text=text
        )
        appeal.save()
        stored = [_attachment_store(appeal, f) for f in files]
        audit_log(
            actor=by,
            action="appeal.file",
            obj=appeal,
            summary=f"{obj.period} 对 {'记录 #' + str(record.pk) if record else subject} 提出申诉",
            after={**_snap(appeal), "attachments": [a.sha256 for a in stored]},
            request=request,
            center=obj.center,
        )
    return appeal


def appeal_start_review(*, appeal: Appeal, by: User, request: HttpRequest | None = None) -> Appeal:
    _require(by, Role.LEADER)
    with transaction.atomic():
        obj = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if obj.state != AppealState.FILED:
            raise ValidationError("该申诉不在待复核状态。")
        before = _snap(obj)
        obj.state = AppealState.UNDER_REVIEW
        obj.save(update_fields=["state"])
        _audit(
            by=by,
            action="appeal.review",
            obj=obj,
            summary=f"申诉 #{obj.pk} 开始复核",
            before=before,
            request=request,
            center=obj.period.center,
        )
    return obj


def _notify(user: User, text: str, link: str) -> None:
    Notification.objects.create(user=user, text=text[:300], link=link)


def appeal_decide(
    *,
    appeal: Appeal,
    by: User,
    decision: Decision,
    reason: str,
    grade: str = "",
    request: HttpRequest | None = None,
) -> Appeal:
    """Uphold, or overturn: the record is voided (or the grade set) and the period re-scored
    and re-ranked at once; whoever's grade moves because of it is told, and so is the appellant.

    Re-scoring inside the decision keeps the notices true to the new ranking; an
    overturn after publication reopens the period as a new version.
    """
    _require(by, Role.LEADER)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("复核须填写意见。")
    with transaction.atomic():
        obj = Appeal.objects.select_for_update().select_related("period__center").get(pk=appeal.pk)
        if not obj.open:
            raise ValidationError("该申诉已经复核完毕。")
        period = _locked(obj.period)
        center = period.center
        before = _snap(obj)
        link = reverse("workflow:period", args=[period.pk])
        if decision == Decision.UPHOLD:
            obj.state = AppealState.UPHELD
        else:
            old_grades = selectors.grades_of(current_run(center, period.period).result)
            if obj.record_id is not None:
                record_void(record=obj.record, by=by, reason=f"申诉改判：{reason}", request=request)
            else:
                _adjust(obj=period, subject=obj.subject, grade=grade, reason=reason, by=by)
            run = compute(center, period.period)
            new_result = run.result or {"subjects": {}}
            new_grades = selectors.grades_of(new_result)
            for code in sorted(set(old_grades) | set(new_grades)):
                old, new = old_grades.get(code), new_grades.get(code)
                if old == new:
                    continue
                name = new_result["subjects"].get(code, {}).get("name", code)
                for user in selectors.users_for_subject(center, code):
                    _notify(
                        user,
                        f"{period.period} 经申诉复核重新排名：{name} 的等次由"
                        f"“{old or '无等次'}”变为“{new or '无等次'}”。",
                        link,
                    )
            if period.state == PeriodState.PUBLISHED:
                _reopen(period)
            obj.state = AppealState.OVERTURNED
        obj.decided_by = by
        obj.decided_at = timezone.now()
        obj.reason = reason
        obj.save(update_fields=["state", "decided_by", "decided_at", "reason"])
        _notify(
            obj.appellant,
            f"您对 {period.period} 的申诉已复核：{obj.get_state_display()}。意见：{reason}",
            reverse("workflow:appeal", args=[obj.pk]),
        )
        _audit(
            by=by,
            action=f"appeal.{decision}",
            obj=obj,
            summary=f"申诉 #{obj.pk} {obj.get_state_display()}：{reason}",
            before=before,
            request=request,
            center=center,
        )
    return obj


def notification_read(*, notification: Notification, by: User) -> Notification:
    """Mark one's own notice read (a user's inbox; no audit row: nothing of record changes)."""
    if notification.user_id != by.pk:
        raise PermissionDenied
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    notification.refresh_from_db()
    return notification


# ---------------------------------------------------------------- democratic evaluation


def ballot_enter(
    *,
    period: AssessmentPeriod,
    group: str,
    voter: str,
    levels: dict[str, str],
    by: User,
    request: HttpRequest | None = None,
) -> list[Vote]:
    """Enter one voter's paper ballot (民主测评票): a level per subject rated; blank = not rated.

    The engine counts the votes (weights, invalid ballots); here they are only
    checked against the policy's groups and levels and stored as facts.
    """
    _require(by, Role.INSPECTOR)
    voter = (voter or "").strip()
    policy = selectors.policy_of(period)
    if policy.votes is None:
        raise ValidationError("该考核办法不含民主测评。")
    if group not in policy.votes.groups:
        raise ValidationError("请选择投票组。")
    if not voter:
        raise ValidationError("请填写投票人（可用票号）。")
    chosen = {s: lv for s, lv in levels.items() if lv}
    if not chosen:
        raise ValidationError("这张票没有评价任何对象。")
    bad = sorted({lv for lv in chosen.values() if lv not in policy.votes.weights})
    if bad:
        raise ValidationError(f"评价等次只能是：{'、'.join(policy.votes.weights)}。")
    with transaction.atomic():
        obj = _locked(period)
        _expect(obj, PeriodState.DRAFT, PeriodState.REVIEWED)
        subjects = (current_run(obj.center, obj.period).result or {}).get("subjects", {})
        unknown = sorted(set(chosen) - set(subjects))
        if unknown:
            raise ValidationError(f"本期没有考核对象：{'、'.join(unknown)}。")
        live = Vote.objects.filter(
            center=obj.center, period=obj.period, group=group, voter=voter, rolled_back=False
        )
        if live.exists():
            raise ValidationError(f"{voter} 在该组的票已经录入。")
        votes = []
        for subject, level in sorted(chosen.items()):
            key = hashlib.sha256(f"{obj.period}|{group}|{voter}|{subject}".encode()).hexdigest()
            votes.append(
                Vote.objects.create(
                    center=obj.center,
                    natural_key=f"vote-{key[:59]}",
                    period=obj.period,
                    group=group,
                    voter=voter,
                    subject=subject,
                    level=level,
                )
            )
        audit_log(
            actor=by,
            action="vote.enter",
            obj=obj,
            summary=f"{obj.period} 录入 {policy.votes.groups[group]} {voter} 的测评票（{len(votes)} 项）",
            after={"group": group, "voter": voter, "levels": chosen},
            request=request,
            center=obj.center,
        )
        _rescore_after_commit(obj)
    return votes
