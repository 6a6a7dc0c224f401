"""The monthly cycle: period states, publicity, appeals, adjustments, snapshots, notices.

A period moves draft → 初审 → 公示 → 审定 → 通报 (published) by single audited
actions (``services``).  Publishing freezes a ``Snapshot``: a copy of the
engine's run and of the ledger rows behind it, never changed afterwards, so
a published bulletin reads the same forever; reopening makes a new version.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from kaohe.web.uploads import StoredFile


class PeriodState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    REVIEWED = "reviewed", _("已初审")
    PUBLICITY = "publicity", _("公示中")
    APPROVED = "approved", _("已审定")
    PUBLISHED = "published", _("已通报")


class AssessmentPeriod(models.Model):
    center = models.ForeignKey("org.Center", on_delete=models.PROTECT, related_name="periods")
    period = models.CharField(_("考核期"), max_length=10)
    state = models.CharField(
        _("状态"), max_length=10, choices=PeriodState.choices, default=PeriodState.DRAFT
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    policy_id = models.CharField(_("办法编号"), max_length=60, blank=True)
    publicity_start = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_ends = models.DateField(_("公示截止"), null=True, blank=True)
    appeal_ends = models.DateField(_("申诉截止"), null=True, blank=True)
    published_at = models.DateTimeField(_("通报时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("考核周期")
        verbose_name_plural = _("考核周期")
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(fields=["center", "period"], name="assessment_period_unique")
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.get_state_display()}"


class ImmutableError(RuntimeError):
    """A published snapshot is never changed or deleted."""


class SnapshotQuerySet(models.QuerySet["Snapshot"]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableError("已发布的快照不可修改")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableError("已发布的快照不可删除")


class Snapshot(models.Model):
    """The published results of one version of a period, frozen with what produced them."""

    period = models.ForeignKey(AssessmentPeriod, on_delete=models.PROTECT, related_name="snapshots")
    version = models.PositiveIntegerField(_("版本"))
    published_at = models.DateTimeField(_("通报时间"))
    by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人")
    )
    policy_id = models.CharField(_("办法编号"), max_length=60)
    calendar = models.CharField(_("工作日历版本"), max_length=200, blank=True)
    result = models.JSONField(_("计分结果"))
    records = models.JSONField(_("台账记录"))
    adjustments = models.JSONField(_("领导调整"), default=list)
    sha256 = models.CharField(max_length=64)

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("通报快照")
        verbose_name_plural = _("通报快照")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["period", "version"], name="snapshot_version_unique")
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableError("已发布的快照不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableError("已发布的快照不可删除")

    def __str__(self) -> str:
        return f"{self.period.period} v{self.version}"


class Adjustment(models.Model):
    """A grade set by leadership with its reason; the latest one per subject counts."""

    period = models.ForeignKey(
        AssessmentPeriod, on_delete=models.PROTECT, related_name="adjustments"
    )
    subject = models.CharField(_("考核对象"), max_length=60)
    subject_name = models.CharField(_("对象名称"), max_length=100, blank=True)
    grade = models.CharField(_("等次"), max_length=40)
    reason = models.TextField(_("理由"))
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("等次调整")
        verbose_name_plural = _("等次调整")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.grade}"


class AppealState(models.TextChoices):
    FILED = "filed", _("已提交")
    UNDER_REVIEW = "under_review", _("复核中")
    UPHELD = "upheld", _("维持原结果")
    OVERTURNED = "overturned", _("改判")


class Decision(models.TextChoices):
    UPHOLD = "uphold", _("维持")
    OVERTURN = "overturn", _("改判")


def appeal_path(instance: Appeal, filename: str) -> str:
    """Where the single attachment of older appeals was kept (historical migrations use it)."""
    return f"appeals/{instance.period.period}/{filename}"


def attachment_path(instance: AppealAttachment, filename: str) -> str:
    """Under the content hash, as ledger evidence is: the same file twice is stored once."""
    sha = instance.sha256
    return f"appeals/{sha[:2]}/{sha}{instance.extension}"


class Appeal(models.Model):
    period = models.ForeignKey(AssessmentPeriod, on_delete=models.PROTECT, related_name="appeals")
    appellant = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="appeals", verbose_name=_("申诉人")
    )
    record = models.ForeignKey(
        "ledger.Record",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("台账记录"),
    )
    subject = models.CharField(_("考核对象"), max_length=60)
    grade = models.CharField(_("申诉时等次"), max_length=40, blank=True)
    text = models.TextField(_("申诉理由"))
    state = models.CharField(
        _("状态"), max_length=14, choices=AppealState.choices, default=AppealState.FILED
    )
    filed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("复核意见"), blank=True)

    class Meta:
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")
        ordering = ["-filed_at", "-id"]

    @property
    def open(self) -> bool:
        return self.state in (AppealState.FILED, AppealState.UNDER_REVIEW)

    def __str__(self) -> str:
        return f"{self.subject} {self.get_state_display()}"


#: Content type → extension of what an appeal may carry (checked by content, never by name).
ATTACHMENT_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class AppealAttachment(StoredFile):
    """One file attached to an appeal (a receipt, a photo, a scanned letter)."""

    TYPES = ATTACHMENT_TYPES

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)

    class Meta:
        verbose_name = _("申诉附件")
        verbose_name_plural = _("申诉附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name or self.sha256[:12]


class Notification(models.Model):
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("内容"), max_length=300)
    link = models.CharField(_("链接"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text
