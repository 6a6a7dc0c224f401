"""Grading a pool, then finishing each subject: adjustments, actions, money, trace.

Steps run in the policy's order. A subject barred from a grade is skipped and
the place goes to the next eligible one; a tied group at a quota boundary is
handled by the quota's ``ties`` rule (``fit_whole``: the group gets the grade
only if it fits whole; ``start_inside``: the whole group gets it if it starts
inside the quota).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kaohe.engine.numbers import ZERO, D, round_to, to_int
from kaohe.engine.policy.models import ACTION_NAMES
from kaohe.engine.results import SubjectResult
from kaohe.engine.trace import TraceEntry, fmt

if TYPE_CHECKING:
    from kaohe.engine.policy.models import Pool, Scorecard
    from kaohe.engine.run import Run


def grade_pool(run: Run, sc: Scorecard, pool: Pool) -> dict[str, Any]:
    members = [s for s in run.members[sc.id] if run.pool_of(s) is pool]
    scores = {s: run.exact_score(s) for s in members}
    grades: dict[str, str | None] = {s: None for s in members}
    excluded: set[str] = set()
    not_graded: set[str] = set()
    assigned: set[str] = set()
    quotas: dict[str, int] = {}
    trace = run.grade_trace
    tracing = run.want_trace  # a batch run keeps no trace lines: none are written

    def check(text: object, where: str, extra: dict[str, Any] | None = None) -> Any:
        return run.evaluator(sc, text, f"pool {pool.id}.{where}", extra)

    def counted() -> list[str]:
        live = [s for s in members if s not in excluded]
        if pool.counted is None:
            return live
        holds = check(pool.counted, "counted")
        return [s for s in live if holds(s)]

    def graded_members() -> list[str]:
        return [s for s in members if s not in excluded and s not in not_graded]

    def env_extra() -> dict[str, Any]:
        live = graded_members()
        first = max((scores[s] for s in live), default=None)
        return {"N": Decimal(len(counted())), "first_score": first}

    for step in pool.steps:
        extra = env_extra()
        if step.exclude is not None:
            rule = step.exclude
            holds = check(rule.when, "exclude", extra)
            for s in members:
                if s not in excluded and holds(s):
                    excluded.add(s)
                    grades[s] = rule.grade
                    if tracing:
                        trace[s].append(TraceEntry("exclude", f"不参加评比：{rule.reason}"))
        elif step.not_graded is not None:
            ng = step.not_graded
            holds = check(ng.when, "not_graded", extra)
            for s in graded_members():
                if s not in assigned and holds(s):
                    not_graded.add(s)
                    assigned.add(s)
                    grades[s] = ng.grade
                    if tracing:
                        trace[s].append(TraceEntry("grade", f"{ng.grade}：{ng.reason}"))
        elif step.force is not None:
            fr = step.force
            holds = check(fr.when, "force", extra)
            for s in graded_members():
                if s not in assigned and holds(s):
                    assigned.add(s)
                    grades[s] = fr.grade
                    if tracing:
                        trace[s].append(TraceEntry("grade", f"直接评为{fr.grade}：{fr.reason}"))
        elif step.quota is not None:
            q = step.quota
            n_places = (
                to_int(
                    D(
                        run.evaluate(
                            q.count,
                            members[0] if members else "",
                            f"pool {pool.id}.quota.count",
                            extra,
                        )
                    ),
                    "floor",
                )
                if members
                else 0
            )
            quotas[q.grade] = n_places
            _fill_quota(
                run,
                sc,
                pool,
                q,
                members,
                scores,
                grades,
                assigned,
                not_graded,
                excluded,
                n_places,
                extra,
            )
        elif step.band is not None:
            b = step.band
            minimum = check(b.min_score, "band", extra) if b.min_score is not None else None
            for s in sorted(graded_members(), key=lambda x: scores[x], reverse=True):
                if s in assigned:
                    continue
                if minimum is not None:
                    floor = D(minimum(s))
                    if scores[s] < floor:
                        continue
                assigned.add(s)
                grades[s] = b.grade
                if tracing:
                    bound = (
                        f"（≥ {fmt(D(run.evaluate(b.min_score, s, 'band', extra)))}）"
                        if b.min_score is not None
                        else ""
                    )
                    trace[s].append(
                        TraceEntry("grade", f"{b.grade}：得分 {fmt(scores[s])}{bound}")
                    )
        elif step.move is not None:
            mv = step.move
            holds = check(mv.when, "move", extra)
            for s in graded_members():
                if grades[s] in mv.from_grades and holds(s):
                    if tracing:
                        trace[s].append(
                            TraceEntry("grade", f"{grades[s]} → {mv.to}：{mv.reason}")
                        )
                    grades[s] = mv.to
        elif step.cap is not None:
            cp = step.cap
            order = pool.grades
            holds = check(cp.when, "cap", extra)
            for s in graded_members():
                g = grades[s]
                if g is None or g not in order or cp.max not in order:
                    continue
                if order.index(g) < order.index(cp.max) and holds(s):
                    if tracing:
                        trace[s].append(TraceEntry("cap", f"{g} → {cp.max}：{cp.reason}"))
                    grades[s] = cp.max
        elif step.flag is not None:
            fl = step.flag
            holds = check(fl.when, "flag", extra)
            for s in graded_members():
                if holds(s) and tracing:
                    trace[s].append(TraceEntry("flag", f"提示：{fl.message}"))

    ranked = graded_members()
    from kaohe.engine.run import competition_ranks

    ranks = competition_ranks({s: scores[s] for s in ranked})
    _apply_adjustments(run, pool, members, grades, quotas)
    return {
        "grades": grades,
        "ranks": ranks,
        "ranked": set(ranked),
        "quotas": quotas,
        "excluded": excluded,
    }


def _fill_quota(
    run: Run,
    sc: Scorecard,
    pool: Pool,
    q: Any,
    members: list[str],
    scores: dict[str, Decimal],
    grades: dict[str, str | None],
    assigned: set[str],
    not_graded: set[str],
    excluded: set[str],
    places: int,
    extra: dict[str, Any],
) -> None:
    trace = run.grade_trace
    tracing = run.want_trace
    candidates = sorted(
        (s for s in members if s not in assigned and s not in not_graded and s not in excluded),
        key=lambda s: scores[s],
        reverse=True,
    )
    minimum = (
        run.evaluator(sc, q.min_score, f"pool {pool.id}.quota.min_score", extra)
        if q.min_score is not None
        else None
    )
    vetoes = [
        (v.reason, run.evaluator(sc, v.when, f"pool {pool.id}.quota.veto", extra))
        for v in q.vetoes
    ]
    eligible: list[str] = []
    for s in candidates:
        if minimum is not None:
            floor = D(minimum(s))
            if scores[s] < floor:
                continue
        barred = [reason for reason, holds in vetoes if holds(s)]
        if barred:
            if tracing:
                trace[s].append(TraceEntry("veto", f"不得评为{q.grade}：{'；'.join(barred)}"))
            continue
        eligible.append(s)
    left = places
    taken: list[str] = []
    i = 0
    while i < len(eligible) and left > 0:
        # the candidates are in score order: a tied group is the run of equal scores from i
        end = i + 1
        while end < len(eligible) and scores[eligible[end]] == scores[eligible[i]]:
            end += 1
        group = eligible[i:end]
        if len(group) <= left or q.ties == "start_inside":
            for s in group:
                taken.append(s)
            left -= len(group)
            i += len(group)
            continue
        for s in group if tracing else ():
            trace[s].append(
                TraceEntry(
                    "quota",
                    f"{q.grade}名额剩 {left} 个，并列 {len(group)} 人"
                    f"（{fmt(scores[s])} 分）无法全部容纳，名额空缺",
                )
            )
        break
    for s in taken:
        grades[s] = q.grade
        assigned.add(s)
        if not tracing:
            continue
        trace[s].append(
            TraceEntry(
                "quota",
                f"{q.grade}：名额 {places} 个（{q.count}，N = "
                f"{fmt(extra['N'])}），按得分 {fmt(scores[s])} 取得",
            )
        )


def _apply_adjustments(
    run: Run, pool: Pool, members: list[str], grades: dict[str, str | None], quotas: dict[str, int]
) -> None:
    rows = [r for s in members for r in run.index.adjustments.get(s, [])]
    for row in rows:
        s = row["subject"]
        old = grades[s]
        grades[s] = row["grade"]
        run.grade_trace[s].append(
            TraceEntry(
                "adjustment",
                f"领导小组调整：{old or '无等次'} → {row['grade']}；理由：{row['reason']}",
            )
        )
    if rows:
        for grade, places in quotas.items():
            used = sum(1 for g in grades.values() if g == grade)
            if used > places:
                run.warnings.append(
                    f"{pool.name}：{grade} {used} 人，超过名额 {places} 个"
                    f"（quota of {grade} exceeded after adjustments）"
                )


def finish_subject(run: Run, subject: str, with_trace: bool = True) -> SubjectResult:
    sc = run.scorecard_of[subject]
    exact = run.exact_score(subject)
    places = run.policy.reporting.places
    mode = run.policy.reporting.mode
    reported = round_to(exact, places, mode)
    trace: list[TraceEntry] = []
    dims: dict[str, Decimal] = {}
    for dim in sc.dimensions:
        value = run.dim_value(subject, dim.code)
        dims[dim.code] = round_to(value, places, mode)
        entries = []
        for e in run.dim_trace.get((subject, dim.code), []):
            if e.kind == "records":
                if with_trace:
                    entries.extend(run.record_entries(subject, dim.code))
            else:
                entries.append(e)
        if dim.in_total and sc.score is None:
            trace.extend(entries)
        else:
            trace.extend(
                TraceEntry(e.kind, e.text, None, e.dimension, e.item, e.date, e.count, e.row)
                for e in entries
            )
    trace.extend(run.score_trace.get(subject, []))
    if reported != exact:
        trace.append(
            TraceEntry(
                "rounding",
                f"四舍五入保留 {places} 位小数：{fmt(exact)} → {fmt(reported)}",
                reported - exact,
            )
        )
    grade = run.grade_of(subject)
    rank = run.rank_of(subject)
    trace.extend(run.grade_trace.get(subject, []))
    pool = run.pool_of(subject)
    result = SubjectResult(
        subject,
        sc.id,
        reported,
        exact,
        rank,
        grade,
        pool=pool.id if pool else None,
        dimensions=dims,
        trace=trace,
    )
    for rule in sc.actions:
        if rule.target == "subject" and run.evaluate(
            rule.when, subject, f"scorecard {sc.id}.actions"
        ):
            if rule.action not in result.actions:
                result.actions.append(rule.action)
            trace.append(TraceEntry("action", f"{ACTION_NAMES[rule.action]}：{rule.reason}"))
    for action, reason in _major_actions(run, subject):
        if action not in result.actions:
            result.actions.append(action)
        trace.append(TraceEntry("action", f"{ACTION_NAMES[action]}：{reason}"))
    for action, text in _chief_rep_actions(run).get(subject, []):
        if action not in result.actions:
            result.actions.append(action)
        trace.append(TraceEntry("action", text))
    if sc.bonus is not None:
        result.bonus = _bonus(run, subject, sc, trace)
    return result


def _major_actions(run: Run, subject: str) -> list[tuple[str, str]]:
    """Actions an aggravated record carries by itself (罗山: 情况严重者退回单位)."""
    out: list[tuple[str, str]] = []
    if not any(i.major is not None and i.major.actions for i in run.policy.items):
        return out
    start, end = run.period.start, run.period.end
    for r in run.subject_records(subject):
        if not r["major"] or r["exempt"] or not start <= r["date"] <= end or not r["item"]:
            continue
        item = run.policy.item(r["item"])
        if item is not None and item.major is not None:
            out.extend((a, f"{item.code} {item.name}（情节严重）") for a in item.major.actions)
    return out


def _chief_rep_actions(run: Run) -> dict[str, list[tuple[str, str]]]:
    """Actions that rules on other subjects give a chief rep (约谈 of the 首席代表), once per run."""

    def compute() -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for sc in run.scorecards:
            for rule in sc.actions:
                if rule.target != "chief_rep":
                    continue
                hits = run.holds(sc, rule.when, f"scorecard {sc.id}.actions")
                for other in hits:
                    for chief in _chief_reps(run, other):
                        text = f"{ACTION_NAMES[rule.action]}：{rule.reason}（{other}）"
                        out.setdefault(chief, []).append((rule.action, text))
        return out

    table: dict[str, list[tuple[str, str]]] = run._memoised(("__run__", "chief_actions"), compute)
    return table


def _chief_reps(run: Run, subject: str) -> list[str]:
    person = run.org.people.get(subject)
    window = subject if subject in run.org.windows else (person.window if person else None)
    if window is None:
        return []
    return run.index.chief_reps.get(window, [])




def _bonus(run: Run, subject: str, sc: Scorecard, trace: list[TraceEntry]) -> Decimal | None:
    rule = sc.bonus
    assert rule is not None
    if rule.when is not None and not run.evaluate(
        rule.when, subject, f"scorecard {sc.id}.bonus.when"
    ):
        return None
    gross = D(run.evaluate(rule.gross, subject, f"scorecard {sc.id}.bonus.gross"))
    trace.append(TraceEntry("money", f"应发 {rule.gross} = {fmt(gross)} 元"))
    total = ZERO
    for line in rule.deductions:
        amount = D(
            run.evaluate(
                line.amount, subject, f"scorecard {sc.id}.bonus.deductions", {"gross": gross}
            )
        )
        if amount:
            trace.append(TraceEntry("money", f"扣除 {line.label}：{fmt(amount)} 元"))
            total += amount
    net = gross - total
    if rule.floor is not None and net < rule.floor:
        trace.append(TraceEntry("money", f"扣至 {fmt(rule.floor)} 元为止（{fmt(net)}）"))
        net = rule.floor
    trace.append(TraceEntry("money", f"实发 {fmt(net)} 元"))
    return net
