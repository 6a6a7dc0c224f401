"""``kaohe bulletin``: write a period's 通报 (XLSX or PDF) from the configured database.

The published snapshot when there is one, else the current draft run marked 草稿.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(args: argparse.Namespace) -> int:
    """0 written; 2 when the center or the period's results cannot be found."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.web.settings")
    import django

    django.setup()
    from kaohe.engine import Period
    from kaohe.web.org.models import Center
    from kaohe.web.workflow.exports import (
        NoResultsError,
        bulletin_pdf,
        bulletin_source,
        bulletin_xlsx,
    )

    centers = Center.objects.all()
    if args.center:
        centers = centers.filter(code=args.center)
    found = list(centers[:2])
    if len(found) != 1:
        what = (
            f"中心 {args.center} 不存在"
            if args.center
            else "数据库中有多个中心，请用 --center 指定"
        )
        if not args.center and not found:
            what = "数据库中没有中心"
        print(f"kaohe bulletin: {what}", file=sys.stderr)
        return 2
    try:
        period = str(Period.parse(args.period))
        src = bulletin_source(found[0], period)
    except (ValueError, NoResultsError) as exc:
        print(f"kaohe bulletin: {exc}", file=sys.stderr)
        return 2
    data = bulletin_xlsx(src) if args.format == "xlsx" else bulletin_pdf(src)
    Path(args.out).write_bytes(data)
    state = "草稿" if src.draft else f"第 {src.version} 版"
    print(f"{args.out}: {src.title}（{state}）")
    return 0
