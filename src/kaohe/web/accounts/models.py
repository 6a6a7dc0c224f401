"""Users and their roles.

A user has exactly one role; the three administrator roles are separate
(三权分立): the system administrator manages users and the organisation, the
security administrator manages roles, locks and security settings, the audit
administrator reads the audit log — and none can do the others' work.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INSPECTOR = "inspector", _("督查员")
    LEADER = "leader", _("考核领导小组")
    CHIEF = "chief", _("首席代表")
    STAFF = "staff", _("窗口工作人员")
    SYSADMIN = "sysadmin", _("系统管理员")
    SECADMIN = "secadmin", _("安全管理员")
    AUDITOR = "auditor", _("审计管理员")


#: Roles that see every window and person of their center.
CENTER_WIDE = frozenset({Role.INSPECTOR, Role.LEADER})
#: Roles that administer the system and see no scores at all.
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.STAFF)
    center = models.ForeignKey(
        "org.Center",
        verbose_name=_("中心"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    person = models.OneToOneField(
        "org.Person",
        verbose_name=_("对应人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="user",
        help_text=_("首席代表与窗口工作人员登录后看到的是这个人及其窗口"),
    )
    failed_logins = models.PositiveIntegerField(_("连续登录失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    is_demo = models.BooleanField(_("演示账号"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()

    def __str__(self) -> str:
        return f"{self.get_full_name() or self.username}（{self.get_role_display()}）"
