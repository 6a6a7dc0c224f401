"""A small, safe expression language for formulas and conditions in policies.

Policies say things like ``mean(window_scores()) * 0.55 + attendance_rate * 100 * 0.45``
or ``leave_days() > workdays / 3``. The text is parsed with Python's ``ast``
module and compiled into closures over a whitelist of node types: arithmetic,
comparisons, ``and``/``or``/``not``, ``x if c else y``, lists, and calls of named
functions. Nothing is ever passed to ``eval``; attribute access, subscripts,
lambdas and comprehensions are rejected at load time. Number literals become
``Decimal`` from their source text, so ``0.55`` is exactly 0.55.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from kaohe.engine.numbers import D, round_to, to_int

Value = Any


class ExprError(ValueError):
    """An expression that cannot be parsed or evaluated; the message names it."""


class Env(Protocol):
    def variable(self, name: str) -> Value: ...

    def function(self, name: str) -> Callable[..., Value] | None: ...


Compiled = Callable[[Env], Value]


def _num(value: Value, text: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int):
        return Decimal(value)
    raise ExprError(f"{text}: expected a number, got {value!r}")


def _mean(values: Sequence[Value]) -> Value:
    items = [v for v in values if v is not None]
    if not items:
        return None
    return sum((_num(v, "mean") for v in items), Decimal(0)) / len(items)


def _sum(values: Sequence[Value]) -> Decimal:
    return sum((_num(v, "sum") for v in values if v is not None), Decimal(0))


def _round(value: Value, places: Value = 0, mode: str = "half_up") -> Decimal:
    return round_to(_num(value, "round"), int(places), mode)  # type: ignore[arg-type]


def _floor(value: Value) -> Decimal:
    return Decimal(to_int(_num(value, "floor"), "floor"))


def _ceil(value: Value) -> Decimal:
    return Decimal(to_int(_num(value, "ceil"), "ceil"))


def _div(a: Value, b: Value, default: Value = Decimal(0)) -> Value:
    bn = _num(b, "div")
    return default if bn == 0 else _num(a, "div") / bn


def _coalesce(*values: Value) -> Value:
    for v in values:
        if v is not None:
            return v
    return None


def _min(*args: Value) -> Value:
    items = list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)
    items = [i for i in items if i is not None]
    return min(items) if items else None


def _max(*args: Value) -> Value:
    items = list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)
    items = [i for i in items if i is not None]
    return max(items) if items else None


def _count_of(values: Value, *wanted: Value) -> Decimal:
    """How many entries of a list are one of ``wanted``: e.g. the months graded 基本合格 or
    不合格 among ``sub_grades('month')`` (宝山 五(七)7); no list (no sub-periods) counts 0."""
    if values is None:
        return Decimal(0)
    if not isinstance(values, list):
        raise ExprError(f"count_of: expected a list, got {values!r}")
    return Decimal(sum(1 for v in values if v is not None and v in wanted))


BUILTINS: dict[str, Callable[..., Value]] = {
    "min": _min,
    "max": _max,
    "abs": lambda x: abs(_num(x, "abs")),
    "round": _round,
    "floor": _floor,
    "ceil": _ceil,
    "mean": _mean,
    "sum": _sum,
    "len": lambda xs: Decimal(len([x for x in xs if x is not None])),
    "any": lambda xs: any(bool(x) for x in xs),
    "all": lambda xs: all(bool(x) for x in xs),
    "div": _div,
    "coalesce": _coalesce,
    "count_of": _count_of,
}

_BINOPS: dict[type[ast.operator], Callable[[Decimal, Decimal], Decimal]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}

_CMPOPS: dict[type[ast.cmpop], Callable[[Value, Value], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


@dataclass(frozen=True)
class Expr:
    """A compiled expression; ``names`` are the variables and functions it uses."""

    text: str
    names: frozenset[str]
    _fn: Compiled

    def __call__(self, env: Env) -> Value:
        try:
            return self._fn(env)
        except ExprError:
            raise
        except ZeroDivisionError:
            raise ExprError(f"{self.text}: division by zero") from None
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise ExprError(f"{self.text}: {exc}") from None


class _Compiler:
    def __init__(self, text: str) -> None:
        self.text = text
        self.names: set[str] = set()

    def fail(self, node: ast.AST, why: str) -> ExprError:
        seg = ast.get_source_segment(self.text, node) or type(node).__name__
        return ExprError(f"{self.text!r}: {why}: {seg}")

    def compile(self, node: ast.AST) -> Compiled:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise self.fail(node, "not allowed in a policy expression")
        fn: Compiled = method(node)
        return fn

    def _Expression(self, node: ast.Expression) -> Compiled:
        return self.compile(node.body)

    def _Constant(self, node: ast.Constant) -> Compiled:
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return lambda env: value
        if isinstance(value, (int, float)):
            text = ast.get_source_segment(self.text, node) or repr(value)
            number = D(text.replace("_", ""))
            return lambda env: number
        raise self.fail(node, "unsupported literal")

    def _Name(self, node: ast.Name) -> Compiled:
        name = node.id
        if name in ("true", "True"):
            return lambda env: True
        if name in ("false", "False"):
            return lambda env: False
        if name in ("none", "None", "null"):
            return lambda env: None
        self.names.add(name)
        return lambda env: env.variable(name)

    def _List(self, node: ast.List) -> Compiled:
        parts = [self.compile(e) for e in node.elts]
        return lambda env: [p(env) for p in parts]

    _Tuple = _List

    def _UnaryOp(self, node: ast.UnaryOp) -> Compiled:
        inner = self.compile(node.operand)
        text = self.text
        if isinstance(node.op, ast.USub):
            return lambda env: -_num(inner(env), text)
        if isinstance(node.op, ast.UAdd):
            return lambda env: +_num(inner(env), text)
        if isinstance(node.op, ast.Not):
            return lambda env: not inner(env)
        raise self.fail(node, "unsupported operator")

    def _BinOp(self, node: ast.BinOp) -> Compiled:
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise self.fail(node, "unsupported operator")
        left, right = self.compile(node.left), self.compile(node.right)
        text = self.text

        def run(env: Env) -> Value:
            return op(_num(left(env), text), _num(right(env), text))

        return run

    def _BoolOp(self, node: ast.BoolOp) -> Compiled:
        parts = [self.compile(v) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda env: all(p(env) for p in parts)
        return lambda env: any(p(env) for p in parts)

    def _Compare(self, node: ast.Compare) -> Compiled:
        first = self.compile(node.left)
        pairs: list[tuple[Callable[[Value, Value], bool], Compiled]] = []
        for op, comp in zip(node.ops, node.comparators, strict=True):
            fn = _CMPOPS.get(type(op))
            if fn is None:
                raise self.fail(node, "unsupported comparison")
            pairs.append((fn, self.compile(comp)))

        def run(env: Env) -> bool:
            left = first(env)
            for fn, comp in pairs:
                right = comp(env)
                if left is None or right is None:
                    if fn in (operator.eq, operator.ne):
                        if not fn(left, right):
                            return False
                        left = right
                        continue
                    return False
                if not fn(left, right):
                    return False
                left = right
            return True

        return run

    def _IfExp(self, node: ast.IfExp) -> Compiled:
        test, body, orelse = (
            self.compile(node.test),
            self.compile(node.body),
            self.compile(node.orelse),
        )
        return lambda env: body(env) if test(env) else orelse(env)

    def _Call(self, node: ast.Call) -> Compiled:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only named functions can be called")
        name = node.func.id
        args = [self.compile(a) for a in node.args]
        kwargs: dict[str, Compiled] = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise self.fail(node, "** arguments are not allowed")
            kwargs[kw.arg] = self.compile(kw.value)
        builtin = BUILTINS.get(name)
        if builtin is None:
            self.names.add(name + "()")
        text = self.text

        def run(env: Env) -> Value:
            fn = builtin or env.function(name)
            if fn is None:
                raise ExprError(f"{text}: unknown function {name}()")
            return fn(*(a(env) for a in args), **{k: v(env) for k, v in kwargs.items()})

        return run


def compile_expr(text: str | int | float | Decimal) -> Expr:
    """Compile policy text into an :class:`Expr`; raises :class:`ExprError` with the reason."""
    if isinstance(text, (int, float, Decimal)) and not isinstance(text, bool):
        value = D(text)
        return Expr(str(text), frozenset(), lambda env: value)
    if not isinstance(text, str) or not text.strip():
        raise ExprError(f"empty or non-text expression: {text!r}")
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"{source!r}: syntax error at column {exc.offset}") from None
    compiler = _Compiler(source)
    fn = compiler.compile(tree)
    return Expr(source, frozenset(compiler.names), fn)


@dataclass
class DictEnv:
    """An environment backed by dictionaries, for tests and simple callers."""

    variables: dict[str, Value]
    functions: dict[str, Callable[..., Value]] | None = None

    def variable(self, name: str) -> Value:
        if name not in self.variables:
            raise ExprError(f"unknown name: {name}")
        return self.variables[name]

    def function(self, name: str) -> Callable[..., Value] | None:
        return (self.functions or {}).get(name)


def keyword_constants(text: str, keyword: str) -> set[str]:
    """The constant string values given to ``keyword=`` in any call of an expression text."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if (
                    kw.arg == keyword
                    and isinstance(kw.value, ast.Constant)
                    and isinstance(kw.value.value, str)
                ):
                    found.add(kw.value.value)
    return found
