"""Attendance derived from punches under a 罗山-like schedule (luoshan §8, Amb. 18)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine.attendance import (
    AttendanceResult,
    LeaveSpan,
    PersonSpan,
    SlotStatus,
    collapse_punches,
    derive_attendance,
    summarize,
    to_attendance_rows,
    to_records,
)
from kaohe.engine.periods import Period
from kaohe.engine.policy.models import Schedule, Signin
from kaohe.engine.workdays import UnknownYearError, WorkCalendar

SCHEDULE = Schedule(
    signins=[
        Signin(code="am_in", name="上午签到", kind="in", on_time_until=time(8, 55)),
        Signin(code="am_out", name="上午签退", kind="out", on_time_from=time(12, 0)),
        Signin(code="pm_in", name="下午签到", kind="in", earliest=time(12, 50),
               on_time_until=time(13, 0)),
        Signin(code="pm_out", name="下午签退", kind="out", on_time_from=time(17, 0)),
    ],
    merge_seconds=60,
    late_item="late",
    early_item="early",
    missed_item="missed",
    absent_item="absent",
    overnight_until=time(4, 0),
    ref="luoshan L164",
)
CAL = WorkCalendar()
MON = date(2026, 3, 2)  # an ordinary week: Mon 2 … Fri 6 March 2026
TUE, WED, THU, FRI = (MON + timedelta(days=i) for i in range(1, 5))
FULL = ("08:50", "12:05", "12:55", "17:05")
OK4 = ["ok"] * 4


def at(day: date, hhmm: str) -> datetime:
    parts = [int(x) for x in hhmm.split(":")]
    return datetime.combine(day, time(*parts))


def day_punches(day: date, times: Sequence[str] = FULL, person: str = "p1"
                ) -> list[tuple[str, datetime]]:
    return [(person, at(day, t)) for t in times]


def derive(
    punches: list[tuple[str, datetime]],
    leave: Sequence[LeaveSpan] = (),
    people: Sequence[PersonSpan] = (("p1", None, None),),
    start: date = MON,
    end: date = MON,
    schedule: Schedule = SCHEDULE,
) -> AttendanceResult:
    return derive_attendance(schedule, CAL, people, punches, list(leave), start, end)


def statuses(result: AttendanceResult, day: date, person: str = "p1") -> list[str]:
    (row,) = [r for r in result.days[person] if r.day == day]
    return [str(s.status) for s in row.slots]


def items(result: AttendanceResult, **kw: bool) -> list[tuple[date, str, str, int]]:
    return [(r["date"], r["subject"], r["item"], r["count"])
            for r in to_records(result, SCHEDULE, **kw)]


# ------------------------------------------------------------------ classification


def test_on_time_day() -> None:
    result = derive(day_punches(MON))
    assert statuses(result, MON) == OK4
    s = result.summaries["p1"]
    assert (s.workdays, s.present_days, s.expected_signins, s.missed_signins) == (1, 1, 4, 0)
    assert (s.late, s.early, s.missed, s.absent_days, s.leave_days) == (0, 0, 0, 0, 0)
    assert to_records(result, SCHEDULE) == []


def test_boundaries_are_inclusive() -> None:
    result = derive(day_punches(MON, ("08:55", "12:00", "13:00", "17:00")))
    assert statuses(result, MON) == OK4


def test_late() -> None:
    # Amb. 18: work starts at 09:00 but 08:58 is already late.
    result = derive(day_punches(MON, ("08:58", "12:05", "13:05", "17:05")))
    assert statuses(result, MON) == ["late", "ok", "late", "ok"]
    row = result.days["p1"][0]
    assert row.slots[0].punch == at(MON, "08:58")
    assert result.summaries["p1"].late == 2
    assert items(result) == [(MON, "p1", "late", 2)]
    (record,) = to_records(result, SCHEDULE)
    assert "上午签到 08:58:00" in str(record["note"])


def test_early() -> None:
    result = derive(day_punches(MON, ("08:50", "11:30", "12:55", "16:30")))
    assert statuses(result, MON) == ["ok", "early", "ok", "early"]
    assert result.summaries["p1"].early == 2
    assert items(result) == [(MON, "p1", "early", 2)]


def test_midpoint_between_sign_in_and_sign_out() -> None:
    # Without explicit bounds the morning is split halfway between 08:55 and 12:00.
    result = derive(day_punches(MON, ("10:00", "12:55", "17:05")))
    assert statuses(result, MON) == ["late", "missed", "ok", "ok"]
    result = derive(day_punches(MON, ("08:50", "11:00", "12:55", "17:05")))
    assert statuses(result, MON) == ["ok", "early", "ok", "ok"]


def test_afternoon_in_before_earliest_is_no_sign_in() -> None:
    # Amb. 18: a punch at 12:45 cannot be the afternoon sign-in; it is the morning sign-out.
    result = derive(day_punches(MON, ("08:50", "12:45", "17:05")))
    assert statuses(result, MON) == ["ok", "ok", "missed", "ok"]


def test_first_in_and_last_out_are_used() -> None:
    result = derive(day_punches(MON, ("08:40", "08:59", "11:50", "12:10", "12:52", "12:58",
                                      "16:50", "17:30")))
    assert statuses(result, MON) == OK4
    row = result.days["p1"][0]
    assert [s.punch for s in row.slots] == [at(MON, t) for t in ("08:40", "12:10", "12:52",
                                                                   "17:30")]


def test_missed_sign_in() -> None:
    result = derive(day_punches(MON, ("08:50", "12:05", "12:55")))
    assert statuses(result, MON) == ["ok", "ok", "ok", "missed"]
    s = result.summaries["p1"]
    assert (s.missed, s.missed_signins, s.expected_signins, s.present_days) == (1, 1, 4, 1)
    assert items(result) == [(MON, "p1", "missed", 1)]


def test_absent_day_is_one_absence_not_four_missed() -> None:
    result = derive(day_punches(TUE), end=TUE)
    assert statuses(result, MON) == ["absent"] * 4
    s = result.summaries["p1"]
    assert (s.workdays, s.absent_days, s.present_days) == (2, 1, 1)
    assert (s.missed, s.missed_signins, s.expected_signins) == (0, 4, 8)
    assert items(result) == [(MON, "p1", "absent", 1)]
    (record,) = to_records(result, SCHEDULE)
    assert "无打卡" in str(record["note"])


def test_absent_with_no_absent_item_is_skipped() -> None:
    result = derive([])
    schedule = SCHEDULE.model_copy(update={"absent_item": None, "missed_item": None})
    assert to_records(result, schedule) == []


def test_duplicate_punches_collapse() -> None:
    times = ("08:50:00", "08:50:30", "08:50:59", "12:05", "12:55", "16:59:30", "17:00:10")
    result = derive(day_punches(MON, times))
    row = result.days["p1"][0]
    assert row.punches == tuple(at(MON, t) for t in ("08:50:00", "12:05", "12:55", "16:59:30"))
    # The run 16:59:30–17:00:10 signs out at its last press: on time, not early.
    assert statuses(result, MON) == OK4
    assert row.slots[3].punch == at(MON, "17:00:10")


def test_collapse_measures_from_the_first_press() -> None:
    t0 = at(MON, "08:50")
    presses = [t0 + timedelta(seconds=s) for s in (0, 50, 100, 150)]
    assert collapse_punches(presses, 60) == [(presses[0], presses[1]), (presses[2], presses[3])]
    assert collapse_punches(presses, 0) == [(p, p) for p in presses]
    assert collapse_punches(reversed(presses), 60) == collapse_punches(presses, 60)


def test_punches_two_minutes_apart_stay_apart() -> None:
    result = derive(day_punches(MON, ("08:50", "08:52", "12:05", "12:55", "17:05")))
    assert len(result.days["p1"][0].punches) == 5


def test_overnight_sign_out_belongs_to_previous_day() -> None:
    punches = [*day_punches(MON, ("08:50", "12:05", "12:55")), ("p1", at(TUE, "01:30"))]
    result = derive(punches, end=TUE)
    assert statuses(result, MON) == OK4
    assert result.days["p1"][0].slots[3].punch == at(TUE, "01:30")
    # The 01:30 punch is not Tuesday's morning sign-in: Tuesday is an absent day.
    assert statuses(result, TUE) == ["absent"] * 4


def test_overnight_punch_at_range_end_is_used() -> None:
    punches = [*day_punches(MON, ("08:50", "12:05", "12:55")), ("p1", at(TUE, "00:00"))]
    assert statuses(derive(punches), MON) == OK4


def test_without_overnight_rule_the_punch_stays_on_its_day() -> None:
    schedule = SCHEDULE.model_copy(update={"overnight_until": None})
    punches = [*day_punches(MON, ("08:50", "12:05", "12:55")),
               *day_punches(TUE, ("01:30", "12:05", "12:55", "17:05"))]
    result = derive(punches, end=TUE, schedule=schedule)
    assert statuses(result, MON) == ["ok", "ok", "ok", "missed"]
    assert statuses(result, TUE) == OK4


def test_overnight_after_a_day_off_stays_on_its_own_day() -> None:
    # Sunday 1 March is no working day, so Monday 03:00 is Monday's (early) sign-in.
    result = derive(day_punches(MON, ("03:00", "12:05", "12:55", "17:05")))
    assert statuses(result, MON) == OK4


# ------------------------------------------------------------------ calendar


def test_holiday_has_no_expectation_and_make_up_saturday_does() -> None:
    # Spring Festival 2026: 2/15–23 off; Saturday 2/14 is a 调休 make-up working day.
    start, end = date(2026, 2, 14), date(2026, 2, 24)
    punches = [*day_punches(date(2026, 2, 16)), *day_punches(date(2026, 2, 24))]
    result = derive(punches, start=start, end=end)
    rows = result.days["p1"]
    assert [r.day for r in rows] == [date(2026, 2, 14), date(2026, 2, 24)]
    assert statuses(result, date(2026, 2, 14)) == ["absent"] * 4
    assert statuses(result, date(2026, 2, 24)) == OK4
    s = result.summaries["p1"]
    assert (s.workdays, s.expected_signins, s.absent_days) == (2, 8, 1)


def test_weekend_punches_are_ignored() -> None:
    result = derive(day_punches(date(2026, 3, 7)), start=date(2026, 3, 7), end=date(2026, 3, 8))
    assert result.days["p1"] == ()
    assert result.summaries["p1"].workdays == 0


def test_unknown_year_raises() -> None:
    with pytest.raises(UnknownYearError):
        derive([], start=date(2027, 3, 1), end=date(2027, 3, 5))


# ------------------------------------------------------------------ leave


def test_approved_leave_removes_the_day() -> None:
    leave = [LeaveSpan("p1", "事假", TUE)]
    result = derive([*day_punches(MON), *day_punches(TUE, ("08:50",))], leave, end=TUE)
    assert statuses(result, TUE) == ["leave"] * 4
    s = result.summaries["p1"]
    assert (s.workdays, s.expected_signins, s.missed_signins) == (2, 4, 0)
    assert (s.leave_days, s.present_days, s.absent_days) == (1, 1, 0)
    assert s.leave_by_type == {"事假": Decimal(1)}
    assert to_records(result, SCHEDULE) == []


def test_leave_over_a_weekend_counts_working_days() -> None:
    leave = [LeaveSpan("p1", "年休假", FRI, date(2026, 3, 9))]
    result = derive([], leave, start=FRI, end=date(2026, 3, 9))
    s = result.summaries["p1"]
    assert (s.workdays, s.leave_days, s.expected_signins) == (2, 2, 0)


def test_half_day_leave_covers_the_half_without_punches() -> None:
    leave = [LeaveSpan("p1", "病假", MON, days=Decimal("0.5"))]
    afternoon = derive(day_punches(MON, ("12:55", "17:05")), leave)
    assert statuses(afternoon, MON) == ["leave", "leave", "ok", "ok"]
    morning = derive(day_punches(MON, ("08:50", "12:05")), leave)
    assert statuses(morning, MON) == ["ok", "ok", "leave", "leave"]
    s = morning.summaries["p1"]
    assert (s.leave_days, s.present_days, s.expected_signins, s.missed_signins) == (
        Decimal("0.5"), Decimal("0.5"), 2, 0)
    assert s.leave_by_type == {"病假": Decimal("0.5")}


def test_half_day_leave_and_no_punch_is_half_a_day_absent() -> None:
    leave = [LeaveSpan("p1", "事假", MON, days=Decimal("0.5"))]
    result = derive([], leave)
    assert statuses(result, MON) == ["leave", "leave", "absent", "absent"]
    s = result.summaries["p1"]
    assert (s.leave_days, s.absent_days, s.present_days) == (Decimal("0.5"), Decimal("0.5"), 0)
    assert (s.expected_signins, s.missed_signins) == (2, 2)
    # Half a 旷工 day cannot be a count of the day item: its sign-ins are missed ones.
    assert items(result) == [(MON, "p1", "missed", 2)]
    assert "半天旷工" in str(to_records(result, SCHEDULE)[0]["note"])


def test_days_allocates_whole_days_then_a_half() -> None:
    leave = [LeaveSpan("p1", "事假", MON, FRI, days=Decimal("2.5"))]
    punches = [*day_punches(WED, ("12:55", "17:05")), *day_punches(THU), *day_punches(FRI)]
    result = derive(punches, leave, end=FRI)
    assert statuses(result, MON) == ["leave"] * 4
    assert statuses(result, TUE) == ["leave"] * 4
    assert statuses(result, WED) == ["leave", "leave", "ok", "ok"]
    assert statuses(result, THU) == OK4
    s = result.summaries["p1"]
    assert (s.workdays, s.leave_days, s.present_days, s.expected_signins) == (
        5, Decimal("2.5"), Decimal("2.5"), 10)


def test_natural_days_longer_than_the_span_cover_it_all() -> None:
    leave = [LeaveSpan("p1", "婚假", MON, date(2026, 3, 8), days=Decimal(7))]
    result = derive([], leave, end=FRI)
    assert result.summaries["p1"].leave_days == 5


def test_leave_started_before_the_range() -> None:
    leave = [LeaveSpan("p1", "事假", date(2026, 2, 26), WED, days=Decimal(4))]
    # 2/26, 2/27, 2/28 (make-up Saturday) and Monday 3/2 use the four days.
    result = derive(day_punches(TUE), leave, end=TUE)
    assert statuses(result, MON) == ["leave"] * 4
    assert statuses(result, TUE) == OK4


def test_unapproved_leave_is_absence() -> None:
    leave = [LeaveSpan("p1", "事假", MON, approved=False)]
    result = derive(day_punches(MON, ("08:50",)), leave)
    assert statuses(result, MON) == ["absent"] * 4
    s = result.summaries["p1"]
    assert (s.absent_days, s.leave_days, s.expected_signins, s.missed_signins) == (1, 0, 4, 4)
    assert items(result) == [(MON, "p1", "absent", 1)]
    assert "未经批准的事假" in str(to_records(result, SCHEDULE)[0]["note"])
    # A policy whose derive.leave rules already charge the row can leave it out here.
    assert items(result, include_unapproved_leave=False) == []


def test_approved_leave_wins_over_unapproved_on_the_same_day() -> None:
    leave = [LeaveSpan("p1", "事假", MON, approved=False), LeaveSpan("p1", "病假", MON)]
    assert statuses(derive([], leave), MON) == ["leave"] * 4


def test_unapproved_half_day() -> None:
    leave = [LeaveSpan("p1", "事假", MON, days=Decimal("0.5"), approved=False)]
    result = derive(day_punches(MON, ("08:50", "12:05")), leave)
    assert statuses(result, MON) == ["ok", "ok", "absent", "absent"]
    assert result.summaries["p1"].absent_days == Decimal("0.5")


def test_leave_span_validation() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        LeaveSpan("p1", "事假", TUE, MON)
    with pytest.raises(ValueError, match="half days"):
        LeaveSpan("p1", "事假", MON, days=Decimal("0.25"))
    with pytest.raises(ValueError, match="≥ 0"):
        LeaveSpan("p1", "事假", MON, days=Decimal(-1))


def test_leave_span_from_row() -> None:
    row = {"person": "p1", "type": "病假", "start": MON, "end": TUE, "days": Decimal("1.5"),
           "approved": None}
    assert LeaveSpan.from_row(row) == LeaveSpan("p1", "病假", MON, TUE, Decimal("1.5"), True)
    with pytest.raises(ValueError, match="no start"):
        LeaveSpan.from_row({"person": "p1", "type": "病假", "days": Decimal(1)})


# ------------------------------------------------------------------ people


def test_joined_mid_month() -> None:
    people = [("p1", None, None), ("p2", WED, None)]
    punches = [*day_punches(MON, person="p2"), *day_punches(WED, person="p2"),
               *day_punches(THU, person="p2")]
    result = derive(punches, people=people, end=FRI)
    rows = result.days["p2"]
    assert [r.day for r in rows] == [WED, THU, FRI]
    s = result.summaries["p2"]
    assert (s.workdays, s.expected_signins, s.absent_days, s.present_days) == (3, 12, 1, 2)
    assert result.summaries["p1"].workdays == 5


def test_left_is_the_last_day_served_and_stints_unite() -> None:
    people = [("p1", None, TUE), ("p1", THU, None)]
    result = derive([], people=people, end=FRI)
    assert [r.day for r in result.days["p1"]] == [MON, TUE, THU, FRI]


def test_unknown_people_are_reported() -> None:
    leave = [LeaveSpan("x9", "事假", MON)]
    result = derive([*day_punches(MON), ("0042", at(MON, "08:50"))], leave)
    assert result.unknown_people == ("0042", "x9")
    assert list(result.days) == ["p1"]


# ------------------------------------------------------------------ schedule errors


def test_schedule_without_times_cannot_classify() -> None:
    guangde = Schedule(
        signins=[Signin(code=c, name=c, kind=k) for c, k in
                 (("am_in", "in"), ("am_out", "out"), ("pm_in", "in"), ("pm_out", "out"))],
        ref="guangde L37",
    )
    with pytest.raises(ValueError, match="has no time"):
        derive([], schedule=guangde)


@pytest.mark.parametrize("signins", [
    [Signin(code="a", name="a", kind="in", on_time_until=time(13, 0)),
     Signin(code="b", name="b", kind="out", on_time_from=time(12, 0))],
    [Signin(code="a", name="a", kind="in", on_time_until=time(9, 0), latest=time(12, 0)),
     Signin(code="b", name="b", kind="out", earliest=time(11, 0), on_time_from=time(12, 0))],
    [Signin(code="a", name="a", kind="in", on_time_until=time(9, 0), earliest=time(9, 30))],
    [],
])
def test_inconsistent_schedules_are_refused(signins: list[Signin]) -> None:
    with pytest.raises(ValueError):
        derive([], schedule=Schedule(signins=signins, ref="bad"))


def test_range_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        derive([], start=TUE, end=MON)


# ------------------------------------------------------------------ outputs


def test_attendance_rows_for_a_month() -> None:
    start, end = date(2026, 2, 1), date(2026, 2, 28)
    days = CAL.workdays(start, end)
    punches = [p for d in days if d != date(2026, 2, 10) for p in day_punches(d)]
    punches.remove(("p1", at(date(2026, 2, 11), "17:05")))
    people = [("p1", None, None), ("p2", None, date(2026, 1, 31))]
    leave = [LeaveSpan("p1", "年休假", date(2026, 2, 12))]
    result = derive(punches, leave, people=people, start=start, end=end)
    rows = to_attendance_rows(result, "2026-02")
    assert rows == [{
        "person": "p1", "month": "2026-02", "workdays": Decimal(16),
        "present_days": Decimal(14), "expected_signins": Decimal(60),
        "missed_signins": Decimal(5),
    }]
    with pytest.raises(ValueError, match="not the whole"):
        to_attendance_rows(result, Period.parse("2026-03"))
    with pytest.raises(ValueError, match="not a month"):
        to_attendance_rows(result, "2026-Q1")


def test_records_are_per_day_and_item() -> None:
    punches = [*day_punches(MON, ("09:10", "11:40", "12:55")), *day_punches(TUE)]
    result = derive(punches, end=WED)
    assert items(result) == [
        (MON, "p1", "late", 1), (MON, "p1", "early", 1), (MON, "p1", "missed", 1),
        (WED, "p1", "absent", 1),
    ]
    record = to_records(result, SCHEDULE)[0]
    assert set(record) == {"date", "subject", "item", "count", "note"}


def test_summarize_a_slice() -> None:
    result = derive([*day_punches(MON)], end=TUE)
    s = summarize("p1", result.days["p1"][:1])
    assert (s.workdays, s.absent_days, s.present_days) == (1, 0, 1)


# ------------------------------------------------------------------ properties

WEEK_START, WEEK_END = date(2026, 3, 1), date(2026, 3, 14)
PEOPLE = ("a", "b")
punch_st = st.tuples(
    st.sampled_from(PEOPLE),
    st.datetimes(min_value=datetime(2026, 3, 1), max_value=datetime(2026, 3, 15, 23, 59)),
)
day_st = st.dates(min_value=WEEK_START, max_value=WEEK_END)
leave_st = st.builds(
    lambda person, kind, start, length, days, approved: LeaveSpan(
        person, kind, start, start + timedelta(days=length), days, approved),
    st.sampled_from(PEOPLE), st.sampled_from(["事假", "病假", "公差"]), day_st,
    st.integers(0, 4), st.one_of(st.none(), st.sampled_from([Decimal(x) / 2 for x in range(8)])),
    st.booleans(),
)
whole_leave_st = st.builds(
    lambda person, start, length, approved: LeaveSpan(
        person, "事假", start, start + timedelta(days=length), None, approved),
    st.sampled_from(PEOPLE), day_st, st.integers(0, 4), st.booleans(),
)
opt_day = st.one_of(st.none(), day_st)


def _stints(joined: date | None, left: date | None) -> list[PersonSpan]:
    if joined is not None and left is not None and left < joined:
        joined, left = left, joined
    return [("a", None, None), ("b", joined, left)]


people_st = st.builds(_stints, opt_day, opt_day)


def _derive(punches: list[tuple[str, datetime]], leave: list[LeaveSpan],
            people: Sequence[PersonSpan]) -> AttendanceResult:
    return derive_attendance(SCHEDULE, CAL, people, punches, leave, WEEK_START, WEEK_END)


@settings(max_examples=60, deadline=None)
@given(st.lists(punch_st, max_size=40), st.lists(leave_st, max_size=4), people_st, st.randoms())
def test_order_of_punches_and_leave_does_not_matter(
    punches: list[tuple[str, datetime]], leave: list[LeaveSpan],
    people: list[PersonSpan], rnd: random.Random,
) -> None:
    shuffled, shuffled_leave = punches[:], leave[:]
    rnd.shuffle(shuffled)
    rnd.shuffle(shuffled_leave)
    assert _derive(punches, leave, people) == _derive(shuffled, shuffled_leave, people)


@settings(max_examples=60, deadline=None)
@given(st.lists(punch_st, max_size=40), st.lists(whole_leave_st, max_size=4), people_st)
def test_expected_is_slots_times_days_in_post_less_excused(
    punches: list[tuple[str, datetime]], leave: list[LeaveSpan], people: list[PersonSpan],
) -> None:
    result = _derive(punches, leave, people)
    workdays = CAL.workdays(WEEK_START, WEEK_END)
    n = len(SCHEDULE.signins)
    for person, joined, left in people:
        in_post = {d for d in workdays
                   if (joined is None or joined <= d) and (left is None or d <= left)}
        excused = {d for span in leave if span.person == person and span.approved
                   for d in in_post if span.start <= d <= span.last}
        s = result.summaries[person]
        assert s.workdays == len(in_post)
        assert s.expected_signins == n * len(in_post) - n * len(excused)
        assert s.leave_days == len(excused)
        assert s.missed_signins <= s.expected_signins


@settings(max_examples=60, deadline=None)
@given(st.lists(punch_st, max_size=40), st.lists(leave_st, max_size=4), people_st)
def test_summary_identities(
    punches: list[tuple[str, datetime]], leave: list[LeaveSpan], people: list[PersonSpan],
) -> None:
    result = _derive(punches, leave, people)
    for s in result.summaries.values():
        assert 0 <= s.missed <= s.missed_signins <= s.expected_signins
        assert s.late + s.early + s.missed_signins <= s.expected_signins
        assert s.present_days + s.leave_days + s.absent_days == s.workdays
        assert s.present_days >= 0
        assert sum(s.leave_by_type.values(), Decimal(0)) == s.leave_days
        assert s.expected_signins == len(SCHEDULE.signins) * s.workdays - sum(
            r.count(SlotStatus.LEAVE) for r in result.days[s.person])
