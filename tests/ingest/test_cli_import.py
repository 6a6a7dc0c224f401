from __future__ import annotations

import json
from pathlib import Path

import pytest

from kaohe.cli import main

from .helpers import csv_text


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main(["import", *argv])
    return code, json.loads(capsys.readouterr().out)


def test_dry_run_prints_the_preview(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "faces.csv"
    rows = [["工号", "认证时间", "手机号"], ["1001", "2026-02-03 08:00", "138"], ["", "x", ""]]
    path.write_bytes(csv_text(rows).encode("gbk"))
    code, out = run(capsys, "punches", str(path), "--dry-run")
    assert code == 1
    assert out["rows"] == 2 and out["valid"] == 1
    assert out["errors"] == [{"row": 3, "column": "工号", "message": "employee number is empty"}]
    assert (out["format"], out["encoding"]) == ("terminal", "gb18030")
    assert out["dropped_columns"] == ["手机号"]


def test_dry_run_with_mapping_and_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "m.yaml").write_text(
        "table: leave\ncolumns: {person: 编号, type: 假别}\n", encoding="utf-8"
    )
    monkeypatch.setenv("KAOHE_MAPPINGS_DIR", str(tmp_path))
    path = tmp_path / "leave.csv"
    path.write_text(csv_text([["编号", "假别"], ["7", "年假"]]), encoding="utf-8-sig")
    code, out = run(capsys, "leave", str(path), "--mapping", "m", "--dry-run", "--rows")
    assert code == 0
    assert out["format"] == "mapping:m" and out["encoding"] == "utf-8-sig"
    assert out["data"] == [
        {"_row": 2, "person": "7", "type": "年假", "start": None, "end": None, "days": None,
         "approved": True}
    ]  # fmt: skip


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a\n", encoding="utf-8")
    assert main(["import", "punches", str(path), "--mapping", "nope", "--dry-run"]) == 2
    assert "no mapping" in capsys.readouterr().err
