"""The same month scored from raw punches and from the equivalent summary gives the same result."""

from datetime import date, datetime, time

from kaohe.engine import DEFAULT_CALENDAR, load_policy
from tests.engine.policykit import run, world

GUANGDE = load_policy("guangde-2023")
APRIL = DEFAULT_CALENDAR.workdays(date(2024, 4, 1), date(2024, 4, 30))
ON_TIME = (time(8, 20), time(12, 5), time(14, 0), time(17, 40))


def punches_for(person: str, skip: set[date], late: set[date]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for day in APRIL:
        if day in skip:
            continue
        for i, t in enumerate(ON_TIME):
            if i == 0 and day in late:
                t = time(9, 5)
            rows.append({"person": person, "time": datetime.combine(day, t)})
            if i == 3:  # a duplicate press seconds later collapses
                rows.append({"person": person, "time": datetime.combine(day, t.replace(second=20))})
    return rows


def test_punches_equal_summary() -> None:
    assert len(APRIL) == 22
    absent, late = APRIL[3], APRIL[7]
    org = world(2, 1)
    from_punches = run(GUANGDE, org, {
        "punches": punches_for("P1", {absent}, {late}) + punches_for("P2", set(), set())},
        period="2024-04")
    from_summary = run(GUANGDE, org, {
        "attendance": [{"person": "P1", "expected_signins": 88, "missed_signins": 4},
                       {"person": "P2", "expected_signins": 88, "missed_signins": 0}],
        "records": [{"date": late.isoformat(), "subject": "P1", "item": "attendance.01"},
                    {"date": absent.isoformat(), "subject": "P1", "item": "attendance.03", "count": 4}],
    }, period="2024-04")
    for subject in ("W1", "P1", "P2"):
        a, b = from_punches.subjects[subject], from_summary.subjects[subject]
        assert (a.score, a.dimensions, a.grade) == (b.score, b.dimensions, b.grade), subject
    # 4 / 176 × 30 = 0.6818… → 0.68
    assert from_punches.subjects["W1"].dimensions["attendance"] == 30 - __import__("decimal").Decimal("0.68")
    assert from_punches.subjects["P1"].dimensions["attendance"] == 30 - 1 - 8


def test_a_person_whose_month_comes_as_a_summary_is_not_derived_from_the_clock() -> None:
    """P2's month is a 考勤汇总 (no punches on purpose): not 旷工 every day, not 旷工 twice."""
    org = world(2, 1)
    summary = [{"person": "P2", "month": "2024-04", "expected_signins": 88, "missed_signins": 0}]
    mixed = run(GUANGDE, org, {
        "punches": punches_for("P1", set(), set()),
        "attendance": summary,
        "leave": [{"person": "P2", "type": "事假", "start": APRIL[5].isoformat(),
                   "end": APRIL[5].isoformat(), "approved": False}],
    }, period="2024-04")
    alone = run(GUANGDE, org, {"punches": punches_for("P1", set(), set()),
                               "attendance": summary}, period="2024-04")
    assert mixed.subjects["P2"].dimensions["attendance"] == 30
    assert alone.subjects["P2"].dimensions == mixed.subjects["P2"].dimensions
    assert not [t for t in mixed.subjects["P2"].trace if "旷工" in t.text]


def test_unapproved_leave_is_not_charged_again_in_a_summarised_month() -> None:
    """罗山 R11 makes unapproved leave 旷工; a summary's 旷工天数 already counts that day."""
    luoshan = load_policy("luoshan")
    org = world(2, 1)
    leave = [{"person": "P2", "type": "事假", "start": APRIL[5].isoformat(),
              "end": APRIL[5].isoformat(), "approved": False}]
    charged = run(luoshan, org, {"leave": leave}, period="2024-Q2")
    assert [t for t in charged.subjects["P2"].trace if "旷工" in t.text]
    summarised = run(luoshan, org, {"leave": leave, "attendance": [
        {"person": "P2", "month": "2024-04", "expected_signins": 88, "missed_signins": 0}]},
        period="2024-Q2")
    assert not [t for t in summarised.subjects["P2"].trace if "旷工" in t.text]


def test_an_unapproved_leave_day_without_punches_is_one_absence_not_two() -> None:
    """罗山 R11 charges unapproved 事假 as 旷工 by its leave rule: the clock adds no second 旷工."""
    luoshan = load_policy("luoshan")
    on_time = (time(8, 20), time(12, 5), time(12, 55), time(17, 40))
    day = APRIL[5]
    punches = [{"person": "P2", "time": datetime.combine(d, t)}
               for d in APRIL if d != day for t in on_time]
    leave = [{"person": "P2", "type": "事假", "start": day.isoformat(), "end": day.isoformat(),
              "approved": False}]
    result = run(luoshan, world(2, 1), {"punches": punches, "leave": leave}, period="2024-Q2")
    absences = [t for t in result.subjects["P2"].trace if "旷工" in t.text]
    assert len(absences) == 1 and absences[0].date == day
