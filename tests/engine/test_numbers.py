from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaohe.engine.numbers import D, normalize, round_to, to_int


def test_text_not_float_bits() -> None:
    assert D(0.1) == Decimal("0.1")
    assert D("96.5") == Decimal("96.5")
    with pytest.raises(ValueError):
        D("abc")
    with pytest.raises(TypeError):
        D(True)


def test_half_up_and_quota_floor() -> None:
    assert round_to(Decimal("1.125")) == Decimal("1.13")
    assert round_to(Decimal("96.975")) == Decimal("96.98")
    assert to_int(D("0.4") * 33) == 13
    assert to_int(D("0.2") * 33) == 6


def test_normalize_keeps_plain_notation() -> None:
    assert str(normalize(Decimal("100.00"))) == "100"
    assert str(normalize(Decimal("96.50"))) == "96.5"


@given(
    st.integers(min_value=0, max_value=1000), st.sampled_from(["0.1", "0.15", "0.2", "0.4", "0.5"])
)
def test_quota_floor_never_exceeds_share(n: int, share: str) -> None:
    k = to_int(D(share) * n)
    assert k <= D(share) * n < k + 1
