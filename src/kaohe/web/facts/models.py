"""Facts that arrive from other systems: clock punches, leave, 好差评 ratings,
attendance summaries, votes and external scores — each tied to the import
that brought it.

Idempotency: every row carries a ``natural_key`` (a digest of what makes it
the same fact: person, time, content, source), unique per center among rows
not rolled back, so re-importing a file or an overlapping one adds nothing.
Rolling back an import marks its rows; nothing is deleted.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    PUNCHES = "punches", _("打卡记录")
    LEAVE = "leave", _("请假记录")
    RATINGS = "ratings", _("好差评")
    CARDS = "cards", _("电子监察红黄牌")
    VOTES = "votes", _("满意度测评票")
    SCORES = "scores", _("外部评分")
    ATTENDANCE = "attendance", _("考勤汇总")


class ImportBatch(models.Model):
    center = models.ForeignKey("org.Center", on_delete=models.PROTECT, related_name="imports")
    kind = models.CharField(_("类型"), max_length=12, choices=ImportKind.choices)
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件摘要"), max_length=64, db_index=True)
    format = models.CharField(_("格式"), max_length=40, blank=True)
    encoding = models.CharField(_("编码"), max_length=20, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    added = models.PositiveIntegerField(_("新增"), default=0)
    duplicates = models.PositiveIntegerField(_("重复"), default=0)
    unmatched = models.PositiveIntegerField(_("未匹配"), default=0)
    period = models.CharField(_("考核期"), max_length=10, blank=True)
    imported_by = models.ForeignKey(
        "accounts.User",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("导入人"),
    )
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    rolled_back_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rollback_reason = models.TextField(_("撤销原因"), blank=True)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}"


class Fact(models.Model):
    center = models.ForeignKey("org.Center", on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    natural_key = models.CharField(max_length=64)
    rolled_back = models.BooleanField(default=False)

    class Meta:
        abstract = True


def _unique_live(name: str) -> list[models.BaseConstraint]:
    return [
        models.UniqueConstraint(
            fields=["center", "natural_key"],
            condition=models.Q(rolled_back=False),
            name=f"{name}_natural_key_live",
        )
    ]


class DigestField(models.UUIDField):
    """A 128-bit digest: 32 hex digits in Python, 16 bytes in PostgreSQL (``uuid``).

    The punch table's natural key.  A 64-digit text key made the unique index
    (and every sort and comparison on it) four times wider and compared by
    collation; the first half of the same sha256 is as good a key.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return value.hex if isinstance(value, uuid.UUID) else uuid.UUID(value).hex

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return value.hex if isinstance(value, uuid.UUID) else value

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if isinstance(value, str):
            value = uuid.UUID(value)
        return super().get_db_prep_value(value, connection, prepared)


class Punch(Fact):
    """A clock punch.

    Its references are checked by triggers, not foreign-key constraints (see
    :mod:`kaohe.web.facts.integrity`): a million-row import is checked with one
    join instead of three million deferred row checks.  ``center`` and
    ``person`` have no single-column index: the live natural-key index leads
    with ``center``, the ``(person, time)`` index with ``person``.
    """

    center = models.ForeignKey(
        "org.Center",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    batch = models.ForeignKey(
        ImportBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    person = models.ForeignKey(
        "org.Person",
        on_delete=models.PROTECT,
        related_name="punches",
        db_constraint=False,
        db_index=False,
    )
    natural_key = DigestField()
    """``punch_key(工号, minute, device)``: the first 128 bits of its sha256."""
    time = models.DateTimeField(_("打卡时间"))
    device = models.CharField(_("设备"), max_length=60, blank=True)
    note = models.CharField(_("补卡原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("打卡记录")
        verbose_name_plural = _("打卡记录")
        constraints = _unique_live("punch")
        indexes = [models.Index(fields=["person", "time"])]


class Leave(Fact):
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="leaves")
    type = models.CharField(_("假别"), max_length=30)
    start = models.DateField(_("开始"))
    end = models.DateField(_("结束"))
    days = models.DecimalField(_("天数"), max_digits=6, decimal_places=2, null=True, blank=True)
    approved = models.BooleanField(_("已批准"), default=True)

    class Meta:
        verbose_name = _("请假记录")
        verbose_name_plural = _("请假记录")
        constraints = _unique_live("leave")


class Rating(Fact):
    date = models.DateField(_("评价日期"))
    window = models.ForeignKey(
        "org.Window", null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    person = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    stars = models.PositiveSmallIntegerField(_("星级"))
    verified = models.BooleanField(_("差评已核实"), default=False)
    default = models.BooleanField(_("默认评价"), default=False)
    external_id = models.CharField(_("评价编号"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("好差评")
        verbose_name_plural = _("好差评")
        constraints = _unique_live("rating")
        indexes = [models.Index(fields=["center", "date"])]


class AttendanceSummary(Fact):
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="attendance")
    month = models.CharField(_("月份"), max_length=7)
    workdays = models.DecimalField(_("应出勤天数"), max_digits=6, decimal_places=2, null=True)
    present_days = models.DecimalField(_("实出勤天数"), max_digits=6, decimal_places=2, null=True)
    expected_signins = models.DecimalField(
        _("应签到次数"), max_digits=6, decimal_places=2, null=True
    )
    missed_signins = models.DecimalField(_("漏签次数"), max_digits=6, decimal_places=2, null=True)
    # The counts a sign-in schedule charges (the bridge turns them into ledger rows).
    late = models.PositiveIntegerField(_("迟到次数"), default=0)
    early = models.PositiveIntegerField(_("早退次数"), default=0)
    missed = models.PositiveIntegerField(_("缺卡次数"), default=0)
    absent_days = models.DecimalField(_("旷工天数"), max_digits=6, decimal_places=2, default=0)
    leave_days = models.DecimalField(_("请假天数"), max_digits=6, decimal_places=2, default=0)
    late_minutes = models.PositiveIntegerField(_("迟到分钟"), null=True, blank=True)
    early_minutes = models.PositiveIntegerField(_("早退分钟"), null=True, blank=True)

    class Meta:
        verbose_name = _("考勤汇总")
        verbose_name_plural = _("考勤汇总")
        constraints = _unique_live("attendance")


class Vote(Fact):
    period = models.CharField(_("考核期"), max_length=10)
    group = models.CharField(_("投票组"), max_length=40)
    voter = models.CharField(_("投票人"), max_length=60)
    subject = models.CharField(_("被评对象"), max_length=60)
    level = models.CharField(_("评价等次"), max_length=10)

    class Meta:
        verbose_name = _("测评票")
        verbose_name_plural = _("测评票")
        constraints = _unique_live("vote")


class ExternalScore(Fact):
    period = models.CharField(_("考核期"), max_length=10)
    source = models.CharField(_("来源"), max_length=40)
    subject = models.CharField(_("对象"), max_length=60)
    value = models.DecimalField(_("分值"), max_digits=9, decimal_places=4, null=True)
    rank = models.PositiveIntegerField(_("名次"), null=True, blank=True)

    class Meta:
        verbose_name = _("外部评分")
        verbose_name_plural = _("外部评分")
        constraints = _unique_live("external_score")


class PinAlias(models.Model):
    """A clock PIN (or an export's employee number) that belongs to a person.

    One person may carry different PINs on different devices; an unknown PIN
    mapped once on a preview page is remembered here, so the next import of
    the same device maps it too.
    """

    center = models.ForeignKey("org.Center", on_delete=models.PROTECT, related_name="+")
    pin = models.CharField(_("考勤机编号"), max_length=40)
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="pin_aliases")
    created_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("编号映射")
        verbose_name_plural = _("编号映射")
        constraints = [models.UniqueConstraint(fields=["center", "pin"], name="pin_alias_unique")]

    def __str__(self) -> str:
        return f"{self.pin} → {self.person}"


class CardColour(models.TextChoices):
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")


class Card(Fact):
    """An e-supervision card as imported; its deduction lives in the ledger record it made."""

    record = models.OneToOneField(
        "ledger.Record", on_delete=models.PROTECT, related_name="card", null=True, blank=True
    )
    case = models.CharField(_("办件编号"), max_length=100)
    stage = models.CharField(_("环节"), max_length=100, blank=True)
    colour = models.CharField(_("颜色"), max_length=6, choices=CardColour.choices)
    date = models.DateField(_("亮牌日期"))
    superseded_by = models.ForeignKey(
        ImportBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("被红牌取代（导入批次）"),
    )
    """The import whose red card voided this yellow's record: rolling it back restores it."""

    class Meta:
        verbose_name = _("红黄牌")
        verbose_name_plural = _("红黄牌")
        constraints = _unique_live("card")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("休息日")
    WORKDAY = "workday", _("工作日")


class CalendarYear(models.Model):
    """A year whose State Council arrangement an administrator has entered in full."""

    center = models.ForeignKey("org.Center", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年份"))
    note = models.CharField(_("依据"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("节假日安排年度")
        verbose_name_plural = _("节假日安排年度")
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["center", "year"], name="calendar_year_unique")
        ]


class CalendarDay(models.Model):
    """One day that differs from the default: a holiday or local closure, or a 调休 workday."""

    center = models.ForeignKey("org.Center", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=8, choices=DayKind.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["center", "date"], name="calendar_day_unique")
        ]
