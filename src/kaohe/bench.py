"""``kaohe bench``: a synthetic province and the engine timed against a bare GROUP BY.

``kaohe bench generate --people N --facts M --out DIR`` writes a data directory
(one Parquet file per table, the container ``kaohe score --data DIR`` reads) for
the guangde-2023 policy and the month 2023-10: N people in windows of about ten,
five windows to a unit with one chief representative each, and M facts split
into one attendance row per staff member, about 1 % ratings and the rest ledger
records. Only items with fixed points are used, window-only items on windows.
The big records table is built with vectorised Polars expressions (seeded
hashes of the row number), so ten million rows take seconds, and the same seed
gives the same files.

``kaohe bench engine`` scores such a directory in-process, the way ``kaohe
score --policy guangde-2023 --period 2023-10 --data DIR`` does minus the JSON,
and times it against DuckDB summing the counts per subject and item over the
same ``records.parquet``. It prints readable lines and, last, one JSON object
with ``engine_s``, ``baseline_s``, ``ratio`` and ``peak_rss_mb``.

A benchmark, not a timed test: the target (50,000 people, 10,000,000 facts in
at most twice the GROUP BY time and 4 GB, on 2 cores) is reported, not asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from kaohe.engine.inputs import SCHEMAS, Facts, Org, build_org, build_table_frame

POLICY = "guangde-2023"
PERIOD = "2023-10"
MONTH_START = date(2023, 10, 1)
MONTH_END = date(2023, 10, 31)
PEOPLE_PER_WINDOW = 10
WINDOWS_PER_UNIT = 5
RATING_SHARE = 100  # one fact in RATING_SHARE is a rating
WINDOW_SHARE = 15  # percent of records on a window rather than a person
ORG_FILES = ("units", "windows", "people")
FACT_FILES = ("attendance", "ratings", "records")

# Items with fixed points only (no ranges, no free entry), weighted by how often a
# centre records them. Person items land on staff; window-only items on windows.
PERSON_ITEMS: dict[str, int] = {
    "attendance.01": 20,
    "attendance.02": 10,
    "attendance.03": 3,
    "discipline.01": 6,
    "discipline.02": 6,
    "discipline.03": 6,
    "discipline.04": 6,
    "discipline.05": 6,
    "discipline.07": 2,
    "discipline.09": 5,
    "discipline.10": 5,
    "discipline.11": 5,
    "civility.01": 3,
    "civility.02": 3,
    "civility.03": 3,
    "bonus.02": 3,
}
WINDOW_ITEMS: dict[str, int] = {
    # attendance.07 (无人值守, a veto) is left out: at this density every window would be vetoed
    **{f"business.{n:02d}": 4 for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 14, 16)},
    "business.10": 1,
    "business.12": 1,
    "publicity.01": 20,
    "publicity.02": 10,
    "publicity.03": 1,
    "publicity.04": 2,
    "publicity.05": 4,
    "publicity.06": 6,
    "bonus.01": 3,
    "other.07": 3,
    "other.08": 3,
    "other.09": 3,
    "other.10": 3,
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅飞鹏宇浩然欣怡子涵俊晨雨婷"


# ---------------------------------------------------------------- generation


@dataclass
class Province:
    """The generated tables, before they are written."""

    units: pl.DataFrame
    windows: pl.DataFrame
    people: pl.DataFrame
    attendance: pl.DataFrame
    ratings: pl.DataFrame
    records: pl.DataFrame

    def tables(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name) for name in (*ORG_FILES, *FACT_FILES)}


def _workdays() -> list[date]:
    from kaohe.engine.workdays import DEFAULT_CALENDAR

    return DEFAULT_CALENDAR.workdays(MONTH_START, MONTH_END)


def _weighted(items: Mapping[str, int]) -> pl.Series:
    return pl.Series(
        [code for code, weight in items.items() for _ in range(weight)], dtype=pl.String()
    )


def _org(people: int, rng: random.Random) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    n_windows = max(1, -(-people // PEOPLE_PER_WINDOW))
    n_units = -(-n_windows // WINDOWS_PER_UNIT)
    units = pl.DataFrame(
        {
            "id": [f"U{u + 1:04d}" for u in range(n_units)],
            "name": [f"进驻单位{u + 1:04d}" for u in range(n_units)],
        }
    )
    kinds = []
    names = []
    for w in range(n_windows):
        kind = "section" if w % 20 == 19 else "comprehensive" if w % 7 == 3 else "single"
        kinds.append(kind)
        names.append(f"{'科室' if kind == 'section' else '窗口'}{w + 1:05d}")
    windows = pl.DataFrame(
        {
            "id": [f"W{w + 1:05d}" for w in range(n_windows)],
            "name": names,
            "unit": [f"U{w // WINDOWS_PER_UNIT + 1:04d}" for w in range(n_windows)],
            "kind": kinds,
        }
    )
    window_of = [min(i // PEOPLE_PER_WINDOW, n_windows - 1) for i in range(people)]
    # the first person of each unit's first window is its chief representative
    chief = {u * WINDOWS_PER_UNIT * PEOPLE_PER_WINDOW for u in range(n_units)}
    rows_role = ["chief_rep" if i in chief else "staff" for i in range(people)]
    people_frame = pl.DataFrame(
        {
            "id": [f"P{i + 1:06d}" for i in range(people)],
            "name": [
                rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
                for _ in range(people)
            ],
            "role": rows_role,
            "window": [f"W{w + 1:05d}" for w in window_of],
            "unit": [f"U{w // WINDOWS_PER_UNIT + 1:04d}" for w in window_of],
        },
        schema={
            "id": pl.String(),
            "name": pl.String(),
            "role": pl.String(),
            "window": pl.String(),
            "unit": pl.String(),
        },
    )
    return units, windows, people_frame


def _hashes(n: int, seeds: list[int]) -> pl.DataFrame:
    """n rows of independent 64-bit hashes of the row number, one column per seed."""
    i = pl.int_range(0, n, dtype=pl.UInt64)
    frame: pl.DataFrame = pl.select([i.hash(seed).alias(f"h{k}") for k, seed in enumerate(seeds)])
    return frame


def _records(
    n: int, staff: pl.Series, windows: pl.Series, days: pl.Series, seeds: list[int]
) -> pl.DataFrame:
    if n <= 0:
        return pl.DataFrame(
            schema={
                "date": pl.Date(),
                "subject": pl.String(),
                "item": pl.String(),
                "count": pl.Int64(),
            }
        )
    person_items, window_items = _weighted(PERSON_ITEMS), _weighted(WINDOW_ITEMS)
    on_window = (pl.col("h0") % 100) < WINDOW_SHARE
    if staff.len() == 0:  # a one-person province: its only person is the chief rep
        on_window, staff = pl.lit(True), windows
    frame = _hashes(n, seeds).select(
        date=pl.lit(days).gather(pl.col("h1") % days.len()),
        subject=pl.when(on_window)
        .then(pl.lit(windows).gather(pl.col("h2") % windows.len()))
        .otherwise(pl.lit(staff).gather(pl.col("h2") % staff.len())),
        item=pl.when(on_window)
        .then(pl.lit(window_items).gather((pl.col("h0") // 100) % window_items.len()))
        .otherwise(pl.lit(person_items).gather((pl.col("h0") // 100) % person_items.len())),
        count=pl.when(pl.col("h3") % 20 == 0)
        .then(pl.lit(2, pl.Int64))
        .otherwise(pl.lit(1, pl.Int64)),
    )
    return frame


def _ratings(
    n: int, staff: pl.Series, staff_window: pl.Series, days: pl.Series, seeds: list[int]
) -> pl.DataFrame:
    schema = {
        "date": pl.Date(),
        "window": pl.String(),
        "person": pl.String(),
        "stars": pl.Int64(),
        "verified": pl.Boolean(),
    }
    if n <= 0 or staff.len() == 0:
        return pl.DataFrame(schema=schema)
    stars = pl.Series([5] * 70 + [4] * 15 + [3] * 7 + [2] * 4 + [1] * 4, dtype=pl.Int64())
    pick = pl.col("h1") % staff.len()
    frame = _hashes(n, seeds).select(
        date=pl.lit(days).gather(pl.col("h0") % days.len()),
        window=pl.lit(staff_window).gather(pick),
        person=pl.when(pl.col("h2") % 10 < 7)
        .then(pl.lit(staff).gather(pick))
        .otherwise(pl.lit(None, pl.String())),
        stars=pl.lit(stars).gather(pl.col("h3") % stars.len()),
        h4=pl.col("h4"),
    )
    return frame.with_columns(verified=(pl.col("stars") <= 2) & (pl.col("h4") % 2 == 0)).drop("h4")


def build_province(people: int, facts: int, seed: int = 1) -> Province:
    """The synthetic province as frames (deterministic in ``seed``)."""
    if people < 1:
        raise ValueError("--people must be at least 1")
    if facts < 0:
        raise ValueError("--facts must not be negative")
    rng = random.Random(seed)
    units, windows, people_frame = _org(people, rng)
    staff_frame = people_frame.filter(pl.col("role") == "staff")
    staff, staff_window = staff_frame["id"], staff_frame["window"]
    days = pl.Series(_workdays(), dtype=pl.Date())
    expected = 4 * days.len()
    n_staff = staff_frame.height
    missed = [0 if rng.random() < 0.8 else rng.randint(1, 8) for _ in range(n_staff)]
    attendance = pl.DataFrame(
        {
            "person": staff,
            "month": [PERIOD] * n_staff,
            "expected_signins": [expected] * n_staff,
            "missed_signins": missed,
        },
        schema={
            "person": pl.String(),
            "month": pl.String(),
            "expected_signins": pl.Int64(),
            "missed_signins": pl.Int64(),
        },
    )
    if attendance.height > facts:
        attendance = attendance.head(facts)
    n_ratings = min(facts // RATING_SHARE, facts - attendance.height)
    n_records = facts - attendance.height - n_ratings
    ratings = _ratings(
        n_ratings, staff, staff_window, days, [rng.getrandbits(63) for _ in range(5)]
    )
    records = _records(
        n_records, staff, windows["id"], days, [rng.getrandbits(63) for _ in range(4)]
    )
    return Province(units, windows, people_frame, attendance, ratings, records)


def generate(people: int, facts: int, out: Path | str, seed: int = 1) -> dict[str, int]:
    """Write the province's tables as ``DIR/<table>.parquet``; rows per table."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    province = build_province(people, facts, seed)
    counts: dict[str, int] = {}
    for name, frame in province.tables().items():
        frame.write_parquet(folder / f"{name}.parquet", statistics=True)
        counts[name] = frame.height
    return counts


def describe(data: Path) -> dict[str, int]:
    """Rows per table of a data directory, from the Parquet footers."""
    import pyarrow.parquet as pq

    counts: dict[str, int] = {}
    for name in (*ORG_FILES, *FACT_FILES):
        file = data / f"{name}.parquet"
        if file.exists():
            counts[name] = pq.read_metadata(file).num_rows
    return counts


# ---------------------------------------------------------------- loading without load_batch


def facts_from_frames(frames: Mapping[str, pl.DataFrame]) -> Facts:
    """Typed fact tables straight from frames, column by column (never row by row).

    :func:`kaohe.engine.inputs.build_table_frame` does the typing and checking
    (the same path ``load_batch`` takes for Parquet fact tables).
    """
    return Facts(tables={table: build_table_frame(table, frame) for table, frame in frames.items()})


def load_frames(data: Path) -> tuple[Org, Facts]:
    """Org and facts of a directory of Parquet files, without going row by row."""
    org_raw: dict[str, object] = {}
    for name in ORG_FILES:
        file = data / f"{name}.parquet"
        if file.exists():
            org_raw[name] = pl.read_parquet(file).to_dicts()
    frames = {
        name: pl.read_parquet(file)
        for name in SCHEMAS
        if (file := data / f"{name}.parquet").exists()
    }
    return build_org(org_raw), facts_from_frames(frames)


# ---------------------------------------------------------------- measuring


class PeakRss:
    """Peak resident set size of this process, sampled every ``interval`` seconds."""

    def __init__(self, interval: float = 0.05) -> None:
        import psutil

        self._process = psutil.Process()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> None:
        self.peak = max(self.peak, self._process.memory_info().rss)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> PeakRss:
        self.sample()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="kaohe-bench-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()

    @property
    def mb(self) -> float:
        return self.peak / 2**20


def lifetime_peak_mb() -> float:
    """ru_maxrss of this process (KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


@contextmanager
def _timer(into: list[float]) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        into.append(time.perf_counter() - start)


@dataclass
class EngineRun:
    load_s: float
    score_s: float
    subjects: int
    graded: int
    loader: str

    @property
    def total_s(self) -> float:
        return self.load_s + self.score_s


@dataclass
class BenchResult:
    engine: EngineRun
    baseline_s: float
    groups: int
    peak_rss_mb: float
    baseline_peak_rss_mb: float
    people: int
    facts: int
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        engine_s = self.engine.total_s
        return {
            "engine_s": round(engine_s, 3),
            "baseline_s": round(self.baseline_s, 3),
            "ratio": round(engine_s / self.baseline_s, 2) if self.baseline_s > 0 else None,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "people": self.people,
            "facts": self.facts,
            "load_s": round(self.engine.load_s, 3),
            "score_s": round(self.engine.score_s, 3),
            "loader": self.engine.loader,
        }


def baseline(data: Path, threads: int | None = None) -> tuple[float, int]:
    """Seconds for DuckDB to sum counts per subject and item, fully materialised; groups."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        path = str(data / "records.parquet").replace("'", "''")
        query = (
            f"SELECT subject, item, sum(coalesce(count, 1)) AS total "
            f"FROM read_parquet('{path}') GROUP BY ALL"
        )
        start = time.perf_counter()
        relation = con.sql(query)
        fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
        table = fetch()
        elapsed = time.perf_counter() - start
        return elapsed, table.num_rows
    finally:
        con.close()


def _loader_choice() -> str:
    choice = os.environ.get("KAOHE_BENCH_LOADER", "auto").strip().lower() or "auto"
    if choice not in ("auto", "batch", "frames"):
        raise SystemExit(f"KAOHE_BENCH_LOADER={choice!r}: use auto, batch or frames")
    if choice == "auto":
        try:
            from kaohe.cases.loading import load_batch  # noqa: F401
        except ImportError:
            return "frames"
        return "batch"
    return choice


def run_engine(data: Path, loader: str) -> EngineRun:
    """Load the directory and score and grade the month, as ``kaohe score`` does (no JSON)."""
    from kaohe.engine import load_policy, score

    times: list[float] = []
    with _timer(times):
        if loader == "batch":
            from kaohe.cases.loading import load_batch

            case = load_batch(POLICY, PERIOD, data, None)
            org, facts, context, policy_ref, period = (
                case.org,
                case.facts,
                case.context,
                case.policy,
                case.period,
            )
        else:
            org, facts = load_frames(data)
            context, policy_ref, period = None, POLICY, PERIOD
    with _timer(times):
        policy = load_policy(policy_ref)
        result = score(policy, period, org, facts, context, trace=False)
    graded = sum(1 for r in result.subjects.values() if r.grade)
    return EngineRun(times[0], times[1], len(result.subjects), graded, loader)


def _generate_elsewhere(people: int, facts: int, out: Path, seed: int) -> None:
    """Generate in a child process, so its memory does not count towards the engine's peak."""
    import kaohe

    src = str(Path(kaohe.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    cmd = [
        sys.executable,
        "-m",
        "kaohe",
        "bench",
        "generate",
        "--people",
        str(people),
        "--facts",
        str(facts),
        "--out",
        str(out),
        "--seed",
        str(seed),
    ]
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)


def bench_engine(data: Path, repeat: int = 1, say: Callable[[str], None] = print) -> BenchResult:
    """Time the engine and the GROUP BY over ``data``, best of ``repeat`` each."""
    repeat = max(1, repeat)
    counts = describe(data)
    if "records" not in counts:
        raise SystemExit(f"kaohe bench engine: {data} has no records.parquet")
    n_people = counts.get("people", 0)
    n_facts = sum(counts.get(t, 0) for t in FACT_FILES)
    threads = pl.thread_pool_size()
    say(
        f"data: {data} ({n_people} people, {counts.get('windows', 0)} windows; "
        + ", ".join(f"{t} {counts.get(t, 0)}" for t in FACT_FILES)
        + ")"
    )
    say(f"threads: polars {threads}, duckdb {threads}, cpus {os.cpu_count()}")
    loader = _loader_choice()
    say(f"loader: {'kaohe.cases.loading.load_batch' if loader == 'batch' else 'bench.load_frames'}")

    # the engine first, so the GROUP BY's buffers do not count towards its peak
    runs: list[EngineRun] = []
    gc.collect()
    with PeakRss() as rss:
        for n in range(repeat):
            run = run_engine(data, loader)
            runs.append(run)
            say(
                f"engine run {n + 1}: load {run.load_s:.3f} s + score and grade {run.score_s:.3f} s "
                f"= {run.total_s:.3f} s ({run.subjects} subjects, {run.graded} graded)"
            )
            gc.collect()
    best = min(runs, key=lambda r: r.total_s)

    times: list[float] = []
    groups = 0
    with PeakRss() as base_rss:
        for n in range(repeat):
            elapsed, groups = baseline(data, threads)
            times.append(elapsed)
            say(f"baseline run {n + 1}: duckdb GROUP BY {elapsed:.3f} s ({groups} groups)")
    result = BenchResult(best, min(times), groups, rss.mb, base_rss.mb, n_people, n_facts)
    out = result.as_dict()
    say(
        f"best: engine {out['engine_s']} s, baseline {out['baseline_s']} s, ratio {out['ratio']} "
        f"(target ≤ 2); peak RSS during the engine {out['peak_rss_mb']} MB (target ≤ 4096), "
        f"process lifetime {lifetime_peak_mb():.1f} MB"
    )
    return result


def cmd_generate(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    try:
        counts = generate(args.people, args.facts, Path(args.out), args.seed)
    except ValueError as exc:
        print(f"kaohe bench generate: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - start
    print(
        f"wrote {args.out}: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f" in {elapsed:.2f} s"
    )
    return 0


def _engine_errors() -> tuple[type[Exception], ...]:
    from kaohe.cli import USER_ERRORS

    try:
        from kaohe.cases.loading import CaseLoadError
    except ImportError:
        return USER_ERRORS
    return (CaseLoadError, *USER_ERRORS)


def cmd_engine(args: argparse.Namespace) -> int:
    errors = _engine_errors()
    try:
        if args.data:
            data = Path(args.data)
            if not data.is_dir():
                print(f"kaohe bench engine: {data}: not a directory", file=sys.stderr)
                return 2
            result = bench_engine(data, args.repeat)
        else:
            with tempfile.TemporaryDirectory(prefix="kaohe-bench-") as tmp:
                data = Path(tmp)
                start = time.perf_counter()
                try:
                    _generate_elsewhere(args.people, args.facts, data, 1)
                except subprocess.CalledProcessError as exc:
                    print(
                        f"kaohe bench engine: generating the data failed ({exc.returncode})",
                        file=sys.stderr,
                    )
                    return 2
                print(
                    f"generated {args.people} people, {args.facts} facts in "
                    f"{time.perf_counter() - start:.2f} s"
                )
                result = bench_engine(data, args.repeat)
    except errors as exc:
        print(f"kaohe bench engine: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.as_dict()), flush=True)
    return 0


def main(args: argparse.Namespace) -> int:
    if args.bench_command == "generate":
        return cmd_generate(args)
    if args.bench_command == "engine":
        return cmd_engine(args)
    if args.bench_command == "import":
        from kaohe.web.commands.bench_import import main as bench_import

        return bench_import(args)
    print(f"kaohe bench: unknown command {args.bench_command!r}", file=sys.stderr)
    return 2
