"""Vectorised evaluation: a scorecard's dimensions and conditions for all its subjects at once.

The scalar run (:mod:`kaohe.engine.run`) evaluates expressions subject by
subject, which is exact, traceable and fast enough for a county. A province's
month (tens of thousands of people) needs the same policy evaluated as column
operations. :class:`VectorRun` keeps every mechanism of the scalar run —
grading, actions, money, sub-periods — and replaces only how values are
obtained: a dimension, a score or a condition is computed once per scorecard as
a Polars column and then looked up per subject. Expressions that use a
function not vectorised yet fall back, for that expression only, to the scalar
evaluation, so results never depend on which path computed them; the test
suite runs every case through both and compares.

Vectorised runs do not build per-record trace lines: they serve batch scoring
(``score(..., trace=False)``); a subject's trace comes from the scalar run.
"""

from __future__ import annotations

import ast
import gc
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import compress, repeat
from typing import Any

import polars as pl

from kaohe.engine.contributions import SubjectIds
from kaohe.engine.env import OF_HELP
from kaohe.engine.expr import ExprError
from kaohe.engine.numbers import ZERO, D
from kaohe.engine.periods import PeriodKind
from kaohe.engine.policy.models import Dimension, Policy, Scorecard
from kaohe.engine.run import PolicyRunError, Run

VDEC = pl.Decimal(38, 10)


class Unsupported(Exception):
    """An expression the vector path does not handle; the scalar path takes it."""


@dataclass
class Grouped:
    """Values grouped per member (a window's staff, a chief rep's windows)."""

    frame: pl.DataFrame  # columns: idx (member position), value

    def agg(self, how: str, n: int) -> pl.Series:
        if how == "sum":
            expr = pl.col("value").sum()
        elif how == "mean":
            expr = pl.col("value").mean()
        elif how == "len":
            expr = pl.col("value").count()
        elif how == "min":
            expr = pl.col("value").min()
        elif how == "max":
            expr = pl.col("value").max()
        else:
            raise Unsupported(how)
        agg = self.frame.group_by("idx").agg(expr.alias("v"))
        # laid out by member position: members without values stay empty
        series = pl.repeat(None, n, dtype=agg.schema["v"], eager=True).rename("v")
        series.scatter(agg["idx"], agg["v"])
        if how in ("sum", "len"):
            series = series.fill_null(0)
        return series

    def contains(self, value: Any, n: int) -> pl.Series:
        hit = self.frame.filter(pl.col("value") == value)["idx"].unique().cast(pl.UInt32())
        return pl.int_range(0, n, eager=True).cast(pl.UInt32()).is_in(hit.implode())


def _dec(series: pl.Series) -> pl.Series:
    if series.dtype == pl.Null:
        return series.cast(VDEC)
    if series.dtype == pl.Boolean:
        return series.cast(pl.Int64()).cast(VDEC)
    return series.cast(VDEC)


def _const(value: Any, n: int, dtype: pl.DataType) -> pl.Series:
    """n copies of one value (built in Polars, not from a Python list of n objects)."""
    return pl.Series([value], dtype=dtype).new_from_index(0, n) if n else pl.Series([], dtype=dtype)


def _lift(value: Any, n: int) -> pl.Series:
    if isinstance(value, pl.Series):
        return value
    if isinstance(value, bool):
        return _const(value, n, pl.Boolean())
    if isinstance(value, (int, Decimal)):
        return _const(D(value), n, VDEC)
    if isinstance(value, str):
        return _const(value, n, pl.String())
    if value is None:
        return _const(None, n, VDEC)
    raise Unsupported(f"value {value!r}")


def _num(value: Any, n: int) -> pl.Series:
    return _dec(_lift(value, n))


def _select(expr: pl.Expr) -> pl.Series:
    return pl.select(expr).to_series()


class _Compiler:
    """Compiles policy text into a function of (VectorRun, Scorecard, extra) → Series."""

    def __init__(self, text: str) -> None:
        self.text = text

    def compile(self, node: ast.AST) -> Callable[[Ctx], Any]:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise Unsupported(type(node).__name__)
        fn: Callable[[Ctx], Any] = method(node)
        return fn

    def _Expression(self, node: ast.Expression) -> Callable[[Ctx], Any]:
        return self.compile(node.body)

    def _Constant(self, node: ast.Constant) -> Callable[[Ctx], Any]:
        value = node.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = D((ast.get_source_segment(self.text, node) or repr(value)).replace("_", ""))
            return lambda ctx: number
        return lambda ctx: value

    def _Name(self, node: ast.Name) -> Callable[[Ctx], Any]:
        name = node.id
        if name in ("true", "True"):
            return lambda ctx: True
        if name in ("false", "False"):
            return lambda ctx: False
        if name in ("none", "None", "null"):
            return lambda ctx: None
        return lambda ctx: ctx.variable(name)

    def _List(self, node: ast.List) -> Callable[[Ctx], Any]:
        parts = [self.compile(e) for e in node.elts]

        def run(ctx: Ctx) -> Any:
            values = [p(ctx) for p in parts]
            if any(isinstance(v, (pl.Series, Grouped)) for v in values):
                raise Unsupported("list of columns")
            return values

        return run

    _Tuple = _List

    def _UnaryOp(self, node: ast.UnaryOp) -> Callable[[Ctx], Any]:
        inner = self.compile(node.operand)
        if isinstance(node.op, ast.USub):
            return lambda ctx: -_num(inner(ctx), ctx.n)
        if isinstance(node.op, ast.UAdd):
            return lambda ctx: _num(inner(ctx), ctx.n)
        if isinstance(node.op, ast.Not):
            return lambda ctx: ~_lift(inner(ctx), ctx.n).cast(pl.Boolean()).fill_null(False)
        raise Unsupported("unary")

    def _BinOp(self, node: ast.BinOp) -> Callable[[Ctx], Any]:
        left, right = self.compile(node.left), self.compile(node.right)
        op = node.op

        def run(ctx: Ctx) -> Any:
            a, b = left(ctx), right(ctx)
            if isinstance(a, (Decimal, int)) and isinstance(b, (Decimal, int)):
                return _scalar_binop(op, D(a), D(b))
            x, y = _num(a, ctx.n), _num(b, ctx.n)
            if isinstance(op, ast.Add):
                out = x + y
            elif isinstance(op, ast.Sub):
                out = x - y
            elif isinstance(op, ast.Mult):
                out = x * y
            elif isinstance(op, ast.Div):
                out = _select(pl.when(pl.lit(y) == 0).then(None).otherwise(pl.lit(x) / pl.lit(y)))
                if (y == 0).any():
                    raise ExprError(f"{self.text}: division by zero")
            else:
                raise Unsupported("operator")
            return out.cast(VDEC)

        return run

    def _BoolOp(self, node: ast.BoolOp) -> Callable[[Ctx], Any]:
        parts = [self.compile(v) for v in node.values]
        is_and = isinstance(node.op, ast.And)

        def run(ctx: Ctx) -> Any:
            values = [_lift(p(ctx), ctx.n).cast(pl.Boolean()).fill_null(False) for p in parts]
            out = values[0]
            for v in values[1:]:
                out = (out & v) if is_and else (out | v)
            return out

        return run

    def _Compare(self, node: ast.Compare) -> Callable[[Ctx], Any]:
        first = self.compile(node.left)
        pairs = [
            (type(op), self.compile(c)) for op, c in zip(node.ops, node.comparators, strict=True)
        ]

        def run(ctx: Ctx) -> Any:
            left = first(ctx)
            result: pl.Series | None = None
            for op, comp in pairs:
                right = comp(ctx)
                part = _compare(op, left, right, ctx.n)
                result = part if result is None else (result & part)
                left = right
            assert result is not None
            return result

        return run

    def _IfExp(self, node: ast.IfExp) -> Callable[[Ctx], Any]:
        test, body, orelse = (
            self.compile(node.test),
            self.compile(node.body),
            self.compile(node.orelse),
        )

        def run(ctx: Ctx) -> Any:
            cond = _lift(test(ctx), ctx.n).cast(pl.Boolean()).fill_null(False)
            a, b = body(ctx), orelse(ctx)
            if isinstance(a, str) or isinstance(b, str):
                x, y = _lift(a, ctx.n), _lift(b, ctx.n)
            else:
                x, y = _num(a, ctx.n), _num(b, ctx.n)
            return _select(pl.when(pl.lit(cond)).then(pl.lit(x)).otherwise(pl.lit(y)))

        return run

    def _Call(self, node: ast.Call) -> Callable[[Ctx], Any]:
        if not isinstance(node.func, ast.Name):
            raise Unsupported("call")
        name = node.func.id
        args = [self.compile(a) for a in node.args]
        kwargs = {kw.arg: self.compile(kw.value) for kw in node.keywords if kw.arg}
        return lambda ctx: ctx.call(
            name, [a(ctx) for a in args], {k: v(ctx) for k, v in kwargs.items()}
        )


def _scalar_binop(op: ast.operator, a: Decimal, b: Decimal) -> Decimal:
    if isinstance(op, ast.Add):
        return a + b
    if isinstance(op, ast.Sub):
        return a - b
    if isinstance(op, ast.Mult):
        return a * b
    if isinstance(op, ast.Div):
        if b == 0:
            raise ExprError("division by zero")
        return a / b
    raise Unsupported("operator")


def _compare(op: type, left: Any, right: Any, n: int) -> pl.Series:
    if op in (ast.In, ast.NotIn):
        if isinstance(right, Grouped):
            if isinstance(left, pl.Series):
                raise Unsupported("column in group")
            hit = right.contains(left, n)
        elif isinstance(right, list):
            hit = _lift(left, n).is_in(right).fill_null(False)
        else:
            raise Unsupported("in")
        return hit if op is ast.In else ~hit
    if isinstance(left, str) or isinstance(right, str):
        x, y = _lift(left, n), _lift(right, n)
    else:
        x, y = _num(left, n), _num(right, n)
    if op is ast.Eq:
        out = x == y
    elif op is ast.NotEq:
        out = x != y
    elif op is ast.Lt:
        out = x < y
    elif op is ast.LtE:
        out = x <= y
    elif op is ast.Gt:
        out = x > y
    elif op is ast.GtE:
        out = x >= y
    else:
        raise Unsupported("comparison")
    return out.fill_null(False)


_COMPILED: dict[str, Callable[[Ctx], Any]] = {}


def compile_vector(text: object) -> Callable[[Ctx], Any]:
    key = str(text)
    fn = _COMPILED.get(key)
    if fn is None:
        if isinstance(text, (int, Decimal)) and not isinstance(text, bool):
            value = D(text)

            def fn(ctx: Ctx) -> Any:
                return value
        else:
            tree = ast.parse(key.strip(), mode="eval")
            fn = _Compiler(key.strip()).compile(tree)
        _COMPILED[key] = fn
    return fn


class Ctx:
    """One evaluation: a scorecard's members and the constants of the moment (N, first_score)."""

    def __init__(self, run: VectorRun, sc: Scorecard, extra: dict[str, Any]) -> None:
        self.run = run
        self.sc = sc
        self.members = run.members[sc.id]
        self.n = len(self.members)
        self.extra = extra

    def variable(self, name: str) -> Any:
        if name in self.extra:
            value = self.extra[name]
            if isinstance(value, (int, Decimal, str, bool)) or value is None:
                return value
            raise Unsupported(name)
        getter = _VARIABLES.get(name)
        if getter is None:
            raise Unsupported(name)
        return getter(self)

    def call(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        fn = _FUNCTIONS.get(name)
        if fn is None:
            raise Unsupported(name)
        return fn(self, *args, **kwargs)

    def attr(self, column: str) -> pl.Series:
        return self.run.member_attr(self.sc, column)


# ------------------------------------------------------------------ variables


def _v_kind(ctx: Ctx) -> pl.Series:
    return ctx.attr("kind")


def _v_role(ctx: Ctx) -> pl.Series:
    return ctx.attr("role")


def _v_type(ctx: Ctx) -> pl.Series:
    return ctx.attr("type")


def _v_score(ctx: Ctx) -> pl.Series:
    return ctx.run.score_series(ctx.sc)


_VARIABLES: dict[str, Callable[[Ctx], Any]] = {
    "kind": _v_kind,
    "role": _v_role,
    "type": _v_type,
    "employment": lambda ctx: ctx.attr("employment"),
    "score": _v_score,
}

# ------------------------------------------------------------------ functions


def _f_round(ctx: Ctx, x: Any, places: Any = 0, mode: str = "half_up") -> Any:
    if not isinstance(x, pl.Series):
        from kaohe.engine.numbers import round_to

        return round_to(D(x), int(places), mode)  # type: ignore[arg-type]
    modes = {"half_up": "half_away_from_zero", "half_even": "half_to_even"}
    if mode not in modes:
        raise Unsupported(f"round mode {mode}")
    return _dec(x).round(int(places), mode=modes[mode]).cast(VDEC)  # type: ignore[arg-type]


def _f_floor(ctx: Ctx, x: Any) -> Any:
    if isinstance(x, pl.Series):
        return _dec(x).floor().cast(VDEC)
    from kaohe.engine.numbers import to_int

    return Decimal(to_int(D(x), "floor"))


def _f_div(ctx: Ctx, a: Any, b: Any, default: Any = ZERO) -> Any:
    x, y, d = _num(a, ctx.n), _num(b, ctx.n), _num(default, ctx.n)
    safe = _select(
        pl.when(pl.lit(y) == 0).then(pl.lit(Decimal(1), dtype=VDEC)).otherwise(pl.lit(y))
    )
    return _select(
        pl.when(pl.lit(y) == 0).then(pl.lit(d)).otherwise(pl.lit(x) / pl.lit(safe))
    ).cast(VDEC)


def _f_coalesce(ctx: Ctx, *values: Any) -> Any:
    return _select(pl.coalesce([pl.lit(_num(v, ctx.n)) for v in values])).cast(VDEC)


def _f_minmax(which: str) -> Callable[..., Any]:
    def fn(ctx: Ctx, *values: Any) -> Any:
        if len(values) == 1 and isinstance(values[0], Grouped):
            return values[0].agg(which, ctx.n).cast(VDEC)
        cols = [pl.lit(_num(v, ctx.n)) for v in values]
        expr = pl.min_horizontal(cols) if which == "min" else pl.max_horizontal(cols)
        return _select(expr).cast(VDEC)

    return fn


def _f_agg(how: str) -> Callable[..., Any]:
    def fn(ctx: Ctx, values: Any) -> Any:
        if isinstance(values, Grouped):
            out = values.agg(how, ctx.n)
            return out.cast(VDEC)
        raise Unsupported(how)

    return fn


def _f_dim(ctx: Ctx, code: str) -> pl.Series:
    return ctx.run.dim_series(ctx.sc, code)


def _f_window_dim(ctx: Ctx, code: str) -> pl.Series:
    return ctx.run.window_values(ctx.sc, lambda wsc: ctx.run.dim_series(wsc, code))


def _f_staff_deducted(ctx: Ctx, code: str) -> Grouped:
    return ctx.run.staff_grouped(ctx.sc, lambda psc: ctx.run.deducted_series(psc, code), code)


def _f_staff_count(ctx: Ctx) -> pl.Series:
    staff = ctx.run.staff_frame(ctx.sc)
    return Grouped(staff.select("idx", pl.lit(1).alias("value"))).agg("len", ctx.n).cast(VDEC)


def _f_staff_sum(ctx: Ctx, name: str) -> pl.Series:
    grouped = ctx.run.staff_grouped(ctx.sc, lambda psc: ctx.run.measure_series(psc, name), None)
    return grouped.agg("sum", ctx.n).cast(VDEC)


def _f_staff_attendance(ctx: Ctx, field: str) -> pl.Series:
    grouped = ctx.run.staff_grouped(ctx.sc, lambda psc: ctx.run.attendance_series(psc, field), None)
    return grouped.agg("sum", ctx.n).cast(VDEC)


def _f_measure(ctx: Ctx, name: str) -> pl.Series:
    return ctx.run.measure_series(ctx.sc, name)


def _f_attendance(ctx: Ctx, field: str) -> pl.Series:
    return ctx.run.attendance_series(ctx.sc, field)


def _f_has_attendance(ctx: Ctx) -> pl.Series:
    return ctx.run.has_attendance_series(ctx.sc)


def _f_count(
    ctx: Ctx,
    *codes: str,
    scope: str = "period",
    major: Any = None,
    exempt: Any = None,
    include_deducted: bool = True,
    of: str = "self",
) -> pl.Series:
    frame = ctx.run.counter_frame(scope).filter(pl.col("item").is_in(list(codes)))
    if major is not None:
        frame = frame.filter(pl.col("major") == bool(major))
    if exempt is not None:
        frame = frame.filter(pl.col("exempt") == bool(exempt))
    if not include_deducted:
        frame = frame.filter(~pl.col("already_deducted"))
    return ctx.run.per_member_sum(ctx.sc, frame, of).cast(VDEC)


def _f_count_dim(ctx: Ctx, code: str, scope: str = "period", of: str = "self") -> pl.Series:
    frame = ctx.run.counter_frame(scope).filter((pl.col("dimension") == code) & ~pl.col("exempt"))
    return ctx.run.per_member_sum(ctx.sc, frame, of).cast(VDEC)


def _f_has_flag(
    ctx: Ctx, name: str, scope: str = "period", of: str = "self", exempt: bool = False
) -> pl.Series:
    policy = ctx.run.policy
    plain = [i.code for i in policy.items if name in i.flags]
    major = [i.code for i in policy.items if i.major is not None and name in i.major.flags]
    frame = ctx.run.counter_frame(scope).filter(
        pl.col("item").is_in(plain) | (pl.col("item").is_in(major) & pl.col("major"))
    )
    if not exempt:
        frame = frame.filter(~pl.col("exempt"))
    return ctx.run.per_member_sum(ctx.sc, frame, of) > 0


def _f_window_scores(ctx: Ctx) -> Grouped:
    return ctx.run.rep_windows_grouped(ctx.sc)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "round": _f_round,
    "floor": _f_floor,
    "div": _f_div,
    "coalesce": _f_coalesce,
    "min": _f_minmax("min"),
    "max": _f_minmax("max"),
    "sum": _f_agg("sum"),
    "mean": _f_agg("mean"),
    "len": _f_agg("len"),
    "dim": _f_dim,
    "window_dim": _f_window_dim,
    "staff_deducted": _f_staff_deducted,
    "staff_count": _f_staff_count,
    "staff_sum": _f_staff_sum,
    "staff_attendance": _f_staff_attendance,
    "measure": _f_measure,
    "attendance": _f_attendance,
    "has_attendance": _f_has_attendance,
    "count": _f_count,
    "count_dim": _f_count_dim,
    "has_flag": _f_has_flag,
    "window_scores": _f_window_scores,
}


def _policy_texts(policy: Policy) -> list[str]:
    """Every expression text of a policy (for finding what it counts)."""
    out: list[str] = [str(v) for v in policy.measures.values()]
    for sc in policy.scorecards:
        out += [str(x) for x in (sc.subjects.where, sc.score) if x is not None]
        for d in sc.dimensions:
            out += [str(x) for x in (d.base, d.extra) if x is not None]
            out += [str(t.expr) for t in d.terms]
            if d.rank is not None:
                out.append(str(d.rank.metric))
        for pool in sc.pools:
            out += [str(x) for x in (pool.where, pool.counted) if x is not None]
            for step in pool.steps:
                for part in step.__dict__.values():
                    if part is None:
                        continue
                    for name in ("when", "count", "min_score"):
                        value = getattr(part, name, None)
                        if value is not None:
                            out.append(str(value))
                    for veto in getattr(part, "vetoes", []):
                        out.append(str(veto.when))
        out += [str(r.when) for r in sc.actions]
        if sc.bonus is not None:
            out += [str(sc.bonus.gross), *(str(x.amount) for x in sc.bonus.deductions)]
            if sc.bonus.when is not None:
                out.append(str(sc.bonus.when))
    return out


def _to_python(series: pl.Series) -> list[Any]:
    if isinstance(series.dtype, pl.Decimal):
        # through text: exact, and faster than polars' own Decimal conversion; a column's
        # values repeat (scores 30.00, 0.00 …), so each distinct text is parsed once (a
        # Decimal is immutable: sharing one object is safe)
        texts = series.cast(pl.String()).to_list()
        parsed: dict[str | None, Decimal | None] = {
            v: Decimal(v) for v in set(texts) if v is not None
        }
        parsed[None] = None
        return list(map(parsed.__getitem__, texts))
    return list(series.to_list())


class VectorRun(Run):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.want_trace = False
        self._vec: dict[tuple[str, ...], Any] = {}
        self._lookup: dict[tuple[str, ...], dict[str, Any]] = {}
        self._scalar_only: set[str] = set()

    # ------------------------------------------------------------ plumbing

    def _values(
        self, key: tuple[str, ...], sc: Scorecard, compute: Callable[[], pl.Series]
    ) -> dict[str, Any]:
        """The per-subject lookup of a column (built only when a subject asks)."""
        table = self._lookup.get(key)
        if table is None:
            series = self._series(key, sc, compute)
            table = dict(zip(self.members[sc.id], _to_python(series), strict=True))
            self._lookup[key] = table
        return table

    def _series(
        self, key: tuple[str, ...], sc: Scorecard, compute: Callable[[], pl.Series]
    ) -> pl.Series:
        series: pl.Series | None = self._vec.get(key)
        if series is None:
            if key in self._busy_v:
                raise PolicyRunError(f"policy {self.policy.id}: circular reference at {key}")
            self._busy_v.add(key)
            try:
                series = compute()
            finally:
                self._busy_v.discard(key)
            self._vec[key] = series
        return series

    @property
    def _busy_v(self) -> set[tuple[str, ...]]:
        busy: set[tuple[str, ...]] | None = self.__dict__.get("_busy_v_set")
        if busy is None:
            busy = set()
            self.__dict__["_busy_v_set"] = busy
        return busy

    # ------------------------------------------------------- member frames

    def member_frame(self, sc: Scorecard) -> pl.DataFrame:
        """A scorecard's members in order: idx (position), subject, sid (its number), window
        (a person's window, a window itself) and wsid (the window's number)."""
        key = ("__members__", sc.id)
        frame: pl.DataFrame | None = self._vec.get(key)
        if frame is None:
            members = self.members[sc.id]
            people = self.org.people
            number = self.ids().number
            windows = [
                p.window if p else s
                for s, p in zip(members, map(people.get, members), strict=True)
            ]
            frame = pl.DataFrame(
                {
                    "subject": members,
                    "sid": [number[s] for s in members],
                    "window": windows,
                    "wsid": [number.get(w) if w else None for w in windows],
                },
                schema={
                    "subject": pl.String(),
                    "sid": pl.UInt32(),
                    "window": pl.String(),
                    "wsid": pl.UInt32(),
                },
            ).with_row_index("idx")
            self._vec[key] = frame
        return frame

    def member_attr(self, sc: Scorecard, column: str) -> pl.Series:
        """A member attribute policies test (type, role, employment, kind), built when used."""
        key = ("__attr__", sc.id, column)
        series: pl.Series | None = self._vec.get(key)
        if series is None:
            members = self.members[sc.id]
            people = list(map(self.org.people.get, members))
            values: list[str | None]
            if column == "type":
                values = ["person" if p else "window" for p in people]
            elif column == "role":
                values = [p.role if p else None for p in people]
            elif column == "employment":
                values = [p.employment if p else None for p in people]
            elif column == "kind":
                values = [self.kind_of(s) for s in members]
            else:
                raise KeyError(column)
            series = pl.Series(column, values, dtype=pl.String())
            self._vec[key] = series
        return series

    def _scorecard_with(self, typ: str, code: str | None = None) -> list[Scorecard]:
        return [
            sc
            for sc in self.scorecards
            if sc.subjects.type == typ
            and (code is None or any(d.code == code for d in sc.dimensions))
        ]

    def _by_number(
        self, cards: list[Scorecard], compute: Callable[[Scorecard], pl.Series]
    ) -> tuple[pl.Series, pl.Series]:
        """The members' values of some scorecards, and where each subject number's value is.

        ``values`` are the scorecards' columns one after the other; ``position[sid]``
        is the place of that subject's value in them (null for a subject that is
        not a member). Looking values up by number is a gather, not a join on text.
        """
        sids = [self.member_frame(c)["sid"] for c in cards]
        values = pl.concat([compute(c) for c in cards]) if cards else pl.Series([], dtype=VDEC)
        members = pl.concat(sids) if sids else pl.Series([], dtype=pl.UInt32())
        position = pl.repeat(None, self.ids().frame.height, dtype=pl.UInt32(), eager=True)
        position.scatter(members, pl.int_range(0, len(members), dtype=pl.UInt32(), eager=True))
        return values, position

    def _lookup_members(
        self, links: pl.DataFrame, cards: list[Scorecard], compute: Callable[[Scorecard], pl.Series]
    ) -> Grouped:
        """(idx, value) for links (idx, sid) whose subject is a member of ``cards``."""
        values, position = self._by_number(cards, compute)
        found = links.select("idx", place=position.gather(links["sid"])).filter(
            pl.col("place").is_not_null()
        )
        return Grouped(found.select("idx", value=values.cast(VDEC).gather(found["place"])))

    def window_values(self, sc: Scorecard, compute: Callable[[Scorecard], pl.Series]) -> pl.Series:
        """A window-level column mapped onto the members' windows."""
        cards = self._scorecard_with("window")
        if not cards:
            raise Unsupported("no window scorecard")
        values, position = self._by_number(cards, compute)
        return values.gather(position.gather(self.member_frame(sc)["wsid"]))

    def staff_frame(self, sc: Scorecard) -> pl.DataFrame:
        """(idx of the window member, staff_sid) for the staff in post of each window member."""
        key = ("__staff__", sc.id)
        frame: pl.DataFrame | None = self._vec.get(key)
        if frame is None:
            ids = self.ids()
            frame = (
                self.member_frame(sc)
                .select("idx", wsid="sid")
                .join(ids.links["staff"], on="wsid", how="inner")
                .select("idx", staff_sid="tsid")
            )
            # in post all period long unless dates say otherwise; only then ask the calendar
            idle = [
                ids.number[p.id]
                for p in self.org.people.values()
                if (p.joined or p.left)
                and p.window
                and p.role == "staff"
                and not p.substitutes_for
                and not self.workdays_of(p.id)
            ]
            if idle:
                frame = frame.filter(~pl.col("staff_sid").is_in(idle))
            self._vec[key] = frame
        return frame

    def staff_grouped(
        self, sc: Scorecard, compute: Callable[[Scorecard], pl.Series], code: str | None
    ) -> Grouped:
        staff = self.staff_frame(sc).select("idx", sid="staff_sid")
        return self._lookup_members(staff, self._scorecard_with("person", code), compute)

    def rep_windows_grouped(self, sc: Scorecard) -> Grouped:
        rows = []
        for i, s in enumerate(self.members[sc.id]):
            p = self.org.people.get(s)
            if p is None:
                continue
            for w in self.org.chief_rep_windows(p):
                if w in self.scorecard_of:
                    rows.append((i, w))
        number = self.ids().number
        links = pl.DataFrame(
            {"idx": [i for i, _ in rows], "sid": [number.get(w) for _, w in rows]},
            schema={"idx": pl.UInt32(), "sid": pl.UInt32()},
        ).filter(pl.col("sid").is_not_null())
        return self._lookup_members(links, self._scorecard_with("window"), self.score_series)

    # ---------------------------------------------------------- fact columns

    def counter_frame(self, scope: str) -> pl.DataFrame:
        key = ("__counters__", scope)
        frame: pl.DataFrame | None = self._vec.get(key)
        if frame is None:
            start, end = self.scope_bounds(scope)
            items, dims = self._counted()
            item_dims = {it.code: it.dimension for it in self.policy.items}
            # a record of an item is in its item's dimension; one without an item in its own
            wanted = sorted(set(items) | {c for c, d in item_dims.items() if d in dims})
            counters = self._fast()[1].filter(
                pl.col("date").is_between(start, end)
                & (
                    pl.col("item").is_in(wanted)
                    | (pl.col("item").is_null() & pl.col("dimension").is_in(dims))
                )
            )
            # only filtered and summed per subject after this: no regrouping needed
            codes = counters.schema["item"]
            assert isinstance(codes, pl.Enum)
            dims_of_codes = pl.Series([item_dims[c] for c in codes.categories], dtype=pl.String())
            frame = counters.with_columns(
                dimension=pl.coalesce(
                    pl.lit(dims_of_codes).gather(pl.col("item").to_physical()),
                    pl.col("dimension"),
                )
            )
            self._vec[key] = frame
        return frame

    def _counted(self) -> tuple[list[str], list[str]]:
        """Items and dimensions some expression of the policy counts, flags or sums.

        Counters are only built for those, not for the whole ledger.
        """
        key = ("__counted__",)
        known: tuple[list[str], list[str]] | None = self._vec.get(key)
        if known is None:
            texts = _policy_texts(self.policy)
            items: set[str] = set()
            dims: set[str] = set()
            flags: set[str] = set()
            for text in texts:
                try:
                    tree = ast.parse(text.strip(), mode="eval")
                except SyntaxError:
                    continue
                for node in ast.walk(tree):
                    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                        continue
                    consts = [
                        a.value
                        for a in node.args
                        if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    ]
                    if node.func.id == "count":
                        items.update(consts)
                    elif node.func.id == "count_dim":
                        dims.update(consts[:1])
                    elif node.func.id == "has_flag":
                        flags.update(consts[:1])
            for it in self.policy.items:
                if flags & set(it.flags) or (it.major is not None and flags & set(it.major.flags)):
                    items.add(it.code)
                if it.major is not None and it.major.actions:
                    items.add(it.code)
            known = (sorted(items), sorted(dims))
            self._vec[key] = known
        return known

    def per_member_sum(self, sc: Scorecard, frame: pl.DataFrame, of: str) -> pl.Series:
        """Each member's total of ``n`` (with ``self_and_staff``, plus his staff's).

        The totals are laid out by subject number and gathered at the members'
        (and their staff's) numbers.
        """
        per_subject = frame.group_by("sid").agg(pl.col("n").sum())
        totals = pl.repeat(0, self.ids().frame.height, dtype=pl.Int64(), eager=True)
        totals.scatter(per_subject["sid"], per_subject["n"].cast(pl.Int64()))
        own = totals.gather(self.member_frame(sc)["sid"])
        if of == "self_and_staff":
            staff = self.staff_frame(sc)
            links = pl.DataFrame({"idx": staff["idx"], "value": totals.gather(staff["staff_sid"])})
            own = own + Grouped(links).agg("sum", len(own)).cast(pl.Int64())
        elif of == "self_and_window":
            # a person's window counts with him; a window is its own window (counted once)
            members = self.member_frame(sc)
            other = (members["wsid"].is_not_null() & (members["wsid"] != members["sid"])).fill_null(
                False
            )
            window_n = totals.gather(members["wsid"].fill_null(0))
            own = own + window_n * other.cast(pl.Int64())
        elif of != "self":
            raise ExprError(f"unknown of={of!r}: use {OF_HELP}")
        return own.rename("n")

    def _attendance_frame(self) -> pl.DataFrame:
        key = ("__attendance__",)
        frame: pl.DataFrame | None = self._vec.get(key)
        if frame is None:
            months = [str(m) for m in self.period.subperiods(PeriodKind.MONTH)]
            default = str(self.period) if self.period.kind is PeriodKind.MONTH else None
            table = self.facts["attendance"]
            if self.punch_attendance() is not None:
                raise Unsupported("punches")
            if table.height:
                month = pl.col("month").fill_null(pl.lit(default)) if default else pl.col("month")
                table = table.with_columns(month=month).filter(pl.col("month").is_in(months))
            fields = ("workdays", "present_days", "expected_signins", "missed_signins")
            frame = table.group_by("person").agg(
                [
                    pl.when(pl.col(c).is_not_null().any())
                    .then(pl.col(c).sum())
                    .otherwise(None)
                    .cast(VDEC)
                    .alias(c)
                    for c in fields
                ]
                + [pl.len().alias("rows")]
            )
            self._vec[key] = frame
        return frame

    def _attendance_place(self, sc: Scorecard) -> pl.Series:
        """Each member's row in the attendance frame (empty without one), found by number."""
        key = ("__attendance_place__", sc.id)
        place: pl.Series | None = self._vec.get(key)
        if place is None:
            rows = (
                self._attendance_frame()
                .select("person")
                .with_row_index("row")
                .join(self.ids().frame, left_on="person", right_on="subject", how="inner")
            )
            by_number = pl.repeat(None, self.ids().frame.height, dtype=pl.UInt32(), eager=True)
            by_number.scatter(rows["sid"], rows["row"])
            place = by_number.gather(self.member_frame(sc)["sid"])
            self._vec[key] = place
        return place

    def attendance_series(self, sc: Scorecard, field: str) -> pl.Series:
        place = self._attendance_place(sc)
        values = self._attendance_frame()[field].gather(place)
        schedule = self.policy.schedule
        if schedule is not None and field in ("expected_signins", "missed_signins"):
            if field == "missed_signins":
                default = _const(ZERO, len(values), VDEC)
            else:
                default = self._default_expected(
                    sc, len(schedule.signins), place.is_null() | values.is_null()
                )
            no_row = place.is_null() | values.is_null()
            values = _select(
                pl.when(pl.lit(no_row)).then(pl.lit(default)).otherwise(pl.lit(values))
            )
        return values.cast(VDEC)

    def _default_expected(self, sc: Scorecard, per_day: int, needed: pl.Series) -> pl.Series:
        """R8-style default: sign-ins per day × working days less leave, where no row exists."""
        from kaohe.engine.env import SubjectEnv, _count_leave, _workdays

        out: list[Decimal | None] = []
        assert self.policy.schedule is not None
        types = tuple(self.policy.schedule.excused)
        people, leave_rows = self.org.people, self.index.leave
        # a person in post all period with no leave rows has the period's value: worked out
        # once, by the same formula, for the first such person
        plain: Decimal | None = None
        for s, need in zip(self.members[sc.id], needed.to_list(), strict=True):
            if not need:
                out.append(None)
                continue
            person = people.get(s)
            if person is None:
                out.append(None)
                continue
            simple = person.joined is None and person.left is None and not leave_rows.get(s)
            if simple and plain is not None:
                out.append(plain)
                continue
            env = SubjectEnv(self, s, {})
            leave = _count_leave(env, types, "period", True)
            value = Decimal(per_day) * (_workdays(env) - leave)
            if simple:
                plain = value
            out.append(value)
        return pl.Series(out, dtype=VDEC)

    def has_attendance_series(self, sc: Scorecard) -> pl.Series:
        return self._attendance_place(sc).is_not_null()

    def measure_series(self, sc: Scorecard, name: str) -> pl.Series:
        text = self.policy.measures.get(name)
        if text is None:
            raise ExprError(f"unknown measure {name!r}")
        return self.expr_series(sc, text, {})

    # ------------------------------------------------------------ evaluation

    @staticmethod
    def _expr_key(sc: Scorecard, text: object, extra: dict[str, Any]) -> tuple[str, ...]:
        constants = repr(sorted(extra.items())) if extra else ""
        return ("__expr__", sc.id, str(text), constants)

    def expr_series(self, sc: Scorecard, text: object, extra: dict[str, Any]) -> pl.Series:
        key = self._expr_key(sc, text, extra)

        def compute() -> pl.Series:
            if str(text) in self._scalar_only:
                return self._scalar_series(sc, text, extra)
            try:
                value = compile_vector(text)(Ctx(self, sc, extra))
            except (Unsupported, SyntaxError):
                self._scalar_only.add(str(text))
                return self._scalar_series(sc, text, extra)
            if isinstance(value, Grouped):
                raise Unsupported("a group is not a value")
            return _lift(value, len(self.members[sc.id]))

        return self._series(key, sc, compute)

    def _scalar_series(self, sc: Scorecard, text: object, extra: dict[str, Any]) -> pl.Series:
        values = [
            Run.evaluate(self, text, s, "vector fallback", extra) for s in self.members[sc.id]
        ]
        if all(isinstance(v, bool) for v in values if v is not None) and any(
            isinstance(v, bool) for v in values
        ):
            return pl.Series(values, dtype=pl.Boolean())
        if all(isinstance(v, str) for v in values if v is not None) and any(
            isinstance(v, str) for v in values
        ):
            return pl.Series(values, dtype=pl.String())
        return pl.Series([None if v is None else D(v) for v in values], dtype=VDEC)

    @staticmethod
    def _columnar(extra: dict[str, Any]) -> bool:
        """Whether an evaluation with these constants can be answered from a column."""
        simple = all(isinstance(v, (int, Decimal, str, bool)) or v is None for v in extra.values())
        return simple and "gross" not in extra

    def _table(
        self, sc: Scorecard, text: object, where: str, extra: dict[str, Any]
    ) -> dict[str, Any]:
        """``text``'s value for every member of ``sc``, as a lookup (computed once)."""
        key = self._expr_key(sc, text, extra)
        table = self._lookup.get(key)
        if table is None:
            try:
                self.expr_series(sc, text, extra)
            except ExprError as exc:
                raise PolicyRunError(f"policy {self.policy.id}, {where}: {exc}") from None
            table = self._values(key, sc, lambda: self.expr_series(sc, text, extra))
        return table

    def evaluate(
        self, text: object, subject: str, where: str, extra: dict[str, Any] | None = None
    ) -> Any:
        sc = self.scorecard_of.get(subject)
        extra = extra or {}
        if sc is None or not self._columnar(extra):
            return Run.evaluate(self, text, subject, where, extra)
        return self._table(sc, text, where, extra)[subject]

    def evaluator(
        self, sc: Scorecard, text: object, where: str, extra: dict[str, Any] | None = None
    ) -> Callable[[str], Any]:
        """One lookup table for all the members asked about (built at the first question,
        as :meth:`evaluate` would build it), instead of a key built per member."""
        extra = extra or {}
        if not self._columnar(extra):
            return Run.evaluator(self, sc, text, where, extra)
        table: dict[str, Any] | None = None

        def lookup(subject: str) -> Any:
            nonlocal table
            if table is None:
                table = self._table(sc, text, where, extra)
            if subject in table:
                return table[subject]
            return self.evaluate(text, subject, where, extra)

        return lookup

    def holds(self, sc: Scorecard, text: object, where: str) -> list[str]:
        try:
            series = self.expr_series(sc, text, {})
        except ExprError as exc:
            raise PolicyRunError(f"policy {self.policy.id}, {where}: {exc}") from None
        flags = series.cast(pl.Boolean()).fill_null(False).to_list()
        return [s for s, hit in zip(self.members[sc.id], flags, strict=True) if hit]

    # ------------------------------------------------------------ dimensions

    def dim_value(self, subject: str, code: str) -> Decimal:
        sc = self.scorecard_of[subject]
        value: Decimal = self._values(("__dim__", sc.id, code), sc, lambda: self._dim(sc, code))[
            subject
        ]
        return value

    def dim_series(self, sc: Scorecard, code: str) -> pl.Series:
        return self._series(("__dim__", sc.id, code), sc, lambda: self._dim(sc, code))

    def deducted(self, subject: str, code: str) -> Decimal:
        sc = self.scorecard_of[subject]
        self.dim_series(sc, code)
        key = ("__deducted__", sc.id, code)
        value: Decimal = self._values(key, sc, lambda: self._vec[key])[subject]
        return value

    def deducted_series(self, sc: Scorecard, code: str) -> pl.Series:
        self.dim_series(sc, code)
        series: pl.Series = self._vec[("__deducted__", sc.id, code)]
        return series

    def _fast(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Sums and counters of the period in one pass (cached for the run family)."""
        key = "__fast__" + str(self.period)
        cached: tuple[pl.DataFrame, pl.DataFrame] | None = self.cache.get(key)
        if cached is None:
            from kaohe.engine.contributions import fast_sums

            given = self.facts["records"]
            derived = self._derived_records()
            frame = pl.concat([given, derived], how="diagonal_relaxed") if derived.height else given
            cached = fast_sums(
                self.policy, self.org, frame, self.period.start, self.period.end, self.ids()
            )
            self.cache[key] = cached
        return cached

    def ids(self) -> SubjectIds:
        """The organisation's subject numbers (built once for the run family)."""
        ids: SubjectIds | None = self.cache.get("__ids__")
        if ids is None:
            ids = SubjectIds(self.org)
            self.cache["__ids__"] = ids
        return ids

    def _sum_frame(self, dimension: str) -> dict[tuple[Any, Any], pl.DataFrame]:
        """The period's points of one dimension per target, by (part, effect).

        The sums are split once: each dimension of each scorecard reads only its
        own rows instead of filtering all of them.
        """
        key = ("__sums__",)
        parts: dict[str, dict[tuple[Any, Any], pl.DataFrame]] | None = self._vec.get(key)
        if parts is None:
            frame = self._fast()[0].with_columns(pl.col("total").cast(VDEC))
            parts = {}
            for (dim, part, effect), rows in frame.partition_by(
                ["dimension", "part", "effect"], as_dict=True
            ).items():
                parts.setdefault(str(dim), {})[(part, effect)] = rows
            self._vec[key] = parts
        return parts.get(dimension, {})

    def _dim(self, sc: Scorecard, code: str) -> pl.Series:
        dim = next(d for d in sc.dimensions if d.code == code)
        n = len(self.members[sc.id])
        if dim.kind == "rank_points":
            return pl.Series(
                [Run._compute_dim(self, s, code) for s in self.members[sc.id]], dtype=VDEC
            )
        if dim.kind == "formula":
            total = _const(ZERO, n, VDEC)
            for term in dim.terms:
                total = (total + _num(self.expr_series(sc, term.expr, {}), n)).cast(VDEC)
            return self._cap_floor(dim, total)
        members = self.member_frame(sc)["sid"]
        caps = {p.code: p.max for p in dim.parts}
        deducted, added = _const(ZERO, n, VDEC), _const(ZERO, n, VDEC)
        # fast_sums holds one row per (target, part, effect): each part's rows are laid out
        # by target number and read at the members' numbers, sub-part maxima applied
        for (part, effect), rows in self._sum_frame(code).items():
            if effect not in ("deduct", "add"):
                continue
            amount = pl.col("total")
            maximum = caps.get(part) if isinstance(part, str) else None
            if effect == "deduct" and maximum is not None:
                cap = pl.lit(maximum, dtype=VDEC)
                amount = pl.when(amount > cap).then(cap).otherwise(amount)
            by_target = pl.repeat(None, self.ids().frame.height, dtype=VDEC, eager=True)
            by_target.scatter(rows["tsid"], rows.select(amount.cast(VDEC)).to_series())
            values = by_target.gather(members).fill_null(ZERO)
            if effect == "deduct":
                deducted = (deducted + values).cast(VDEC)
            else:
                added = (added + values).cast(VDEC)
        self._vec[("__deducted__", sc.id, code)] = deducted
        if dim.kind == "deduct":
            if dim.base is not None:
                base = _num(self.expr_series(sc, dim.base, {}), n)
            else:
                assert dim.max is not None
                base = _num(dim.max, n)
            value = (base - deducted + added).cast(VDEC)
        else:
            value = (added - deducted).cast(VDEC)
        if dim.extra is not None:
            extra = _num(self.expr_series(sc, dim.extra, {}), n)
            if dim.extra_round is not None:
                extra = _f_round(None, extra, dim.extra_round.places, dim.extra_round.mode)  # type: ignore[arg-type]
            value = (value - extra if dim.kind == "deduct" else value + extra).cast(VDEC)
        return self._cap_floor(dim, value)

    @staticmethod
    def _cap_floor(dim: Dimension, value: pl.Series) -> pl.Series:
        expr = pl.lit(value)
        if dim.cap is not None:
            expr = pl.min_horizontal(expr, pl.lit(dim.cap, dtype=VDEC))
        if dim.floor is not None:
            expr = pl.max_horizontal(expr, pl.lit(dim.floor, dtype=VDEC))
        return _select(expr).cast(VDEC)

    # ---------------------------------------------------------------- scores

    def score_series(self, sc: Scorecard) -> pl.Series:
        return self._series(("__score__", sc.id), sc, lambda: self._score(sc))

    def exact_score(self, subject: str) -> Decimal:
        sc = self.scorecard_of[subject]
        value: Decimal = self._values(("__score__", sc.id), sc, lambda: self._score(sc))[subject]
        return value

    def _score(self, sc: Scorecard) -> pl.Series:
        n = len(self.members[sc.id])
        if sc.score is not None:
            for dim in sc.dimensions:
                self.dim_series(sc, dim.code)
            value = _num(self.expr_series(sc, sc.score, {}), n)
            if value.null_count():
                raise PolicyRunError(f"policy {self.policy.id}: no score ({sc.score} is empty)")
        else:
            value = _const(ZERO, n, VDEC)
            for dim in sc.dimensions:
                series = self.dim_series(sc, dim.code)
                if dim.in_total:
                    value = (value + series).cast(VDEC)
        expr = pl.lit(value)
        if sc.total.floor is not None:
            expr = pl.max_horizontal(expr, pl.lit(sc.total.floor, dtype=VDEC))
        if sc.total.max is not None:
            expr = pl.min_horizontal(expr, pl.lit(sc.total.max, dtype=VDEC))
        return _select(expr).cast(VDEC)

    # ---------------------------------------------------------------- output

    @staticmethod
    def _reported(series: pl.Series, places: int, mode: str) -> list[Any]:
        """Rounded as the policy reports, at exactly ``places`` decimals like the scalar run."""
        rounded = _f_round(None, series, places, mode)  # type: ignore[arg-type]
        return _to_python(rounded.cast(pl.Decimal(38, places)))

    def pool_of(self, subject: str) -> Any:
        sc = self.scorecard_of.get(subject)
        if sc is None or not sc.pools:
            return None
        return self._pools(sc).get(subject)

    def _pools(self, sc: Scorecard) -> dict[str, Any]:
        """Each member's grading pool: the first whose ``where`` holds, decided column-wise."""
        key = ("__pools__", sc.id)
        table: dict[str, Any] | None = self._vec.get(key)
        if table is None:
            table = {}
            members = self.members[sc.id]
            for pool in sc.pools:
                if pool.where is None:
                    hits = [True] * len(members)
                else:
                    hits = (
                        self.expr_series(sc, pool.where, {})
                        .cast(pl.Boolean())
                        .fill_null(False)
                        .to_list()
                    )
                for s, hit in zip(members, hits, strict=True):
                    if hit and s not in table:
                        table[s] = pool
            self._vec[key] = table
        return table

    def _competition_ranks(self, sc: Scorecard) -> dict[str, int]:
        """Ranks among all members by exact score, equal scores sharing the better rank.

        The same table as :func:`kaohe.engine.run.competition_ranks` over the exact
        scores (which are this column's values), ranked in Polars.
        """
        members = self.members[sc.id]

        def compute() -> dict[str, int]:
            ranks = self.score_series(sc).rank(method="min", descending=True)
            return dict(zip(members, ranks.cast(pl.Int64()).to_list(), strict=True))

        table: dict[str, int] = self._memoised((sc.id, "ranks"), compute)
        return table

    def _plain_ranks(self, sc: Scorecard) -> list[int]:
        """Competition ranks of all members by exact score, in member order (memoised)."""
        key = ("__plain_ranks__", sc.id)
        ranks: list[int] | None = self._vec.get(key)
        if ranks is None:
            ranks = (
                self.score_series(sc).rank(method="min", descending=True).cast(pl.Int64()).to_list()
            )
            self._vec[key] = ranks
        return ranks

    def _chief_actions(self) -> dict[str, list[str]]:
        """The actions rules on other subjects give each chief rep (约谈 of the 首席代表).

        The same actions, in the same first-seen order, as the scalar run's
        :func:`~kaohe.engine.grading._chief_rep_actions`, without its per-subject
        texts (trace lines, which a batch run does not keep): a chief rep is reached
        once per window of the subjects a rule holds for, not once per subject.
        """
        out: dict[str, list[str]] = {}
        people, windows = self.org.people, self.org.windows
        # a member's window is a window member itself, else the person's window (what the
        # member frame holds, unless an id names both a person and a window)
        ambiguous = bool(people.keys() & windows.keys())
        chief_reps = self.index.chief_reps if ambiguous else {}
        for sc in self.scorecards:
            for rule in sc.actions:
                if rule.target != "chief_rep":
                    continue
                try:
                    hits = self.expr_series(sc, rule.when, {}).cast(pl.Boolean()).fill_null(False)
                except ExprError as exc:
                    where = f"scorecard {sc.id}.actions"
                    raise PolicyRunError(f"policy {self.policy.id}, {where}: {exc}") from None
                if ambiguous:
                    reached: list[str | None] = []
                    for other in self.member_frame(sc)["subject"].filter(hits).to_list():
                        if other in windows:
                            reached.append(other)
                        else:
                            person = people.get(other)
                            reached.append(person.window if person else None)
                    chiefs = [c for w in dict.fromkeys(reached) if w for c in chief_reps.get(w, ())]
                else:
                    ids = self.ids()
                    windows_hit = self.member_frame(sc).filter(hits)["wsid"].drop_nulls().unique()
                    links = ids.links["chief_rep"]
                    found = links.filter(pl.col("wsid").is_in(windows_hit.implode()))["tsid"]
                    chiefs = ids.names.gather(found).to_list()
                for chief in chiefs:
                    actions = out.setdefault(chief, [])
                    if rule.action not in actions:
                        actions.append(rule.action)
        return out

    def result(self, subjects: Any = None, trace: bool = False) -> Any:
        """Results built column by column; the same fields as the scalar run's, without trace lines.

        Python's cyclic garbage collector is paused meanwhile: a province's run
        creates hundreds of thousands of objects that all stay alive (results,
        their dimension dicts and action lists), and every full collection the
        allocations trigger would rescan the whole heap for nothing.
        """
        if not gc.isenabled():
            return self._result(subjects)
        gc.disable()
        try:
            return self._result(subjects)
        finally:
            gc.enable()

    def _result(self, subjects: Any) -> Any:
        from kaohe.engine.grading import _bonus, _major_actions
        from kaohe.engine.results import RunResult, SubjectResult

        places, mode = self.policy.reporting.places, self.policy.reporting.mode
        wanted = None if subjects is None else set(subjects)
        out: dict[str, SubjectResult] = {}
        chief_actions: dict[str, list[str]] = self._chief_actions()
        has_major_actions = any(i.major is not None and i.major.actions for i in self.policy.items)
        chief_get = chief_actions.get
        for sc in self.scorecards:
            members = self.members[sc.id]
            if not members:
                continue
            exact = _to_python(self.score_series(sc))
            reported = self._reported(self.score_series(sc), places, mode)
            dims = {
                d.code: self._reported(self.dim_series(sc, d.code), places, mode)
                for d in sc.dimensions
            }
            rule_hits = [
                (rule.action, _to_python(self.expr_series(sc, rule.when, {})))
                for rule in sc.actions
                if rule.target == "subject"
            ]
            pools = self._pools(sc) if sc.pools else None
            codes = list(dims)
            rows: list[dict[str, Any]] = (
                list(map(dict, map(zip, repeat(codes), zip(*dims.values(), strict=True))))
                if codes
                else [{} for _ in members]
            )
            n, bonus = len(members), sc.bonus is not None
            chosen = [s in wanted for s in members] if wanted is not None else None
            ranks: list[int | None] = [None] * n
            grades: list[str | None] = [None] * n
            pool_ids: list[str | None] = [None] * n
            bonuses: list[Decimal | None] = [None] * n
            majors: dict[int, list[str]] = {}
            if pools is None and not bonus and not has_major_actions:
                if chosen is None or any(chosen):
                    ranks = self._plain_ranks(sc)  # type: ignore[assignment]
            else:
                # member by member, as before: a pool is graded when its first member asks,
                # then that member's aggravated-record actions and money
                outcomes: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
                for i, s in enumerate(members):
                    if chosen is not None and not chosen[i]:
                        continue
                    pool = pools.get(s) if pools is not None else None
                    if pool is not None:
                        outcome = outcomes.get(pool.id)
                        if outcome is None:
                            graded = self.pool_outcome(sc, pool)
                            outcome = outcomes[pool.id] = (graded["ranks"], graded["grades"])
                        ranks[i], grades[i], pool_ids[i] = (
                            outcome[0].get(s),
                            outcome[1].get(s),
                            pool.id,
                        )
                    else:
                        ranks[i] = self._plain_ranks(sc)[i]
                    if has_major_actions:
                        majors[i] = [a for a, _ in _major_actions(self, s)]
                    if bonus:
                        bonuses[i] = _bonus(self, s, sc, [])
            # actions: the subject's rules in order, then a chief rep's, then aggravated records'
            actions: list[list[str]] = [[] for _ in members]
            for action, hits in rule_hits:
                for i in compress(range(n), hits):
                    if action not in actions[i]:
                        actions[i].append(action)
            if chief_actions:
                for i, given in enumerate(map(chief_get, members)):
                    for other in given or ():
                        if other not in actions[i]:
                            actions[i].append(other)
            for i, found in majors.items():
                for major in found:
                    if major not in actions[i]:
                        actions[i].append(major)
            results = map(
                SubjectResult,
                members,
                repeat(sc.id),
                reported,
                exact,
                ranks,
                grades,
                pool_ids,
                rows,
                bonuses,
                actions,
            )
            if chosen is None:
                out.update(zip(members, results, strict=True))
            else:
                kept = zip(members, results, chosen, strict=True)
                out.update((s, r) for s, r, keep in kept if keep)
        return RunResult(
            self.policy.id, str(self.period), out, list(self.warnings), self.calendar.fingerprint()
        )
