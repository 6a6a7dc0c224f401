"""Bad inputs become CaseLoadError naming the file, the table, the row and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kaohe.cases import CaseLoadError, find_cases, load_batch, load_case, load_tables

HEAD = """\
case: bad
policy: xxqu-2022
period: 2024-05
org:
  units: [{id: U1, name: 公安}]
  windows: [{id: W1, name: 公安窗口, unit: U1}]
  people:
    - {id: P1, name: 张伟, window: W1}
"""


def _load(tmp_path: Path, text: str, encoding: str = "utf-8") -> CaseLoadError:
    path = tmp_path / "case.yaml"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(CaseLoadError) as info:
        load_case(path)
    assert str(info.value).startswith(f"{path}: ")
    return info.value


def _facts(rows: str) -> str:
    return HEAD + "facts:\n  records:\n" + rows


def test_malformed_yaml(tmp_path: Path) -> None:
    err = _load(tmp_path, HEAD + "facts: {records: [\n")
    assert "invalid YAML at line" in str(err)


def test_unknown_table(tmp_path: Path) -> None:
    err = _load(tmp_path, HEAD + "facts:\n  recordz: []\n")
    assert err.table == "recordz" and "unknown table" in str(err)
    err = _load(tmp_path, HEAD.replace("  units:", "  unit:"))
    assert err.table == "org.unit" and "unknown table" in str(err)


def test_unknown_field(tmp_path: Path) -> None:
    err = _load(
        tmp_path,
        _facts(
            "    - {date: 2024-05-06, subject: P1}\n"
            "    - {date: 2024-05-07, subject: P1, itme: a.1}\n"
        ),
    )
    assert (err.table, err.row, err.field) == ("records", 2, "itme")
    assert "records row 2 field 'itme': unknown field" in str(err)


def test_bad_date(tmp_path: Path) -> None:
    err = _load(tmp_path, _facts("    - {date: 2024-02-30, subject: P1}\n"))
    assert "records row 1 field 'date': not a date: '2024-02-30'" in str(err)
    err = _load(tmp_path, HEAD.replace("window: W1}", "window: W1, joined: 2024-13-01}"))
    assert "org.people row 1 field 'joined'" in str(err)


def test_missing_required_field(tmp_path: Path) -> None:
    err = _load(tmp_path, _facts("    - {date: 2024-05-06, item: a.1}\n"))
    assert str(err).endswith("records row 1 field 'subject': missing")


def test_unknown_window_in_people(tmp_path: Path) -> None:
    err = _load(tmp_path, HEAD + "    - {id: P2, name: 李娜, window: W9}\n")
    assert str(err).endswith("org.people row 2 field 'window': unknown window 'W9'")


def test_number_out_of_range_is_an_input_error(tmp_path: Path) -> None:
    err = _load(
        tmp_path,
        _facts(
            "    - {date: 2024-05-06, subject: P1}\n"
            "    - {date: 2024-05-06, subject: P1, points: 1e40}\n"
        ),
    )
    assert "records row 2 field 'points': number out of range" in str(err)
    err = _load(
        tmp_path, _facts("    - {date: 2024-05-06, subject: P1, count: 99999999999999999999}\n")
    )
    assert "records row 1 field 'count': number out of range" in str(err)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "a case must be a mapping"),
        ("- a\n- b\n", "a case must be a mapping"),
        (HEAD + "expected: {}\n", "unknown key(s) expected"),
        (HEAD.replace("policy: xxqu-2022\n", ""), "field 'policy': missing"),
        (HEAD.replace("policy: xxqu-2022", "policy: [a]"), "field 'policy': must be"),
        (HEAD.replace("period: 2024-05\n", ""), "field 'period': missing"),
        (HEAD.replace("period: 2024-05", "period: 2024-13"), "field 'period': not a period"),
        (HEAD.replace("period: 2024-05", "period: May"), "field 'period': not a period"),
        (HEAD + "facts: [records]\n", "field 'facts': must be a mapping"),
        (HEAD.replace("org:\n", "org: 1\nx:\n"), "unknown key(s) x"),
        (HEAD + "facts: {records: {date: 2024-05-06}}\n", "records: must be a list of rows"),
        (HEAD + "facts: {records: [1]}\n", "records row 1: a row must be a mapping"),
        (HEAD + "context: [1]\n", "field 'context': must be a mapping"),
        (HEAD + "expect: [P1]\n", "field 'expect': must be a mapping"),
        (HEAD + "expect: {P1: 98}\n", "expect field 'P1': must be a mapping"),
        (HEAD + "expect: {error: x, P1: {score: 1}}\n", "{error: text} stands alone"),
        (HEAD + "expect: {P1: {score: 1}, P1: {score: 2}}\n", "duplicate key 'P1'"),
        (HEAD + "    - {id: P1, name: 重复}\n", "org.people row 2 field 'id': duplicate id 'P1'"),
        (HEAD.replace("window: W1}", "window: W1, role: boss}"), "field 'role': unknown role"),
        ("case: [unclosed\n", "invalid YAML"),
        ("a: !!timestamp nope\n", "unknown key(s) a"),
        ("a: !!float nope\n", "invalid YAML"),
        ("a: !!binary 'A'\n", "invalid YAML"),
    ],
)
def test_bad_case_files(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in str(_load(tmp_path, text))


def test_expectations(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        HEAD.replace("period: 2024-05", "period: 2024") + "expect: {1001: {score: 1}}\n", "utf-8"
    )
    case = load_case(path)
    assert case.period == "2024" and case.expect == {"1001": {"score": 1}}
    assert case.expect_error is None and case.name == "bad"
    path.write_text(HEAD.replace("case: bad\n", "") + "expect: {error: unknown item}\n", "utf-8")
    case = load_case(path)
    assert case.expect is None and case.expect_error == "unknown item" and case.name == "ok"


def test_gbk_and_bom_case_files(tmp_path: Path) -> None:
    for encoding in ("utf-8-sig", "gbk"):
        path = tmp_path / f"{encoding}.yaml"
        path.write_bytes(HEAD.encode(encoding))
        assert load_case(path).org.people["P1"].name == "张伟"


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(CaseLoadError, match="cannot read"):
        load_case(tmp_path / "nope.yaml")
    with pytest.raises(CaseLoadError, match="no such file"):
        find_cases([tmp_path / "nope"])
    with pytest.raises(CaseLoadError, match="no such file"):
        load_batch("p", "2024-05", tmp_path / "nope")


# ---------------------------------------------------------------- workbooks and directories

PEOPLE = [
    {"id": "P1", "name": "张伟", "window": "W1"},
    {"id": "P2", "name": "李娜", "window": "W9"},
]
WINDOWS = [{"id": "W1", "name": "公安窗口"}]


def _batch_error(path: Path) -> CaseLoadError:
    with pytest.raises(CaseLoadError) as info:
        load_batch("p", "2024-05", path)
    return info.value


def test_workbook_errors_name_sheet_rows(w: Any, tmp_path: Path) -> None:
    book = w.write_xlsx(tmp_path / "b.xlsx", {"windows": WINDOWS, "people": PEOPLE}, w.excel_cell)
    err = _batch_error(book)
    assert str(err) == f"{book}: people row 3 field 'window': unknown window 'W9'"
    book = w.write_xlsx(
        tmp_path / "c.xlsx",
        {
            "records": [
                {"date": "2024-05-06", "subject": "P1"},
                {"date": "2024-13-06", "subject": "P1"},
            ],
            "说明": [{"a": "注意"}],
        },
        w.excel_cell,
    )
    assert "说明: unknown table" in str(_batch_error(book))


def test_csv_errors_name_file_and_row(w: Any, tmp_path: Path) -> None:
    rows = [{"date": "2024-05-06", "subject": "P1"}, {}, {"date": "2024-5-x", "subject": "P1"}]
    (tmp_path / "records.csv").write_bytes(w.csv_bytes(rows, "gbk", w.text_cell))
    err = _batch_error(tmp_path)
    assert str(err).startswith(
        f"{tmp_path / 'records.csv'}: records row 4 field 'date': not a date"
    )
    assert (err.file, err.table, err.row, err.field) == (
        tmp_path / "records.csv",
        "records",
        4,
        "date",
    )


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"recordz.csv": b"date\n"}, "recordz: unknown table"),
        ({"records.xls": b"<html>"}, "unsupported format '.xls'"),
        ({"records.csv": b"date\n", "records.parquet": b"x"}, "table given twice"),
        ({"records.parquet": b"not parquet"}, "cannot read Parquet"),
        ({"records.xlsx": b"PK not a zip"}, "cannot read workbook"),
        ({"records.csv": b"date,subject\n\xff\xff,P1\n"}, "neither UTF-8 nor GB18030"),
        ({"records.csv": b"date,subject\n2024-05-06,P1,extra\n"}, "row 2: a value in column 3"),
        ({"records.csv": b"date,date\n"}, "records row 1 field 'date': column appears twice"),
        ({"notes.md": b"x"}, "no tables found"),
    ],
)
def test_bad_directories(tmp_path: Path, files: dict[str, bytes], expected: str) -> None:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert expected in str(_batch_error(tmp_path))


def test_bad_batch_arguments(w: Any, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x", "utf-8")
    assert "expected an .xlsx workbook or a directory" in str(_batch_error(tmp_path / "x.txt"))
    book = w.write_xlsx(tmp_path / "b.xlsx", {"windows": WINDOWS}, w.excel_cell)
    with pytest.raises(CaseLoadError, match="field 'period': not a period"):
        load_batch("p", "2024-Q5", book)
    with pytest.raises(CaseLoadError, match="field 'context': must be a mapping"):
        load_batch("p", "2024-Q1", book, [1])  # type: ignore[arg-type]
    assert load_tables(book) == ({"windows": [{"id": "W1", "name": "公安窗口"}]}, {})


def test_too_many_decimals_are_refused_with_row_and_field(tmp_path: Path) -> None:
    # polars would panic on 1e-80 or silently null a mixed-scale column; the engine refuses both
    for bad in (f"0.{'1' * 36}", "1e-80", "0.00015"):
        path = tmp_path / "case.yaml"
        path.write_text(
            _facts(
                "    - {date: 2024-05-06, subject: P1, points: 12345}\n"
                f"    - {{date: 2024-05-06, subject: P1, points: '{bad}'}}\n"
            ),
            "utf-8",
        )
        with pytest.raises(CaseLoadError, match=r"records row 2 field 'points'.*decimal places"):
            load_case(path)
