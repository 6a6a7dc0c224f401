from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.personas import World, build_world


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Uploaded files of a test go to its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]


@pytest.fixture
def world(db: None) -> World:
    return build_world()
