"""Scoring runs: compute a period with the engine and keep the result for display.

Scores on screen come only from here, i.e. only from the engine.  A ledger
or fact change marks the periods it touches stale and recomputes them: at
once for a county-sized center, as a background task for a large one.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kaohe.engine import (
    InputError,
    Org,
    Period,
    Policy,
    PolicyError,
    PolicyRunError,
    UnknownYearError,
    score,
)
from kaohe.engine.expr import ExprError
from kaohe.engine.numbers import normalize
from kaohe.engine.reach import fact_span
from kaohe.engine.results import RunResult
from kaohe.web.facts.selectors import work_calendar
from kaohe.web.org.models import Center, Person
from kaohe.web.scoring import bridge
from kaohe.web.scoring.models import RunStatus, ScoreRun

log = logging.getLogger(__name__)


def _num(value: Decimal | None) -> str | None:
    """Exact, without exponent or trailing zeros: ``Decimal("95.50")`` → ``"95.5"``."""
    return None if value is None else str(normalize(value))


def serialize(result: RunResult, org: Org) -> dict[str, Any]:
    """The run as JSON with exact decimal strings, plus who each subject is."""
    subjects: dict[str, Any] = {}
    for code, r in result.subjects.items():
        person = org.people.get(code)
        window = org.windows.get(code)
        if person is not None:
            window_code = person.window
            meta = {
                "kind": "person",
                "name": person.name,
                "role": person.role,
                "window": window_code,
                "unit": org.unit_of(code),
            }
        else:
            meta = {
                "kind": "window",
                "name": window.name if window else code,
                "window": code,
                "unit": window.unit if window else None,
                "window_kind": window.kind if window else None,
            }
        subjects[code] = {
            **meta,
            "scorecard": r.scorecard,
            "score": _num(r.score),
            "exact_score": _num(r.exact_score),
            "rank": r.rank,
            "grade": r.grade,
            "pool": r.pool,
            "dimensions": {k: _num(v) for k, v in r.dimensions.items()},
            "bonus": _num(r.bonus),
            "actions": list(r.actions),
            "warnings": list(r.warnings),
            "trace": [
                {
                    "kind": t.kind,
                    "text": t.text,
                    "points": _num(t.points),
                    "dimension": t.dimension,
                    "item": t.item,
                    "date": t.date.isoformat() if t.date else None,
                    "count": t.count,
                    "record": t.row,
                }
                for t in r.trace
            ],
        }
    return {
        "policy": result.policy,
        "period": result.period,
        "calendar": result.calendar,
        "warnings": list(result.warnings),
        "subjects": subjects,
    }


def compute(center: Center, period: Period | str) -> ScoreRun:
    """Score one period now and store it; an engine refusal is stored as the run's error."""
    p = Period.parse(str(period))
    run, _ = ScoreRun.objects.get_or_create(center=center, period=str(p))
    try:
        policy = bridge.policy_for(center, p.end)
        org = bridge.roster(center, p)
        facts = bridge.facts(center, p, policy, org)
        result = score(
            policy,
            p,
            org,
            facts,
            context=dict(center.context or {}),
            calendar=work_calendar(center),
            trace=True,
        )
    except (UnknownYearError, InputError, PolicyRunError, ExprError, bridge.NoPolicyError) as exc:
        log.warning("scoring %s %s failed: %s", center.code, p, exc)
        ScoreRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            error=str(exc),
            computed_at=timezone.now(),
            result=None,
            policy_id=getattr(getattr(exc, "policy", None), "id", run.policy_id),
        )
    else:
        ScoreRun.objects.filter(pk=run.pk).update(
            status=RunStatus.CURRENT,
            error="",
            computed_at=timezone.now(),
            policy_id=policy.id,
            calendar=result.calendar,
            result=serialize(result, org),
        )
    run.refresh_from_db()
    return run


def periods_touching(center: Center, day: date) -> list[str]:
    """The periods a dated change can move: its month, quarter and year, and every other
    stored period whose regulation reads that day (广德's 3-month bonus stop, 罗山's veto
    over the year: :func:`kaohe.engine.reach.fact_span`)."""
    own = [f"{day:%Y-%m}", f"{day.year}-Q{(day.month - 1) // 3 + 1}", f"{day.year}"]
    others = []
    policies: dict[int, Policy] = {}
    stored = ScoreRun.objects.filter(center=center).exclude(period__in=own).order_by("period")
    for text in stored.values_list("period", flat=True):
        period = Period.parse(text)
        try:
            row = bridge.policy_row(center, period.end)
        except bridge.NoPolicyError:
            continue
        if row.pk not in policies:
            try:
                policies[row.pk] = bridge.policy_for(center, period.end)
            except PolicyError:
                continue  # a broken edited copy: its runs fail and say so when recomputed
        first, last = fact_span(policies[row.pk], period)
        if first <= day <= last:
            others.append(text)
    return own + others


def is_large(center: Center) -> bool:
    return Person.objects.filter(center=center).count() > settings.KAOHE_SYNC_SCORING_MAX_PEOPLE


def ledger_changed(center: Center, day: date) -> None:
    """Mark the periods a change on ``day`` touches stale; recompute the month after commit.

    Quarters and years are recomputed when next looked at (they are read far
    less often than the month being worked).
    """
    touched = periods_touching(center, day)
    ScoreRun.objects.filter(center=center, period__in=touched).update(status=RunStatus.STALE)
    month = touched[0]

    def recompute() -> None:
        if is_large(center):
            from kaohe.web.scoring.tasks import recompute_period

            recompute_period.enqueue(center.pk, month)
        else:
            compute(center, month)

    transaction.on_commit(recompute)


def current_run(center: Center, period: Period | str) -> ScoreRun:
    """The stored run, recomputed first if missing or stale (synchronously for small centers)."""
    run = ScoreRun.objects.filter(center=center, period=str(period)).first()
    if run is None or run.status == RunStatus.STALE:
        if run is not None and is_large(center):
            return run
        return compute(center, period)
    return run
