from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.personas import World, build_world


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Uploaded files of a test go to its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fast_passwords(settings: pytest.FixtureRequest) -> None:
    """Production PBKDF2 costs seconds per user under load; tests hash with MD5.

    PBKDF2 stays second so passwords hashed by a subprocess (the demo CLI) still verify.
    """
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture
def world(db: None) -> World:
    return build_world()
