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
