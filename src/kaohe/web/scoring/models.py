"""Engine runs as stored for display: the latest draft result of a period.

A run is a cache of what the engine computed from the ledger and facts at a
moment; it is recomputed when they change.  Published results live in
immutable snapshots (the monthly cycle), never here.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    CURRENT = "current", _("最新")
    STALE = "stale", _("待重算")
    RUNNING = "running", _("计算中")
    FAILED = "failed", _("计算失败")


class ScoreRun(models.Model):
    center = models.ForeignKey("org.Center", on_delete=models.PROTECT, related_name="score_runs")
    period = models.CharField(_("考核期"), max_length=10)
    policy_id = models.CharField(_("办法编号"), max_length=60)
    status = models.CharField(
        _("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.STALE
    )
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    calendar = models.CharField(_("工作日历版本"), max_length=60, blank=True)
    result = models.JSONField(_("结果"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("计分结果")
        verbose_name_plural = _("计分结果")
        constraints = [
            models.UniqueConstraint(fields=["center", "period"], name="score_run_one_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.center} {self.period} {self.get_status_display()}"
