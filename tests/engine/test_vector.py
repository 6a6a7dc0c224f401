"""The vectorised run gives exactly the scalar run's results on every case."""

from decimal import Decimal
from pathlib import Path

import pytest

from kaohe.cases.loading import load_case
from kaohe.engine import PolicyRunError, load_policy, score

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "cases").rglob("*.yaml")) + sorted(
    (ROOT.parent / "shared" / "cases").rglob("*.yaml"))


def _loadable(path: Path) -> bool:
    try:
        case = load_case(path)
    except Exception:
        return False
    return case.expect_error is None


@pytest.mark.parametrize("path", [p for p in CASES if _loadable(p)],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_vector_equals_scalar(path: Path) -> None:
    case = load_case(path)
    policy = load_policy(case.policy, base=case.base_dir)
    try:
        scalar = score(policy, case.period, case.org, case.facts, case.context, trace=False,
                       vector=False)
    except PolicyRunError:
        with pytest.raises(PolicyRunError):
            score(policy, case.period, case.org, case.facts, case.context, trace=False)
        return
    vector = score(policy, case.period, case.org, case.facts, case.context, trace=False)
    assert vector.subjects.keys() == scalar.subjects.keys()
    for s, a in scalar.subjects.items():
        b = vector.subjects[s]
        assert (a.score, a.rank, a.grade, a.bonus, sorted(a.actions)) == (
            b.score, b.rank, b.grade, b.bonus, sorted(b.actions)), s
        assert a.dimensions == b.dimensions, s
        assert a.exact_score is not None and b.exact_score is not None
        assert abs(a.exact_score - b.exact_score) < Decimal("1e-8"), s


ERRORS = [p for p in CASES if not _loadable(p)]


@pytest.mark.parametrize("path", ERRORS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_vector_reports_the_same_input_errors(path: Path) -> None:
    from kaohe.cases.loading import CaseLoadError
    from kaohe.engine import InputError

    try:
        case = load_case(path)
    except CaseLoadError:
        return  # rejected before any engine runs
    policy = load_policy(case.policy, base=case.base_dir)
    errors = (InputError, PolicyRunError)
    with pytest.raises(errors) as scalar:
        score(policy, case.period, case.org, case.facts, case.context, trace=False, vector=False)
    with pytest.raises(errors) as vector:
        score(policy, case.period, case.org, case.facts, case.context, trace=False)
    assert str(vector.value) == str(scalar.value)


def test_reported_numbers_have_the_policy_places() -> None:
    case = load_case(ROOT / "cases" / "guangde-2023" / "demo-month.yaml")
    policy = load_policy(case.policy)
    result = score(policy, case.period, case.org, case.facts, case.context, trace=False)
    for r in result.subjects.values():
        assert r.score is not None and r.score.as_tuple().exponent == -2
        assert all(v.as_tuple().exponent == -2 for v in r.dimensions.values())


def _province_results(tweak: bool) -> tuple[object, object]:
    import polars as pl

    from kaohe.bench import FACT_FILES, ORG_FILES, build_province, facts_from_frames
    from kaohe.engine import build_org

    tables = build_province(300, 20000, seed=3).tables()
    if tweak:
        # flags, another month and items with vetoes and exemptions, so that the ledger's
        # group-by needs its optional keys (the bench data itself needs none)
        n = pl.int_range(0, pl.len())
        tables["records"] = tables["records"].with_columns(
            item=pl.when(n % 97 == 0).then(pl.lit("other.01"))
            .when(n % 4001 == 0).then(pl.lit("discipline.08"))
            .otherwise(pl.col("item")),
            exempt=(n % 97 == 0) & (n % 2 == 0),
            date=pl.when(n % 83 == 0).then(pl.col("date").dt.offset_by("1mo"))
            .otherwise(pl.col("date")),
        )
    org = build_org({name: tables[name].to_dicts() for name in ORG_FILES})
    facts = facts_from_frames({name: tables[name] for name in FACT_FILES})
    policy = load_policy("guangde-2023")
    scalar = score(policy, "2023-10", org, facts, trace=False, vector=False)
    vector = score(policy, "2023-10", org, facts, trace=False)
    return scalar, vector


@pytest.mark.parametrize("tweak", [False, True], ids=["bench", "flags-and-months"])
def test_vector_equals_scalar_on_a_synthetic_province(tweak: bool) -> None:
    scalar, vector = _province_results(tweak)
    assert list(vector.subjects) == list(scalar.subjects)  # type: ignore[attr-defined]
    graded = 0
    for s, a in scalar.subjects.items():  # type: ignore[attr-defined]
        b = vector.subjects[s]  # type: ignore[attr-defined]
        assert (a.score, a.exact_score, a.rank, a.grade, a.pool, a.bonus, a.actions) == (
            b.score, b.exact_score, b.rank, b.grade, b.pool, b.bonus, b.actions), s
        assert a.dimensions == b.dimensions, s
        assert [str(v) for v in a.dimensions.values()] == [str(v) for v in b.dimensions.values()]
        graded += a.grade is not None
    assert graded > 0


def _same_results(pol: object, org: dict[str, object], facts: dict[str, object],
                  period: str) -> object:
    """Scores a world both ways and asserts the vector run equals the scalar run field by field."""
    from kaohe.engine import build_facts, build_org

    o, f = build_org(org), build_facts(facts)
    scalar = score(pol, period, o, f, trace=False, vector=False)  # type: ignore[arg-type]
    vector = score(pol, period, o, f, trace=False)  # type: ignore[arg-type]
    assert list(vector.subjects) == list(scalar.subjects)
    for s, a in scalar.subjects.items():
        b = vector.subjects[s]
        assert (a.score, a.exact_score, a.rank, a.grade, a.pool, a.bonus, a.actions) == (
            b.score, b.exact_score, b.rank, b.grade, b.pool, b.bonus, b.actions), s
        assert [(k, str(v)) for k, v in a.dimensions.items()] == [
            (k, str(v)) for k, v in b.dimensions.items()], s
    return vector


def _charging_world(period_kind: str) -> tuple[object, dict[str, object], dict[str, object]]:
    from tests.engine.policykit import card, dim, item, policy, world

    items = [
        item("x.01", "x", points=2, charge=["subject", "window"]),
        item("x.02", "x", points=4, major={"multiplier": 3},
             charge=[{"to": "subject"}, {"to": "chief_rep", "share": 0.5}]),
        item("x.03", "x", points=1, charge=["staff"]),
        item("x.04", "x", points=1.5, exempt=True, flags=["veto"],
             charge=["window", {"to": "chief_rep", "share": 0.25}, "staff"]),
        # on a window, subject and window are one target: charged once, at the first share
        item("x.05", "x", points=2, charge=[{"to": "window", "share": 0.5}, "subject"]),
        item("y.01", "y", part="a", points=3),
        item("y.02", "y", part="b", range=[0.5, 2]),
        item("y.03", "y", part="a", points=1, major={"points": 5}),
    ]
    parts = [{"code": "a", "name": "a", "max": 4}, {"code": "b", "name": "b", "max": 3}]
    person_dims = [dim("x", max=20), dim("y", max=10, parts=parts),
                   dim("z", "earned", cap=5)]
    actions = [
        {"action": "interview", "when": "count('x.02', 'y.01', scope='year') >= 2", "reason": "r"},
        {"action": "interview", "target": "chief_rep",
         "when": "has_flag('veto', of='self_and_staff')", "reason": "r"},
        {"action": "recall", "when": "count_dim('y') >= 3", "reason": "r"},
    ]
    pol = policy(items, [
        card("w", "window", [dim("x", max=30), dim("z", "earned", cap=5)], period=period_kind,
             actions=[*actions[1:2], {**actions[1], "target": "subject", "action": "recall"}]),
        card("p", "person", person_dims, period=period_kind, subjects={"roles": ["staff"]},
             actions=[actions[0], actions[2]]),
        card("c", "person", [dim("x", max=20)], period=period_kind,
             subjects={"roles": ["chief_rep"]}),
    ])
    org = world(5, windows=2)
    people: list[dict[str, object]] = org["people"]  # type: ignore[assignment]
    people[4]["role"] = "manager"
    people.append({"id": "C1", "name": "首席", "role": "chief_rep", "unit": "U1"})
    people.append({"id": "S1", "name": "顶岗", "window": "W1", "substitutes_for": "P1",
                   "joined": "2024-05-06", "left": "2024-05-20"})
    # staff who left before the quarter: not among W1's staff, his late record no veto for W1
    people.append({"id": "P6", "name": "离岗", "window": "W1", "unit": "U1",
                   "left": "2024-03-31"})

    def rec(day: str, subject: str, code: str | None, **kw: object) -> dict[str, object]:
        return {"date": day, "subject": subject, "item": code, **kw}

    records = [
        rec("2024-05-02", "P1", "x.01", count=2),
        rec("2024-05-03", "W1", "x.01"),  # one charge: the window is subject and window
        rec("2024-05-03", "W2", "x.02", major=True),
        rec("2024-05-03", "W2", "x.05", count=3),
        rec("2024-05-03", "P4", "x.05"),
        rec("2024-05-04", "P2", "x.02", count=3),
        rec("2024-05-04", "P2", "x.02", major=True, already_deducted=True),
        rec("2024-05-05", "P3", "x.03", count=2),
        rec("2024-05-05", "W1", "x.03"),
        rec("2024-05-06", "P4", "x.04", exempt=True),
        rec("2024-05-06", "P4", "x.04", count=2),
        rec("2024-05-07", "S1", "y.01", count=2),
        rec("2024-05-07", "S1", "y.02", points=1.5),
        rec("2024-05-08", "P1", "y.02", points=0.5, count=3),
        rec("2024-05-08", "P1", "y.02", points=2),
        rec("2024-05-09", "P3", "y.03", major=True),
        rec("2024-05-09", "P5", "x.01"),
        rec("2024-05-10", "P2", None, dimension="z", points=1.25),
        rec("2024-05-10", "W2", None, dimension="z", points=2.5, count=3),
        rec("2024-05-10", "P3", None, dimension="x", points=0.75),
        # other months: counted by a year's scope, charged only in a period that holds them
        rec("2024-04-11", "P2", "y.01"),
        rec("2024-04-12", "W1", "x.04", count=4),
        rec("2024-05-15", "P6", "x.04"),
        rec("2024-06-13", "P1", "x.02", count=2),
        rec("2024-06-14", "P4", "y.02", points=1),
        rec("2024-06-14", "P3", "x.04", major=False),
    ]
    return pol, org, {"records": records}


@pytest.mark.parametrize("period", ["2024-05", "2024-06", "2024-Q2"])
def test_vector_charging_equals_scalar(period: str) -> None:
    """Aggregated rows priced and charged by subject numbers: shares, several charges,
    chief reps, staff, substitutes, free dimension records, points, flags, other months."""
    pol, org, facts = _charging_world("quarter" if "Q" in period else "month")
    result = _same_results(pol, org, facts, period)
    assert any(r.actions for r in result.subjects.values())  # type: ignore[attr-defined]


@pytest.mark.parametrize("period", ["2024-05", "2024-Q2", "2024"])
def test_vector_packed_ledger_keys_equal_scalar(period: str) -> None:
    """A ledger without optional keys is grouped on one packed integer (subject number,
    item, flags, part-day rows, month): every packed field varies here."""
    from tests.engine.policykit import card, dim, item, policy, world

    kind = {"2024-05": "month", "2024-Q2": "quarter", "2024": "year"}[period]
    pol = policy(
        [
            item("a.01", "a", points=1, major={"multiplier": 2}, flags=["veto"]),
            item("a.02", "a", points=3, exempt=True),
            item("a.03", "a", points=0.5, charge=["subject", "window"]),
            item("l.01", "a", points=2),
        ],
        [
            card("w", "window", [dim("a", max=40)], period=kind),
            card("p", "person", [dim("a", max=40)], period=kind, actions=[
                {"action": "interview", "when": "count('a.01', scope='year') >= 4", "reason": "r"},
                {"action": "recall", "when": "has_flag('veto', of='self')", "reason": "r"},
                {"action": "terminate", "when": "count('a.01', major=true) >= 1", "reason": "r"},
            ]),
        ],
        derive={"leave": [{"type": "事假", "item": "l.01"}]},
    )
    org = world(4, windows=2)
    records = [
        {"date": d, "subject": s, "item": code, **kw}
        for d, s, code, kw in [
            ("2024-03-04", "P1", "a.01", {"count": 3}),
            ("2024-04-08", "P1", "a.01", {"major": True}),
            ("2024-05-06", "P1", "a.01", {}),
            ("2024-05-06", "P2", "a.02", {"exempt": True, "count": 2}),
            ("2024-05-07", "P2", "a.02", {}),
            ("2024-05-08", "P3", "a.03", {"already_deducted": True}),
            ("2024-06-10", "P3", "a.01", {"major": True, "count": 2}),
            ("2024-06-11", "W2", "a.03", {"count": 4}),
            ("2024-07-01", "P4", "a.01", {}),
            ("2024-12-02", "P4", "a.03", {"count": 2}),
        ]
    ]
    leave = [
        {"person": "P1", "type": "事假", "start": "2024-05-08", "end": "2024-05-08", "days": 0.5},
        {"person": "P2", "type": "事假", "start": "2024-05-08", "end": "2024-05-10", "days": 2.5},
        {"person": "P4", "type": "事假", "start": "2024-06-03", "end": "2024-06-04"},
    ]
    result = _same_results(pol, org, {"records": records, "leave": leave}, period)
    assert any(r.actions for r in result.subjects.values())  # type: ignore[attr-defined]
