from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kaohe.web.ledger.models import Record
from kaohe.web.ledger.services import record_create
from tests.web.personas import World

DAY = date(2024, 5, 6)


@pytest.fixture(autouse=True)
def _fast_hasher(settings: pytest.FixtureRequest) -> None:
    """The personas' passwords are hashed with a cheap hasher: these tests never log in by password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


def image_bytes(fmt: str = "PNG", color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buf, format=fmt)
    return buf.getvalue()


def photo(
    name: str = "现场.png", fmt: str = "PNG", color: tuple[int, int, int] = (200, 30, 30)
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(fmt, color), content_type="image/png")


@pytest.fixture
def record_a1(world: World) -> Record:
    """A fixed-points finding against 张三 (window A1, unit A) with one photo."""
    return record_create(
        center=world.center,
        by=world.inspector,
        subject=world.zhang,
        item_code="discipline.01",
        date=DAY,
        note="迟到",
        photos=[photo()],
    )


@pytest.fixture
def record_b1(world: World) -> Record:
    """A finding against 王五 (window B1, unit B) with one photo."""
    return record_create(
        center=world.center,
        by=world.inspector,
        subject=world.wang,
        item_code="discipline.01",
        date=DAY,
        photos=[photo("b.png", color=(10, 10, 200))],
    )
