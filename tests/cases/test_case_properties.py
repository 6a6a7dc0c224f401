"""Whatever the cells hold, a container either loads or raises CaseLoadError — nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from kaohe.cases import CaseLoadError, load_batch, load_case
from kaohe.engine.inputs import SCHEMAS

TABLES = ("records", "leave", "attendance")
SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.text(max_size=12),
    st.dates(),
    st.datetimes(),
    st.sampled_from(
        [
            "2024-05-06",
            "2024-02-30",
            "2024/5/6",
            "20240506",
            "1e40",
            "-0",
            "是",
            "",
            " ",
            "NaN",
            "1001.0",
            "W1,W2",
            "2024-05",
            "∞",
            "١٢",
        ]
    ),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=2),
    st.dictionaries(st.text(max_size=3), scalars, max_size=1),
)


VALID: dict[str, dict[str, Any]] = {
    "records": {"date": "2024-05-06", "subject": "P1", "item": "a.1", "count": 1},
    "leave": {"person": "P1", "type": "事假", "start": "2024-05-06", "end": "2024-05-07"},
    "attendance": {"person": "P1", "month": "2024-05", "workdays": 21, "present_days": 20},
}


@st.composite
def rows(draw: st.DrawFn, text_only: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """A valid row of the table with up to three of its cells replaced by anything."""
    table = draw(st.sampled_from(TABLES))
    columns = [*SCHEMAS[table], "bogus", "_note"]
    cell = (
        st.text(max_size=12) | scalars.map(lambda v: "" if v is None else str(v))
        if text_only
        else values
    )
    changes = st.dictionaries(st.sampled_from(columns), cell, max_size=3)
    return table, [{**VALID[table], **c} for c in draw(st.lists(changes, max_size=4))]


def _loads_or_case_error(load: Any, *args: Any) -> None:
    try:
        load(*args)
    except CaseLoadError as exc:
        assert str(exc)
        event("rejected")
    else:
        event("loaded")


@SETTINGS
@given(rows())
def test_yaml_cells(table_rows: tuple[str, list[dict[str, Any]]]) -> None:
    table, body = table_rows
    data = {"policy": "p", "period": "2024-05", "facts": {table: body}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
        _loads_or_case_error(load_case, path)


@SETTINGS
@given(rows(text_only=True), st.sampled_from(["utf-8-sig", "gb18030"]))
def test_csv_cells(w: Any, table_rows: tuple[str, list[dict[str, Any]]], encoding: str) -> None:
    table, body = table_rows
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / f"{table}.csv").write_bytes(w.csv_bytes(body or [{"date": ""}], encoding))
        _loads_or_case_error(load_batch, "p", "2024-05", Path(tmp))


@settings(SETTINGS, max_examples=40)
@given(rows())
def test_xlsx_cells(w: Any, table_rows: tuple[str, list[dict[str, Any]]]) -> None:
    table, body = table_rows

    def cell(_: str, value: Any) -> Any:
        if isinstance(value, str):
            return ILLEGAL_CHARACTERS_RE.sub("", value)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
            return str(value)  # Excel holds doubles; openpyxl would refuse to write
        return (
            value
            if isinstance(value, int | float | type(None)) or hasattr(value, "year")
            else str(value)
        )

    with tempfile.TemporaryDirectory() as tmp:
        book = w.write_xlsx(Path(tmp) / "b.xlsx", {table: body or [{"date": None}]}, cell)
        _loads_or_case_error(load_batch, "p", "2024-05", book)


@SETTINGS
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_any_file_content(content: str | bytes) -> None:
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.yaml"
        path.write_bytes(data)
        _loads_or_case_error(load_case, path)
        (Path(tmp) / "records.csv").write_bytes(data)
        _loads_or_case_error(load_batch, "p", "2024-05", Path(tmp))
