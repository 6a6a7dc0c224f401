from decimal import Decimal
from typing import Any

from tests.engine.policykit import card, dim, item, policy, run, world


def graded_policy(steps: list[dict[str, Any]], **pool: Any) -> Any:
    return policy(
        [item("a.01", "a", free_entry=True), item("v.01", "a", points=0, flags=["veto"])],
        [
            card(
                "p",
                "person",
                [dim("a", max=100)],
                pools=[
                    {
                        "id": "all",
                        "name": "全体",
                        "grades": ["优秀", "良好", "合格", "基本合格", "不合格"],
                        "steps": steps,
                        **pool,
                    }
                ],
            )
        ],
    )


def scores(values: list[float]) -> dict[str, Any]:
    return {
        "records": [
            {"date": "2024-05-06", "subject": f"P{i}", "item": "a.01", "points": 100 - v}
            for i, v in enumerate(values, start=1)
            if v < 100
        ]
    }


QUOTA = {"quota": {"grade": "优秀", "count": "floor(0.2 * N)", "ref": "x"}}
REST = {"band": {"grade": "合格", "ref": "x"}}


def test_quota_is_floor_of_share() -> None:
    res = run(graded_policy([QUOTA, REST]), world(9), scores([99, 98, 97, 96, 95, 94, 93, 92, 91]))
    assert [s for s, r in res.subjects.items() if r.grade == "优秀"] == ["P1"]


def test_tie_at_the_boundary_fit_whole_leaves_places_empty() -> None:
    res = run(
        graded_policy([QUOTA, REST]), world(10), scores([99, 98, 98, 97, 96, 95, 94, 93, 92, 91])
    )
    assert [s for s, r in res.subjects.items() if r.grade == "优秀"] == ["P1"]
    assert res.subjects["P2"].rank == res.subjects["P3"].rank == 2
    assert res.subjects["P4"].rank == 4


def test_tie_start_inside_takes_the_whole_group() -> None:
    steps = [{"quota": {**QUOTA["quota"], "ties": "start_inside"}}, REST]
    res = run(graded_policy(steps), world(10), scores([99, 98, 98, 97, 96, 95, 94, 93, 92, 91]))
    assert sorted(s for s, r in res.subjects.items() if r.grade == "优秀") == ["P1", "P2", "P3"]


def test_veto_skips_and_the_place_goes_to_the_next() -> None:
    steps = [
        {"quota": {**QUOTA["quota"], "vetoes": [{"when": "count('v.01') >= 1", "reason": "否决"}]}},
        REST,
    ]
    facts = scores([99, 98, 97, 96, 95])
    facts["records"].append({"date": "2024-05-07", "subject": "P1", "item": "v.01"})
    res = run(graded_policy(steps), world(5), facts)
    assert res.subjects["P2"].grade == "优秀"
    assert res.subjects["P1"].grade == "合格"
    assert res.subjects["P1"].rank == 1
    assert any(e.kind == "veto" for e in res.subjects["P1"].trace)


def test_bands_min_score_and_moves_relative_to_first() -> None:
    steps = [
        {"band": {"grade": "良好", "min_score": 90, "ref": "x"}},
        {"band": {"grade": "合格", "ref": "x"}},
        {
            "move": {
                "from_grades": ["合格"],
                "to": "基本合格",
                "when": "score < 0.7 * first_score",
                "reason": "低于第一名70%",
            }
        },
    ]
    res = run(graded_policy(steps), world(3), scores([95, 80, 60]))
    assert [r.grade for r in res.subjects.values()] == ["良好", "合格", "基本合格"]


def test_not_graded_counts_in_n_but_has_no_rank_and_exclude_does_not() -> None:
    steps = [
        {"exclude": {"when": "role == 'manager'", "reason": "不参评"}},
        {
            "not_graded": {
                "when": "leave_days() > workdays / 2",
                "grade": "不列入评比",
                "reason": "请假",
            }
        },
        {"quota": {"grade": "优秀", "count": "N", "ref": "x"}},
    ]
    org = world(3)
    org["people"][2]["role"] = "manager"
    facts = scores([90, 95, 99])
    facts["leave"] = [{"person": "P2", "type": "病假", "start": "2024-05-06", "end": "2024-05-31"}]
    res = run(graded_policy(steps), org, facts)
    assert res.subjects["P2"].grade == "不列入评比" and res.subjects["P2"].rank is None
    assert res.subjects["P3"].grade is None and res.subjects["P3"].rank is None
    assert res.subjects["P1"].grade == "优秀"  # N = 2 (P1, P2), only P1 is gradable


def test_adjustment_is_traced_and_a_broken_quota_warns() -> None:
    facts = scores([99, 98, 97, 96, 95])
    facts["adjustments"] = [{"subject": "P2", "grade": "优秀", "reason": "均衡服务区"}]
    res = run(graded_policy([QUOTA, REST]), world(5), facts)
    assert res.subjects["P2"].grade == "优秀"
    assert any("均衡服务区" in e.text for e in res.subjects["P2"].trace)
    assert any("超过名额" in w for w in res.warnings)


def test_cap_lowers_only_better_grades() -> None:
    steps = [
        QUOTA,
        REST,
        {"cap": {"when": "count('v.01') >= 1", "max": "基本合格", "reason": "封顶"}},
    ]
    facts = scores([99, 98, 97, 96, 95])
    facts["records"].append({"date": "2024-05-07", "subject": "P1", "item": "v.01"})
    res = run(graded_policy(steps), world(5), facts)
    assert res.subjects["P1"].grade == "基本合格"


def test_money_and_streak_actions() -> None:
    pol = policy(
        [item("c.01", "a", points=0)],
        [
            card(
                "p",
                "person",
                [dim("a", max=100)],
                period="year",
                pools=[
                    {
                        "id": "all",
                        "name": "全体",
                        "grades": ["优秀", "合格", "基本合格"],
                        "steps": [{"quota": {"grade": "优秀", "count": "N", "ref": "x"}}],
                    }
                ],
                actions=[
                    {"action": "promote", "when": "streak('优秀') >= 2", "reason": "连续两年优秀"}
                ],
                bonus={
                    "gross": "1000 * months_in_post",
                    "ref": "x",
                    "deductions": [
                        {"label": "投诉", "amount": "200 * count('c.01', include_deducted=false)"}
                    ],
                },
            )
        ],
    )
    org = world(1)
    org["people"][0]["joined"] = "2024-03-15"
    facts = {
        "history": [{"person": "P1", "year": 2023, "grade": "优秀"}],
        "records": [
            {"date": "2024-05-06", "subject": "P1", "item": "c.01", "count": 2},
            {"date": "2024-06-06", "subject": "P1", "item": "c.01", "already_deducted": True},
        ],
    }
    r = run(pol, org, facts, period="2024").subjects["P1"]
    assert r.actions == ["promote"]
    assert r.bonus == Decimal(1000 * 10 - 400)


def test_rank_points_share_ties_and_missing_rank_last() -> None:
    pol = policy(
        [],
        [
            card(
                "w",
                "window",
                [dim("r", "rank_points", rank={"metric": "external('x')", "full": 5, "step": 0.1})],
                period="year",
            )
        ],
        sources={"x": "外部"},
    )
    facts = {
        "scores": [
            {"source": "x", "subject": "W1", "value": 4.8},
            {"source": "x", "subject": "W2", "value": 4.8},
            {"source": "x", "subject": "W3", "value": 4.6},
        ]
    }
    res = run(pol, world(0, windows=4), facts, period="2022").subjects
    assert [res[w].score for w in ("W1", "W2", "W3", "W4")] == [
        5,
        5,
        Decimal("4.8"),
        Decimal("4.7"),
    ]


def test_whole_months_in_post_counts_from_the_start_date() -> None:
    """luoshan Amb. 19: 6个月以上（含6个月） in whole months from the start date, not months touched."""
    steps = [
        {"exclude": {"when": "whole_months_in_post < 6", "grade": "不参加", "reason": "不满6个月"}},
        REST,
    ]
    pol = policy(
        [item("a.01", "a", free_entry=True)],
        [
            card(
                "p",
                "person",
                [dim("a", max=100)],
                period="year",
                pools=[{"id": "all", "name": "全体", "grades": ["合格", "不参加"], "steps": steps}],
            )
        ],
    )
    org = world(5)
    org["people"][0]["joined"] = "2024-07-01"  # 07-01..12-31: 6 whole months
    org["people"][1]["joined"] = "2024-07-02"  # 5 months and 30 days
    org["people"][2]["left"] = "2024-06-30"  # 01-01..06-30: 6
    org["people"][3]["left"] = "2024-06-29"  # 5 months and 29 days
    org["people"][4]["joined"] = "2024-01-31"  # 01-31..12-30 is 11 months: 11
    res = run(pol, org, {}, period="2024").subjects
    assert [res[f"P{i}"].grade for i in range(1, 6)] == ["合格", "不参加", "合格", "不参加", "合格"]
