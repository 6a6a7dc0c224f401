"""``kaohe demo``: until the web app lands, the demo checks every bundled and
shared case and prints one scored month, so a newcomer sees the engine work."""

from __future__ import annotations

import argparse
from pathlib import Path

from kaohe.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[2]


def main(args: argparse.Namespace) -> int:
    paths = [str(p) for p in (ROOT / "cases", ROOT.parent / "shared" / "cases") if p.is_dir()]
    status = cli_main(["check", *paths]) if paths else 0
    demo_case = ROOT / "cases" / "guangde-2023" / "demo-month.yaml"
    if demo_case.exists():
        print()
        status |= cli_main(["score", "--case", str(demo_case), "--format", "table"])
    return status
