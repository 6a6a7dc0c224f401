"""``kaohe backup`` and ``kaohe restore``: the installation's data in one verified archive.

Exit codes: 0 done; 2 when the archive is unreadable or damaged, or the restore
would overwrite something (the message says which file, table or member).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.web.settings")
    import django

    django.setup()


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def backup_main(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import call_command

    from kaohe.web.backups import BackupError, describe, write_backup

    call_command("migrate", interactive=False, verbosity=0)
    try:
        path, manifest = write_backup(Path(args.out) if args.out else None, by=_operator())
    except (BackupError, OSError) as exc:
        print(f"kaohe backup: {exc}", file=sys.stderr)
        return 2
    summary = describe(manifest)
    print(f"备份已写入 {path}：{summary['rows']} 行数据，{summary['files']} 个文件")
    print(json.dumps({"path": str(path), **summary}, ensure_ascii=False))
    return 0


def restore_main(args: argparse.Namespace) -> int:
    _setup()
    from kaohe.web.backups import BackupError, describe, restore_backup, verify_backup

    path = Path(args.file)
    try:
        manifest = verify_backup(path) if args.check else restore_backup(path, by=_operator())
    except (BackupError, OSError) as exc:
        print(f"kaohe restore: {exc}", file=sys.stderr)
        return 2
    summary = describe(manifest)
    verb = "校验通过" if args.check else "已恢复"
    print(
        f"{path}：{verb}（{manifest.created} 的备份，{summary['rows']} 行数据，{summary['files']} 个文件）"
    )
    print(
        json.dumps({"path": str(path), "restored": not args.check, **summary}, ensure_ascii=False)
    )
    return 0
