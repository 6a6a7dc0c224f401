"""A command that needs the database says in one line that it cannot reach it (exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "argv",
    [
        ["backup", "--out", "x.tar.gz"],
        ["bench", "import", "--people", "2", "--punches", "2"],
        ["bulletin", "--period", "2024-05", "--format", "xlsx", "--out", "x.xlsx"],
    ],
)
def test_no_database_is_one_line_not_a_traceback(tmp_path: Path, argv: list[str]) -> None:
    env = dict(os.environ)
    # port 1 on loopback: nothing listens, the connection is refused at once
    env["DATABASE_URL"] = "postgresql://kaohe@127.0.0.1:1/kaohe"
    env["KAOHE_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "kaohe", *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kaohe: the database cannot be used:"), lines
