"""Form widgets shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker, given its value as ``YYYY-MM-DD``.

    Under zh-hans Django would render ``2024/07/01``, which ``<input
    type="date">`` silently drops, so a form opened with a default date showed
    an empty, required field.
    """

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
