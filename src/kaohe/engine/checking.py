"""Comparing a run's results with a case's expectations (`kaohe check`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kaohe.engine.numbers import D, normalize
from kaohe.engine.results import RunResult

TOLERANCE = Decimal("0.005")


def _num(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return D(value)
    except (TypeError, ValueError):
        return None


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(normalize(value), "f")
    if value is None:
        return "nothing"
    return str(value)


def _expects_nothing(key: str, want: Any) -> bool:
    """An expectation a subject without any result meets: no grade, no actions."""
    return (key == "grade" and not want) or (key == "actions" and not want)


def compare(result: RunResult, expect: dict[str, Any]) -> list[str]:
    """Differences as "<subject> <field> expected <x> got <y>"; empty when the case passes."""
    problems: list[str] = []
    for subject, fields in expect.items():
        got = result.subjects.get(str(subject))
        if not isinstance(fields, dict):
            problems.append(f"{subject}: expectation must be a mapping")
            continue
        if got is None:
            if all(_expects_nothing(k, v) for k, v in fields.items()):
                continue  # `grade: ""` / `actions: []` on a subject not assessed at all
            problems.append(
                f"{subject} expected a result got none (not assessed in {result.period})"
            )
            continue
        for key, want in fields.items():
            if key in ("score", "bonus"):
                have = got.score if key == "score" else got.bonus
                w = _num(want)
                if w is None or have is None or abs(have - w) > TOLERANCE:
                    problems.append(f"{subject} {key} expected {_show(want)} got {_show(have)}")
            elif key == "rank":
                if got.rank != want:
                    problems.append(f"{subject} rank expected {want} got {_show(got.rank)}")
            elif key == "grade":
                if (got.grade or "") != (want or ""):
                    problems.append(
                        f"{subject} grade expected {want or '(none)'} got {got.grade or '(none)'}"
                    )
            elif key == "actions":
                if sorted(got.actions) != sorted(want or []):
                    problems.append(
                        f"{subject} actions expected {sorted(want or [])} got {sorted(got.actions)}"
                    )
            elif key == "dimensions":
                for code, value in (want or {}).items():
                    have_d = got.dimensions.get(code)
                    w = _num(value)
                    if have_d is None or w is None or abs(have_d - w) > TOLERANCE:
                        problems.append(
                            f"{subject} dimensions.{code} expected {_show(value)} got {_show(have_d)}"
                        )
            else:
                problems.append(f"{subject} {key}: unknown expectation field")
    return problems
