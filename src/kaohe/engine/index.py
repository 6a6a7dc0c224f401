"""Per-subject indexes of the organisation and the small fact tables.

Built once per family of runs (a year and its quarters share one), so that a
question about one subject ("his leave rows", "the staff of this window") costs
a dictionary lookup instead of a scan — the difference between seconds and
hours for a province's month.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from kaohe.engine.inputs import Facts, Org

Rows = list[dict[str, Any]]


@dataclass
class FactIndex:
    leave: dict[str, Rows] = field(default_factory=dict)
    attendance: dict[str, Rows] = field(default_factory=dict)
    ratings: dict[str, Rows] = field(default_factory=dict)
    scores: dict[tuple[str, str], Rows] = field(default_factory=dict)
    period_scores: dict[str, Rows] = field(default_factory=dict)
    history: dict[str, Rows] = field(default_factory=dict)
    adjustments: dict[str, Rows] = field(default_factory=dict)
    votes: Rows = field(default_factory=list)
    staff: dict[str, list[str]] = field(default_factory=dict)
    chief_reps: dict[str, list[str]] = field(default_factory=dict)
    substitutes: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, org: Org, facts: Facts) -> FactIndex:
        idx = cls()
        idx.leave = _group(facts.rows("leave"), "person")
        idx.attendance = _group(facts.rows("attendance"), "person")
        ratings: dict[str, Rows] = defaultdict(list)
        for r in facts.rows("ratings"):
            for key in {r.get("person"), r.get("window")}:
                if key:
                    ratings[key].append(r)
        idx.ratings = dict(ratings)
        scores: dict[tuple[str, str], Rows] = defaultdict(list)
        for r in facts.rows("scores"):
            scores[(r["source"], r["subject"])].append(r)
        idx.scores = dict(scores)
        idx.period_scores = _group(facts.rows("period_scores"), "subject")
        idx.history = _group(facts.rows("history"), "person")
        idx.adjustments = _group(facts.rows("adjustments"), "subject")
        idx.votes = facts.rows("votes")
        staff: dict[str, list[str]] = defaultdict(list)
        chiefs: dict[str, list[str]] = defaultdict(list)
        subs: dict[str, list[str]] = defaultdict(list)
        for p in org.people.values():
            if p.substitutes_for:
                subs[p.substitutes_for].append(p.id)
                continue
            if p.window and p.role == "staff":
                staff[p.window].append(p.id)
            if p.role == "chief_rep":
                for w in org.chief_rep_windows(p):
                    chiefs[w].append(p.id)
        idx.staff, idx.chief_reps, idx.substitutes = dict(staff), dict(chiefs), dict(subs)
        return idx


def _group(rows: Rows, key: str) -> dict[str, Rows]:
    out: dict[str, Rows] = defaultdict(list)
    for r in rows:
        out[r[key]].append(r)
    return dict(out)
