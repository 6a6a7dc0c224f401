"""`kaohe check` comparisons: a subject not assessed at all meets `grade: ""` and `actions: []`."""

from __future__ import annotations

from kaohe.engine.checking import compare
from kaohe.engine.results import RunResult, SubjectResult


def _result() -> RunResult:
    return RunResult("p", "2024", {"A": SubjectResult("A", "card", grade="优秀")})


def test_absent_subject_meets_no_grade_and_no_actions() -> None:
    assert compare(_result(), {"X": {"grade": ""}}) == []
    assert compare(_result(), {"X": {"grade": "", "actions": []}}) == []


def test_absent_subject_fails_any_other_expectation() -> None:
    assert compare(_result(), {"X": {"grade": "合格"}}) == [
        "X expected a result got none (not assessed in 2024)"
    ]
    assert compare(_result(), {"X": {"grade": "", "score": 0}}) != []


def test_present_subject_with_a_grade_fails_no_grade() -> None:
    assert compare(_result(), {"A": {"grade": ""}}) == ["A grade expected (none) got 优秀"]
