"""试算: what an edited regulation would have done to periods already scored.

Before a center saves a new version of its regulation, it wants to see who
would have scored, ranked and graded differently under it — on its own past
months, with its own ledger and facts.  Both sides are computed now by the
engine from the same live facts and roster, so the only difference between
them is the policy; nothing is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from kaohe.engine import InputError, Org, Period, PolicyRunError, UnknownYearError, score
from kaohe.engine.expr import ExprError
from kaohe.engine.policy.models import Policy
from kaohe.engine.results import RunResult
from kaohe.web.facts.selectors import work_calendar
from kaohe.web.org.models import Center
from kaohe.web.scoring import bridge
from kaohe.web.scoring.models import ScoreRun

#: More periods than this in one dry run would keep a page waiting on a large center.
MAX_PERIODS = 6

ENGINE_REFUSALS = (UnknownYearError, InputError, PolicyRunError, ExprError, bridge.NoPolicyError)


@dataclass(frozen=True)
class SubjectChange:
    """One subject whose score, rank, grade or bonus the new version would move."""

    code: str
    name: str
    window: str
    old_score: Decimal | None
    new_score: Decimal | None
    old_rank: int | None
    new_rank: int | None
    old_grade: str | None
    new_grade: str | None
    old_bonus: Decimal | None
    new_bonus: Decimal | None

    @property
    def delta(self) -> Decimal | None:
        if self.old_score is None or self.new_score is None:
            return None
        return self.new_score - self.old_score

    @property
    def grade_changed(self) -> bool:
        return self.old_grade != self.new_grade


@dataclass
class PeriodComparison:
    period: str
    old_policy: str = ""
    new_policy: str = ""
    subjects: int = 0
    changes: list[SubjectChange] = field(default_factory=list)
    #: Set when either side could not be scored; the comparison is then empty.
    error: str = ""

    @property
    def scores_changed(self) -> int:
        return sum(1 for c in self.changes if c.old_score != c.new_score)

    @property
    def grades_changed(self) -> int:
        return sum(1 for c in self.changes if c.grade_changed)


def recent_periods(center: Center, limit: int = MAX_PERIODS) -> list[str]:
    """The months this center has scored, newest first: what a dry run is offered."""
    months = (
        ScoreRun.objects.filter(center=center, period__regex=r"^\d{4}-\d{2}$")
        .order_by("-period")
        .values_list("period", flat=True)
    )
    return list(months[:limit])


def dry_run(center: Center, candidate: Policy, periods: Sequence[str]) -> list[PeriodComparison]:
    """Each period scored under the regulation in force and under ``candidate``, compared."""
    return [_compare(center, candidate, Period.parse(p)) for p in periods[:MAX_PERIODS]]


def _compare(center: Center, candidate: Policy, period: Period) -> PeriodComparison:
    out = PeriodComparison(period=str(period), new_policy=candidate.id)
    try:
        current = bridge.policy_for(center, period.end)
        out.old_policy = current.id
        org = bridge.roster(center, period)
        old = _score(center, current, period, org)
        new = _score(center, candidate, period, org)
    except ENGINE_REFUSALS as exc:
        out.error = str(exc)
        return out
    out.subjects = len(set(old.subjects) | set(new.subjects))
    out.changes = _changes(old, new, org)
    return out


def _score(center: Center, policy: Policy, period: Period, org: Org) -> RunResult:
    return score(
        policy,
        period,
        org,
        bridge.facts(center, period, policy, org),
        context=dict(center.context or {}),
        calendar=work_calendar(center),
        trace=False,
    )


def _changes(old: RunResult, new: RunResult, org: Org) -> list[SubjectChange]:
    """Subjects that differ in anything shown, the largest score move first."""
    changes: list[SubjectChange] = []
    for code in sorted(set(old.subjects) | set(new.subjects)):
        a, b = old.subjects.get(code), new.subjects.get(code)
        pair = [
            (getattr(a, f, None), getattr(b, f, None)) for f in ("score", "rank", "grade", "bonus")
        ]
        if all(x == y for x, y in pair):
            continue
        person, window = org.people.get(code), org.windows.get(code)
        window_code = person.window if person else code
        window_row = org.windows.get(window_code or "")
        changes.append(
            SubjectChange(
                code=code,
                name=person.name if person else (window.name if window else code),
                window=window_row.name if window_row else "",
                old_score=pair[0][0],
                new_score=pair[0][1],
                old_rank=pair[1][0],
                new_rank=pair[1][1],
                old_grade=pair[2][0],
                new_grade=pair[2][1],
                old_bonus=pair[3][0],
                new_bonus=pair[3][1],
            )
        )
    changes.sort(key=lambda c: (-abs(c.delta) if c.delta is not None else 0, c.code))
    return changes
