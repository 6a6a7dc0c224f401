"""The `kaohe check` / `kaohe score` contract of ../shared/spec/cases.md."""

import json
from pathlib import Path

import pytest

from kaohe.cli import main

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "cases" / "guangde-2023" / "demo-month.yaml"


def test_score_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--case", str(CASE), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["policy"] == "guangde-2023" and out["period"] == "2024-10"
    w1 = out["subjects"]["W1"]
    assert {"score", "rank", "dimensions", "trace"} <= w1.keys()
    assert sum(t.get("points", 0) for t in w1["trace"]) == pytest.approx(w1["score"])


def test_score_table_and_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--case", str(CASE), "--format", "table"]) == 0
    assert "W1" in capsys.readouterr().out
    out = tmp_path / "r.xlsx"
    assert main(["score", "--case", str(CASE), "--format", "xlsx", "--out", str(out)]) == 0
    import openpyxl

    sheet = openpyxl.load_workbook(out)["结果"]
    assert sheet.cell(1, 1).value == "对象"


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(CASE.read_text(encoding="utf-8").replace("item: business.11", "item: business.99", 1),
                   encoding="utf-8")
    assert main(["score", "--case", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "business.99" in err and "records row" in err
    assert "Traceback" not in err
    assert err.startswith(f"kaohe score: {bad}: ")


def test_a_row_the_engine_refuses_names_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = {
        "units.csv": "id,name\nU1,单位1\n",
        "windows.csv": "id,name,unit\nW1,窗口1,U1\n",
        "people.csv": "id,name,window,unit\nP1,张三,W1,U1\n",
        "records.csv": "date,subject,item,count\n2023-10-09,P1,discipline.01,1\n"
        "2023-10-10,P1,discipline.01,0\n",
    }
    for name, text in tables.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    argv = ["score", "--policy", "guangde-2023", "--period", "2023-10", "--data", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"kaohe score: {tmp_path / 'records.csv'}: records row 3 field 'count': "
        "count must be a whole number ≥ 1"
    )


def test_check_prints_one_line_per_case_and_totals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(CASE.read_text(encoding="utf-8").replace("score: 93.4", "score: 93.5", 1),
                     encoding="utf-8")
    assert main(["check", str(CASE), str(wrong)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("PASS")
    assert lines[1].startswith("FAIL") and "W1 score expected 93.5 got 93.4" in lines[1]
    assert lines[-1] == "1 passed, 1 failed"
