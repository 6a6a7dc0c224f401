"""Pydantic models of a policy file.

Everything a regulation varies is a field here, never a branch in the engine:
item points and ranges, who an item is charged to, aggravated and exempt
effects, dimension maxima, floors, caps and sub-part maxima, formulas, rank
points, quotas, bands, vetoes, forced grades, money and multi-year actions.
Expressions (``when``, ``formula``, ``count`` …) are text in the safe language
of :mod:`kaohe.engine.expr`; they are compiled when the policy loads, so a
typo fails with its key path, not in the middle of a month's run.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kaohe.engine.expr import ExprError, compile_expr, keyword_constants
from kaohe.engine.periods import Period, PeriodKind, scope_span

Number = Annotated[Decimal, Field(allow_inf_nan=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_expr(value: object) -> object:
    if value is None:
        return value
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    try:
        compile_expr(value)  # type: ignore[arg-type]
    except ExprError as exc:
        raise ValueError(str(exc)) from None
    _check_scopes(str(value))
    return value


def _check_scopes(text: str) -> None:
    """An unknown ``scope=`` would only fail when a subject first reaches it: fail on load."""
    for scope in keyword_constants(text, "scope"):
        try:
            scope_span(Period.parse("2024-01"), scope)
        except ValueError as exc:
            raise ValueError(str(exc)) from None


ExprText = Annotated[str | Number, Field(description="an expression in the policy language")]


ActionCode = Literal["promote", "terminate", "recall", "interview", "bonus_stop"]
"""What a result leads to (结果运用); the web shows each by its name in :data:`ACTION_NAMES`."""

ACTION_NAMES: dict[str, str] = {
    "promote": "岗位工资晋升一级",
    "terminate": "退回派遣单位/终止用工",
    "recall": "退回原单位",
    "interview": "约谈",
    "bonus_stop": "停发绩效奖励",
}


class Major(Strict):
    """The aggravated effect (情节严重 / 造成重大影响) of an item."""

    points: Number | None = None
    multiplier: Number | None = None
    actions: list[ActionCode] = []
    flags: list[str] = []
    note: str | None = None


class Charge(Strict):
    """Who an item's points go to, relative to the record's subject.

    ``subject``: the person or window recorded; ``window``: the person's window
    (a window subject: itself); ``chief_rep``: the chief representative(s) of that
    window; ``staff``: every staff member of a recorded window. ``share`` scales
    the points (e.g. half of each window deduction charged to the chief rep).
    """

    to: Literal["subject", "window", "chief_rep", "staff"]
    share: Number = Decimal(1)


class Threshold(Strict):
    """Counting items: points only beyond ``free`` events per ``per`` period, or every n-th."""

    free: int = 0
    every: int = 1
    per: PeriodKind | None = None
    counts_with: list[str] = []


class Item(Strict):
    code: str
    name: str
    dimension: str
    part: str | None = None
    points: Number | None = None
    range: tuple[Number, Number] | None = None
    free_entry: bool = False
    max_points: Number | None = None
    effect: Literal["deduct", "add", "none"] | None = None
    unit: str = "次"
    major: Major | None = None
    exempt: bool = False
    charge: list[Charge] = [Charge(to="subject")]
    threshold: Threshold | None = None
    flags: list[str] = []
    ref: str
    note: str | None = None

    @field_validator("charge", mode="before")
    @classmethod
    def _charge_shorthand(cls, value: object) -> object:
        if isinstance(value, str):
            return [{"to": value}]
        if isinstance(value, list):
            return [{"to": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _points_or_range(self) -> Item:
        given = sum(x is not None for x in (self.points, self.range)) + int(self.free_entry)
        if given != 1:
            raise ValueError("give exactly one of points, range or free_entry: true")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError("range must be [low, high]")
        return self


class Part(Strict):
    code: str
    name: str
    max: Number


class RankPoints(Strict):
    """First place full marks, each later rank ``step`` less (xxqu 第一名为满分…减0.1分)."""

    metric: ExprText
    full: Number
    step: Number
    order: Literal["desc", "asc"] = "desc"
    rank_source: str | None = None
    ties: Literal["shared", "dense"] = "shared"
    missing: Literal["last", "zero"] = "last"
    population: Literal["scorecard", "pool"] = "scorecard"

    _v = field_validator("metric")(classmethod(lambda cls, v: _check_expr(v)))


class Term(Strict):
    label: str
    expr: ExprText

    _v = field_validator("expr")(classmethod(lambda cls, v: _check_expr(v)))


class Rounding(Strict):
    places: int = 2
    mode: Literal["half_up", "half_even", "floor", "ceil"] = "half_up"


class Dimension(Strict):
    """A scored part of a scorecard.

    ``deduct``: start at ``base`` (default ``max``), subtract the items and ``extra``,
    floor at ``floor`` if set; ``earned``: start at 0, add the items and ``extra``, cap
    at ``cap``; ``formula``: the sum of ``terms``; ``rank_points``: see RankPoints.
    """

    code: str
    name: str
    kind: Literal["deduct", "earned", "formula", "rank_points"]
    max: Number | None = None
    base: ExprText | None = None
    extra: ExprText | None = None
    extra_label: str | None = None
    extra_round: Rounding | None = None
    floor: Number | None = None
    cap: Number | None = None
    parts: list[Part] = []
    terms: list[Term] = []
    rank: RankPoints | None = None
    in_total: bool = True
    ref: str
    note: str | None = None

    _v = field_validator("base", "extra")(classmethod(lambda cls, v: _check_expr(v)))

    @model_validator(mode="after")
    def _shape(self) -> Dimension:
        if self.kind == "formula" and not self.terms:
            raise ValueError("a formula dimension needs terms")
        if self.kind == "rank_points" and self.rank is None:
            raise ValueError("a rank_points dimension needs rank")
        if self.kind == "deduct" and self.max is None and self.base is None:
            object.__setattr__(self, "base", Decimal(0))
        return self


class SubjectFilter(Strict):
    type: Literal["person", "window"]
    roles: list[str] | None = None
    kinds: list[str] | None = None
    employment: list[str] | None = None
    where: ExprText | None = None

    _v = field_validator("where")(classmethod(lambda cls, v: _check_expr(v)))


class Total(Strict):
    floor: Number | None = None
    max: Number | None = None


class Exclude(Strict):
    when: ExprText
    grade: str | None = None
    reason: str
    _v = field_validator("when")(classmethod(lambda cls, v: _check_expr(v)))


class NotGraded(Strict):
    when: ExprText
    grade: str
    reason: str
    _v = field_validator("when")(classmethod(lambda cls, v: _check_expr(v)))


class Force(Strict):
    when: ExprText
    grade: str
    reason: str
    _v = field_validator("when")(classmethod(lambda cls, v: _check_expr(v)))


class Veto(Strict):
    when: ExprText
    reason: str
    _v = field_validator("when")(classmethod(lambda cls, v: _check_expr(v)))


class Quota(Strict):
    grade: str
    count: ExprText
    min_score: ExprText | None = None
    vetoes: list[Veto] = []
    ties: Literal["fit_whole", "start_inside"] = "fit_whole"
    ref: str
    _v = field_validator("count", "min_score")(classmethod(lambda cls, v: _check_expr(v)))


class Band(Strict):
    grade: str
    min_score: ExprText | None = None
    ref: str
    _v = field_validator("min_score")(classmethod(lambda cls, v: _check_expr(v)))


class Move(Strict):
    """Relative-to-first promotion or demotion of an assigned grade."""

    from_grades: list[str]
    to: str
    when: ExprText
    reason: str
    _v = field_validator("when")(classmethod(lambda cls, v: _check_expr(v)))


class Cap(Strict):
    when: ExprText
    max: str
    reason: str
    _v = field_validator("when")(classmethod(lambda cls, v: _check_expr(v)))


class Flag(Strict):
    when: ExprText
    message: str
    _v = field_validator("when")(classmethod(lambda cls, v: _check_expr(v)))


class Step(Strict):
    """One grading step; exactly one key is set."""

    exclude: Exclude | None = None
    not_graded: NotGraded | None = None
    force: Force | None = None
    quota: Quota | None = None
    band: Band | None = None
    move: Move | None = None
    cap: Cap | None = None
    flag: Flag | None = None

    @model_validator(mode="after")
    def _one(self) -> Step:
        if sum(v is not None for v in self.__dict__.values()) != 1:
            raise ValueError(
                "a grading step has exactly one of exclude, not_graded, "
                "force, quota, band, move, cap, flag"
            )
        return self


class Pool(Strict):
    id: str
    name: str
    where: ExprText | None = None
    counted: ExprText | None = None
    grades: list[str]
    steps: list[Step]
    ref: str | None = None
    _v = field_validator("where", "counted")(classmethod(lambda cls, v: _check_expr(v)))


class ActionRule(Strict):
    action: ActionCode
    when: ExprText
    target: Literal["subject", "chief_rep"] = "subject"
    reason: str
    _v = field_validator("when")(classmethod(lambda cls, v: _check_expr(v)))


class MoneyLine(Strict):
    label: str
    amount: ExprText
    _v = field_validator("amount")(classmethod(lambda cls, v: _check_expr(v)))


class Bonus(Strict):
    gross: ExprText
    deductions: list[MoneyLine] = []
    floor: Number | None = Decimal(0)
    when: ExprText | None = None
    ref: str
    _v = field_validator("gross", "when")(classmethod(lambda cls, v: _check_expr(v)))


class Scorecard(Strict):
    id: str
    name: str
    subjects: SubjectFilter
    period: PeriodKind
    dimensions: list[Dimension] = []
    score: ExprText | None = None
    total: Total = Total()
    pools: list[Pool] = []
    actions: list[ActionRule] = []
    bonus: Bonus | None = None
    ref: str | None = None
    _v = field_validator("score")(classmethod(lambda cls, v: _check_expr(v)))


class LeaveRule(Strict):
    type: str
    item: str
    approved: bool = True


class RatingRule(Strict):
    when: ExprText
    item: str
    on: Literal["window", "person"]
    _v = field_validator("when")(classmethod(lambda cls, v: _check_expr(v)))


class Derive(Strict):
    leave: list[LeaveRule] = []
    ratings: list[RatingRule] = []


class Signin(Strict):
    """One required sign-in of the day and its time window (罗山 8:55 / 12:00 …)."""

    code: str
    name: str
    kind: Literal["in", "out"]
    earliest: time | None = None
    latest: time | None = None
    on_time_until: time | None = None
    on_time_from: time | None = None


class Schedule(Strict):
    """The daily sign-in schedule that turns raw punches into attendance."""

    signins: list[Signin]
    merge_seconds: int = 60
    late_item: str | None = None
    early_item: str | None = None
    missed_item: str | None = None
    absent_item: str | None = None
    overnight_until: time | None = None
    absent_unit: Literal["day", "signin"] = "day"
    excused: list[str] = ["事假", "病假", "年休假", "婚假", "产假", "丧假", "调休", "公差", "培训"]
    ref: str


class VoteConfig(Strict):
    groups: dict[str, str]
    weights: dict[str, Number]
    top_level: str | None = None
    top_share_max: Number | None = None
    ref: str


class ContextVar(Strict):
    name: str
    type: Literal["bool", "number", "text"]
    default: bool | Number | str | None = None


class Policy(Strict):
    id: str
    title: str
    issuer: str | None = None
    source: str
    effective_from: date
    effective_to: date | None = None
    supersedes: str | None = None
    notes: list[str] = []
    reporting: Rounding = Rounding()
    leave_types: list[str] = [
        "事假",
        "病假",
        "年休假",
        "婚假",
        "产假",
        "丧假",
        "公差",
        "培训",
        "调休",
    ]
    counted_as_leave: list[str] = ["事假", "病假", "年休假", "婚假", "产假", "丧假", "调休"]
    partial_leave_day: Literal["whole", "fraction"] = "fraction"
    items: list[Item]
    scorecards: list[Scorecard]
    derive: Derive = Derive()
    schedule: Schedule | None = None
    votes: VoteConfig | None = None
    sources: dict[str, str] = {}
    context: dict[str, ContextVar] = {}
    measures: dict[str, ExprText] = {}
    publicity_workdays: int | None = None
    appeal_workdays: int | None = None
    appeal_from: Literal["publication", "publicity"] | None = None

    _m = field_validator("measures")(
        classmethod(lambda cls, v: {k: _check_expr(x) for k, x in v.items()})
    )

    @model_validator(mode="after")
    def _references(self) -> Policy:
        parts: dict[str, set[str]] = {}
        for sc in self.scorecards:
            for d in sc.dimensions:
                parts.setdefault(d.code, set()).update(p.code for p in d.parts)
        codes: set[str] = set()
        for it in self.items:
            if it.code in codes:
                raise ValueError(f"item {it.code} is defined twice")
            codes.add(it.code)
            if it.dimension not in parts:
                raise ValueError(f"item {it.code}: unknown dimension {it.dimension!r}")
            if it.part is not None and it.part not in parts[it.dimension]:
                raise ValueError(
                    f"item {it.code}: dimension {it.dimension} has no part {it.part!r}"
                )
        for it in self.items:
            if it.threshold:
                for other in it.threshold.counts_with:
                    if other not in codes:
                        raise ValueError(f"item {it.code}: counts_with names unknown item {other}")
        derived = [r.item for r in self.derive.leave] + [r.item for r in self.derive.ratings]
        for code in derived:
            if code not in codes:
                raise ValueError(f"derive: unknown item {code}")
        if self.schedule:
            for maybe in (
                self.schedule.late_item,
                self.schedule.early_item,
                self.schedule.missed_item,
                self.schedule.absent_item,
            ):
                if maybe is not None and maybe not in codes:
                    raise ValueError(f"schedule: unknown item {maybe}")
        return self

    def item(self, code: str) -> Item | None:
        return self._items_by_code().get(code)

    def _items_by_code(self) -> dict[str, Item]:
        cache = self.__dict__.get("_item_cache")
        if cache is None:
            cache = {i.code: i for i in self.items}
            self.__dict__["_item_cache"] = cache
        return cache  # type: ignore[no-any-return,unused-ignore]

    def dimension_codes(self) -> set[str]:
        return {d.code for sc in self.scorecards for d in sc.dimensions}
