"""The shared upload mechanics: the size cap reads no further than one byte past it; image types come from decoding."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from kaohe.web.uploads import checked, image_format, read_capped


class Counting(io.BytesIO):
    """A file that remembers how much was asked of it."""

    name = "x.bin"

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


def test_at_the_cap_is_accepted_and_one_byte_more_refused() -> None:
    assert read_capped(Counting(b"a" * 10), 10, too_big="big", empty="empty") == b"a" * 10
    with pytest.raises(ValidationError) as info:
        read_capped(Counting(b"a" * 11), 10, too_big="big", empty="empty", code="photo")
    assert info.value.messages == ["big"] and info.value.code == "photo_size"


def test_a_huge_upload_is_not_read_whole() -> None:
    upload = Counting(b"a" * 1_000_000)
    with pytest.raises(ValidationError):
        read_capped(upload, 100, too_big="big", empty="empty")
    assert upload.asked == [101]


def test_a_declared_size_over_the_cap_is_refused_before_reading() -> None:
    upload = Counting(b"a")
    upload.size = 10_000  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        read_capped(upload, 100, too_big="big", empty="empty")
    assert upload.asked == []


def test_empty_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        read_capped(Counting(b""), 10, too_big="big", empty="empty", code="photo")
    assert info.value.messages == ["empty"] and info.value.code == "photo_empty"


def test_image_format_decodes_and_refuses_forgeries() -> None:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    png = out.getvalue()
    assert image_format(png) == "PNG"
    assert image_format(png[:20]) is None  # a PNG header and nothing behind it
    assert image_format(b"hello, I am text named photo.jpg") is None


def test_checked_names_the_content_by_hash() -> None:
    one = checked(b"abc", "a.pdf", "application/pdf")
    assert one.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
