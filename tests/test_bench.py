"""``kaohe bench``: the synthetic province and the engine-vs-GROUP-BY report (not timed)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from kaohe import bench
from kaohe.cli import main
from kaohe.engine.inputs import SCHEMAS, InputError, build_facts, empty_table

PEOPLE, FACTS = 60, 2000
FILES = ("units", "windows", "people", "attendance", "ratings", "records")


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("province")
    bench.generate(PEOPLE, FACTS, out, seed=5)
    return out


def _read(folder: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(folder / f"{name}.parquet")


def test_generate_writes_every_table(province: Path) -> None:
    assert sorted(p.name for p in province.iterdir()) == sorted(f"{n}.parquet" for n in FILES)
    assert _read(province, "units").columns == ["id", "name"]
    assert _read(province, "windows").columns == ["id", "name", "unit", "kind"]
    assert _read(province, "people").columns == ["id", "name", "role", "window", "unit"]
    for table in ("attendance", "ratings", "records"):
        frame = _read(province, table)
        assert set(frame.columns) <= set(SCHEMAS[table]), table
        for col, dtype in frame.schema.items():
            expected = SCHEMAS[table][col][0]
            # whole-number decimals (sign-ins) are written as Int64 counts
            assert dtype == expected or (dtype == pl.Int64 and isinstance(expected, pl.Decimal)), col


def test_generate_shapes_the_province(province: Path) -> None:
    people, windows = _read(province, "people"), _read(province, "windows")
    assert people.height == PEOPLE
    assert windows.height == 6  # windows of ten
    assert people["id"][0] == "P000001" and windows["id"][0] == "W00001"
    staff = people.filter(pl.col("role") == "staff")
    assert set(people["role"]) == {"staff", "chief_rep"}
    assert people.filter(pl.col("role") == "chief_rep").height == _read(province, "units").height
    attendance, ratings, records = (_read(province, t) for t in ("attendance", "ratings", "records"))
    assert attendance.height + ratings.height + records.height == FACTS
    assert sorted(attendance["person"]) == sorted(staff["id"])
    assert attendance["month"].unique().to_list() == ["2023-10"]
    assert ratings.height == FACTS // 100
    assert set(ratings["stars"]) <= {1, 2, 3, 4, 5}
    assert not ratings.filter(pl.col("verified") & (pl.col("stars") > 2)).height

    assert records["date"].min() >= date(2023, 10, 7)  # 1-6 October are holidays
    assert records["date"].max() <= date(2023, 10, 31)
    assert set(records["count"]) <= {1, 2}
    assert set(records["item"]) <= set(bench.PERSON_ITEMS) | set(bench.WINDOW_ITEMS)
    on_windows = records.filter(pl.col("subject").is_in(windows["id"].implode()))
    on_people = records.filter(~pl.col("subject").is_in(windows["id"].implode()))
    assert on_windows.height and on_people.height
    assert set(on_windows["item"]) <= set(bench.WINDOW_ITEMS)
    assert set(on_people["item"]) <= set(bench.PERSON_ITEMS)
    assert set(on_people["subject"]) <= set(staff["id"])


def test_generate_is_deterministic(province: Path, tmp_path: Path) -> None:
    again = bench.build_province(PEOPLE, FACTS, seed=5)
    assert_frame_equal(again.records, _read(province, "records"))
    assert_frame_equal(again.ratings, _read(province, "ratings"))
    assert_frame_equal(again.people, _read(province, "people"))
    bench.generate(PEOPLE, FACTS, tmp_path, seed=5)
    for name in FILES:
        assert (tmp_path / f"{name}.parquet").read_bytes() == (province / f"{name}.parquet").read_bytes()
    other = bench.build_province(PEOPLE, FACTS, seed=6)
    assert not other.records.equals(again.records)


def test_facts_from_frames_matches_build_facts(province: Path) -> None:
    frames = {t: _read(province, t) for t in ("attendance", "ratings", "records")}
    fast = bench.facts_from_frames(frames)
    slow = build_facts({t: f.to_dicts() for t, f in frames.items()})
    for table in frames:
        assert fast[table].schema == empty_table(table).schema
        assert_frame_equal(fast[table], slow[table])


def test_facts_from_frames_checks_columns() -> None:
    frame = pl.DataFrame({"date": [date(2023, 10, 9)], "item": ["attendance.01"]})
    with pytest.raises(InputError, match="subject"):
        bench.facts_from_frames({"records": frame})
    with pytest.raises(InputError, match="colour"):
        bench.facts_from_frames({"records": frame.with_columns(subject=pl.lit("P1"),
                                                               colour=pl.lit("red"))})
    with pytest.raises(InputError, match="row 2 field 'subject'"):
        bench.facts_from_frames({"records": pl.DataFrame({
            "date": [date(2023, 10, 9)] * 2, "subject": ["P1", None]})})


def test_generate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p"
    assert main(["bench", "generate", "--people", "25", "--facts", "300", "--out", str(out)]) == 0
    assert "records" in capsys.readouterr().out
    assert bench.describe(out)["people"] == 25
    assert sum(bench.describe(out)[t] for t in ("attendance", "ratings", "records")) == 300


def test_engine_bench_prints_json_last(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "engine", "--people", str(PEOPLE), "--facts", str(FACTS)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    report = json.loads(lines[-1])
    for key in ("engine_s", "baseline_s", "ratio", "peak_rss_mb"):
        assert isinstance(report[key], int | float), key
    assert report["people"] == PEOPLE and report["facts"] == FACTS
    assert report["engine_s"] > 0 and report["baseline_s"] > 0 and report["peak_rss_mb"] > 0
    assert len(lines) > 1  # readable lines come first


def test_engine_bench_rejects_a_missing_directory(tmp_path: Path) -> None:
    assert main(["bench", "engine", "--data", str(tmp_path / "nowhere")]) == 2
