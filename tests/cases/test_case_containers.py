"""One schema, three containers: YAML, an XLSX workbook, a directory of CSV/XLSX/Parquet."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from kaohe.cases import Case, find_cases, load_batch, load_case, load_tables
from kaohe.engine.inputs import InputError, build_facts, build_org

ORG: dict[str, list[dict[str, Any]]] = {
    "units": [{"id": "U1", "name": "区公安分局"}, {"id": "U2", "name": "区税务局"}],
    "windows": [
        {"id": "W1", "name": "公安窗口", "unit": "U1", "kind": "single"},
        {"id": "W2", "name": "税务窗口", "unit": "U2", "kind": "comprehensive"},
    ],
    "people": [
        {"id": "P1", "name": "张伟", "window": "W1", "unit": "U1", "pin": "0012"},
        {
            "id": "1001",
            "name": "李娜",
            "role": "chief_rep",
            "unit": "U1",
            "windows": ["W1", "W2"],
            "joined": date(2024, 5, 6),
        },
        {
            "id": "P3",
            "name": "王芳",
            "window": "W2",
            "employment": "purchased",
            "left": date(2024, 5, 20),
            "substitutes_for": "P1",
        },
    ],
}
FACTS: dict[str, list[dict[str, Any]]] = {
    "records": [
        {
            "date": date(2024, 5, 6),
            "subject": "P1",
            "item": "discipline.01",
            "count": 2,
            "note": "上班迟到两次",
        },
        {
            "date": date(2024, 5, 7),
            "subject": "1001",
            "item": "norms.20",
            "points": "0.3",
            "major": True,
        },
        {
            "date": date(2024, 5, 8),
            "subject": "W2",
            "dimension": "other",
            "points": "1.5",
            "exempt": False,
            "already_deducted": True,
            "note": "自由录入扣分",
        },
    ],
    "attendance": [
        {
            "person": "P1",
            "month": "2024-05",
            "workdays": 21,
            "present_days": "20.5",
            "expected_signins": 42,
            "missed_signins": 1,
        },
    ],
    "leave": [
        {"person": "P3", "type": "病假", "start": date(2024, 5, 13), "end": date(2024, 5, 14)},
        {"person": "P1", "type": "事假", "days": "0.5", "approved": False},
    ],
    "ratings": [
        {"date": date(2024, 5, 9), "window": "W1", "person": "P1", "stars": 2, "verified": True}
    ],
    "votes": [{"group": "supervisors", "voter": "V01", "subject": "W1", "level": "满意"}],
    "period_scores": [{"subject": "W1", "period": "2024-04", "score": "95.5", "grade": "优秀"}],
}


def _yaml_case(w: Any, folder: Path) -> Case:
    data = {
        "case": "containers",
        "policy": "xxqu-2022",
        "period": "2024-05",
        "org": ORG,
        "facts": FACTS,
    }
    return load_case(w.write_yaml(folder / "case.yaml", data))


def _assert_same(case: Case, reference: Case) -> None:
    assert case.org == reference.org
    assert sorted(case.facts.tables) == sorted(reference.facts.tables)
    for name, frame in reference.facts.tables.items():
        assert_frame_equal(case.facts[name].drop("_row"), frame.drop("_row"))


def _csv_dir(w: Any, folder: Path, encoding: str) -> Path:
    folder.mkdir()
    for name, rows in {**ORG, **FACTS}.items():
        (folder / f"{name}.csv").write_bytes(w.csv_bytes(rows, encoding, w.text_cell))
    return folder


def test_yaml_loads_the_world(w: Any, tmp_path: Path) -> None:
    case = _yaml_case(w, tmp_path)
    assert case.name == "containers" and case.period == "2024-05" and case.expect is None
    assert case.org.people["1001"].windows == ("W1", "W2")
    assert case.org.people["P1"].pin == "0012"
    assert case.facts["records"]["_row"].to_list() == [1, 2, 3]
    assert case.base_dir == tmp_path


def test_workbook_equals_yaml(w: Any, tmp_path: Path) -> None:
    book = w.write_xlsx(tmp_path / "data.xlsx", {**ORG, **FACTS}, w.excel_cell)
    case = load_batch("xxqu-2022", "2024-05", book)
    _assert_same(case, _yaml_case(w, tmp_path))
    assert case.facts["attendance"]["month"].to_list() == ["2024-05"]  # Excel made it a date
    assert case.facts["records"]["_row"].to_list() == [2, 3, 4]
    assert case.sources["records"] == book


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_csv_directory_equals_yaml(w: Any, tmp_path: Path, encoding: str) -> None:
    folder = _csv_dir(w, tmp_path / "data", encoding)
    _assert_same(load_batch("xxqu-2022", "2024-05", folder), _yaml_case(w, tmp_path))


def test_parquet_directory_equals_yaml(w: Any, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for name, rows in {**ORG, **FACTS}.items():
        w.write_parquet(folder / f"{name}.parquet", rows)
    case = load_batch("xxqu-2022", 2024, folder)
    assert case.period == "2024"
    _assert_same(case, _yaml_case(w, tmp_path))
    assert case.facts["records"]["_row"].to_list() == [1, 2, 3]


def test_mixed_directory_and_ignored_files(w: Any, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for name, rows in ORG.items():
        w.write_xlsx(folder / f"{name}.xlsx", {name: rows}, w.excel_cell)
    (folder / "records.csv").write_bytes(w.csv_bytes(FACTS["records"], "gbk", w.text_cell))
    for name in ("attendance", "leave", "ratings", "votes"):
        w.write_parquet(folder / f"{name}.parquet", FACTS[name])
    w.write_xlsx(folder / "period_scores.xlsx", {"Sheet1": FACTS["period_scores"]}, w.excel_cell)
    (folder / "README.md").write_text("说明", "utf-8")
    (folder / "~$records.xlsx").write_bytes(b"lock")
    _assert_same(load_batch("xxqu-2022", "2024-05", folder), _yaml_case(w, tmp_path))


def test_spreadsheet_rows_keep_their_numbers(w: Any, tmp_path: Path) -> None:
    rows = [*FACTS["records"][:1], {}, {"date": None, "note": "  "}, *FACTS["records"][1:]]
    (tmp_path / "records.csv").write_bytes(w.csv_bytes(rows, "utf-8", w.text_cell))
    case = load_batch("p", "2024-05", tmp_path)
    assert case.facts["records"]["_row"].to_list() == [2, 5, 6]
    book = w.write_xlsx(tmp_path / "b.xlsx", {"records": rows}, w.excel_cell)
    assert load_batch("p", "2024-05", book).facts["records"]["_row"].to_list() == [2, 5, 6]


def test_excel_ids_and_separators(w: Any, tmp_path: Path) -> None:
    people = [
        {"id": 1001.0, "name": "李娜", "role": "chief_rep", "windows": "W1，W2"},
        {"id": "1002.0", "name": "赵磊", "window": "W1", "pin": 7.0},
    ]
    records = [{"date": "2024-05-06", "subject": 1001.0, "item": "x", "count": 2.0}]
    windows = ORG["windows"]
    book = w.write_xlsx(
        tmp_path / "b.xlsx",
        {"windows": windows, "people": people, "records": records},
        lambda c, v: v,
    )
    case = load_batch("p", "2024-05", book)
    assert sorted(case.org.people) == ["1001", "1002"]
    assert case.org.people["1001"].windows == ("W1", "W2")
    assert case.org.people["1002"].pin == "7"
    assert case.facts["records"].row(0, named=True)["subject"] == "1001"


def test_load_tables_feeds_the_engine(w: Any, tmp_path: Path) -> None:
    folder = _csv_dir(w, tmp_path / "data", "utf-8-sig")
    org_raw, facts_raw = load_tables(folder)
    assert set(org_raw) == set(ORG) and set(facts_raw) == set(FACTS)
    assert build_org(org_raw) == _yaml_case(w, tmp_path).org
    assert build_facts(facts_raw)["records"].height == 3


def test_input_error_from_the_engine_names_the_source(w: Any, tmp_path: Path) -> None:
    folder = _csv_dir(w, tmp_path / "data", "utf-8")
    case = load_batch("p", "2024-05", folder)
    err = case.input_error(InputError("records", 3, "item", "unknown item 'norms.20'"))
    assert (
        str(err) == f"{folder / 'records.csv'}: records row 3 field 'item': unknown item 'norms.20'"
    )


def test_every_shared_case_loads(shared_cases: Path) -> None:
    paths = find_cases([shared_cases])
    assert paths, "no shared cases found"
    for path in paths:
        case = load_case(path)
        assert case.policy and case.period
        assert case.expect or case.expect_error


def test_find_cases(tmp_path: Path) -> None:
    for rel in ("b/2.yaml", "a/1.yml", "a/c/0.yaml", ".hidden/x.yaml", "a/notes.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", "utf-8")
    found = find_cases([tmp_path, tmp_path / "b" / "2.yaml"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a/1.yml",
        "a/c/0.yaml",
        "b/2.yaml",
    ]
    assert find_cases(tmp_path / "a" / "notes.txt") == [tmp_path / "a" / "notes.txt"]


def test_frames_keep_schema_types(w: Any, tmp_path: Path) -> None:
    frame = _yaml_case(w, tmp_path).facts["records"]
    assert frame.schema["date"] == pl.Date() and frame.schema["count"] == pl.Int64()
