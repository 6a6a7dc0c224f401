"""Files people upload as proof: ledger photos and appeal attachments.

Both are accepted by what their bytes are (never by their name), capped in
size before more than the cap is read, and stored under their content hash so
the same file sent twice is kept once and a stored file can be checked
against its row.  Each kind keeps its own rules (which types, how large, its
messages); this module holds what they share.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError


class Upload(Protocol):
    """What an upload argument must offer: Django's UploadedFile, or any named file."""

    name: str | None

    def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class CheckedFile:
    """An upload whose bytes have been read and accepted, with the type they really are."""

    data: bytes
    name: str
    content_type: str
    sha256: str


def read_capped(upload: Upload, limit: int, *, too_big: str, empty: str, code: str = "") -> bytes:
    """The upload's bytes, refusing one over ``limit`` without reading more than one byte past it."""
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(too_big, code=code and f"{code}_size")
    if callable(getattr(upload, "seek", None)):
        upload.seek(0)  # type: ignore[attr-defined]
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(too_big, code=code and f"{code}_size")
    if not data:
        raise ValidationError(empty, code=code and f"{code}_empty")
    return data


def image_format(data: bytes) -> str | None:
    """Pillow's name for the image these bytes decode to, or None when they are not one.

    ``verify()`` catches a truncated or forged file whose header alone looks right.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return fmt


def checked(data: bytes, name: str, content_type: str) -> CheckedFile:
    return CheckedFile(
        data=data, name=name, content_type=content_type, sha256=hashlib.sha256(data).hexdigest()
    )


class StoredFile(models.Model):
    """The columns every stored upload carries; ``TYPES`` maps its content types to extensions."""

    TYPES: dict[str, str] = {}

    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    file: models.FileField

    class Meta:
        abstract = True

    @property
    def extension(self) -> str:
        return self.TYPES.get(self.content_type, ".bin")

    def keep(self, upload: CheckedFile) -> None:
        """Fill the row from the checked upload and save it, writing the file only if it is new."""
        self.original_name = upload.name
        self.content_type = upload.content_type
        self.size = len(upload.data)
        self.sha256 = upload.sha256
        path = self.file.field.generate_filename(self, upload.name)
        if default_storage.exists(path):
            self.file.name = path
            self.save()
        else:
            self.file.save(path, ContentFile(upload.data), save=True)
