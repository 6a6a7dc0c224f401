"""``kaohe import KIND FILE`` (without ``--dry-run``): import into the configured database.

All-or-nothing, like the web page: the JSON printed is the dry run's preview
plus the batch id and counts; with any error or unmatched employee number it
exits 1 and nothing is written.  The center is the only one in the database,
or the one named by ``KAOHE_CENTER``; votes and scores take their period from
the file name (``…2024-05…``) or ``KAOHE_PERIOD``; an attendance summary
without a 月份 column takes its month from ``KAOHE_PERIOD`` or the file name.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def main(args: argparse.Namespace) -> int:
    """0 imported; 1 refused (errors or unmatched); 2 usage (no center, no file, bad mapping)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.web.settings")
    import django

    django.setup()
    from kaohe.ingest import MappingError, load_mapping
    from kaohe.web.facts.services import ImportRefused, import_commit
    from kaohe.web.org.models import Center

    code = os.environ.get("KAOHE_CENTER", "")
    centers = list(Center.objects.filter(code=code)[:2] if code else Center.objects.all()[:2])
    if len(centers) != 1:
        what = f"中心 {code} 不存在" if code else "数据库中没有或有多个中心，请设置 KAOHE_CENTER"
        print(f"kaohe import: {what}", file=sys.stderr)
        return 2
    try:
        mapping = load_mapping(args.mapping) if args.mapping else None
        data = Path(args.file).read_bytes()
    except (MappingError, OSError) as exc:
        print(f"kaohe import: {exc}", file=sys.stderr)
        return 2
    try:
        batch = import_commit(
            center=centers[0],
            kind=args.kind,
            data=data,
            by=None,
            file_name=Path(args.file).name,
            mapping=mapping,
            period=os.environ.get("KAOHE_PERIOD", ""),
            pin_width=args.pin_width,
        )
    except ImportRefused as exc:
        out = exc.preview.as_dict()
        out.update({"batch": None, "added": 0, "imported": False})
        print(json.dumps(out, ensure_ascii=False, indent=2))
        print(f"kaohe import: {exc}", file=sys.stderr)
        return 1
    print(
        json.dumps(
            {
                "kind": batch.kind,
                "file": batch.file_name,
                "sha256": batch.sha256,
                "format": batch.format,
                "encoding": batch.encoding or None,
                "period": batch.period or None,
                "rows": batch.rows,
                "valid": batch.added + batch.duplicates,
                "errors": [],
                "batch": batch.pk,
                "added": batch.added,
                "duplicates": batch.duplicates,
                "unmatched": batch.unmatched,
                "imported": True,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0
