"""Typed environment helpers: every setting that varies by deployment is read here."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def data_dir() -> Path:
    """Where the SQLite database and uploaded files live (``KAOHE_DATA_DIR``, default ``var/``)."""
    return Path(os.environ.get("KAOHE_DATA_DIR") or REPO_ROOT / "var").resolve()
