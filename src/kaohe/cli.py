"""The ``kaohe`` command: check cases, score a period, benchmark, run the demo."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kaohe.engine import (
    ExprError,
    InputError,
    PolicyError,
    PolicyRunError,
    RunResult,
    UnknownYearError,
    load_policy,
    score,
)
from kaohe.engine.checking import compare

USER_ERRORS = (InputError, PolicyError, PolicyRunError, ExprError, UnknownYearError)


def _case_errors() -> tuple[type[Exception], ...]:
    from kaohe.cases.loading import CaseLoadError

    return (CaseLoadError, *USER_ERRORS)


def run_case(path: Path) -> tuple[bool, str]:
    """One case: (passed, line to print)."""
    from kaohe.cases.loading import expected_error, load_case

    errors = _case_errors()
    name = str(path)
    try:
        case = load_case(path)
        name = case.name or name
    except errors as exc:
        wanted = expected_error(path)
        if wanted is not None and wanted in str(exc):
            return True, f"PASS {name}"
        return False, f"FAIL {exc}"
    try:
        policy = load_policy(case.policy, base=case.base_dir)
        result = score(policy, case.period, case.org, case.facts, case.context)
    except errors as exc:
        if case.expect_error is not None and case.expect_error in str(exc):
            return True, f"PASS {name}"
        return False, f"FAIL {name}: {path}: {exc}"
    except Exception as exc:  # a defect of ours: report it on this case's line, check the rest
        return False, f"FAIL {name}: {path}: internal error {type(exc).__name__}: {exc}"
    if case.expect_error is not None:
        return (
            False,
            f"FAIL {name}: expected an error containing {case.expect_error!r}, got results",
        )
    problems = compare(result, case.expect or {})
    if problems:
        return False, f"FAIL {name}: " + "; ".join(problems)
    return True, f"PASS {name}"


def cmd_check(args: argparse.Namespace) -> int:
    from kaohe.cases.loading import CaseLoadError, find_cases

    try:
        paths = find_cases([Path(p) for p in args.paths])
    except CaseLoadError as exc:
        print(f"kaohe check: {exc}", file=sys.stderr)
        return 2
    passed = failed = 0
    for path in paths:
        ok, line = run_case(path)
        print(line, flush=True)
        if ok:
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def _table(result: RunResult) -> str:
    lines = [f"{result.policy} {result.period}"]
    header = f"{'subject':<10} {'score':>9} {'rank':>5}  grade"
    lines.append(header)
    for subject, r in result.subjects.items():
        score_text = "" if r.score is None else format(r.score, "f")
        rank = "" if r.rank is None else str(r.rank)
        extra = ""
        if r.bonus is not None:
            extra += f"  bonus {r.bonus:f}"
        if r.actions:
            extra += "  " + ",".join(r.actions)
        lines.append(f"{subject:<10} {score_text:>9} {rank:>5}  {r.grade or ''}{extra}")
    for w in result.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


def _write_xlsx(result: RunResult, out: Path) -> None:
    from kaohe.outputs import write_result_xlsx

    write_result_xlsx(result, out)


def cmd_score(args: argparse.Namespace) -> int:
    from kaohe.cases.loading import load_batch, load_case

    errors = _case_errors()
    try:
        if args.case:
            case = load_case(Path(args.case))
        else:
            if not (args.policy and args.period and args.data):
                print(
                    "kaohe score: give --case FILE, or --policy, --period and --data",
                    file=sys.stderr,
                )
                return 2
            context = json.loads(args.context) if args.context else None
            case = load_batch(args.policy, args.period, Path(args.data), context)
        policy = load_policy(case.policy, base=case.base_dir)
        # the per-record trace is only printed by JSON (unless --no-trace) and written by xlsx;
        # without it the vectorised evaluation scores a province's month in seconds
        want_trace = args.format == "xlsx" or (args.format == "json" and not args.no_trace)
        try:
            result = score(
                policy, case.period, case.org, case.facts, case.context, trace=want_trace
            )
        except InputError as exc:  # a row the engine refuses: name the file it came from
            raise case.input_error(exc) from None
    except errors as exc:
        print(f"kaohe score: {exc}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as exc:
        print(f"kaohe score: --context is not JSON: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        text = json.dumps(
            result.as_dict(with_trace=not args.no_trace), ensure_ascii=False, indent=2
        )
    elif args.format == "table":
        text = _table(result)
    else:
        if not args.out:
            print("kaohe score: --format xlsx needs --out FILE", file=sys.stderr)
            return 2
        _write_xlsx(result, Path(args.out))
        return 0
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from kaohe import bench

    return bench.main(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from kaohe.web.commands.demo import main as demo_main

    return demo_main(args)


def cmd_run(args: argparse.Namespace) -> int:
    from kaohe.web.commands.serve import main as run_main

    return run_main(args)


def cmd_bulletin(args: argparse.Namespace) -> int:
    from kaohe.web.commands.bulletin import main as bulletin_main

    return bulletin_main(args)


def cmd_backup(args: argparse.Namespace) -> int:
    from kaohe.web.commands.backup import backup_main

    return backup_main(args)


def cmd_restore(args: argparse.Namespace) -> int:
    from kaohe.web.commands.backup import restore_main

    return restore_main(args)


def cmd_manage(args: argparse.Namespace) -> int:
    import os

    from django.core.management import execute_from_command_line

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.web.settings")
    execute_from_command_line(["kaohe manage", *args.rest])
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Parse a file and print the preview as JSON; 0 clean, 1 with errors, 2 usage."""
    from kaohe.ingest import MappingError, load_mapping, parse_file

    if not args.dry_run:
        from kaohe.web.commands.importing import main as import_main

        return import_main(args)
    try:
        mapping = load_mapping(args.mapping) if args.mapping else None
    except MappingError as exc:
        print(f"kaohe import: {exc}", file=sys.stderr)
        return 2
    result = parse_file(args.kind, Path(args.file), mapping, pin_width=args.pin_width)
    print(json.dumps(result.as_dict(with_rows=args.rows), ensure_ascii=False, indent=2))
    return 1 if result.errors else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kaohe", description="考核: government service center assessment"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="run acceptance cases")
    check.add_argument("paths", nargs="+")
    check.set_defaults(func=cmd_check)

    sc = sub.add_parser("score", help="score a period")
    sc.add_argument("--case")
    sc.add_argument("--policy")
    sc.add_argument("--period")
    sc.add_argument("--data")
    sc.add_argument("--context", help="JSON object of period-wide facts")
    sc.add_argument("--format", choices=["json", "xlsx", "table"], default="json")
    sc.add_argument("--out")
    sc.add_argument("--no-trace", action="store_true", help="omit the trace from JSON output")
    sc.set_defaults(func=cmd_score)

    bench = sub.add_parser("bench", help="benchmarks")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True)
    gen = bench_sub.add_parser("generate", help="write a synthetic province")
    gen.add_argument("--people", type=int, default=50_000)
    gen.add_argument("--facts", type=int, default=10_000_000)
    gen.add_argument("--out", required=True)
    gen.add_argument("--seed", type=int, default=1)
    eng = bench_sub.add_parser("engine", help="engine vs a DuckDB GROUP BY")
    eng.add_argument("--people", type=int, default=50_000)
    eng.add_argument("--facts", type=int, default=10_000_000)
    eng.add_argument("--data", help="an existing generated directory")
    eng.add_argument("--repeat", type=int, default=1)
    bimp = bench_sub.add_parser("import", help="import punches into the configured database")
    bimp.add_argument("--people", type=int, default=50_000)
    bimp.add_argument("--punches", type=int, default=1_000_000)
    bench.set_defaults(func=cmd_bench)

    imp = sub.add_parser("import", help="parse an export and preview it (--dry-run)")
    imp.add_argument(
        "kind", choices=["punches", "leave", "ratings", "cards", "votes", "scores", "attendance"]
    )
    imp.add_argument("file")
    imp.add_argument("--mapping", help="a saved column mapping (KAOHE_MAPPINGS_DIR/NAME.yaml)")
    imp.add_argument("--dry-run", action="store_true", help="parse only; touch no database")
    imp.add_argument("--pin-width", type=int, help="restore leading zeros to this width")
    imp.add_argument("--rows", action="store_true", help="include the parsed rows")
    imp.set_defaults(func=cmd_import)

    demo = sub.add_parser("demo", help="build a fresh demo database and serve it")
    demo.add_argument("--policy", default="guangde-2023")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--no-serve", action="store_true")
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="serve the existing database")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--host", default="127.0.0.1")
    run.set_defaults(func=cmd_run)

    bul = sub.add_parser("bulletin", help="write a period's bulletin (通报)")
    bul.add_argument("--period", required=True)
    bul.add_argument("--format", choices=["xlsx", "pdf"], required=True)
    bul.add_argument("--out", required=True)
    bul.add_argument("--center", help="center code (default: the only one)")
    bul.set_defaults(func=cmd_bulletin)

    bak = sub.add_parser("backup", help="write a verified backup of the database and files")
    bak.add_argument("--out", help="archive path (default KAOHE_DATA_DIR/backups/kaohe-<time>.tar.gz)")
    bak.set_defaults(func=cmd_backup)

    res = sub.add_parser("restore", help="restore a backup into an empty database")
    res.add_argument("file")
    res.add_argument("--check", action="store_true", help="only verify the archive")
    res.set_defaults(func=cmd_restore)

    man = sub.add_parser("manage", help="Django management commands", add_help=False)
    man.add_argument("rest", nargs=argparse.REMAINDER)
    man.set_defaults(func=cmd_manage)
    return parser


def _database_unreachable(exc: BaseException) -> bool:
    """Django's OperationalError (no server, no database, refused login), when Django is loaded."""
    utils = sys.modules.get("django.db.utils")
    return utils is not None and isinstance(exc, utils.OperationalError)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: Any = args.func(args)
    except Exception as exc:
        if not _database_unreachable(exc):
            raise
        reason = " ".join(str(exc).split()) or type(exc).__name__
        print(f"kaohe: the database cannot be used: {reason}", file=sys.stderr)
        return 2
    return int(result)


if __name__ == "__main__":
    sys.exit(main())
