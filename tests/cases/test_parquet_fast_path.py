"""A Parquet directory loads column by column, with the inputs and messages of the row path.

Each directory below is loaded twice: as it is, and with the column-wise
shortcuts switched off (the org built from row mappings, every text column
stripped), which is how Parquet was loaded before. Both must give the same
org and facts, or the same one-line error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from kaohe.cases import CaseLoadError, load_batch, loading
from kaohe.cli import main
from kaohe.engine import inputs

Frames = dict[str, pl.DataFrame]


def _world() -> Frames:
    units = pl.DataFrame({"id": ["U1", "U2"], "name": ["公安", "税务"]})
    windows = pl.DataFrame(
        {
            "id": [f"W{n}" for n in range(1, 11)],
            "name": [f"窗口{n}" for n in range(1, 11)],
            "unit": ["U1"] * 5 + ["U2"] * 5,
            "kind": ["single"] * 8 + [None, "comprehensive"],
        }
    )
    people = pl.DataFrame(
        {
            "id": [f"P{n}" for n in range(1, 21)],
            "name": [f"人{n}" if n != 5 else None for n in range(1, 21)],
            "role": ["chief_rep"] + ["staff"] * 19,
            "window": [None] + [f"W{n % 10 + 1}" for n in range(1, 20)],
            "unit": ["U1"] + [None] * 19,
        }
    )
    records = pl.DataFrame(
        {
            "date": [date(2023, 10, 9)] * 12,
            "subject": [f"P{n % 20 + 1}" for n in range(12)],
            "item": ["discipline.02"] * 11 + ["publicity.04"],
            "count": [1] * 12,
            "note": ["迟到"] * 12,
        }
    )
    ratings = pl.DataFrame(
        {
            "date": [date(2023, 10, 10)] * 8,
            "window": [f"W{n + 1}" for n in range(8)],
            "stars": [5, 4, 5, 3, 5, 5, 4, 5],
        }
    )
    return {
        "units": units,
        "windows": windows,
        "people": people,
        "records": records,
        "ratings": ratings,
    }


def _cell(table: str, col: str, row: int, value: Any) -> Callable[[Frames], Frames]:
    """Put value in 1-based row of a column (the column made text if the value is)."""

    def change(frames: Frames) -> Frames:
        frame = frames[table]
        values = frame[col].to_list() if col in frame.columns else [None] * frame.height
        dtype = frame.schema.get(col)
        if isinstance(value, str) and dtype != pl.String:
            values, dtype = [None if v is None else str(v) for v in values], pl.String()
        values[row - 1] = value
        return {**frames, table: frame.with_columns(pl.Series(col, values, dtype=dtype))}

    return change


def _column(table: str, expr: pl.Expr) -> Callable[[Frames], Frames]:
    return lambda frames: {**frames, table: frames[table].with_columns(expr)}


CHANGES: dict[str, Callable[[Frames], Frames]] = {
    "clean": lambda frames: frames,
    "people window unknown": _cell("people", "window", 7, "W99"),
    "people windows list": _cell("people", "windows", 1, "W1，W2"),
    "people windows unknown": _cell("people", "windows", 1, "W1,W99"),
    "people unit unknown": _cell("people", "unit", 7, "U9"),
    "people role unknown": _cell("people", "role", 7, "boss"),
    "people id twice": _cell("people", "id", 7, "P1"),
    "people id missing": _cell("people", "id", 7, None),
    "people id blank": _cell("people", "id", 7, "  "),
    "people id spaced": _cell("people", "id", 7, " P7 "),
    "people name spaced": _cell("people", "name", 7, "人7\u3000"),
    "people extra field": _cell("people", "colour", 7, "red"),
    "people joined text": _cell("people", "joined", 7, "2023/10/05"),
    "people joined bad": _cell("people", "joined", 7, "2023-13-05"),
    "people substitute unknown": _cell("people", "substitutes_for", 7, "P99"),
    "people pin number": _column("people", pl.lit(12).alias("pin")),
    "windows kind unknown": _cell("windows", "kind", 7, "odd"),
    "windows unit unknown": _cell("windows", "unit", 7, "U9"),
    "units id twice": _cell("units", "id", 2, "U1"),
    "records subject blank": _cell("records", "subject", 7, ""),
    "records subject spaces": _cell("records", "subject", 7, "  "),
    "records subject spaced": _cell("records", "subject", 7, "P7\u3000"),
    "records subject missing": _cell("records", "subject", 7, None),
    "records item blank": _cell("records", "item", 7, " "),
    "records note spaced": _cell("records", "note", 7, " 迟到 "),
    "records count negative": _cell("records", "count", 7, -1),
    "records count text": _column("records", pl.col("count").cast(pl.String())),
    "records count wrong text": _cell("records", "count", 7, "x"),
    "records count fraction": _column("records", pl.col("count").cast(pl.Float64()) / 2),
    "records date text": _column("records", pl.col("date").cast(pl.String())),
    "records unknown field": _column("records", pl.lit(1).alias("colour")),
    "ratings stars out of range": _cell("ratings", "stars", 7, 6),
    "ratings window spaced": _cell("ratings", "window", 7, "W7 "),
}


def _write(folder: Path, frames: Frames) -> Path:
    folder.mkdir()
    for name, frame in frames.items():
        frame.write_parquet(folder / f"{name}.parquet")
    return folder


def _outcome(folder: Path) -> tuple[str, Any]:
    try:
        case = load_batch("guangde-2023", "2023-10", folder)
    except CaseLoadError as exc:
        return "error", str(exc)
    org = case.org
    return "ok", (
        org,
        [list(org.units), list(org.windows), list(org.people)],
        {k: v.to_dicts() for k, v in case.facts.tables.items()},
        {k: v.schema for k, v in case.facts.tables.items()},
    )


def _row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch the column-wise shortcuts off: the way Parquet directories loaded before."""
    monkeypatch.setattr(loading, "_org_from_frames", lambda tables: None)
    monkeypatch.setattr(inputs, "_spaced_text", lambda frame, columns, starts=(): set(columns))


@pytest.mark.parametrize("name", CHANGES)
def test_fast_path_equals_row_path(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _write(tmp_path / "data", CHANGES[name](_world()))
    fast = _outcome(folder)
    with monkeypatch.context() as patch:
        _row_by_row(patch)
        slow = _outcome(folder)
    assert fast == slow
    assert (fast[0] == "ok") == (
        name
        in (
            "clean",
            "people windows list",
            "people id spaced",
            "people name spaced",
            "people joined text",
            "people pin number",
            "records subject spaced",
            "records item blank",
            "records note spaced",
            "records count negative",  # refused when scoring, see test_cli_names_the_parquet_row
            "records count text",
            "records date text",
            "ratings window spaced",
        )
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("people window unknown", "people row 7 field 'window': unknown window 'W99'"),
        ("people id twice", "people row 7 field 'id': duplicate id 'P1' (first in row 1)"),
        ("people extra field", "people row 7 field 'colour': unknown field (known: employment, "),
        ("records subject blank", "records row 7 field 'subject': missing"),
        ("records count wrong text", "records row 7 field 'count': not a whole number: 'x'"),
        ("records count fraction", "records row 1 field 'count': not a whole number: 0.5"),
        ("ratings stars out of range", "ratings row 7 field 'stars': 6 is outside 1–5"),
    ],
)
def test_bad_parquet_names_file_table_row_and_field(
    name: str, message: str, tmp_path: Path
) -> None:
    folder = _write(tmp_path / "data", CHANGES[name](_world()))
    with pytest.raises(CaseLoadError) as info:
        load_batch("guangde-2023", "2023-10", folder)
    table = message.split()[0]
    assert str(info.value).startswith(f"{folder / table}.parquet: {message}")


@pytest.mark.parametrize(
    ("value", "loaded", "error"),
    [
        ("P1 ", "P1", None),  # statistics rule out a leading space: the last byte catches it
        (" P1", "P1", None),
        ("P1\u3000", "P1", None),
        ("", None, "row 119000 field 'subject': missing"),
    ],
)
def test_big_tables_checked_as_small_ones(
    value: str, loaded: str | None, error: str | None, tmp_path: Path
) -> None:
    """From 100,000 rows Parquet statistics may spare the first bytes; the ends still count."""
    n = 120_000
    frames = _world()
    records = pl.DataFrame(
        {
            "date": [date(2023, 10, 9)] * n,
            "subject": [f"P{k % 20 + 1}" for k in range(n)],
            "item": ["discipline.02"] * n,
        }
    )
    records = records.with_columns(
        pl.when(pl.int_range(pl.len()) == 118_999)
        .then(pl.lit(value))
        .otherwise(pl.col("subject"))
        .alias("subject")
    )
    folder = tmp_path / "data"
    folder.mkdir()
    for name, frame in {**frames, "records": records}.items():
        frame.write_parquet(folder / f"{name}.parquet", row_group_size=10_000)
    starts = loading._starts_clean(folder / "records.parquet", records)
    assert ("subject" in starts) == (value in ("P1 ", "P1\u3000")) and "item" in starts
    if error is not None:
        with pytest.raises(CaseLoadError, match=error):
            load_batch("guangde-2023", "2023-10", folder)
        return
    subject = load_batch("guangde-2023", "2023-10", folder).facts["records"]["subject"]
    assert subject[118_999] == loaded and subject[0] == "P1" and subject.null_count() == 0


def test_cli_names_the_parquet_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad Parquet input is one line naming table, row and field, and exit code 2.

    Loading names the file, and so does a value the engine refuses only when
    scoring (a negative count).
    """
    for name, message in (
        ("people window unknown", "{folder}/people.parquet: people row 7 field 'window': "),
        (
            "records count negative",
            "kaohe score: {folder}/records.parquet: records row 7 field 'count': count must be ",
        ),
    ):
        folder = _write(tmp_path / name.replace(" ", "-"), CHANGES[name](_world()))
        args = ["score", "--policy", "guangde-2023", "--period", "2023-10", "--data", str(folder)]
        assert main(args) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "Traceback" not in err
        assert message.format(folder=folder) in err


def test_a_clean_world_takes_the_column_path(tmp_path: Path) -> None:
    tables = loading._read_directory(_write(tmp_path / "data", _world()))
    assert loading._org_from_frames(tables) is not None
    frame = tables["records"].frame
    assert frame is not None and not inputs._spaced_text(frame, ["subject", "item", "note"])


def test_statistics_prove_only_what_they_can(tmp_path: Path) -> None:
    n = 100_000
    frame = pl.DataFrame(
        {
            "ids": [f"P{k}" for k in range(n)],
            "sparse": [None] * (n // 2) + ["a.1"] * (n // 2),  # a row group of nulls only
            "chinese": ["迟到"] * n,  # starts above U+0084: no proof
            "blank": ["x"] * (n - 1) + [""],
            "spaced": ["x"] * (n - 1) + [" x"],
            "count": list(range(n)),
        }
    )
    file = tmp_path / "records.parquet"
    frame.write_parquet(file, row_group_size=n // 2)
    assert loading._starts_clean(file, frame) == {"ids", "sparse"}
    assert loading._starts_clean(file, frame.head(10)) == frozenset()  # small: not worth it
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    assert loading._starts_clean(tmp_path / "bad.parquet", frame) == frozenset()
