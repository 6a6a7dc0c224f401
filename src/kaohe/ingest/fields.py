"""What every kind's converter shares: presets, the context, field errors and helpers.

Kept apart from :mod:`kaohe.ingest.formats` so that a kind can live in its own
module (the attendance summary does) and still be registered in ``KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kaohe.ingest.normalize import normalize_pin

Fields = dict[str, tuple[str, ...]]


class FieldError(ValueError):
    """A bad value in one logical field; the caller maps the field back to its column."""

    def __init__(self, fld: str, message: str) -> None:
        super().__init__(message)
        self.field = fld
        self.message = message


class Skip(Exception):
    """A row left out on purpose (a 缺卡 line, a summary row), with the reason."""


@dataclass(frozen=True)
class Preset:
    name: str
    fields: Fields
    required: tuple[str, ...]


@dataclass
class Context:
    """Options every converter sees: PIN width, defaults from a mapping."""

    pin_width: int | None = None
    defaults: dict[str, Any] = field(default_factory=dict)


PERSON = (
    "工号",
    "人员编号",
    "员工编号",
    "员工工号",
    "职工号",
    "考勤号码",
    "登记号码",
    "用户编号",
    "编号",
    "PIN",
    "person",
)


def pin_field(v: Mapping[str, Any], fld: str, ctx: Context) -> str:
    """The employee number in ``fld``, normalised (lost zeros, ``1001.0``)."""
    try:
        return normalize_pin(v.get(fld), ctx.pin_width)
    except ValueError as exc:
        raise FieldError(fld, str(exc)) from None


def call_field(fld: str, fn: Callable[[Any], Any], value: Any) -> Any:
    """``fn(value)``, any parse failure turned into an error of ``fld``."""
    try:
        return fn(value)
    except ValueError as exc:
        raise FieldError(fld, str(exc)) from None
    except (OverflowError, ArithmeticError, TypeError) as exc:
        raise FieldError(fld, f"bad value: {type(exc).__name__}") from None
