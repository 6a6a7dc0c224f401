"""The navigation bar: the entries a user's role may open, in the order of their day."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from kaohe.web.accounts.models import Role

# (url name, label, roles); an entry whose view does not exist yet is skipped.
NAV: list[tuple[str, str, frozenset[Role]]] = [
    ("ledger:patrol", "巡查录入", frozenset({Role.INSPECTOR})),
    ("ledger:list", "台账", frozenset({Role.INSPECTOR, Role.LEADER, Role.CHIEF, Role.STAFF})),
    ("scoring:ranking", "排名", frozenset({Role.INSPECTOR, Role.LEADER, Role.CHIEF})),
    ("scoring:my_card", "我的考核", frozenset({Role.STAFF, Role.CHIEF})),
    ("scoring:top_items", "失分分析", frozenset({Role.INSPECTOR, Role.LEADER, Role.CHIEF})),
    ("facts:imports", "数据导入", frozenset({Role.INSPECTOR})),
    ("facts:attendance", "考勤明细", frozenset({Role.INSPECTOR, Role.LEADER, Role.CHIEF, Role.STAFF})),
    (
        "workflow:periods",
        "考核周期",
        frozenset({Role.INSPECTOR, Role.LEADER, Role.CHIEF, Role.STAFF}),
    ),
    ("org:windows", "组织机构", frozenset({Role.INSPECTOR, Role.LEADER, Role.SYSADMIN, Role.CHIEF})),
    ("org:policy", "考核办法", frozenset({Role.INSPECTOR, Role.LEADER, Role.SYSADMIN})),
    ("accounts:users", "用户管理", frozenset({Role.SYSADMIN})),
    ("accounts:security", "安全管理", frozenset({Role.SECADMIN})),
    ("audit:log", "审计日志", frozenset({Role.AUDITOR})),
    ("facts:calendar", "工作日历", frozenset({Role.SYSADMIN})),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {"nav": []}
    role = getattr(user, "role", None)
    items = []
    for name, label, roles in NAV:
        if role not in roles:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": False})
    # Only the longest matching entry is current (/ledger/patrol/ is not also /ledger/).
    best = max(
        (i for i in items if request.path.startswith(i["url"])),
        key=lambda i: len(i["url"]),
        default=None,
    )
    if best is not None:
        best["active"] = True
    return {"nav": items}
