"""What a run produces for each subject."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kaohe.engine.numbers import normalize
from kaohe.engine.trace import TraceEntry


@dataclass
class SubjectResult:
    subject: str
    scorecard: str
    score: Decimal | None = None
    exact_score: Decimal | None = None
    rank: int | None = None
    grade: str | None = None
    pool: str | None = None
    dimensions: dict[str, Decimal] = field(default_factory=dict)
    bonus: Decimal | None = None
    actions: list[str] = field(default_factory=list)
    trace: list[TraceEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self, with_trace: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.score is not None:
            out["score"] = float(normalize(self.score))
        if self.rank is not None:
            out["rank"] = self.rank
        if self.grade:
            out["grade"] = self.grade
        if self.dimensions:
            out["dimensions"] = {k: float(normalize(v)) for k, v in self.dimensions.items()}
        if self.bonus is not None:
            out["bonus"] = float(normalize(self.bonus))
        if self.actions:
            out["actions"] = list(self.actions)
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if with_trace:
            out["trace"] = [t.as_dict() for t in self.trace]
        return out


@dataclass
class RunResult:
    policy: str
    period: str
    subjects: dict[str, SubjectResult]
    warnings: list[str] = field(default_factory=list)
    calendar: str = ""

    def as_dict(self, with_trace: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "policy": self.policy,
            "period": self.period,
            "subjects": {k: v.as_dict(with_trace) for k, v in self.subjects.items()},
        }
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out
