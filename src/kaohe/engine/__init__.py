"""The kaohe rules engine: policy + period + facts → scores, grades, money, trace.

Pure Python and Polars: no Django, no I/O beyond reading policy files.
"""

from __future__ import annotations

from typing import Any

from kaohe.engine.expr import ExprError, compile_expr
from kaohe.engine.inputs import Facts, InputError, Org, build_facts, build_org
from kaohe.engine.numbers import D, round_to
from kaohe.engine.periods import Period, PeriodKind
from kaohe.engine.policy import (
    Policy,
    PolicyError,
    bundled_policy_ids,
    load_policy,
    load_policy_file,
)
from kaohe.engine.results import RunResult, SubjectResult
from kaohe.engine.run import PolicyRunError, Run
from kaohe.engine.trace import TraceEntry
from kaohe.engine.workdays import DEFAULT_CALENDAR, UnknownYearError, WorkCalendar


def score(
    policy: Policy,
    period: Period | str,
    org: Org,
    facts: Facts,
    context: dict[str, Any] | None = None,
    calendar: WorkCalendar | None = None,
    trace: bool = True,
    vector: bool | None = None,
) -> RunResult:
    """Score, rank and grade every subject the policy assesses in the period.

    With ``trace=False`` (batch runs) the vectorised evaluation is used unless
    ``vector=False``; results are the same either way, only the per-record
    trace lines are missing.
    """
    from kaohe.engine.vector import VectorRun

    use_vector = (not trace) if vector is None else vector
    kind = VectorRun if use_vector else Run
    run = kind(policy, Period.parse(period), org, facts, context, calendar)
    return run.result(trace=trace and not use_vector)


__all__ = [
    "DEFAULT_CALENDAR",
    "D",
    "ExprError",
    "Facts",
    "InputError",
    "Org",
    "Period",
    "PeriodKind",
    "Policy",
    "PolicyError",
    "PolicyRunError",
    "Run",
    "RunResult",
    "SubjectResult",
    "TraceEntry",
    "UnknownYearError",
    "WorkCalendar",
    "build_facts",
    "build_org",
    "bundled_policy_ids",
    "compile_expr",
    "load_policy",
    "load_policy_file",
    "round_to",
    "score",
]
