"""The organisation over time: centers, halls, units, windows, people, assignments.

Assignments carry dates so the engine gets the roster as it stood in any
period: a transfer ends one assignment and starts another; a substitute
(顶岗) assignment names the person whose points it carries.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Center(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    issuing_body = models.CharField(_("发文单位"), max_length=100, blank=True)
    context = models.JSONField(
        _("考核情境"),
        default=dict,
        blank=True,
        help_text=_("政策中 context 的取值，如 district_excellent"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("政务服务中心")
        verbose_name_plural = _("政务服务中心")

    def __str__(self) -> str:
        return self.name


class PolicySource(models.TextChoices):
    BUNDLED = "bundled", _("内置办法")
    CUSTOM = "custom", _("本中心修订版")


class CenterPolicy(models.Model):
    """Which regulation a center uses from a date; a new row supersedes, nothing is overwritten."""

    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="policies")
    policy_id = models.CharField(_("办法编号"), max_length=60)
    source = models.CharField(
        _("来源"), max_length=10, choices=PolicySource.choices, default=PolicySource.BUNDLED
    )
    yaml_text = models.TextField(_("办法文本（YAML）"), blank=True)
    effective_from = models.DateField(_("生效日期"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("考核办法")
        verbose_name_plural = _("考核办法")
        ordering = ["center", "-effective_from", "-id"]

    def __str__(self) -> str:
        return f"{self.policy_id}（{self.effective_from} 起）"


class Hall(models.Model):
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="halls")
    name = models.CharField(_("名称"), max_length=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("大厅")
        verbose_name_plural = _("大厅")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """进驻单位: the department a window belongs to."""

    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="units")
    code = models.CharField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("进驻单位")
        verbose_name_plural = _("进驻单位")
        constraints = [models.UniqueConstraint(fields=["center", "code"], name="unit_code_unique")]
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class WindowKind(models.TextChoices):
    SINGLE = "single", _("单设窗口")
    COMPREHENSIVE = "comprehensive", _("综合窗口")
    SUBCENTER = "subcenter", _("分中心")
    SECTION = "section", _("机关科室")


class Window(models.Model):
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="windows")
    hall = models.ForeignKey(
        Hall, null=True, blank=True, on_delete=models.PROTECT, related_name="windows"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="windows"
    )
    code = models.CharField(_("窗口编号"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(
        _("类型"), max_length=16, choices=WindowKind.choices, default=WindowKind.SINGLE
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        constraints = [
            models.UniqueConstraint(fields=["center", "code"], name="window_code_unique")
        ]
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PersonRole(models.TextChoices):
    STAFF = "staff", _("窗口工作人员")
    CHIEF_REP = "chief_rep", _("首席代表")
    BACKBONE = "backbone", _("业务骨干")
    WINDOW_LEAD = "window_lead", _("窗口负责人")
    MANAGER = "manager", _("管理人员")


class Employment(models.TextChoices):
    SECONDED = "seconded", _("派驻")
    PURCHASED = "purchased", _("政府购买服务")


class Person(models.Model):
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="people")
    code = models.CharField(_("工号"), max_length=40)
    name = models.CharField(_("姓名"), max_length=60)
    role = models.CharField(
        _("岗位角色"), max_length=16, choices=PersonRole.choices, default=PersonRole.STAFF
    )
    employment = models.CharField(
        _("用工类型"), max_length=16, choices=Employment.choices, default=Employment.SECONDED
    )
    pin = models.CharField(_("考勤机编号"), max_length=40, blank=True)
    active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        constraints = [
            models.UniqueConstraint(fields=["center", "code"], name="person_code_unique")
        ]
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Assignment(models.Model):
    """A person's post from ``start`` to ``end`` (inclusive; open-ended when empty).

    A chief representative is assigned to his unit (``unit``) and may answer
    for named windows; staff are assigned to one window.  ``substitutes_for``
    marks 顶岗: the points go to the person replaced.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assignments")
    window = models.ForeignKey(
        Window, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("结束日期"), null=True, blank=True)
    substitutes_for = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="substituted_by",
        verbose_name=_("顶岗替代"),
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("岗位分配")
        verbose_name_plural = _("岗位分配")
        ordering = ["person", "start"]
        indexes = [models.Index(fields=["start", "end"])]

    def __str__(self) -> str:
        return f"{self.person} → {self.window or self.unit}（{self.start}–{self.end or ''}）"
