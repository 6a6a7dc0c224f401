from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Uploads in the test's own folder; the personas' passwords hashed cheaply."""
    settings.DATA_DIR = tmp_path / "data"  # type: ignore[attr-defined]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
