"""Every acceptance case (shared and our own) runs as a test item."""

from pathlib import Path

import pytest

from kaohe.cli import run_case

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "cases"
OWN = ROOT / "cases"


def _cases() -> list[Path]:
    found: list[Path] = []
    for base in (SHARED, OWN):
        if base.is_dir():
            found.extend(sorted(base.rglob("*.yaml")))
    return found


@pytest.mark.parametrize("path", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_case(path: Path) -> None:
    ok, line = run_case(path)
    assert ok, line
