"""Scopes past the period: their spans, the facts a caller must load, and that facts outside
the period change nothing a wide scope does not read."""

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from kaohe.cases.loading import load_case
from kaohe.engine import Period, PolicyError, load_policy, score
from kaohe.engine.expr import keyword_constants
from kaohe.engine.inputs import Facts
from kaohe.engine.periods import scope_span
from kaohe.engine.policy.loader import parse_policy
from kaohe.engine.reach import fact_span, scopes_used

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "cases").rglob("*.yaml")) + sorted(
    (ROOT.parent / "shared" / "cases").rglob("*.yaml")
)


@pytest.mark.parametrize(
    ("period", "scope", "span"),
    [
        ("2024-05", "period", (date(2024, 5, 1), date(2024, 5, 31))),
        ("2024-05", "quarter", (date(2024, 4, 1), date(2024, 6, 30))),
        ("2024-05", "year", (date(2024, 1, 1), date(2024, 12, 31))),
        ("2024-Q2", "month", (date(2024, 4, 1), date(2024, 6, 30))),
        ("2024-05", "months:1", (date(2024, 5, 1), date(2024, 5, 31))),
        ("2024-05", "months:3", (date(2024, 3, 1), date(2024, 5, 31))),
        ("2024-02", "months:3", (date(2023, 12, 1), date(2024, 2, 29))),
        ("2024-01", "months:13", (date(2023, 1, 1), date(2024, 1, 31))),
        ("2024-Q2", "months:2", (date(2024, 4, 1), date(2024, 6, 30))),
        ("2024", "months:3", (date(2024, 1, 1), date(2024, 12, 31))),
    ],
)
def test_scope_span(period: str, scope: str, span: tuple[date, date]) -> None:
    assert scope_span(Period.parse(period), scope) == span


@pytest.mark.parametrize("scope", ["months:0", "months:x", "months", "week", "months:3 "])
def test_unknown_scope_is_refused(scope: str) -> None:
    with pytest.raises(ValueError, match="unknown scope"):
        scope_span(Period.parse("2024-05"), scope)


def test_keyword_constants() -> None:
    text = "has_flag('a', scope='months:3') or count('b', scope='year', of='self_and_window') > 1"
    assert keyword_constants(text, "scope") == {"months:3", "year"}
    assert keyword_constants(text, "of") == {"self_and_window"}
    assert keyword_constants("count('b')", "scope") == set()
    assert keyword_constants("not an expression (", "scope") == set()


def test_fact_span_of_bundled_policies() -> None:
    guangde, luoshan, jiedong = (load_policy(p) for p in ("guangde-2023", "luoshan", "jiedong-2022"))
    assert scopes_used(guangde) == {"months:3"}
    assert fact_span(guangde, Period.parse("2024-03")) == (date(2024, 1, 1), date(2024, 3, 31))
    # an annual run scores January too, whose three months start in November
    assert fact_span(guangde, Period.parse("2024")) == (date(2023, 11, 1), date(2024, 12, 31))
    assert fact_span(luoshan, Period.parse("2024-Q2")) == (date(2024, 1, 1), date(2024, 12, 31))
    assert fact_span(jiedong, Period.parse("2024-05")) == (date(2024, 5, 1), date(2024, 5, 31))


def test_a_misspelt_scope_fails_on_load() -> None:
    text = (ROOT / "src/kaohe/policies/guangde-2023.yaml").read_text(encoding="utf-8")
    bad = text.replace("scope='months:3'", "scope='month:3'", 1)
    with pytest.raises(PolicyError, match="unknown scope 'month:3'"):
        parse_policy(bad, "guangde-bad.yaml")


def _shift(frame: pl.DataFrame, days: int, period: Period) -> pl.DataFrame:
    """Rows moved by ``days``, keeping only those that then lie wholly outside the period."""
    delta = timedelta(days=days)
    first, last = ("start", "end") if "start" in frame.columns else ("date", "date")
    moved = frame.with_columns(
        [(pl.col(c) + delta).alias(c) for c in dict.fromkeys((first, last))]
    )
    return moved.filter((pl.col(last) < period.start) | (pl.col(first) > period.end))


def _widened(facts: Facts, period: Period) -> Facts:
    """The same facts plus a copy of every dated row moved wholly before and after the period."""
    days = (period.end - period.start).days + 1
    tables = dict(facts.tables)
    for name in ("records", "ratings", "leave"):
        frame = tables.get(name)
        if frame is None or frame.height == 0:
            continue
        if name == "leave" and frame["start"].null_count():
            continue  # days-only leave rows are dated on the period by definition
        tables[name] = pl.concat([frame, _shift(frame, -days, period), _shift(frame, days, period)])
    return Facts(tables=tables)


def _outcome(result: object) -> dict[str, tuple[object, ...]]:
    subjects = result.subjects  # type: ignore[attr-defined]
    return {
        s: (r.score, r.rank, r.grade, r.bonus, sorted(r.actions), sorted(r.dimensions.items()))
        for s, r in subjects.items()
    }


def _narrow(path: Path) -> bool:
    """Loadable cases whose policy reads nothing outside the period."""
    try:
        case = load_case(path)
        policy = load_policy(case.policy, base=case.base_dir)
    except Exception:
        return False
    period = Period.parse(case.period)
    return case.expect_error is None and fact_span(policy, period) == (period.start, period.end)


@pytest.mark.parametrize(
    "path", [p for p in CASES if _narrow(p)], ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_facts_outside_the_period_change_nothing(path: Path) -> None:
    case = load_case(path)
    policy = load_policy(case.policy, base=case.base_dir)
    period = Period.parse(case.period)
    plain = score(policy, period, case.org, case.facts, case.context, trace=False)
    wide = score(policy, period, case.org, _widened(case.facts, period), case.context, trace=False)
    assert _outcome(wide) == _outcome(plain)
