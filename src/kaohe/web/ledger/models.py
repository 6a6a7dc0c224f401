"""The ledger (台账): findings recorded on patrol or imported, and their evidence.

A record is never deleted or edited in place: it is voided with a reason,
and the void stays visible.  Points left empty mean "the item's own points"
(the engine applies them); a range item must carry the inspector's choice.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kaohe.web.uploads import StoredFile


class RecordSource(models.TextChoices):
    PATROL = "patrol", _("现场巡查")
    MANUAL = "manual", _("台账录入")
    IMPORT = "import", _("导入")
    CORRECTION = "correction", _("补卡更正")


class Record(models.Model):
    center = models.ForeignKey("org.Center", on_delete=models.PROTECT, related_name="records")
    person = models.ForeignKey(
        "org.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
        verbose_name=_("人员"),
    )
    window = models.ForeignKey(
        "org.Window",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
        verbose_name=_("窗口"),
    )
    policy_id = models.CharField(_("办法编号"), max_length=60)
    item_code = models.CharField(_("考核项代码"), max_length=60)
    item_name = models.CharField(_("考核项"), max_length=200)
    dimension = models.CharField(_("维度"), max_length=60, blank=True)
    date = models.DateField(_("日期"), db_index=True)
    count = models.PositiveIntegerField(_("次数"), default=1)
    points = models.DecimalField(_("分值"), max_digits=9, decimal_places=4, null=True, blank=True)
    major = models.BooleanField(_("情节严重"), default=False)
    exempt = models.BooleanField(_("主动报告免责"), default=False)
    note = models.TextField(_("说明"), blank=True)
    source = models.CharField(
        _("来源"), max_length=12, choices=RecordSource.choices, default=RecordSource.MANUAL
    )
    import_batch = models.ForeignKey(
        "facts.ImportBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="records"
    )
    recorded_by = models.ForeignKey(
        "accounts.User",
        null=True,
        on_delete=models.PROTECT,
        related_name="records_made",
        verbose_name=_("记录人"),
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    voided_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records_voided",
        verbose_name=_("作废人"),
    )
    void_reason = models.TextField(_("作废原因"), blank=True)

    class Meta:
        verbose_name = _("台账记录")
        verbose_name_plural = _("台账记录")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["center", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(person__isnull=False, window__isnull=True)
                    | models.Q(person__isnull=True, window__isnull=False)
                ),
                name="record_one_subject",
            ),
            models.CheckConstraint(
                condition=models.Q(voided_at__isnull=True) | ~models.Q(void_reason=""),
                name="record_void_has_reason",
            ),
        ]

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    @property
    def subject(self) -> object:
        return self.person or self.window

    def __str__(self) -> str:
        return f"{self.date} {self.subject} {self.item_name}"


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"evidence/{instance.record.date:%Y/%m}/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class Evidence(StoredFile):
    """A photo attached to a record; stored under its content hash, type checked on upload."""

    TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=200)

    class Meta:
        verbose_name = _("证据照片")
        verbose_name_plural = _("证据照片")
