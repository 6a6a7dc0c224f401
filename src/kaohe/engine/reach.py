"""How far back (and forward) a period's results can look: the facts a caller must supply.

A monthly run of a policy whose veto reads ``has_flag(..., scope='year')`` or
whose action reads ``scope='months:3'`` depends on records outside the month.
The engine itself only ever charges points for the period's own facts, but its
counters read whatever span their scope names, so a caller that loads facts
from a database (the web app) has to load that span — otherwise a card in
January silently stops vetoing an award in March.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from kaohe.engine.expr import keyword_constants
from kaohe.engine.periods import Period, PeriodKind, scope_span
from kaohe.engine.policy.models import Policy


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def scopes_used(policy: Policy) -> set[str]:
    """Every ``scope=`` a policy's expressions give (any string field that parses as one)."""
    scopes: set[str] = set()
    for text in _strings(policy.model_dump(mode="json")):
        if "scope" in text:
            scopes |= keyword_constants(text, "scope")
    return scopes


def fact_span(policy: Policy, period: Period) -> tuple[date, date]:
    """The first and last day whose facts can change ``period``'s results under ``policy``.

    The period itself, widened by every scope the policy uses, applied to the
    period and to each of its months and quarters (an annual roll-up scores
    January, whose ``months:3`` reaches into November of the year before).
    """
    start, end = period.start, period.end
    scopes = scopes_used(policy) - {"period"}
    if not scopes:
        return start, end
    periods = [period]
    for kind in (PeriodKind.MONTH, PeriodKind.QUARTER):
        try:
            periods += period.subperiods(kind)
        except ValueError:
            continue
    for p in periods:
        for scope in scopes:
            try:
                s, e = scope_span(p, scope)
            except ValueError:
                continue  # the policy loader has refused unknown scopes already
            start, end = min(start, s), max(end, e)
    return start, end
