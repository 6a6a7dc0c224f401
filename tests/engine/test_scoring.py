from decimal import Decimal

import pytest

from kaohe.engine import InputError
from tests.engine.policykit import card, dim, item, policy, run, world


def rec(subject: str, code: str, **kw: object) -> dict[str, object]:
    return {"date": "2024-05-10", "subject": subject, "item": code, **kw}


def test_deduct_dimension_floors_at_zero_only_when_the_policy_says_so() -> None:
    pol = policy(
        [item("a.01", "a", points=15), item("b.01", "b", points=15)],
        [card("p", "person", [dim("a", max=10, floor=0), dim("b", max=10)])],
    )
    r = run(pol, world(1), {"records": [rec("P1", "a.01"), rec("P1", "b.01")]}).subjects["P1"]
    assert r.dimensions == {"a": Decimal("0.00"), "b": Decimal("-5.00")}
    assert r.score == Decimal("-5.00")
    assert any(e.kind == "floor" and e.points == 5 for e in r.trace)


def test_parts_cap_each_sub_part() -> None:
    pol = policy(
        [item("d.01", "d", part="x"), item("d.02", "d", part="y", points=2.5)],
        [
            card(
                "p",
                "person",
                [
                    dim(
                        "d",
                        max=15,
                        floor=0,
                        parts=[
                            {"code": "x", "name": "x", "max": 5},
                            {"code": "y", "name": "y", "max": 5},
                        ],
                    )
                ],
            )
        ],
    )
    r = run(pol, world(1), {"records": [rec("P1", "d.01", count=7), rec("P1", "d.02", count=3)]})
    assert r.subjects["P1"].dimensions["d"] == Decimal("5.00")  # 15 − min(7,5) − min(7.5,5)


def test_earned_dimension_is_capped_and_bonus_uncapped() -> None:
    pol = policy(
        [item("e.01", "e", points=1.5), item("b.01", "b", points=4)],
        [card("w", "window", [dim("e", "earned", cap=2), dim("b", "earned")])],
    )
    r = run(pol, world(0), {"records": [rec("W1", "e.01", count=3), rec("W1", "b.01", count=3)]})
    assert r.subjects["W1"].dimensions == {"e": Decimal("2.00"), "b": Decimal("12.00")}


def test_range_items_need_points_inside_the_range() -> None:
    pol = policy([item("r.01", "r", range=[2, 5])], [card("p", "person", [dim("r", max=20)])])
    assert run(pol, world(1), {"records": [rec("P1", "r.01", points=3)]}).subjects["P1"].score == 17
    with pytest.raises(InputError, match=r"records row 1 field 'points'.*outside"):
        run(pol, world(1), {"records": [rec("P1", "r.01", points=6)]})
    with pytest.raises(InputError, match="needs points"):
        run(pol, world(1), {"records": [rec("P1", "r.01")]})


def test_first_bad_row_is_reported() -> None:
    pol = policy([item("a.01", "a")], [card("p", "person", [dim("a", max=20)])])
    facts = {"records": [rec("P1", "a.01"), rec("P1", "zz.99"), rec("NOPE", "a.01")]}
    with pytest.raises(InputError, match=r"row 2 field 'item'.*unknown item code 'zz.99'"):
        run(pol, world(1), facts)


def test_major_replaces_or_multiplies_and_exempt_zeroes() -> None:
    pol = policy(
        [
            item("c.01", "c", points=2.5, major={"points": 5}),
            item("c.02", "c", points=1, major={"multiplier": 3}),
            item("c.03", "c", points=4, exempt=True),
            item("c.04", "c", points=1),
        ],
        [card("p", "person", [dim("c", max=30)])],
    )
    facts = {
        "records": [
            rec("P1", "c.01", major=True),
            rec("P1", "c.02", major=True, count=2),
            rec("P1", "c.03", exempt=True),
        ]
    }
    assert run(pol, world(1), facts).subjects["P1"].score == Decimal(30 - 5 - 6)
    with pytest.raises(InputError, match="no exemption"):
        run(pol, world(1), {"records": [rec("P1", "c.04", exempt=True)]})
    with pytest.raises(InputError, match="no aggravated"):
        run(pol, world(1), {"records": [rec("P1", "c.04", major=True)]})


def test_charges_to_window_chief_rep_share_and_staff() -> None:
    pol = policy(
        [
            item("x.01", "x", points=2, charge=["subject", "window"]),
            item(
                "x.02", "x", points=4, charge=[{"to": "subject"}, {"to": "chief_rep", "share": 0.5}]
            ),
            item("x.03", "x", points=1, charge=["staff"]),
        ],
        [card("p", "person", [dim("x", max=20)]), card("w", "window", [dim("x", max=20)])],
    )
    org = world(2)
    org["people"].append({"id": "C1", "name": "首席", "role": "chief_rep", "unit": "U1"})
    facts = {"records": [rec("P1", "x.01"), rec("W1", "x.02"), rec("W1", "x.03")]}
    res = run(pol, org, facts).subjects
    assert res["P1"].score == 20 - 2 - 1
    assert res["P2"].score == 20 - 1
    assert res["W1"].score == 20 - 2 - 4
    assert res["C1"].score == 20 - 2


def test_threshold_counts_beyond_free_per_quarter() -> None:
    pol = policy(
        [
            item(
                "m.06",
                "m",
                points=0.5,
                threshold={"free": 6, "per": "quarter", "counts_with": ["m.07"]},
            ),
            item("m.07", "m", points=0.5),
        ],
        [card("p", "person", [dim("m", max=25)], period="quarter")],
    )
    dates = [
        "2024-04-02",
        "2024-04-09",
        "2024-04-16",
        "2024-05-07",
        "2024-05-14",
        "2024-05-21",
        "2024-06-04",
    ]
    facts = {
        "records": [{"date": d, "subject": "P1", "item": "m.06"} for d in dates]
        + [{"date": "2024-06-11", "subject": "P1", "item": "m.07"}]
    }
    r = run(pol, world(1), facts, period="2024-Q2").subjects["P1"]
    # 8 mid-day leaves: 2 beyond the 6th → 1.0, plus the .07 record itself 0.5
    assert r.score == Decimal("23.5")


def test_every_second_finding() -> None:
    pol = policy(
        [item("b.03", "b", points=1, threshold={"every": 2})],
        [card("p", "person", [dim("b", max=20)])],
    )
    facts = {"records": [rec("P1", "b.03", count=5)]}
    assert run(pol, world(1), facts).subjects["P1"].score == 18


def test_substitute_records_count_for_the_person_replaced() -> None:
    pol = policy([item("a.01", "a")], [card("p", "person", [dim("a", max=20)])])
    org = world(1)
    org["people"].append(
        {
            "id": "S1",
            "name": "顶岗",
            "window": "W1",
            "substitutes_for": "P1",
            "joined": "2024-05-06",
            "left": "2024-05-10",
        }
    )
    res = run(pol, org, {"records": [rec("S1", "a.01", count=2)]}).subjects
    assert "S1" not in res
    assert res["P1"].score == 18
    assert any("S1" in e.text for e in res["P1"].trace)


def test_formula_dimension_traces_each_term() -> None:
    pol = policy(
        [],
        [
            card("w", "window", [dim("a", max=100)]),
            card(
                "c",
                "person",
                [
                    dim(
                        "f",
                        "formula",
                        terms=[
                            {"label": "窗口平均分×55%", "expr": "mean(window_scores()) * 0.55"},
                            {"label": "出勤率×100×45%", "expr": "attendance_rate * 100 * 0.45"},
                        ],
                    )
                ],
                subjects={"roles": ["chief_rep"]},
            ),
        ],
    )
    org = world(0, windows=2)
    org["people"] = [{"id": "C1", "name": "首席", "role": "chief_rep", "unit": "U1"}]
    facts = {"attendance": [{"person": "C1", "present_days": 18, "workdays": 19}]}
    r = run(pol, org, facts, period="2024-06").subjects["C1"]
    assert r.score == Decimal("97.63")  # 55 + 45 × 18/19 = 97.6315…
    assert [e.kind for e in r.trace if e.points is not None] == ["formula", "formula", "rounding"]
    assert sum(e.points for e in r.trace if e.points is not None) == r.score


def test_a_period_the_policy_does_not_score_is_an_error() -> None:
    from kaohe.engine import PolicyRunError

    pol = policy([item("a.01", "a")], [card("p", "person", [dim("a", max=20)])])
    with pytest.raises(PolicyRunError, match="scores no quarter periods"):
        run(pol, world(1), period="2024-Q2")


def test_a_period_before_the_policy_took_effect_warns() -> None:
    pol = policy([item("a.01", "a")], [card("p", "person", [dim("a", max=20)])])
    result = run(pol, world(1), period="2019-05")
    assert any("施行日期" in w for w in result.warnings)


def test_half_a_day_of_leave_derives_half_the_points() -> None:
    from kaohe.engine import load_policy

    luoshan = load_policy("luoshan")
    leave = [
        {"person": "P1", "type": "事假", "start": "2024-05-08", "end": "2024-05-08", "days": 0.5},
        {"person": "P2", "type": "事假", "start": "2024-05-08", "end": "2024-05-10", "days": 2.5},
        {"person": "P3", "type": "病假", "start": "2024-05-08", "end": "2024-05-09"},
    ]
    for vector in (False, True):
        res = run_kw(luoshan, world(3), {"leave": leave}, "2024-Q2", vector)
        # 事假 −1 a day, 病假 −0.5 a day (罗山 附件1 L359)
        assert res.subjects["P1"].dimensions["s_attendance"] == Decimal("24.5")
        assert res.subjects["P2"].dimensions["s_attendance"] == Decimal("22.5")
        assert res.subjects["P3"].dimensions["s_attendance"] == Decimal("24")


def run_kw(pol: object, org: dict[str, object], facts: dict[str, object], period: str,
           vector: bool) -> object:
    from kaohe.engine import build_facts, build_org, score

    return score(pol, period, build_org(org), build_facts(facts), trace=not vector,  # type: ignore[arg-type]
                 vector=vector)


def test_leave_given_only_as_days_is_charged_and_counted() -> None:
    """cases.md: a leave row gives `start`, `end` … or `days`; a days-only row still costs
    its per-day points and counts as absence (罗山 附件1 L359; 第十五条)."""
    from kaohe.engine import load_policy

    luoshan = load_policy("luoshan")
    leave = [
        {"person": "P1", "type": "事假", "days": 0.5},
        {"person": "P2", "type": "病假", "days": 3},
        {"person": "P3", "type": "事假", "days": 5},
    ]
    bonus = [
        {"date": "2024-05-06", "subject": p, "item": "s_bonus.10", "count": n}
        for p, n in (("P1", 1), ("P2", 1), ("P3", 2))
    ]
    for vector in (False, True):
        res = run_kw(luoshan, world(7), {"leave": leave, "records": bonus}, "2024-Q2", vector)
        subjects = res.subjects  # type: ignore[attr-defined]
        assert subjects["P1"].dimensions["s_attendance"] == Decimal("24.5")
        assert subjects["P2"].dimensions["s_attendance"] == Decimal("23.5")
        assert subjects["P3"].dimensions["s_attendance"] == Decimal("20")
        # P3 (115) ranks first but 5 days of 事假 bar 优秀 (第十五条): the one place
        # (floor(0.15 × 7)) goes to P1 (109.5)
        assert (subjects["P3"].grade, subjects["P1"].grade) == ("称职", "优秀")
