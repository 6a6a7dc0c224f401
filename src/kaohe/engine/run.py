"""One run: a policy applied to a period's organisation and facts.

Values are computed lazily and memoised — a dimension, a score, a pool's
grades — because regulations reference each other across subjects: a window's
discipline is the average of its staff's, a chief rep's score is the mean of
his windows', a person's guangde score is rebuilt from his window's. Asking
for a value computes exactly what it depends on; a genuine cycle in a policy
is reported instead of recursing forever.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from kaohe.engine.attendance import (
    AttendanceResult,
    LeaveSpan,
    derive_attendance,
    to_attendance_rows,
    to_records,
)
from kaohe.engine.contributions import CONTRIB_SCHEMA, monthly_counts, prepare_records, resolve
from kaohe.engine.expr import ExprError, compile_expr
from kaohe.engine.index import FactIndex
from kaohe.engine.inputs import DEC, Facts, InputError, Org, Person
from kaohe.engine.numbers import ZERO, D, round_to
from kaohe.engine.periods import Period, PeriodKind, scope_span
from kaohe.engine.policy.models import Dimension, Policy, Pool, Scorecard
from kaohe.engine.results import RunResult, SubjectResult
from kaohe.engine.trace import TraceEntry, fmt
from kaohe.engine.workdays import DEFAULT_CALENDAR, UnknownYearError, WorkCalendar


class PolicyRunError(ValueError):
    """A policy that cannot be applied to these facts (a formula fails, a cycle)."""


_EXPR_CACHE: dict[str, Any] = {}


def expr(text: object) -> Any:
    key = str(text)
    compiled = _EXPR_CACHE.get(key)
    if compiled is None:
        compiled = compile_expr(text)  # type: ignore[arg-type]
        _EXPR_CACHE[key] = compiled
    return compiled


class Run:
    def __init__(
        self,
        policy: Policy,
        period: Period,
        org: Org,
        facts: Facts,
        context: dict[str, Any] | None = None,
        calendar: WorkCalendar | None = None,
        _cache: dict[str, Any] | None = None,
    ) -> None:
        self.policy = policy
        self.period = period
        self.org = org
        self.facts = facts
        self.context = self._context(context or {})
        self.calendar = calendar or DEFAULT_CALENDAR
        self.cache = _cache if _cache is not None else {}
        self.cache[str(period)] = self
        self.cache.setdefault("__top_period__", period)  # the case's own period (sub-runs share it)
        self.warnings: list[str] = []
        self.scorecards = [sc for sc in policy.scorecards if sc.period == period.kind]
        if not self.scorecards and _cache is None:  # a sub-period may have nothing to score
            kinds = sorted({str(sc.period) for sc in policy.scorecards})
            raise PolicyRunError(
                f"policy {policy.id} scores no {period.kind} periods ({period}); "
                f"it scores: {', '.join(kinds)}"
            )
        if period.end < policy.effective_from:
            self.warnings.append(
                f"{period} 早于 {policy.id} 的施行日期 {policy.effective_from}"
                f"（the policy was not yet in force）"
            )
        if policy.effective_to is not None and period.start > policy.effective_to:
            self.warnings.append(
                f"{period} 晚于 {policy.id} 的失效日期 {policy.effective_to}（the policy had expired）"
            )
        self.scorecard_of: dict[str, Scorecard] = {}
        self.members: dict[str, list[str]] = {sc.id: [] for sc in self.scorecards}
        self._memo: dict[tuple[str, str], Any] = {}
        self._busy: set[tuple[str, str]] = set()
        self.dim_trace: dict[tuple[str, str], list[TraceEntry]] = {}
        self.score_trace: dict[str, list[TraceEntry]] = defaultdict(list)
        self.grade_trace: dict[str, list[TraceEntry]] = defaultdict(list)
        self._pool_outcomes: dict[str, dict[str, Any]] = {}
        self._records_all: pl.DataFrame | None = None
        self._contrib_frame: pl.DataFrame | None = None
        self._contribs: dict[str, list[dict[str, Any]]] | None = None
        self._sums: dict[tuple[str, str], dict[str | None, list[Decimal]]] | None = None
        self.want_trace = True
        index = self.cache.get("__index__")
        if index is None:
            index = FactIndex.build(org, facts)
            self.cache["__index__"] = index
        self.index: FactIndex = index
        self._assign_members()

    # ------------------------------------------------------------------ setup

    def _context(self, given: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, declared in self.policy.context.items():
            out[key] = declared.default
        for key, value in given.items():
            if self.policy.context and key not in self.policy.context:
                raise InputError(
                    "context",
                    None,
                    key,
                    f"unknown context fact for policy {self.policy.id} "
                    f"(known: {', '.join(self.policy.context)})",
                )
            var = self.policy.context.get(key)
            if var is not None and var.type == "number" and value is not None:
                try:
                    value = D(value)
                except (TypeError, ValueError):
                    raise InputError("context", None, key, f"not a number: {value!r}") from None
            out[key] = value
        return out

    def _assign_members(self) -> None:
        """Each subject in post goes to the first scorecard whose filter it passes.

        The same tests as :meth:`_matches`, with the scorecards of the subject's
        type picked once and its kind looked up at most once: a province has
        tens of thousands of people.
        """
        start, end = self.period.start, self.period.end
        cards = {
            typ: [sc for sc in self.scorecards if sc.subjects.type == typ]
            for typ in ("person", "window")
        }
        members, scorecard_of = self.members, self.scorecard_of
        kinds = {k: w.kind for k, w in self.org.windows.items()}  # what kind_of looks up
        person_cards = [
            (sc, f.roles, f.employment, f.kinds, f.where, members[sc.id])
            for sc in cards["person"]
            for f in (sc.subjects,)
        ]
        for p in self.org.people.values() if person_cards else ():
            if p.substitutes_for or not (
                (p.joined is None and p.left is None) or p.in_post(start, end)
            ):
                continue
            for sc, roles, employment, in_kinds, where, into in person_cards:
                if roles is not None and p.role not in roles:
                    continue
                if employment is not None and p.employment not in employment:
                    continue
                if in_kinds is not None:
                    if p.id in kinds:
                        kind: str | None = kinds[p.id]
                    else:
                        kind = kinds.get(p.window) if p.window else None
                    if kind not in in_kinds:
                        continue
                if where is not None and not self.evaluate(where, p.id, "subjects.where"):
                    continue
                scorecard_of[p.id] = sc
                into.append(p.id)
                break
        for w in self.org.windows:
            for sc in cards["window"]:
                if self._matches(sc, w, "window"):
                    scorecard_of[w] = sc
                    members[sc.id].append(w)
                    break

    def _matches(self, sc: Scorecard, subject: str, typ: str) -> bool:
        f = sc.subjects
        if f.type != typ:
            return False
        if typ == "person":
            person = self.org.people[subject]
            if f.roles is not None and person.role not in f.roles:
                return False
            if f.employment is not None and person.employment not in f.employment:
                return False
            if f.kinds is not None and self.kind_of(subject) not in f.kinds:
                return False
        elif f.kinds is not None and self.org.windows[subject].kind not in f.kinds:
            return False
        if f.where is not None:
            return bool(self.evaluate(f.where, subject, "subjects.where"))
        return True

    def kind_of(self, subject: str) -> str | None:
        if subject in self.org.windows:
            return self.org.windows[subject].kind
        person = self.org.people.get(subject)
        if person and person.window and person.window in self.org.windows:
            return self.org.windows[person.window].kind
        return None

    # --------------------------------------------------------------- facts

    def records_all(self) -> pl.DataFrame:
        """Every record (given and derived), validated once and shared with sub-runs."""
        if self._records_all is None:
            cached = self.cache.get("__records__")
            if cached is None:
                given = self.facts["records"]
                derived = self._derived_records()
                frame = (
                    pl.concat([given, derived], how="diagonal_relaxed") if derived.height else given
                )
                cached = prepare_records(self.policy, self.org, frame)
                self.cache["__records__"] = cached
            self._records_all = cached
        return self._records_all

    def _derived_records(self) -> pl.DataFrame:
        rows: list[dict[str, Any]] = []
        rules = self.policy.derive
        unapproved = any(not r.approved or r.type == "unapproved" for r in rules.leave)
        summarised = self._summarised_months() if unapproved else set()
        if rules.leave:
            for leave in self.facts.rows("leave"):
                for leave_rule in rules.leave:
                    approved = bool(leave.get("approved", True))
                    matches = (
                        leave_rule.type == leave["type"] and approved == leave_rule.approved
                    ) or (leave_rule.type == "unapproved" and not approved)
                    if not matches:
                        continue
                    days = self._leave_rows_days(leave, None, None)
                    shares = self._leave_shares(leave, days) if days else self._undated_leave(leave)
                    if not shares:
                        continue
                    for day, share in shares:
                        if (
                            not approved
                            and (str(leave["person"]), f"{day:%Y-%m}") in summarised
                        ):
                            continue  # the summary's 旷工 already counts this day
                        rows.append(
                            {
                                "_row": leave["_row"],
                                "date": day,
                                "subject": leave["person"],
                                "item": leave_rule.item,
                                "count": 1,
                                "note": f"{leave['type']} {leave.get('start')}–{leave.get('end')}",
                                "major": False,
                                "exempt": False,
                                "already_deducted": False,
                                "_scale": share,
                            }
                        )
                    break
        rows.extend(self._punch_records())
        schema = {**self.facts["records"].schema, "_scale": DEC}
        frames = [f for f in self._rating_records() if f.height] if rules.ratings else []
        if rows:
            frames.append(pl.DataFrame(rows, schema={k: schema[k] for k in schema if k in rows[0]}))
        if not frames:
            return self.facts["records"].clear()
        return pl.concat(
            [f.select([pl.col(c).cast(schema[c]) for c in f.columns]) for f in frames],
            how="diagonal_relaxed",
        )

    def _undated_leave(self, leave: dict[str, Any]) -> list[tuple[date, Decimal]]:
        """A row giving only ``days`` (no start, cases.md: "start, end … or days") is charged
        as that many days, dated on the first day of the case's period."""
        given = leave.get("days")
        if given is None or leave.get("start") is not None:
            return []
        share = D(given)
        if self.policy.partial_leave_day == "whole":
            share = Decimal(int(share.to_integral_value(rounding="ROUND_CEILING")))
        top: Period = self.cache.get("__top_period__", self.period)
        return [(top.start, share)] if share > 0 else []

    def _leave_shares(self, leave: dict[str, Any], days: list[date]) -> list[tuple[date, Decimal]]:
        """Each working day of a leave row with the share of a day it takes.

        A row giving ``days`` (half a day: 0.5) takes whole days first and the
        remainder on the last one; a policy that counts part days as whole days
        (``partial_leave_day: whole``) charges the whole day.
        """
        given = leave.get("days")
        if given is None:
            return [(d, Decimal(1)) for d in days]
        remaining = D(given)
        if self.policy.partial_leave_day == "whole":
            remaining = Decimal(int(remaining.to_integral_value(rounding="ROUND_CEILING")))
        out = []
        for d in days:
            if remaining <= 0:
                break
            share = min(Decimal(1), remaining)
            out.append((d, share))
            remaining -= share
        return out

    def _rating_records(self) -> list[pl.DataFrame]:
        """好差评 rows the policy turns into records (a verified 差评 → business.14 …).

        A rule's condition only reads a rating's stars and flags, so it is decided
        once per distinct combination and applied to all ratings at once.
        """
        ratings = self.facts["ratings"]
        if ratings.height == 0:
            return []
        keys = ["stars", "verified", "default", "already_deducted"]
        combos = ratings.select(keys).unique()
        out: list[pl.DataFrame] = []
        for rule in self.policy.derive.ratings:
            chosen = []
            for stars, verified, default, deducted in combos.iter_rows():
                env_vars = {
                    "stars": D(stars),
                    "verified": bool(verified),
                    "default": bool(default),
                    "already_deducted": bool(deducted),
                }
                if expr(rule.when)(_Vars(env_vars)):
                    chosen.append((stars, bool(verified), bool(default), bool(deducted)))
            if not chosen:
                continue
            pick = pl.DataFrame(
                chosen,
                schema={
                    "stars": pl.Int64(),
                    "verified": pl.Boolean(),
                    "default": pl.Boolean(),
                    "already_deducted": pl.Boolean(),
                },
                orient="row",
            )
            hit = ratings.join(pick, on=keys, how="semi").filter(pl.col(rule.on).is_not_null())
            out.append(
                hit.select(
                    "_row",
                    "date",
                    pl.col(rule.on).alias("subject"),
                    pl.lit(rule.item).alias("item"),
                    pl.lit(1, dtype=pl.Int64()).alias("count"),
                    pl.format("好差评 {}星", pl.col("stars")).alias("note"),
                    pl.lit(False).alias("major"),
                    pl.lit(False).alias("exempt"),
                    pl.col("already_deducted"),
                )
            )
        return out

    def punch_attendance(self) -> AttendanceResult | None:
        """Raw clock punches classified under the policy's sign-in schedule (cached)."""
        if "__punches__" in self.cache:
            known: AttendanceResult | None = self.cache["__punches__"]
            return known
        schedule = self.policy.schedule
        punches = self.facts["punches"]
        if schedule is None or punches.height == 0:
            self.cache["__punches__"] = None
            return None
        times = [(r["person"], r["time"]) for r in punches.iter_rows(named=True)]
        start = Period.parse(min(t for _, t in times).date()).start
        end = Period.parse(max(t for _, t in times).date()).end
        people = [(p.id, p.joined, p.left) for p in self.org.people.values()]
        leave = [LeaveSpan.from_row(r) for r in self.facts.rows("leave") if r.get("start")]
        try:
            result = derive_attendance(schedule, self.calendar, people, times, leave, start, end)
        except UnknownYearError:
            raise
        except ValueError as exc:
            raise PolicyRunError(f"policy {self.policy.id}: punches: {exc}") from None
        self.cache["__punches__"] = result
        return result

    def punch_attendance_rows(self, person: str) -> list[dict[str, Any]]:
        result = self.punch_attendance()
        if result is None:
            return []
        table: dict[str, list[dict[str, Any]]] | None = self.cache.get("__punch_rows__")
        if table is None:
            table = {}
            month = Period.parse(result.start)
            while month.start <= result.end:
                for row in to_attendance_rows(result, month):
                    table.setdefault(str(row["person"]), []).append(row)
                month = Period(
                    month.year + (month.index == 12), PeriodKind.MONTH, month.index % 12 + 1
                )
            self.cache["__punch_rows__"] = table
        return table.get(person, [])

    def _summarised_months(self) -> set[tuple[str, str]]:
        """(person, month) pairs an ``attendance`` summary row decides.

        A person whose month comes as a summary (考勤汇总) has no punches for
        it on purpose; deriving that month from the clock would make him
        absent every day.  The summary is scored instead (as the sub-scores
        already do, see ``SubjectEnv._attendance_rows``).
        """
        key = f"__summarised__{self.period}"
        known: set[tuple[str, str]] | None = self.cache.get(key)
        if known is not None:
            return known
        default = str(self.period) if self.period.kind is PeriodKind.MONTH else None
        table = self.facts["attendance"]
        if table.height:
            month = pl.col("month") if default is None else pl.col("month").fill_null(default)
            pairs = table.select("person", month).unique()
            months = {m: str(Period.parse(m)) for m in pairs["month"].drop_nulls().unique()}
            known = {
                (person, months[month])
                for person, month in pairs.iter_rows()
                if month is not None
            }
        else:
            known = set()
        self.cache[key] = known
        return known

    def _punch_records(self) -> list[dict[str, Any]]:
        result = self.punch_attendance()
        if result is None or self.policy.schedule is None:
            return []
        rules = self.policy.derive.leave
        charges_unapproved = any(r.type == "unapproved" for r in rules)
        charged_types = frozenset(r.type for r in rules if not r.approved)
        out = []
        schedule = self.policy.schedule
        per_signin = schedule.absent_unit == "signin"
        summarised = self._summarised_months()
        for rec in to_records(
            result,
            schedule,
            include_unapproved_leave=not charges_unapproved,
            charged_leave_types=charged_types,
        ):
            if summarised and (rec["subject"], f"{rec['date']:%Y-%m}") in summarised:
                continue  # the month's attendance summary decides, not the clock
            count = int(rec["count"])  # type: ignore[call-overload]
            if per_signin and str(rec.get("note", "")).startswith("旷工一天"):
                count *= len(schedule.signins)
            out.append(
                {
                    "_row": 0,
                    "date": rec["date"],
                    "subject": rec["subject"],
                    "item": rec["item"],
                    "count": count,
                    "note": f"打卡：{rec.get('note') or ''}",
                    "major": False,
                    "exempt": False,
                    "already_deducted": False,
                }
            )
        return out

    def contribution_frame(self, sums: bool = True) -> pl.DataFrame:
        if self._contrib_frame is None:
            self._contrib_frame = resolve(
                self.policy, self.org, self.records_all(), self.period.start, self.period.end
            )
        if sums and self._sums is None:
            frame = self._contrib_frame
            self._sums = {}
            if frame.height:
                agg = (
                    frame.group_by(["target", "dimension", "part", "effect"])
                    .agg(pl.col("magnitude").sum().alias("total"))
                    .sort(["target", "dimension", "part", "effect"], nulls_last=True)
                )
                for target, dimension, part, effect, total in agg.iter_rows():
                    slot = self._sums.setdefault((target, dimension), {})
                    pair = slot.setdefault(part, [ZERO, ZERO])
                    if effect == "add":
                        pair[1] += total
                    elif effect == "deduct":
                        pair[0] += total
        return self._contrib_frame

    def contributions(self) -> dict[str, list[dict[str, Any]]]:
        """Contributions per target as rows, built on first use (trace, ``points()``)."""
        if self._contribs is None:
            frame = self.contribution_frame()
            self._contribs = {}
            if frame.height:
                frame = frame.sort(["target", "date", "row"])
                for key, part in frame.partition_by("target", as_dict=True).items():
                    target = key[0] if isinstance(key, tuple) else key
                    self._contribs[str(target)] = part.to_dicts()
        return self._contribs

    def sums(self, subject: str, dimension: str) -> dict[str | None, list[Decimal]]:
        self.contribution_frame()
        assert self._sums is not None
        return self._sums.get((subject, dimension), {})

    def subject_records(self, subject: str) -> list[dict[str, Any]]:
        """A subject's record counts per item and month (any date), for counters and flags."""
        table: dict[str, list[dict[str, Any]]] | None = self.cache.get("__counters__")
        if table is None:
            frame = self.records_all()
            subst = {p.id: p.substitutes_for for p in self.org.people.values() if p.substitutes_for}
            if subst and frame.height:
                frame = frame.with_columns(pl.col("subject").replace(subst))
            agg = monthly_counts(frame).rename({"n": "count"})
            grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for row in agg.iter_rows(named=True):
                grouped[row["subject"]].append(row)
            table = dict(grouped)
            self.cache["__counters__"] = table
        return table.get(subject, [])

    # ------------------------------------------------------------ evaluation

    def evaluate(
        self, text: object, subject: str, where: str, extra: dict[str, Any] | None = None
    ) -> Any:
        from kaohe.engine.env import SubjectEnv

        try:
            return expr(text)(SubjectEnv(self, subject, extra or {}))
        except ExprError as exc:
            raise PolicyRunError(
                f"policy {self.policy.id}, {where}, subject {subject}: {exc}"
            ) from None

    def evaluator(
        self, sc: Scorecard, text: object, where: str, extra: dict[str, Any] | None = None
    ) -> Callable[[str], Any]:
        """``text`` for members of ``sc`` one at a time: ``evaluator(...)(s)`` is
        ``evaluate(text, s, where, extra)``. Grading asks one condition of many members;
        the vector run answers them from one column, the scalar run evaluates each when asked."""
        return lambda subject: self.evaluate(text, subject, where, extra)

    def holds(self, sc: Scorecard, text: object, where: str) -> list[str]:
        """The members of a scorecard for whom a condition holds."""
        return [s for s in self.members[sc.id] if self.evaluate(text, s, where)]

    def _memoised(self, key: tuple[str, str], compute: Callable[[], Any]) -> Any:
        if key in self._memo:
            return self._memo[key]
        if key in self._busy:
            raise PolicyRunError(
                f"policy {self.policy.id}: circular reference at {key[1]} of {key[0]}"
            )
        self._busy.add(key)
        try:
            value = compute()
        finally:
            self._busy.discard(key)
        self._memo[key] = value
        return value

    def dimension(self, subject: str, code: str) -> Dimension:
        sc = self.scorecard_of.get(subject)
        if sc is None:
            raise PolicyRunError(f"{subject} is not scored in {self.period} under {self.policy.id}")
        for dim in sc.dimensions:
            if dim.code == code:
                return dim
        raise PolicyRunError(f"scorecard {sc.id} has no dimension {code!r} (subject {subject})")

    def has_dimension(self, subject: str, code: str) -> bool:
        sc = self.scorecard_of.get(subject)
        return sc is not None and any(d.code == code for d in sc.dimensions)

    def dim_value(self, subject: str, code: str) -> Decimal:
        value: Decimal = self._memoised(
            (subject, "dim:" + code), lambda: self._compute_dim(subject, code)
        )
        return value

    def deducted(self, subject: str, code: str) -> Decimal:
        self.dim_value(subject, code)
        value: Decimal = self._memo.get((subject, "deducted:" + code), ZERO)
        return value

    def record_entries(self, subject: str, code: str) -> list[TraceEntry]:
        out = []
        for c in self.contributions().get(subject, []):
            if c["dimension"] != code or c["effect"] == "none":
                continue
            sign = Decimal(-1) if c["effect"] == "deduct" else Decimal(1)
            label = c["item"] or code
            item = self.policy.item(c["item"]) if c["item"] else None
            text = f"{label} {item.name if item else '自由录入'}"
            if c["count"] and c["count"] != 1:
                text += f" ×{c['count']}"
            if c["tag"] == "exempt":
                text += "（主动报告，免扣）"
            elif c["tag"] == "major":
                text += "（情节严重）"
            if c["subject"] != subject:
                text += f"（记录于 {c['subject']}）"
            if c["note"]:
                text += f"：{c['note']}"
            out.append(
                TraceEntry(
                    "record",
                    text,
                    sign * c["magnitude"],
                    code,
                    c["item"],
                    c["date"],
                    c["count"],
                    c["row"],
                )
            )
        return out

    def _compute_dim(self, subject: str, code: str) -> Decimal:
        dim = self.dimension(subject, code)
        entries: list[TraceEntry] = []
        value: Decimal
        if dim.kind in ("deduct", "earned"):
            sums = self.sums(subject, code)
            if dim.kind == "deduct":
                if dim.base is not None:
                    base = D(self.evaluate(dim.base, subject, f"dimension {code}.base"))
                    entries.append(TraceEntry("base", f"{dim.name} 起始分 {fmt(base)}", base, code))
                else:
                    assert dim.max is not None
                    base = dim.max
                    entries.append(TraceEntry("base", f"{dim.name} 满分 {fmt(base)}", base, code))
            else:
                base = ZERO
            entries.append(TraceEntry("records", "", None, code))
            deducted = ZERO
            added = ZERO
            parts = {p.code: p for p in dim.parts}
            for part_code, (ded, add) in sums.items():
                added += add
                part = parts.get(part_code) if part_code else None
                if part is not None and ded > part.max:
                    entries.append(
                        TraceEntry(
                            "cap",
                            f"{dim.name}·{part.name} 扣分以 {fmt(part.max)} 分为限："
                            f"{fmt(ded)} 中 {fmt(ded - part.max)} 不扣",
                            ded - part.max,
                            code,
                        )
                    )
                    ded = part.max
                deducted += ded
            self._memo[(subject, "deducted:" + code)] = deducted
            value = base - deducted + added
            if dim.extra is not None:
                extra = D(self.evaluate(dim.extra, subject, f"dimension {code}.extra"))
                if dim.extra_round is not None:
                    extra = round_to(extra, dim.extra_round.places, dim.extra_round.mode)
                label = dim.extra_label or dim.extra
                if dim.kind == "deduct":
                    value -= extra
                    entries.append(TraceEntry("formula", f"{label}：−{fmt(extra)}", -extra, code))
                else:
                    value += extra
                    entries.append(TraceEntry("formula", f"{label}：+{fmt(extra)}", extra, code))
            if dim.cap is not None and value > dim.cap:
                entries.append(
                    TraceEntry(
                        "cap",
                        f"{dim.name} 以 {fmt(dim.cap)} 分为限：{fmt(value - dim.cap)} 不计",
                        dim.cap - value,
                        code,
                    )
                )
                value = dim.cap
            if dim.floor is not None and value < dim.floor:
                entries.append(
                    TraceEntry(
                        "floor",
                        f"{dim.name} 扣完为止：{fmt(value)} 计为 {fmt(dim.floor)}",
                        dim.floor - value,
                        code,
                    )
                )
                value = dim.floor
        elif dim.kind == "formula":
            value = ZERO
            for term in dim.terms:
                v = D(self.evaluate(term.expr, subject, f"dimension {code}.terms"))
                entries.append(
                    TraceEntry("formula", f"{term.label}：{term.expr} = {fmt(v)}", v, code)
                )
                value += v
            if dim.cap is not None and value > dim.cap:
                entries.append(
                    TraceEntry("cap", f"{dim.name} 以 {fmt(dim.cap)} 分为限", dim.cap - value, code)
                )
                value = dim.cap
            if dim.floor is not None and value < dim.floor:
                entries.append(
                    TraceEntry(
                        "floor", f"{dim.name} 最低 {fmt(dim.floor)}", dim.floor - value, code
                    )
                )
                value = dim.floor
        else:
            value, text = self._rank_points(subject, dim)
            entries.append(TraceEntry("rank_points", text, value, code))
        self.dim_trace[(subject, code)] = entries
        return value

    def _rank_points(self, subject: str, dim: Dimension) -> tuple[Decimal, str]:
        sc = self.scorecard_of[subject]
        table: dict[str, tuple[Decimal, str]] = self._memoised(
            (sc.id, "rank:" + dim.code), lambda: self._rank_table(sc, dim)
        )
        return table[subject]

    def _rank_table(self, sc: Scorecard, dim: Dimension) -> dict[str, tuple[Decimal, str]]:
        rp = dim.rank
        assert rp is not None
        members = self.members[sc.id]
        metrics: dict[str, Decimal | None] = {}
        given_rank: dict[str, int] = {}
        for s in members:
            if rp.rank_source is not None:
                r = self.external_rank(s, rp.rank_source)
                if r is not None:
                    given_rank[s] = r
                    continue
            m = self.evaluate(rp.metric, s, f"dimension {dim.code}.rank.metric")
            metrics[s] = None if m is None else D(m)
        ranks: dict[str, int] = dict(given_rank)
        present = [s for s, m in metrics.items() if m is not None]
        if present:
            ordered = sorted(present, key=lambda s: metrics[s], reverse=rp.order == "desc")  # type: ignore[arg-type,return-value]
            position = 0
            previous: Decimal | None = None
            dense = 0
            for i, s in enumerate(ordered, start=1):
                if metrics[s] != previous:
                    position = i
                    dense += 1
                    previous = metrics[s]
                ranks[s] = position if rp.ties == "shared" else dense
        worst = max(ranks.values(), default=0)
        out: dict[str, tuple[Decimal, str]] = {}
        for s in members:
            if s in ranks:
                r = ranks[s]
                pts = max(ZERO, rp.full - rp.step * (r - 1))
                metric_text = f"名次 {r}" if s in given_rank else f"{fmt(metrics[s])} 名次 {r}"
                out[s] = (
                    pts,
                    f"{dim.name}：{metric_text} → {fmt(rp.full)} − {fmt(rp.step)} × {r - 1} = {fmt(pts)}",
                )
            elif rp.missing == "last":
                r = worst + 1
                pts = max(ZERO, rp.full - rp.step * (r - 1))
                out[s] = (pts, f"{dim.name}：无评价，排在最后（名次 {r}）→ {fmt(pts)}")
            else:
                out[s] = (ZERO, f"{dim.name}：无评价 → 0")
        return out

    def exact_score(self, subject: str) -> Decimal:
        value: Decimal = self._memoised((subject, "score"), lambda: self._compute_score(subject))
        return value

    def _compute_score(self, subject: str) -> Decimal:
        sc = self.scorecard_of[subject]
        entries = self.score_trace[subject]
        if sc.score is not None:
            for dim in sc.dimensions:
                self.dim_value(subject, dim.code)
            raw = self.evaluate(sc.score, subject, f"scorecard {sc.id}.score")
            if raw is None:
                raise PolicyRunError(
                    f"policy {self.policy.id}: no score for {subject} ({sc.score} is empty)"
                )
            value = D(raw)
            entries.append(TraceEntry("formula", f"总分 {sc.score} = {fmt(value)}", value))
        else:
            value = ZERO
            for dim in sc.dimensions:
                v = self.dim_value(subject, dim.code)
                if dim.in_total:
                    value += v
        if sc.total.floor is not None and value < sc.total.floor:
            entries.append(
                TraceEntry(
                    "floor",
                    f"总分最低 {fmt(sc.total.floor)}：{fmt(value)} 计为 {fmt(sc.total.floor)}",
                    sc.total.floor - value,
                )
            )
            value = sc.total.floor
        if sc.total.max is not None and value > sc.total.max:
            entries.append(TraceEntry("cap", f"总分最高 {fmt(sc.total.max)}", sc.total.max - value))
            value = sc.total.max
        return value

    def score_of(self, subject: str) -> Decimal | None:
        if subject not in self.scorecard_of:
            return None
        return self.exact_score(subject)

    # ---------------------------------------------------------------- grading

    def pool_of(self, subject: str) -> Pool | None:
        sc = self.scorecard_of.get(subject)
        if sc is None:
            return None
        for pool in sc.pools:
            if pool.where is None or self.evaluate(pool.where, subject, f"pool {pool.id}.where"):
                return pool
        return None

    def pool_outcome(self, sc: Scorecard, pool: Pool) -> dict[str, Any]:
        from kaohe.engine.grading import grade_pool

        key = f"{sc.id}/{pool.id}"
        if key not in self._pool_outcomes:
            outcome = self._memoised((key, "pool"), lambda: grade_pool(self, sc, pool))
            self._pool_outcomes[key] = outcome
        return self._pool_outcomes[key]

    def grade_of(self, subject: str) -> str | None:
        sc = self.scorecard_of.get(subject)
        pool = self.pool_of(subject)
        if sc is None or pool is None:
            return None
        grade: str | None = self.pool_outcome(sc, pool)["grades"].get(subject)
        return grade

    def graded(self, subject: str) -> bool:
        """Whether a subject takes part in ranking (not excluded, not 不列入评比)."""
        sc = self.scorecard_of.get(subject)
        pool = self.pool_of(subject)
        if sc is None:
            return False
        if pool is None:
            return True
        return subject in self.pool_outcome(sc, pool)["ranked"]

    def rank_of(self, subject: str) -> int | None:
        sc = self.scorecard_of.get(subject)
        if sc is None:
            return None
        pool = self.pool_of(subject)
        if pool is not None:
            ranks: dict[str, int] = self.pool_outcome(sc, pool)["ranks"]
            return ranks.get(subject)
        return self._competition_ranks(sc).get(subject)

    def _competition_ranks(self, sc: Scorecard) -> dict[str, int]:
        """Ranks of a pool-less scorecard's members by exact score, ties sharing the better rank."""
        table: dict[str, int] = self._memoised(
            (sc.id, "ranks"),
            lambda: competition_ranks({s: self.exact_score(s) for s in self.members[sc.id]}),
        )
        return table

    # ----------------------------------------------------------------- helpers

    def person(self, subject: str) -> Person | None:
        return self.org.people.get(subject)

    def workdays_of(
        self, subject: str, start: date | None = None, end: date | None = None
    ) -> list[date]:
        start = start or self.period.start
        end = end or self.period.end
        person = self.org.people.get(subject)
        if person is not None:
            if person.joined and person.joined > start:
                start = person.joined
            if person.left and person.left < end:
                end = person.left
        if start > end:
            return []
        return self.calendar.workdays(start, end)

    def _leave_rows_days(
        self, leave: dict[str, Any], start: date | None, end: date | None
    ) -> list[date]:
        s: date | None = leave.get("start")
        e: date | None = leave.get("end") or s
        if s is None or e is None:
            return []
        lo = max(s, start) if start else s
        hi = min(e, end) if end else e
        if lo > hi:
            return []
        return self.calendar.workdays(lo, hi)

    def scope_bounds(self, scope: str) -> tuple[date, date]:
        try:
            return scope_span(self.period, scope)
        except ValueError as exc:
            raise ExprError(str(exc)) from None

    def external_rank(self, subject: str, source: str) -> int | None:
        for row in self.index.scores.get((source, subject), []):
            if row.get("rank") is not None:
                return int(row["rank"])
        return None

    def sub_run(self, period: Period) -> Run:
        key = str(period)
        run = self.cache.get(key)
        if run is None:
            # the same kind of run (scalar or vector) for the sub-periods
            run = type(self)(
                self.policy, period, self.org, self.facts, self.context, self.calendar, self.cache
            )
        assert isinstance(run, Run)
        return run

    # ----------------------------------------------------------------- output

    def result(self, subjects: Iterable[str] | None = None, trace: bool = True) -> RunResult:
        """Results of the chosen subjects (default: all). ``trace=False`` skips the
        per-record trace lines, which a province-wide batch run does not need."""
        from kaohe.engine.grading import finish_subject

        out: dict[str, SubjectResult] = {}
        chosen = (
            list(subjects)
            if subjects is not None
            else [s for sc in self.scorecards for s in self.members[sc.id]]
        )
        for subject in chosen:
            out[subject] = finish_subject(self, subject, trace)
        return RunResult(
            self.policy.id, str(self.period), out, list(self.warnings), self.calendar.fingerprint()
        )


class _Vars:
    def __init__(self, variables: dict[str, Any]) -> None:
        self.variables = variables

    def variable(self, name: str) -> Any:
        if name not in self.variables:
            raise ExprError(f"unknown name {name!r} (known: {', '.join(self.variables)})")
        return self.variables[name]

    def function(self, name: str) -> None:
        return None


def competition_ranks(scores: dict[str, Decimal]) -> dict[str, int]:
    """Equal scores share the better rank (1, 1, 3)."""
    ordered = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    ranks: dict[str, int] = {}
    previous: Decimal | None = None
    position = 0
    for i, (subject, score) in enumerate(ordered, start=1):
        if score != previous:
            position = i
            previous = score
        ranks[subject] = position
    return ranks


__all__ = ["CONTRIB_SCHEMA", "DEC", "PolicyRunError", "Run", "competition_ranks"]
