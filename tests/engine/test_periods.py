"""Periods: parsing, printing, bounds and arithmetic."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaohe.engine.periods import Period, PeriodKind

M, Q, Y = PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR


@pytest.mark.parametrize(("text", "period", "printed"), [
    ("2024-05", Period(2024, M, 5), "2024-05"),
    ("2024-5", Period(2024, M, 5), "2024-05"),
    (" 2024-12 ", Period(2024, M, 12), "2024-12"),
    ("2024-Q2", Period(2024, Q, 2), "2024-Q2"),
    ("2024q4", Period(2024, Q, 4), "2024-Q4"),
    ("2024-q1", Period(2024, Q, 1), "2024-Q1"),
    ("2024", Period(2024, Y, 1), "2024"),
])
def test_parse_and_print(text: str, period: Period, printed: str) -> None:
    assert Period.parse(text) == period
    assert str(period) == printed
    assert Period.parse(str(period)) == period


def test_parse_other_types() -> None:
    assert Period.parse(2024) == Period(2024, Y, 1)
    assert Period.parse(date(2024, 5, 17)) == Period(2024, M, 5)
    p = Period(2024, Q, 3)
    assert Period.parse(p) is p


@pytest.mark.parametrize("bad", [
    "2024-13", "2024-00", "2024-Q5", "2024-Q0", "24-05", "2024-05-01", "", "abc", "2024-M5",
    None, 3.5, [2024],
])
def test_bad_inputs_raise(bad: object) -> None:
    with pytest.raises(ValueError):
        Period.parse(bad)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2023-02", date(2023, 2, 1), date(2023, 2, 28)),
    ("2024-12", date(2024, 12, 1), date(2024, 12, 31)),
    ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
    ("2024-Q2", date(2024, 4, 1), date(2024, 6, 30)),
    ("2024-Q4", date(2024, 10, 1), date(2024, 12, 31)),
    ("2024", date(2024, 1, 1), date(2024, 12, 31)),
])
def test_start_and_end(text: str, start: date, end: date) -> None:
    p = Period.parse(text)
    assert (p.start, p.end) == (start, end)
    days = p.days()
    assert days[0] == start and days[-1] == end
    assert len(days) == (end - start).days + 1
    assert p.contains(start) and p.contains(end)
    assert not p.contains(date.fromordinal(start.toordinal() - 1))


def test_subperiods() -> None:
    year = Period.parse("2024")
    assert [str(p) for p in year.subperiods(M)] == [f"2024-{m:02d}" for m in range(1, 13)]
    assert [str(p) for p in year.subperiods(Q)] == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert year.subperiods(Y) == [year]
    q3 = Period.parse("2024-Q3")
    assert [str(p) for p in q3.subperiods(M)] == ["2024-07", "2024-08", "2024-09"]
    month = Period.parse("2024-05")
    assert month.subperiods(M) == [month]
    with pytest.raises(ValueError):
        month.subperiods(Q)
    with pytest.raises(ValueError):
        q3.subperiods(Y)


def test_enclosing() -> None:
    may = Period.parse("2024-05")
    assert may.enclosing(Q) == Period(2024, Q, 2)
    assert may.enclosing(Y) == Period(2024, Y, 1)
    assert may.enclosing(M) == may
    assert Period.parse("2024-12").enclosing(Q) == Period(2024, Q, 4)
    assert Period.parse("2024-Q3").enclosing(Y) == Period(2024, Y, 1)
    with pytest.raises(ValueError):
        Period.parse("2024").enclosing(Q)
    with pytest.raises(ValueError):
        Period.parse("2024-Q3").enclosing(M)


@pytest.mark.parametrize(("text", "previous"), [
    ("2024-05", "2024-04"),
    ("2024-01", "2023-12"),
    ("2024-Q3", "2024-Q2"),
    ("2024-Q1", "2023-Q4"),
    ("2024", "2023"),
])
def test_previous(text: str, previous: str) -> None:
    assert str(Period.parse(text).previous()) == previous


periods = st.one_of(
    st.builds(lambda y, m: Period(y, M, m), st.integers(1000, 9999), st.integers(1, 12)),
    st.builds(lambda y, q: Period(y, Q, q), st.integers(1000, 9999), st.integers(1, 4)),
    st.builds(lambda y: Period(y, Y, 1), st.integers(1000, 9999)),
)


@given(periods)
def test_round_trip(period: Period) -> None:
    assert Period.parse(str(period)) == period
    assert str(Period.parse(str(period))) == str(period)


@given(periods)
def test_subperiods_tile_the_period(period: Period) -> None:
    months = period.subperiods(M)
    assert months[0].start == period.start and months[-1].end == period.end
    for a, b in itertools.pairwise(months):
        assert b.previous() == a
        assert date.fromordinal(a.end.toordinal() + 1) == b.start
    assert all(m.enclosing(period.kind) == period for m in months)
