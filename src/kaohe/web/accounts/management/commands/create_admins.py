"""``kaohe manage create_admins --center CODE``: the first three administrators of a real installation.

Demo databases get their accounts from ``kaohe demo``; a real center starts
with no account at all, so this command opens the 系统管理员, 安全管理员 and
审计管理员 accounts (三权分立) with one start password that each must change
at his first login.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kaohe.web.accounts.models import Role, User
from kaohe.web.accounts.services import admins_create
from kaohe.web.org.models import Center


class Command(BaseCommand):
    help = "创建系统管理员、安全管理员、审计管理员账号（首次登录须修改密码）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--center", required=True, help="中心代码")
        parser.add_argument("--sysadmin", default="sysadmin", help="系统管理员账号")
        parser.add_argument("--secadmin", default="secadmin", help="安全管理员账号")
        parser.add_argument("--auditor", default="auditor", help="审计管理员账号")
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="从该环境变量读取初始密码（不提供则交互输入）",
        )

    def _password(self, var: str | None) -> str:
        if var:
            value = os.environ.get(var, "")
            if not value:
                raise CommandError(f"环境变量 {var} 未设置或为空")
            return value
        first = getpass.getpass("初始密码: ")
        if first != getpass.getpass("再次输入: "):
            raise CommandError("两次输入的密码不一致")
        return first

    def handle(self, *args: Any, **options: Any) -> None:
        center = Center.objects.filter(code=options["center"]).first()
        if center is None:
            raise CommandError(f"中心 {options['center']} 不存在")
        usernames = {
            Role.SYSADMIN: options["sysadmin"],
            Role.SECADMIN: options["secadmin"],
            Role.AUDITOR: options["auditor"],
        }
        taken = sorted(
            User.objects.filter(username__in=usernames.values()).values_list("username", flat=True)
        )
        if taken:
            raise CommandError(f"账号已存在：{', '.join(taken)}")
        if len(set(usernames.values())) != 3:
            raise CommandError("三个管理员账号必须互不相同")
        password = self._password(options["password_from_env"])
        try:
            created = admins_create(
                center=center, usernames=usernames, password=password, by_name="create_admins"
            )
        except ValidationError as e:
            raise CommandError("密码不符合要求：" + " ".join(e.messages)) from e
        for user in created:
            self.stdout.write(f"{user.get_role_display()}：{user.username}")
        self.stdout.write("首次登录后须各自修改密码。")
