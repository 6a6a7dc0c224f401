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
