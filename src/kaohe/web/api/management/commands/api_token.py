"""``kaohe manage api_token issue|list|revoke``: tokens for the platforms that call the API.

The secret is printed once, on issue, and never again; ``list`` shows the
public prefix only.  Issuing and revoking write audit rows (actor: the
command line), as the 安全管理员 page does.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kaohe.web.accounts.models import User
from kaohe.web.api.models import ApiToken, Scope
from kaohe.web.api.services import DEFAULT_DAYS, token_issue, token_revoke


class Command(BaseCommand):
    help = "签发、列出、吊销接口令牌"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue", help="为一个督查员或领导账号签发令牌")
        issue.add_argument("--user", required=True, help="账号（用户名）")
        issue.add_argument("--name", required=True, help="用途，如“大厅人脸考勤机”")
        issue.add_argument(
            "--scope", action="append", required=True, choices=Scope.values, help="可重复"
        )
        issue.add_argument("--days", type=int, default=DEFAULT_DAYS, help="有效天数")
        sub.add_parser("list", help="列出全部令牌（不含密钥）")
        revoke = sub.add_parser("revoke", help="吊销一个令牌")
        revoke.add_argument("prefix", help="令牌标识，如 kh_1a2b3c4d")
        revoke.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "issue":
                self._issue(options)
            elif options["action"] == "list":
                self._list()
            else:
                self._revoke(options)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None

    def _issue(self, options: dict[str, Any]) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"没有账号 {options['user']}")
        token, raw = token_issue(
            user=user, name=options["name"], scopes=options["scope"], days=options["days"]
        )
        self.stdout.write(
            f"已签发 {token}，有效期至 {token.expires_at:%Y-%m-%d}。密钥只显示这一次："
        )
        self.stdout.write(raw)

    def _list(self) -> None:
        for t in ApiToken.objects.select_related("user").order_by("created_at", "id"):
            state = "已吊销" if t.revoked_at else ("有效" if t.active else "已过期")
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "未使用"
            self.stdout.write(
                f"{t.prefix}\t{t.name}\t{t.user.username}\t{','.join(t.scopes)}\t"
                f"{t.expires_at:%Y-%m-%d}\t{state}\t{used}"
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        token = ApiToken.objects.filter(prefix=options["prefix"]).first()
        if token is None:
            raise CommandError(f"没有令牌 {options['prefix']}")
        token_revoke(token=token, reason=options["reason"])
        self.stdout.write(f"已吊销 {token}")
