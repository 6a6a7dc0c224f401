"""Exact decimal arithmetic for scores.

Regulations round at named places ("保留小数点后两位，四舍五入"); binary floats
would let noise decide a boundary (0.4 × 33) or a half (1.125), so every
number the engine touches is a ``Decimal`` made from its text.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Literal

CONTEXT = decimal.Context(prec=34, rounding=ROUND_HALF_EVEN)
decimal.setcontext(CONTEXT)

ZERO = Decimal(0)
ONE = Decimal(1)

RoundingMode = Literal["half_up", "half_even", "floor", "ceil"]

_MODES: dict[str, str] = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "floor": ROUND_FLOOR,
    "ceil": ROUND_CEILING,
}


def D(value: object) -> Decimal:
    """Turn a YAML/CSV value into a Decimal via its text, never via float bits."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip()
        try:
            return Decimal(text)
        except decimal.InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    raise TypeError(f"not a number: {value!r}")


def round_to(value: Decimal, places: int = 2, mode: RoundingMode = "half_up") -> Decimal:
    """Round to ``places`` decimals with the regulation's mode."""
    quantum = Decimal(1).scaleb(-places)
    return value.quantize(quantum, rounding=_MODES[mode])


def to_int(value: Decimal, mode: RoundingMode = "floor") -> int:
    """Whole number of places in a quota: floor(p × N) unless a policy says otherwise."""
    return int(value.to_integral_value(rounding=_MODES[mode]))


def normalize(value: Decimal) -> Decimal:
    """Drop trailing zeros for display (96.50 → 96.5) without exponent notation."""
    if value == value.to_integral_value():
        return value.quantize(ONE)
    return value.normalize()
