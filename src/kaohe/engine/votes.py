"""Satisfaction ballots: validation and the tier-weighted vote score.

A ballot is one voter's levels for the units of one group that he rated among
a scorecard's subjects; a ballot giving the top level to more than the allowed
share of them is invalid as a whole (xxqu: 非常满意 ≤ 30 %), and the run warns
naming the voter rather than failing.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from kaohe.engine.expr import ExprError
from kaohe.engine.numbers import ZERO

if TYPE_CHECKING:
    from kaohe.engine.policy.models import Scorecard
    from kaohe.engine.run import Run


def vote_scores(run: Run, sc: Scorecard, group: str) -> dict[str, Decimal]:
    cfg = run.policy.votes
    if cfg is None:
        raise ExprError(f"policy {run.policy.id} has no votes configuration")
    if group not in cfg.groups:
        raise ExprError(f"unknown voter group {group!r} (known: {', '.join(cfg.groups)})")
    members = set(run.members[sc.id])
    ballots: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in run.index.votes:
        if row["group"] != group or row["subject"] not in members:
            continue
        if row["level"] not in cfg.weights:
            raise ExprError(
                f"votes row {row['_row']}: unknown level {row['level']!r} "
                f"(known: {', '.join(cfg.weights)})"
            )
        ballots[row["voter"]].append((row["subject"], row["level"]))
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    counts: dict[str, int] = defaultdict(int)
    for voter, votes in sorted(ballots.items()):
        if cfg.top_level is not None and cfg.top_share_max is not None:
            top = sum(1 for _, level in votes if level == cfg.top_level)
            if Decimal(top) / Decimal(len(votes)) > cfg.top_share_max:
                run.warnings.append(
                    f"选票无效：{cfg.groups[group]} {voter} 的“{cfg.top_level}”为 {top}/{len(votes)}，"
                    f"超过 {cfg.top_share_max * 100:.0f}%（ballot of {voter} in {group} is invalid）"
                )
                continue
        for subject, level in votes:
            sums[subject] += cfg.weights[level]
            counts[subject] += 1
    return {s: sums[s] / counts[s] for s in counts}
