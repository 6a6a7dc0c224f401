"""The column-wise input builders equal the row-by-row ones, or step aside for them."""

from __future__ import annotations

import dataclasses
import sys
from datetime import date
from typing import Any

import polars as pl
import pytest

from kaohe.engine.inputs import (
    PY_SPACE,
    InputError,
    Person,
    _may_end_spaced,
    _may_start_spaced,
    _spaced_text,
    build_org,
    build_org_frames,
    build_table_frame,
)

CHARS = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]

UNITS = [{"id": "U1", "name": "公安"}, {"id": "U2"}]
WINDOWS = [
    {"id": "W1", "name": "公安窗口", "unit": "U1"},
    {"id": "W2", "name": "税务窗口", "unit": "U2", "kind": "comprehensive"},
    {"id": "W3"},
]
PEOPLE = [
    {"id": "P1", "name": "张伟", "role": "chief_rep", "unit": "U1", "windows": "W1，W2、W3 W1"},
    {"id": "P2", "name": "李娜", "window": "W1", "joined": date(2024, 1, 2), "pin": "0012"},
    {"id": "P3", "window": "W2", "employment": "purchased", "left": date(2024, 5, 31)},
    {"id": "P4", "name": "赵磊", "window": "W3", "substitutes_for": "P2", "role": "backbone"},
]


def _frame(rows: list[dict[str, Any]], **dtypes: pl.DataType) -> pl.DataFrame:
    header = list(dict.fromkeys(k for row in rows for k in row))
    return pl.DataFrame(
        {c: pl.Series(c, [r.get(c) for r in rows], dtype=dtypes.get(c)) for c in header}
    )


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """What the loader hands build_org for a Parquet table: cells without a value left out."""
    rows = [{k: v for k, v in r.items() if v is not None and v != ""} for r in frame.to_dicts()]
    return [r for r in rows if r]


def _frames(**changes: list[dict[str, Any]]) -> dict[str, pl.DataFrame]:
    tables = {"units": UNITS, "windows": WINDOWS, "people": PEOPLE, **changes}
    return {k: _frame(v) for k, v in tables.items()}


def test_space_sets_match_every_code_point() -> None:
    """PY_SPACE is what str.strip() removes; the byte bounds catch all strip_chars() removes."""
    assert set(PY_SPACE) == {c for c in CHARS if c.isspace()}
    chars = pl.Series(CHARS)
    polars_space = chars.filter(chars.str.strip_chars() == "")
    assert set(polars_space.to_list()) <= set(PY_SPACE)
    data = polars_space.cast(pl.Binary())
    caught = pl.select(
        _may_start_spaced(pl.lit(data.bin.get(0))).all().alias("start"),
        _may_end_spaced(pl.lit(data.bin.get(-1))).all().alias("end"),
    )
    assert caught.row(0) == (True, True)


@pytest.mark.parametrize(
    ("values", "spaced"),
    [
        (["P1", "W02", "discipline.02", None], False),
        (["中文备注", "全角，标点", "ñ", "x\u3001"], False),  # caught by the bytes, not spaced
        (["P1", " P1"], True),
        (["P1", "P1\u3000"], True),
        (["P1", "\u00a0P1"], True),
        (["P1", ""], True),
        (["P1", "\t"], True),
        (["备注", "备注\u2028"], True),
    ],
)
def test_spaced_text(values: list[str | None], spaced: bool) -> None:
    frame = pl.DataFrame({"note": pl.Series(values * 3, dtype=pl.String())})
    assert _spaced_text(frame, ["note"]) == ({"note"} if spaced else set())
    strip = (frame["note"].str.strip_chars() != frame["note"]).any() or (frame["note"] == "").any()
    assert spaced == strip


def test_clean_starts_still_checks_the_ends() -> None:
    frame = pl.DataFrame({"subject": ["P1", "P2 "], "item": ["a.1", "a.2"]})
    assert _spaced_text(frame, ["subject", "item"], starts_clean={"subject", "item"}) == {"subject"}


def test_table_frame_strips_only_what_needs_it() -> None:
    frame = pl.DataFrame(
        {
            "date": [date(2024, 5, 6)] * 4,
            "subject": ["P1", " P2", "P3\u3000", "P4"],
            "item": ["a.1", "", None, "  "],
            "note": ["备注", "备注 ", None, "x"],
        }
    )
    typed = build_table_frame("records", frame)
    assert typed["subject"].to_list() == ["P1", "P2", "P3", "P4"]
    assert typed["item"].to_list() == ["a.1", None, None, None]
    assert typed["note"].to_list() == ["备注", "备注", None, "x"]
    clean = frame.with_columns(pl.lit("P1").alias("subject"))
    assert build_table_frame("records", clean)["subject"].to_list() == ["P1"] * 4
    with pytest.raises(InputError, match="records row 3 field 'subject': missing"):
        build_table_frame(
            "records", frame.with_columns(pl.Series("subject", ["P1", "P2", " ", "P4"]))
        )


def test_org_from_frames_equals_org_from_rows() -> None:
    frames = _frames()
    org = build_org_frames(frames)
    reference = build_org({k: _rows(f) for k, f in frames.items()})
    assert org is not None and org == reference
    for kind in ("units", "windows", "people"):
        ours, theirs = getattr(org, kind), getattr(reference, kind)
        assert list(ours) == list(theirs)
        for key, value in ours.items():
            assert repr(value) == repr(theirs[key]) and hash(value) == hash(theirs[key])
    assert org.people["P1"].windows == ("W1", "W2", "W3", "W1")
    assert org.people["P3"].name == "P3" and org.windows["W3"].kind == "single"


def test_people_made_pickle_style_are_plain_people() -> None:
    org = build_org_frames(_frames())
    assert org is not None
    person = org.people["P2"]
    assert type(person) is Person and not hasattr(Person, "__post_init__")
    assert vars(person).keys() == {f.name for f in dataclasses.fields(Person)}
    assert dataclasses.replace(person, name="x") == Person(**{**vars(person), "name": "x"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        person.name = "x"  # type: ignore[misc]


def test_list_windows_and_empty_tables() -> None:
    people = pl.DataFrame(
        {"id": ["P1", "P2"], "windows": [["W1", " W2"], []]},
        schema={"id": pl.String(), "windows": pl.List(pl.String())},
    )
    frames = {**_frames(), "people": people}
    org = build_org_frames(frames)
    assert org is not None and org == build_org({k: _rows(f) for k, f in frames.items()})
    assert org.people["P1"].windows == ("W1", "W2") and org.people["P2"].windows == ()
    empty = {k: f.clear() for k, f in _frames().items()}
    assert build_org_frames(empty) == build_org({})


@pytest.mark.parametrize(
    "change",
    [
        {"people": [*PEOPLE[:3], {**PEOPLE[3], "window": "W9"}]},  # unknown window
        {"people": [*PEOPLE[:3], {**PEOPLE[3], "windows": "W1,W9"}]},
        {"people": [*PEOPLE[:3], {**PEOPLE[3], "unit": "U9"}]},
        {"people": [*PEOPLE[:3], {**PEOPLE[3], "substitutes_for": "P9"}]},
        {"people": [*PEOPLE[:3], {**PEOPLE[3], "role": "boss"}]},
        {"people": [*PEOPLE[:3], {**PEOPLE[3], "employment": "x"}]},
        {"people": [*PEOPLE[:3], {**PEOPLE[3], "id": "P1"}]},  # duplicate
        {"people": [*PEOPLE[:3], {**PEOPLE[3], "id": None}]},  # missing (or a blank row)
        {"people": [*PEOPLE[:3], {**PEOPLE[3], "name": " 赵磊"}]},  # needs a strip
        {"people": [*PEOPLE[:3], {**PEOPLE[3], "name": "赵磊\x1f"}]},  # str.strip() only
        {"people": [PEOPLE[0], {**PEOPLE[1], "joined": "2024-01-02"}, *PEOPLE[2:]]},  # text date
        {"people": [*PEOPLE[:3], {**PEOPLE[3], "colour": "red"}]},  # unknown field
        {"windows": [*WINDOWS[:2], {"id": "W3", "kind": "odd"}]},
        {"windows": [*WINDOWS[:2], {"id": "W3", "unit": "U9"}]},
        {"units": [*UNITS, {"id": "U1"}]},
    ],
)
def test_anything_build_org_would_refuse_or_change_goes_row_by_row(
    change: dict[str, list[dict[str, Any]]],
) -> None:
    assert build_org_frames(_frames(**change)) is None


def test_odd_column_types_go_row_by_row() -> None:
    frames = _frames()
    ids = frames["people"].with_columns(pl.Series("id", [1, 2, 3, 4]))
    assert build_org_frames({**frames, "people": ids}) is None
    names = frames["units"].with_columns(pl.lit(1).alias("name"))
    assert build_org_frames({**frames, "units": names}) is None
    # a column without a single value is as if absent, whatever its type
    nothing = frames["people"].with_columns(pl.lit(None).alias("colour"))
    assert build_org_frames({**frames, "people": nothing}) == build_org_frames(frames)
