"""``kaohe bench import``: time a million punches through the real import path.

Builds a throwaway center ``bench-<timestamp>`` with N people in the
configured database, writes M punches as a ZKTeco ``attlog.dat`` in a temp
directory, and times :func:`kaohe.web.facts.services.import_commit` (parse +
match + natural keys + insert; COPY on PostgreSQL).  Prints the times and a
JSON last line.  Deterministic: punch ``i`` is person ``i mod N`` at a fixed
time, so a re-run measures the same file.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path


def write_attlog(path: Path, people: int, punches: int) -> None:
    """Four punches a working day per person from 2024-04-01 on, in order of time."""
    slots = ("08:2", "12:0", "14:1", "17:4")
    start = date(2024, 4, 1)
    with path.open("w", encoding="ascii", newline="\n") as out:
        buf: list[str] = []
        for i in range(punches):
            person, rest = i % people, i // people
            day = start + timedelta(days=rest // 4)
            stamp = f"{day.isoformat()} {slots[rest % 4]}{person % 10}:{person % 60:02d}"
            buf.append(f"{person + 1:>9}\t{stamp}\t1\t0\t1\t0\n")
            if len(buf) >= 100_000:
                out.write("".join(buf))
                buf = []
        out.write("".join(buf))


def main(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.web.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from kaohe.web.facts.services import import_commit
    from kaohe.web.org.models import Center, Person

    call_command("migrate", verbosity=0)
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    center = Center.objects.create(code=f"bench-{stamp}", name=f"导入压测 {stamp}")
    Person.objects.bulk_create(
        [
            Person(center=center, code=str(i + 1), name=f"人员{i + 1}", pin=str(i + 1))
            for i in range(args.people)
        ],
        batch_size=5000,
    )
    with tempfile.TemporaryDirectory(prefix="kaohe-bench-") as tmp:
        path = Path(tmp) / "bench_attlog.dat"
        t0 = time.perf_counter()
        write_attlog(path, args.people, args.punches)
        generated = time.perf_counter() - t0
        t1 = time.perf_counter()
        data = path.read_bytes()
        batch = import_commit(
            center=center, kind="punches", data=data, by=None, file_name=path.name
        )
        seconds = time.perf_counter() - t1
        t2 = time.perf_counter()
        again = import_commit(
            center=center, kind="punches", data=data, by=None, file_name=path.name
        )
        reimport = time.perf_counter() - t2
    print(f"生成 {args.punches} 条打卡（{args.people} 人）：{generated:.1f} s")
    print(f"导入（解析 + 匹配 + 写入）：{seconds:.2f} s，新增 {batch.added}")
    print(f"再次导入同一文件：{reimport:.2f} s，新增 {again.added}，重复 {again.duplicates}")
    print(
        json.dumps(
            {
                "backend": connection.vendor,
                "center": center.code,
                "people": args.people,
                "punches": args.punches,
                "batch": batch.pk,
                "added": batch.added,
                "seconds": round(seconds, 3),
                "reimport_seconds": round(reimport, 3),
                "reimport_added": again.added,
                "target_seconds": 15,
            }
        )
    )
    return 0
