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
