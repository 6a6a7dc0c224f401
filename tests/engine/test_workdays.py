"""The working-day calendar: State Council arrangements, overrides, local closures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kaohe.engine.workdays import UnknownYearError, WorkCalendar, YearArrangement


def test_2026_has_248_working_days() -> None:
    assert WorkCalendar().count(date(2026, 1, 1), date(2026, 12, 31)) == 248


def test_february_2026_has_16_working_days() -> None:
    cal = WorkCalendar()
    days = cal.workdays(date(2026, 2, 1), date(2026, 2, 28))
    assert len(days) == 16
    # 2/15–23 off for the Spring Festival; Saturdays 2/14 and 2/28 are make-up days.
    assert date(2026, 2, 14) in days and date(2026, 2, 28) in days
    assert not any(date(2026, 2, 15) <= d <= date(2026, 2, 23) for d in days)


def test_may_2024_has_21_working_days() -> None:
    assert WorkCalendar().count(date(2024, 5, 1), date(2024, 5, 31)) == 21


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 1, 1), False),   # 元旦
    (date(2026, 1, 4), True),    # Sunday make-up day
    (date(2026, 10, 10), True),  # Saturday make-up day
    (date(2026, 10, 7), False),  # 国庆
    (date(2026, 3, 7), False),   # an ordinary Saturday
    (date(2026, 3, 9), True),    # an ordinary Monday
])
def test_known_days_of_2026(day: date, expected: bool) -> None:
    assert WorkCalendar().is_workday(day) is expected


def test_2027_is_unknown() -> None:
    cal = WorkCalendar()
    assert not cal.knows(2027)
    assert 2027 not in cal.known_years()
    with pytest.raises(UnknownYearError) as info:
        cal.is_workday(date(2027, 3, 1))
    assert info.value.year == 2027
    assert "2027" in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(UnknownYearError):
        cal.count(date(2026, 12, 28), date(2027, 1, 8))


def test_an_override_arrangement_makes_2027_known() -> None:
    arrangement = YearArrangement(
        2027,
        days_off=frozenset({date(2027, 1, 1)}),      # Friday
        workdays=frozenset({date(2027, 1, 9)}),      # Saturday
    )
    cal = WorkCalendar({2027: arrangement})
    assert cal.knows(2027)
    assert 2027 in cal.known_years()
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 1, 9))
    assert cal.is_workday(date(2027, 1, 4))         # an ordinary Monday
    assert not cal.is_workday(date(2027, 1, 10))    # an ordinary Sunday
    # January 2027: 21 weekdays, less 1/1, plus Saturday 1/9.
    assert cal.count(date(2027, 1, 1), date(2027, 1, 31)) == 21
    # The turn of the year is now countable: 12/28–31 (4) + 1/4–8 (5).
    assert cal.count(date(2026, 12, 28), date(2027, 1, 8)) == 9


def test_from_mapping_builds_the_same_calendar() -> None:
    cal = WorkCalendar.from_mapping({2027: {"days_off": [date(2027, 1, 1)],
                                            "workdays": [date(2027, 1, 9)]}})
    assert cal.overrides[2027] == YearArrangement(
        2027, frozenset({date(2027, 1, 1)}), frozenset({date(2027, 1, 9)}))


def test_an_incomplete_arrangement_does_not_make_a_year_known() -> None:
    cal = WorkCalendar({2027: YearArrangement(2027, frozenset({date(2027, 2, 3)}),
                                              complete=False)})
    assert not cal.knows(2027)
    assert not cal.is_workday(date(2027, 2, 3))  # the listed day itself is settled
    with pytest.raises(UnknownYearError):
        cal.is_workday(date(2027, 2, 4))


def test_a_local_closure_on_a_known_year() -> None:
    typhoon = date(2026, 9, 15)  # a Tuesday
    plain = WorkCalendar()
    local = WorkCalendar({2026: YearArrangement(2026, frozenset({typhoon}), complete=False)})
    assert plain.is_workday(typhoon)
    assert not local.is_workday(typhoon)
    assert local.is_workday(typhoon + timedelta(days=1))
    assert local.count(date(2026, 9, 1), date(2026, 9, 30)) == (
        plain.count(date(2026, 9, 1), date(2026, 9, 30)) - 1)
    # The rest of the year still follows the State Council arrangement.
    assert not local.is_workday(date(2026, 10, 1))
    assert local.count(date(2026, 1, 1), date(2026, 12, 31)) == 247
    assert local.fingerprint() != plain.fingerprint()


def test_add_workdays_skips_weekends_and_holidays() -> None:
    cal = WorkCalendar()
    assert cal.add_workdays(date(2026, 3, 6), 1) == date(2026, 3, 9)       # Fri → Mon
    assert cal.add_workdays(date(2026, 3, 6), 0) == date(2026, 3, 6)
    assert cal.add_workdays(date(2026, 3, 7), 1) == date(2026, 3, 9)       # from a Saturday
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)     # over 国庆
    assert cal.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)     # make-up Saturday
    assert cal.add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 24)     # over 春节
    # Publicity of 5 working days from Thursday 2026-04-02 (4/4–6 off).
    assert cal.add_workdays(date(2026, 4, 2), 5) == date(2026, 4, 10)


def test_add_workdays_into_an_unknown_year_raises() -> None:
    with pytest.raises(UnknownYearError):
        WorkCalendar().add_workdays(date(2026, 12, 30), 5)


def test_workdays_are_inclusive_and_empty_when_reversed() -> None:
    cal = WorkCalendar()
    assert cal.workdays(date(2026, 3, 9), date(2026, 3, 9)) == [date(2026, 3, 9)]
    assert cal.workdays(date(2026, 3, 10), date(2026, 3, 9)) == []
