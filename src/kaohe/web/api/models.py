"""Access tokens of the platforms that talk to kaohe over HTTP.

A token acts as one user account (its role and center decide what it may do,
exactly as for that person in the browser) and is further limited to the
scopes it was issued for.  Only a hash of the secret is stored; a token is
never deleted, it is revoked with a reason, so the audit log keeps naming it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    IMPORTS = "imports", _("导入数据（打卡、请假、好差评、红黄牌、测评票、外部评分、考勤汇总）")
    RESULTS = "results", _("读取已发布的考核结果")


class ApiToken(models.Model):
    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="api_tokens", verbose_name=_("账号")
    )
    name = models.CharField(_("名称"), max_length=100, help_text=_("用途，如“大厅人脸考勤机”"))
    prefix = models.CharField(_("标识"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("权限范围"), default=list)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("签发人"),
    )
    expires_at = models.DateTimeField(_("有效期至"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(_("吊销原因"), blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}）"

    @property
    def scope_labels(self) -> list[str]:
        return [str(Scope(s).label) if s in Scope.values else s for s in self.scopes]

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
