from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaohe.engine.expr import DictEnv, ExprError, compile_expr


def ev(text: str, **variables: object) -> object:
    return compile_expr(text)(DictEnv(dict(variables)))


def test_literals_are_exact_decimals() -> None:
    assert ev("0.1 + 0.2") == Decimal("0.3")
    assert ev("0.4 * 33") == Decimal("13.2")


def test_round_half_up_at_the_half() -> None:
    assert ev("round(3 / 80 * 30, 2)") == Decimal("1.13")
    assert ev("round(4.5 / 4, 2)") == Decimal("1.13")
    assert ev("round(1.125, 2, 'half_even')") == Decimal("1.12")


def test_chief_rep_formula() -> None:
    value = ev(
        "mean(ws) * 0.55 + rate * 100 * 0.45",
        ws=[Decimal(101), Decimal(93)],
        rate=Decimal(18) / Decimal(19),
    )
    assert round(value, 2) == Decimal("95.98")  # type: ignore[call-overload]


def test_conditions_and_membership() -> None:
    assert ev("x > 3 and kind in ['single', 'comprehensive']", x=Decimal(4), kind="single") is True
    assert ev("not (x > 3) or y == 'a'", x=Decimal(4), y="b") is False
    assert ev("1 if flag else 2", flag=False) == Decimal(2)


def test_none_compares_false() -> None:
    assert ev("rate < 0.6", rate=None) is False
    assert ev("rate == none", rate=None) is True


@pytest.mark.parametrize(
    "text",
    ["__import__('os')", "x.y", "x[0]", "lambda: 1", "[a for a in b]", "2 ** 8", "f(**k)"],
)
def test_unsafe_or_unknown_syntax_is_rejected(text: str) -> None:
    with pytest.raises(ExprError):
        compile_expr(text)(DictEnv({"x": 1, "b": [1], "k": {}}))


def test_division_by_zero_names_the_expression() -> None:
    with pytest.raises(ExprError, match="division by zero"):
        ev("1 / x", x=Decimal(0))
    assert ev("div(1, x)", x=Decimal(0)) == 0


def test_unknown_name_fails_with_its_name() -> None:
    with pytest.raises(ExprError, match="nope"):
        ev("nope + 1")


def test_names_are_reported() -> None:
    e = compile_expr("leave_days('事假') > workdays / 3")
    assert e.names == {"leave_days()", "workdays"}


@given(
    st.decimals(min_value=-10_000, max_value=10_000, places=4, allow_nan=False),
    st.decimals(min_value=-10_000, max_value=10_000, places=4, allow_nan=False),
)
def test_arithmetic_matches_decimal(a: Decimal, b: Decimal) -> None:
    assert ev("a + b * 2 - a", a=a, b=b) == a + b * 2 - a


def test_count_of_counts_matching_entries() -> None:
    grades = ["合格", "基本合格", None, "不合格", "基本合格"]
    assert ev("count_of(gs, '基本合格', '不合格')", gs=grades) == Decimal(3)
    assert ev("count_of(gs, '优秀')", gs=grades) == Decimal(0)
    assert ev("count_of(none, '优秀')") == Decimal(0)
    with pytest.raises(ExprError, match="expected a list"):
        ev("count_of('基本合格', '基本合格')")
