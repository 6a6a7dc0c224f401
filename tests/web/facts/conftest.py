from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _data_dir_in_tmp(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Uploads of a test are kept in its own temporary data folder."""
    settings.DATA_DIR = tmp_path / "data"  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fast_passwords(settings: pytest.FixtureRequest) -> None:
    """The personas' passwords are hashed cheaply: these tests are not about hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
