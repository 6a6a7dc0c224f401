"""``kaohe demo``: a fresh demo database under a chosen bundled policy, then serve it.

Running it again with another ``--policy`` is the reset.  The database is
recreated only when it is empty or already a demo (see
:mod:`kaohe.web.demo.database`); the demo accounts' password comes from
``KAOHE_DEMO_PASSWORD`` or is generated and printed once.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from kaohe.web.commands.serve import serve, setup_django

HOST = "127.0.0.1"


def main(args: argparse.Namespace) -> int:
    setup_django()
    from kaohe.web.demo.builder import DEMO_ROLES, build_demo, bundled_policies, generate_password
    from kaohe.web.demo.database import DemoRefused, prepare_database

    policies = bundled_policies()
    if args.policy not in policies:
        print(
            f"kaohe demo: 未知的办法 {args.policy!r}；可选：{', '.join(policies)}",
            file=sys.stderr,
        )
        return 2
    began = time.monotonic()
    try:
        prepare_database()
    except DemoRefused as exc:
        print(f"kaohe demo: {exc}", file=sys.stderr)
        return 2
    given = os.environ.get("KAOHE_DEMO_PASSWORD", "")
    password = given or generate_password()
    result = build_demo(policy_id=args.policy, password=password)
    counts = result.counts
    print(
        f"演示中心：{result.center.name}（办法 {result.policy_id}）\n"
        f"  {counts['windows']} 个窗口、{counts['units']} 个进驻单位、{counts['people']} 名人员；"
        f"台账 {counts['records']} 条、打卡 {counts['punches']} 条、"
        f"请假 {counts['leave']} 条、好差评 {counts['ratings']} 条"
        + (f"、外部评分 {counts['scores']} 条" if counts["scores"] else "")
    )
    print(f"  已计算考核期：{', '.join(result.periods)}（{time.monotonic() - began:.1f} 秒）")
    for error in result.errors:
        print(f"  计算失败 {error}", file=sys.stderr)
    print("\n演示账号（每个角色一个）：")
    for role in DEMO_ROLES:
        user = result.users[role.value]
        print(f"  {user.username:<10} {role.label}  {user.first_name}")
    source = "来自 KAOHE_DEMO_PASSWORD" if given else "随机生成，仅显示这一次"
    print(f"  密码：{password}（{source}）\n", flush=True)
    if args.no_serve:
        return 1 if result.errors else 0
    serve(HOST, args.port)
    return 0
