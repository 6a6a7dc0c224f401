"""Per-subject indexes of the organisation and the small fact tables.

Built once per family of runs (a year and its quarters share one), and each
only when first asked for, so that a question about one subject ("his leave
rows", "the staff of this window") costs a dictionary lookup instead of a scan.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property
from typing import Any

from kaohe.engine.inputs import Facts, Org

Rows = list[dict[str, Any]]


class FactIndex:
    def __init__(self, org: Org, facts: Facts) -> None:
        self.org = org
        self.facts = facts

    @classmethod
    def build(cls, org: Org, facts: Facts) -> FactIndex:
        return cls(org, facts)

    @cached_property
    def leave(self) -> dict[str, Rows]:
        return _group(self.facts.rows("leave"), "person")

    @cached_property
    def attendance(self) -> dict[str, Rows]:
        return _group(self.facts.rows("attendance"), "person")

    @cached_property
    def ratings(self) -> dict[str, Rows]:
        out: dict[str, Rows] = defaultdict(list)
        for r in self.facts.rows("ratings"):
            for key in {r.get("person"), r.get("window")}:
                if key:
                    out[key].append(r)
        return dict(out)

    @cached_property
    def scores(self) -> dict[tuple[str, str], Rows]:
        out: dict[tuple[str, str], Rows] = defaultdict(list)
        for r in self.facts.rows("scores"):
            out[(r["source"], r["subject"])].append(r)
        return dict(out)

    @cached_property
    def period_scores(self) -> dict[str, Rows]:
        return _group(self.facts.rows("period_scores"), "subject")

    @cached_property
    def history(self) -> dict[str, Rows]:
        return _group(self.facts.rows("history"), "person")

    @cached_property
    def adjustments(self) -> dict[str, Rows]:
        return _group(self.facts.rows("adjustments"), "subject")

    @cached_property
    def votes(self) -> Rows:
        return self.facts.rows("votes")

    @cached_property
    def _roles(self) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]:
        staff: dict[str, list[str]] = defaultdict(list)
        chiefs: dict[str, list[str]] = defaultdict(list)
        subs: dict[str, list[str]] = defaultdict(list)
        for p in self.org.people.values():
            if p.substitutes_for:
                subs[p.substitutes_for].append(p.id)
                continue
            if p.window and p.role == "staff":
                staff[p.window].append(p.id)
            if p.role == "chief_rep":
                for w in self.org.chief_rep_windows(p):
                    chiefs[w].append(p.id)
        return dict(staff), dict(chiefs), dict(subs)

    @property
    def staff(self) -> dict[str, list[str]]:
        return self._roles[0]

    @property
    def chief_reps(self) -> dict[str, list[str]]:
        return self._roles[1]

    @property
    def substitutes(self) -> dict[str, list[str]]:
        return self._roles[2]


def _group(rows: Rows, key: str) -> dict[str, Rows]:
    out: dict[str, Rows] = defaultdict(list)
    for r in rows:
        out[r[key]].append(r)
    return dict(out)
