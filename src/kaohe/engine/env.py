"""The variables and functions a policy expression sees for one subject.

The catalogue is documented in docs/policy-language.md; each function answers
one question a regulation asks about a subject ("how many 事假 days this
year?", "what is his window's business score?") from the run's facts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kaohe.engine.expr import ExprError
from kaohe.engine.numbers import ZERO, D
from kaohe.engine.periods import Period, PeriodKind

# whose records a counter (count, count_dim, has_flag) adds to the subject's own
OF_HELP = "'self', 'self_and_staff' (a window with its staff) or 'self_and_window' (a person with his window)"

if TYPE_CHECKING:
    from kaohe.engine.run import Run


class SubjectEnv:
    def __init__(self, run: Run, subject: str, extra: dict[str, Any]) -> None:
        self.run = run
        self.subject = subject
        self.extra = extra

    # ------------------------------------------------------------ variables

    def variable(self, name: str) -> Any:
        if name in self.extra:
            return self.extra[name]
        getter = _VARIABLES.get(name)
        if getter is None:
            raise ExprError(f"unknown name {name!r}")
        return getter(self)

    def function(self, name: str) -> Callable[..., Any] | None:
        method = _FUNCTIONS.get(name)
        if method is None:
            return None
        return lambda *a, **k: method(self, *a, **k)

    # ---------------------------------------------------------- basic facts

    @property
    def person(self) -> Any:
        return self.run.org.people.get(self.subject)

    def _window_id(self) -> str | None:
        if self.subject in self.run.org.windows:
            return self.subject
        p = self.person
        return p.window if p else None

    def _staff(self) -> list[str]:
        window = self._window_id()
        if window is None:
            return []
        cache = self.run.cache.setdefault("__staff_in_period__", {})
        key = (str(self.run.period), window)
        staff: list[str] | None = cache.get(key)
        if staff is None:
            staff = [p for p in self.run.index.staff.get(window, []) if self.run.workdays_of(p)]
            cache[key] = staff
        return staff

    def _records(self, scope: str, of: str) -> list[dict[str, Any]]:
        start, end = self.run.scope_bounds(scope)
        subjects = [self.subject, *self._others(of)]
        rows: list[dict[str, Any]] = []
        for s in subjects:
            rows.extend(r for r in self.run.subject_records(s) if start <= r["date"] <= end)
        return rows

    def _others(self, of: str) -> list[str]:
        """Whose records count with the subject's: his window's staff, or a person's window."""
        if of == "self":
            return []
        if of == "self_and_staff":
            return self._staff()
        if of == "self_and_window":
            window = self._window_id()
            return [window] if window is not None and window != self.subject else []
        raise ExprError(f"unknown of={of!r}: use {OF_HELP}")

    def _leave_rows(self) -> list[dict[str, Any]]:
        return self.run.index.leave.get(self.subject, [])

    def _attendance_rows(self) -> list[dict[str, Any]]:
        months = {str(m) for m in self.run.period.subperiods(PeriodKind.MONTH)}
        default_month = str(self.run.period) if self.run.period.kind is PeriodKind.MONTH else None
        out = []
        covered: set[str] = set()
        for r in self.run.index.attendance.get(self.subject, []):
            month = r.get("month") or default_month
            if month is not None and str(Period.parse(month)) in months:
                out.append(r)
                covered.add(str(Period.parse(month)))
        for r in self.run.punch_attendance_rows(self.subject):
            if r["month"] in months and r["month"] not in covered:
                out.append(r)
        return out


def _count_leave(env: SubjectEnv, types: tuple[str, ...], scope: str, approved: bool) -> Decimal:
    run = env.run
    start, end = run.scope_bounds(scope)
    wanted = set(types) if types else set(run.policy.counted_as_leave)
    total = ZERO
    for row in env._leave_rows():
        if row["type"] not in wanted or bool(row.get("approved", True)) != approved:
            continue
        days = run._leave_rows_days(row, start, end)
        given = row.get("days")
        if given is not None and row.get("start") is None:
            total += _partial(run, D(given))
            continue
        if given is not None and days:
            total += min(_partial(run, D(given)), Decimal(len(days)))
        else:
            total += len(days)
    return total


def _partial(run: Run, days: Decimal) -> Decimal:
    if run.policy.partial_leave_day == "whole":
        return Decimal(int(days.to_integral_value(rounding="ROUND_CEILING")))
    return days


# ---------------------------------------------------------------- variables


def _score(env: SubjectEnv) -> Any:
    return env.run.exact_score(env.subject)


def _grade(env: SubjectEnv) -> Any:
    return env.run.grade_of(env.subject)


def _rank(env: SubjectEnv) -> Any:
    r = env.run.rank_of(env.subject)
    return None if r is None else Decimal(r)


def _type(env: SubjectEnv) -> str:
    return "window" if env.subject in env.run.org.windows else "person"


def _role(env: SubjectEnv) -> Any:
    p = env.person
    return p.role if p else None


def _employment(env: SubjectEnv) -> Any:
    p = env.person
    return p.employment if p else None


def _workdays(env: SubjectEnv) -> Decimal:
    return Decimal(len(env.run.workdays_of(env.subject)))


def _period_workdays(env: SubjectEnv) -> Decimal:
    run = env.run
    return Decimal(run.calendar.count(run.period.start, run.period.end))


def _present_days(env: SubjectEnv) -> Any:
    return fn_attendance(env, "present_days")


def _attendance_rate(env: SubjectEnv) -> Any:
    present = fn_attendance(env, "present_days")
    if present is None:
        return None
    workdays = fn_attendance(env, "workdays") or _workdays(env)
    if not workdays:
        return None
    return present / workdays


def _months_in_post(env: SubjectEnv) -> Decimal:
    months = 0
    for m in env.run.period.subperiods(PeriodKind.MONTH):
        if env.run.workdays_of(env.subject, m.start, m.end):
            months += 1
    return Decimal(months)


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (01-31 + 1 → 02-29)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _whole_months_in_post(env: SubjectEnv) -> Decimal:
    """Whole months elapsed in post within the period, counted from the start date
    (luoshan Amb. 19): joined 07-01 → 6 by 12-31; joined 07-02 → 5."""
    period, p = env.run.period, env.person
    start = max(period.start, p.joined) if p is not None and p.joined else period.start
    end = min(period.end, p.left) if p is not None and p.left else period.end
    months = 0
    while _add_months(start, months + 1) - timedelta(days=1) <= end:
        months += 1
    return Decimal(months)


def _in_post_at_end(env: SubjectEnv) -> bool:
    p = env.person
    end = env.run.period.end
    return p is None or (
        (p.left is None or p.left >= end) and (p.joined is None or p.joined <= end)
    )


_VARIABLES: dict[str, Callable[[SubjectEnv], Any]] = {
    "score": _score,
    "grade": _grade,
    "rank": _rank,
    "type": _type,
    "role": _role,
    "kind": lambda env: env.run.kind_of(env.subject),
    "employment": _employment,
    "workdays": _workdays,
    "period_workdays": _period_workdays,
    "present_days": _present_days,
    "attendance_rate": _attendance_rate,
    "months_in_post": _months_in_post,
    "whole_months_in_post": _whole_months_in_post,
    "in_post_at_end": _in_post_at_end,
    "period_kind": lambda env: str(env.run.period.kind),  # type: ignore[has-type,unused-ignore]
}

# ---------------------------------------------------------------- functions


def fn_dim(env: SubjectEnv, code: str) -> Decimal:
    return env.run.dim_value(env.subject, code)


def fn_deducted(env: SubjectEnv, code: str) -> Decimal:
    return env.run.deducted(env.subject, code)


def fn_points(env: SubjectEnv, *codes: str) -> Decimal:
    total = ZERO
    for c in env.run.contributions().get(env.subject, []):
        if (
            c["item"] in codes
            or (c["item"] is None and c["dimension"] in codes)
            or (c["dimension"] in codes)
        ):
            total += c["magnitude"]
    return total


def fn_count(
    env: SubjectEnv,
    *codes: str,
    scope: str = "period",
    major: Any = None,
    exempt: Any = None,
    include_deducted: bool = True,
    of: str = "self",
) -> Decimal:
    total = 0
    for r in env._records(scope, of):
        if r["item"] not in codes:
            continue
        if major is not None and bool(r["major"]) != bool(major):
            continue
        if exempt is not None and bool(r["exempt"]) != bool(exempt):
            continue
        if not include_deducted and r["already_deducted"]:
            continue
        total += int(r["count"] or 1)
    return Decimal(total)


def fn_count_dim(env: SubjectEnv, code: str, scope: str = "period", of: str = "self") -> Decimal:
    total = 0
    for r in env._records(scope, of):
        if r["dimension"] == code and not r["exempt"]:
            total += int(r["count"] or 1)
    return Decimal(total)


def fn_has_flag(
    env: SubjectEnv, name: str, scope: str = "period", of: str = "self", exempt: bool = False
) -> bool:
    """Whether a record carrying the flag exists; exempt (主动报告) records do not count
    unless ``exempt=true`` asks for them too."""
    policy = env.run.policy
    for r in env._records(scope, of):
        item = policy.item(r["item"]) if r["item"] else None
        if item is None or (r["exempt"] and not exempt):
            continue
        if name in item.flags:
            return True
        if r["major"] and item.major is not None and name in item.major.flags:
            return True
    return False


def fn_leave_days(
    env: SubjectEnv, *types: str, scope: str = "period", approved: bool = True
) -> Decimal:
    return _count_leave(env, types, scope, approved)


def fn_absent_days(
    env: SubjectEnv, *types: str, scope: str = "period", substitute: bool = True
) -> Decimal:
    run = env.run
    start, end = run.scope_bounds(scope)
    wanted = set(types) if types else set(run.policy.counted_as_leave)
    days: set[date] = set()
    undated = ZERO  # rows giving only `days` cannot be placed: counted as given
    for row in env._leave_rows():
        approved = bool(row.get("approved", True))
        if row["type"] in wanted or not approved:
            if row.get("start") is None and row.get("days") is not None:
                undated += _partial(run, D(row["days"]))
            days.update(run._leave_rows_days(row, start, end))
    if substitute:
        for sid in run.index.substitutes.get(env.subject, []):
            p = run.org.people[sid]
            lo = max(start, p.joined) if p.joined else start
            hi = min(end, p.left) if p.left else end
            if lo <= hi:
                days.update(run.calendar.workdays(lo, hi))
    return Decimal(len(days)) + undated


def fn_attendance(env: SubjectEnv, field: str) -> Any:
    rows = env._attendance_rows()
    values = [D(r[field]) for r in rows if r.get(field) is not None]
    if values:
        return sum(values, ZERO)
    schedule = env.run.policy.schedule
    if schedule is not None and field in ("expected_signins", "missed_signins") and env.person:
        if field == "missed_signins":
            return ZERO
        # approved leave and duty days the schedule excuses are not 应出勤 (guangde R8)
        leave = _count_leave(env, tuple(schedule.excused), "period", True)
        return Decimal(len(schedule.signins)) * (_workdays(env) - leave)
    return None


def fn_staff_attendance(env: SubjectEnv, field: str) -> Decimal:
    total = ZERO
    for s in env._staff():
        v = fn_attendance(SubjectEnv(env.run, s, {}), field)
        if v is not None:
            total += v
    return total


def fn_has_attendance(env: SubjectEnv) -> bool:
    """Whether the subject has attendance rows (table or punches) this period."""
    return bool(env._attendance_rows())


def fn_measure(env: SubjectEnv, name: str) -> Any:
    """A policy's named per-subject measure (``measures:``), e.g. a person's missed sign-ins."""
    text = env.run.policy.measures.get(name)
    if text is None:
        raise ExprError(f"unknown measure {name!r} (known: {', '.join(env.run.policy.measures)})")
    key = (env.subject, "measure:" + name)
    return env.run._memoised(key, lambda: env.run.evaluate(text, env.subject, f"measures.{name}"))


def fn_staff_sum(env: SubjectEnv, name: str) -> Decimal:
    """Σ of a named measure over the window's staff."""
    total = ZERO
    for s in env._staff():
        value = fn_measure(SubjectEnv(env.run, s, {}), name)
        if value is not None:
            total += D(value)
    return total


def fn_staff_count(env: SubjectEnv) -> Decimal:
    return Decimal(len(env._staff()))


def fn_staff_deducted(env: SubjectEnv, code: str) -> list[Decimal]:
    out = []
    for s in env._staff():
        if env.run.has_dimension(s, code):
            out.append(env.run.deducted(s, code))
    return out


def fn_staff_mean_score(env: SubjectEnv, weight: str = "workdays") -> Any:
    total = ZERO
    weights = ZERO
    for s in env._staff():
        score = env.run.score_of(s)
        if score is None:
            continue
        w = Decimal(len(env.run.workdays_of(s))) if weight == "workdays" else Decimal(1)
        total += score * w
        weights += w
    return None if weights == 0 else total / weights


def fn_window_dim(env: SubjectEnv, code: str) -> Decimal:
    window = env._window_id()
    if window is None:
        raise ExprError(f"{env.subject} has no window")
    return env.run.dim_value(window, code)


def fn_window_score(env: SubjectEnv) -> Any:
    window = env._window_id()
    return None if window is None else env.run.score_of(window)


def _rep_windows(env: SubjectEnv) -> list[str]:
    p = env.person
    if p is None:
        return []
    return [w for w in env.run.org.chief_rep_windows(p) if w in env.run.scorecard_of]


def fn_window_scores(env: SubjectEnv) -> list[Decimal]:
    return [env.run.exact_score(w) for w in _rep_windows(env)]


def fn_window_grades(env: SubjectEnv) -> list[Any]:
    return [env.run.grade_of(w) for w in _rep_windows(env)]


def fn_unit_window_grades(env: SubjectEnv) -> list[Any]:
    """Grades of every window of the subject's unit (揭东 第十条: 所属单位有服务窗口…)."""
    run = env.run
    unit = run.org.unit_of(env.subject)
    if unit is None:
        return []
    return [
        run.grade_of(w.id)
        for w in run.org.windows.values()
        if w.unit == unit and w.id in run.scorecard_of
    ]


def fn_external(env: SubjectEnv, source: str) -> Any:
    values = [
        D(r["value"])
        for r in env.run.index.scores.get((source, env.subject), [])
        if r.get("value") is not None
    ]
    return sum(values, ZERO) if values else None


def fn_external_rank(env: SubjectEnv, source: str) -> Any:
    r = env.run.external_rank(env.subject, source)
    return None if r is None else Decimal(r)


def fn_vote_score(env: SubjectEnv, group: str) -> Any:
    from kaohe.engine.votes import vote_scores

    table = env.run._memoised(
        (env.run.scorecard_of[env.subject].id, "votes:" + group),
        lambda: vote_scores(env.run, env.run.scorecard_of[env.subject], group),
    )
    return table.get(env.subject)


def fn_sub_scores(env: SubjectEnv, kind: str, graded_only: bool = False) -> list[Decimal]:
    return [s for _, s, _ in _sub_results(env, kind, graded_only)]


def fn_sub_grades(env: SubjectEnv, kind: str) -> list[Any]:
    run = env.run
    results = {p: g for p, _, g in _sub_results(env, kind, False)}
    return [results.get(str(p)) for p in run.period.subperiods(PeriodKind(kind))]


def _sub_results(env: SubjectEnv, kind: str, graded_only: bool) -> list[tuple[str, Decimal, Any]]:
    run = env.run
    pk = PeriodKind(kind)
    given = []
    for r in run.index.period_scores.get(env.subject, []):
        try:
            p = Period.parse(r["period"])
        except ValueError:
            raise ExprError(f"period_scores: bad period {r['period']!r}") from None
        if p.kind is pk and run.period.start <= p.start and p.end <= run.period.end:
            given.append((str(p), D(r["score"]), r.get("grade")))
    if given:
        if graded_only:
            ungraded = _ungraded_labels(run, pk)
            given = [g for g in given if g[2] not in ungraded]
        return sorted(given)
    out = []
    for p in run.period.subperiods(pk):
        sub = run.sub_run(p)
        if env.subject not in sub.scorecard_of:
            continue
        if graded_only and not sub.graded(env.subject):
            continue
        out.append((str(p), sub.exact_score(env.subject), sub.grade_of(env.subject)))
    return out


def _ungraded_labels(run: Run, kind: PeriodKind) -> set[str]:
    """Grades that mean "not graded" in the sub-period's pools (不列入评比, excluded labels)."""
    labels: set[str] = set()
    for sc in run.policy.scorecards:
        if sc.period != kind:
            continue
        for pool in sc.pools:
            for step in pool.steps:
                if step.not_graded is not None:
                    labels.add(step.not_graded.grade)
                if step.exclude is not None and step.exclude.grade:
                    labels.add(step.exclude.grade)
    return labels


def fn_streak(env: SubjectEnv, grade: str, since_promotion: bool = True) -> Decimal:
    run = env.run
    history = {int(r["year"]): r for r in run.index.history.get(env.subject, [])}
    if run.grade_of(env.subject) != grade:
        return ZERO
    n = 1
    year = run.period.year - 1
    while year in history:
        row = history[year]
        if since_promotion and row.get("promoted"):
            break
        if row["grade"] != grade:
            break
        n += 1
        year -= 1
    return Decimal(n)


def fn_context(env: SubjectEnv, name: str) -> Any:
    if name not in env.run.context:
        raise ExprError(f"unknown context fact {name!r}")
    return env.run.context[name]


def fn_ratings(
    env: SubjectEnv,
    max_stars: int | Decimal = 2,
    verified: bool = True,
    include_deducted: bool = True,
    scope: str = "period",
) -> Decimal:
    start, end = env.run.scope_bounds(scope)
    n = 0
    for r in env.run.index.ratings.get(env.subject, []):
        if not start <= r["date"] <= end or r["stars"] > int(max_stars):
            continue
        if verified and not r.get("verified"):
            continue
        if not include_deducted and r.get("already_deducted"):
            continue
        n += 1
    return Decimal(n)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "dim": fn_dim,
    "deducted": fn_deducted,
    "points": fn_points,
    "count": fn_count,
    "count_dim": fn_count_dim,
    "has_flag": fn_has_flag,
    "leave_days": fn_leave_days,
    "absent_days": fn_absent_days,
    "attendance": fn_attendance,
    "staff_attendance": fn_staff_attendance,
    "staff_count": fn_staff_count,
    "staff_sum": fn_staff_sum,
    "measure": fn_measure,
    "has_attendance": fn_has_attendance,
    "staff_deducted": fn_staff_deducted,
    "staff_mean_score": fn_staff_mean_score,
    "window_dim": fn_window_dim,
    "window_score": fn_window_score,
    "window_scores": fn_window_scores,
    "window_grades": fn_window_grades,
    "unit_window_grades": fn_unit_window_grades,
    "external": fn_external,
    "external_rank": fn_external_rank,
    "vote_score": fn_vote_score,
    "sub_scores": fn_sub_scores,
    "sub_grades": fn_sub_grades,
    "streak": fn_streak,
    "context": fn_context,
    "ratings": fn_ratings,
}

KNOWN_NAMES = frozenset(_VARIABLES) | frozenset(_FUNCTIONS)
