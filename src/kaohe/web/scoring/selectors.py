"""Reads for the score pages: periods, ranking rows, a subject's card, trends, top items.

Every number shown comes from a stored engine run (``services.current_run``);
nothing here scores.  These functions only pick, order and group what the
engine wrote, and decide which of it a user may see.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse

from kaohe.engine import Period, Policy
from kaohe.engine.periods import PeriodKind
from kaohe.web.accounts.models import User
from kaohe.web.accounts.scope import visible_people, visible_windows
from kaohe.web.ledger.models import Record
from kaohe.web.org.models import Assignment, Center, Person, Unit
from kaohe.web.scoring import bridge, services
from kaohe.web.scoring.models import RunStatus, ScoreRun

KIND_ORDER = (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)
#: How many past periods the selector offers per kind.
CHOICES_PER_KIND = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 4, PeriodKind.YEAR: 2}
KIND_LABEL = {PeriodKind.MONTH: "月度", PeriodKind.QUARTER: "季度", PeriodKind.YEAR: "年度"}
TREND_LENGTH = 6
MAX_RANGE = 12


# ---------------------------------------------------------------- numbers


def dec(value: object) -> Decimal | None:
    """A stored decimal string back to a Decimal (``None`` stays ``None``)."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def fmt(value: Decimal | None) -> str:
    """Exact, no exponent, no trailing zeros; how the engine stores numbers."""
    if value is None:
        return ""
    v = value.normalize()
    return format(v if v != 0 else Decimal(0), "f")


# ---------------------------------------------------------------- periods


def period_label(p: Period) -> str:
    if p.kind is PeriodKind.MONTH:
        return f"{p.year} 年 {p.index} 月"
    if p.kind is PeriodKind.QUARTER:
        return f"{p.year} 年第 {p.index} 季度"
    return f"{p.year} 年"


def policy_kinds(policy: Policy) -> list[PeriodKind]:
    """The period kinds the regulation scores, shortest first."""
    present = {sc.period for sc in policy.scorecards}
    return [k for k in KIND_ORDER if k in present]


def latest_complete(kind: PeriodKind, today: date) -> Period:
    """The last period of ``kind`` that ended before ``today``."""
    return Period.parse(today).enclosing(kind).previous()


@dataclass(frozen=True)
class PeriodChoice:
    value: str
    label: str
    kind: str


@dataclass
class PeriodContext:
    """The period asked for, the policy in force for it and the choices offered."""

    period: Period
    policy: Policy | None
    kinds: list[PeriodKind]
    choices: list[PeriodChoice]
    error: str = ""

    @property
    def label(self) -> str:
        return period_label(self.period)


def _policy_or_none(center: Center, on: date) -> tuple[Policy | None, str]:
    try:
        return bridge.policy_for(center, on), ""
    except bridge.NoPolicyError as exc:
        return None, str(exc)


def period_context(
    center: Center, raw: str | None, today: date, *, kinds: list[PeriodKind] | None = None
) -> PeriodContext:
    """Parse ``?period=``; default to the latest complete period of the shortest kind.

    The kinds come from the regulation in force today; an unparsable value
    falls back to the default (a bookmarked bad link still opens a page).
    """
    policy_today, error = _policy_or_none(center, today)
    offered = kinds or (policy_kinds(policy_today) if policy_today else [PeriodKind.MONTH])
    offered = offered or [PeriodKind.MONTH]
    period: Period | None = None
    if raw:
        try:
            period = Period.parse(raw)
        except ValueError:
            period = None
    if period is None:
        period = latest_complete(offered[0], today)
    choices = [
        PeriodChoice(str(p), period_label(p), KIND_LABEL[kind])
        for kind in offered
        for p in _last(latest_complete(kind, today), CHOICES_PER_KIND[kind])
    ]
    if str(period) not in {c.value for c in choices}:
        choices.insert(0, PeriodChoice(str(period), period_label(period), KIND_LABEL[period.kind]))
    policy, error = _policy_or_none(center, period.end)
    return PeriodContext(period, policy, offered, choices, error)


def _last(p: Period, n: int) -> list[Period]:
    out = [p]
    while len(out) < n:
        out.append(out[-1].previous())
    return out


def periods_between(first: Period, last: Period) -> list[Period]:
    """``first`` … ``last`` of one kind, oldest first, at most ``MAX_RANGE``."""
    if first.kind is not last.kind:
        raise ValueError("起止考核期类型不同")
    if first > last:
        first, last = last, first
    out = [last]
    while out[-1] != first and len(out) < MAX_RANGE:
        out.append(out[-1].previous())
    return list(reversed(out))


# ---------------------------------------------------------------- runs


_UNKNOWN_YEAR = re.compile(r"工作日历未收录 (\d{4}) 年")


def run_error_message(error: str) -> str:
    """An engine refusal in words a hall's staff understand."""
    if m := _UNKNOWN_YEAR.search(error):
        return f"{m.group(1)} 年的工作日历尚未录入，无法计分。请系统管理员先录入该年的节假日安排。"
    if "尚未选定考核办法" in error:
        return "本中心尚未选定考核办法，无法计分。"
    return f"计分失败：{error}"


@dataclass
class RunView:
    """A run as the pages need it: its subjects, or why there are none."""

    run: ScoreRun | None
    subjects: dict[str, dict[str, Any]]
    message: str = ""
    stale: bool = False


def run_view(center: Center, period: Period) -> RunView:
    run = services.current_run(center, period)
    if run.status == RunStatus.FAILED:
        return RunView(run, {}, run_error_message(run.error))
    result = run.result or {}
    subjects: dict[str, dict[str, Any]] = result.get("subjects") or {}
    stale = run.status in (RunStatus.STALE, RunStatus.RUNNING)
    if not result:
        return RunView(run, {}, "正在计算，请稍后刷新。", stale=True)
    return RunView(run, subjects, stale=stale)


# ---------------------------------------------------------------- scope


@dataclass(frozen=True)
class Visible:
    """The person and window codes a user may see scores of."""

    people: frozenset[str]
    windows: frozenset[str]

    def allows(self, code: str, subject: dict[str, Any] | None = None) -> bool:
        if subject is not None:
            kind = subject.get("kind")
            return code in (self.people if kind == "person" else self.windows)
        return code in self.people or code in self.windows


def visible(user: User) -> Visible:
    return Visible(
        frozenset(visible_people(user).values_list("code", flat=True)),
        frozenset(visible_windows(user).values_list("code", flat=True)),
    )


# ---------------------------------------------------------------- ranking


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False


@dataclass
class Tab:
    id: str
    name: str
    columns: list[Column]
    dimensions: list[tuple[str, str]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    has_bonus: bool = False


BASE_SORTS = ("rank", "name", "window", "unit", "score", "grade", "bonus")


def ranking_tabs(
    policy: Policy | None,
    period: Period,
    subjects: dict[str, dict[str, Any]],
    seen: Visible,
    unit_names: dict[str, str] | None = None,
) -> list[Tab]:
    """One tab per scorecard of the period that has visible subjects, rows unsorted."""
    unit_names = unit_names or {}
    tabs: dict[str, Tab] = {}
    cards = [sc for sc in (policy.scorecards if policy else []) if sc.period is period.kind]
    for sc in cards:
        dims = [(d.code, d.name) for d in sc.dimensions]
        tabs[sc.id] = Tab(sc.id, sc.name, [], dims)
    for code, s in subjects.items():
        if not seen.allows(code, s):
            continue
        tab = tabs.get(s.get("scorecard") or "")
        if tab is None:
            card = s.get("scorecard") or "?"
            tab = tabs[card] = Tab(card, card, [], [(d, d) for d in s.get("dimensions", {})])
        tab.rows.append({"code": code, **s, "unit_name": unit_names.get(s.get("unit") or "", "")})
        if s.get("bonus") is not None:
            tab.has_bonus = True
    out = [t for t in tabs.values() if t.rows]
    for t in out:
        t.columns = [
            Column("rank", "名次", True),
            Column("name", "名称"),
            Column("window", "窗口"),
            Column("unit", "单位"),
            *[Column(f"dim:{code}", name, True) for code, name in t.dimensions],
            Column("score", "得分", True),
            Column("grade", "等次"),
        ]
        if t.has_bonus:
            t.columns.append(Column("bonus", "奖金", True))
    return out


def _sort_value(row: dict[str, Any], key: str) -> tuple[int, Any]:
    if key.startswith("dim:"):
        value: Any = dec(row.get("dimensions", {}).get(key[4:]))
    elif key in ("score", "bonus"):
        value = dec(row.get(key))
    elif key == "rank":
        value = row.get("rank")
    else:
        value = row.get(key) or None
    return (1, 0) if value is None else (0, value)


def sort_rows(
    rows: list[dict[str, Any]], sort: str, columns: list[Column]
) -> tuple[list[dict[str, Any]], str]:
    """Order rows by ``sort`` (``-`` prefix: descending; missing values last).

    Returns the rows and the sort actually used (an unknown key falls back to rank).
    """
    desc = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in {c.key for c in columns}:
        key, desc = "rank", False
    present = [r for r in rows if _sort_value(r, key)[0] == 0]
    missing = [r for r in rows if _sort_value(r, key)[0] == 1]
    present.sort(key=lambda r: r["code"])
    present.sort(key=lambda r: _sort_value(r, key)[1], reverse=desc)  # stable: ties by code
    missing.sort(key=lambda r: r["code"])
    return present + missing, ("-" if desc else "") + key


def cell(row: dict[str, Any], column: Column) -> Any:
    if column.key.startswith("dim:"):
        return row.get("dimensions", {}).get(column.key[4:])
    if column.key == "unit":
        return row.get("unit_name") or row.get("unit")
    return row.get(column.key)


def unit_names(center: Center) -> dict[str, str]:
    return dict(Unit.objects.filter(center=center).values_list("code", "name"))


# ---------------------------------------------------------------- card

#: The engine's trace kinds as the card names them.
TRACE_KIND_LABEL = {
    "base": "起始分",
    "record": "台账记录",
    "records": "台账记录",
    "formula": "公式",
    "cap": "封顶",
    "floor": "保底",
    "rounding": "取整",
    "rank_points": "排名得分",
    "quota": "名额",
    "grade": "等次",
    "adjustment": "领导小组调整",
    "veto": "一票否决",
    "exclude": "不参评",
    "flag": "提示",
    "action": "处理",
    "money": "奖金",
}


@dataclass
class TraceGroup:
    code: str
    name: str
    value: str | None
    lines: list[dict[str, Any]]


def record_url(pk: int | None) -> str | None:
    """The ledger page of a record, once the ledger has one."""
    if pk is None:
        return None
    try:
        return reverse("ledger:detail", args=[pk])
    except NoReverseMatch:
        return None


def trace_groups(policy: Policy | None, subject: dict[str, Any]) -> list[TraceGroup]:
    """Every trace line grouped by dimension, in the scorecard's order; rule lines last."""
    names: dict[str, str] = {}
    if policy:
        for sc in policy.scorecards:
            if sc.id == subject.get("scorecard"):
                names = {d.code: d.name for d in sc.dimensions}
    dims = subject.get("dimensions", {})
    groups: dict[str, TraceGroup] = {
        code: TraceGroup(code, names.get(code, code), dims.get(code), []) for code in names
    }
    for code in dims:
        groups.setdefault(code, TraceGroup(code, names.get(code, code), dims.get(code), []))
    rules = TraceGroup("", "总分与等次规则", subject.get("score"), [])
    for line in subject.get("trace", []):
        item = policy.item(line["item"]) if policy and line.get("item") else None
        shown = {
            **line,
            "item_name": item.name if item else "",
            "kind_label": TRACE_KIND_LABEL.get(line.get("kind", ""), line.get("kind", "")),
            "points_dec": dec(line.get("points")),
            "url": record_url(line.get("record")),
        }
        dim = line.get("dimension")
        target = (
            groups.setdefault(dim, TraceGroup(dim, names.get(dim, dim), None, [])) if dim else rules
        )
        target.lines.append(shown)
    return [g for g in groups.values() if g.lines or g.value is not None] + (
        [rules] if rules.lines else []
    )


def trace_sum(subject: dict[str, Any]) -> Decimal:
    total = Decimal(0)
    for line in subject.get("trace", []):
        if (p := dec(line.get("points"))) is not None:
            total += p
    return total


def subject_records(
    center: Center, period: Period, *, person: Person | None = None, window_code: str = ""
) -> QuerySet[Record]:
    """The ledger records of a subject in the period (live and voided), oldest first."""
    subject = Q(person=person) if person is not None else Q(window__code=window_code)
    qs = Record.objects.filter(subject, center=center, date__gte=period.start, date__lte=period.end)
    return qs.select_related("voided_by", "recorded_by").order_by("date", "id")


def window_voided_records(center: Center, period: Period, window_code: str) -> QuerySet[Record]:
    """Voided records of a window and of the people posted at it in the period, oldest first.

    A finding on a staff member can count for his window (charged to it, or
    through the window's formula over its staff); once voided it leaves no
    trace line, so the window's card lists it with the window's own.
    """
    staff = (
        Assignment.objects.filter(
            window__center=center, window__code=window_code, start__lte=period.end
        )
        .filter(Q(end__isnull=True) | Q(end__gte=period.start))
        .values("person_id")
    )
    qs = Record.objects.filter(
        Q(window__code=window_code) | Q(person__in=staff),
        center=center,
        voided_at__isnull=False,
        date__gte=period.start,
        date__lte=period.end,
    )
    return qs.select_related("person", "window", "voided_by").order_by("date", "id")


def window_of(person: Person, period: Period) -> str | None:
    """The window a person staffed in the period (his latest post overlapping it)."""
    post = (
        Assignment.objects.filter(person=person, window__isnull=False, start__lte=period.end)
        .filter(Q(end__isnull=True) | Q(end__gte=period.start))
        .select_related("window")
        .order_by("-start", "-id")
        .first()
    )
    return post.window.code if post and post.window else None


# ---------------------------------------------------------------- window page


def window_staff(subjects: dict[str, dict[str, Any]], window_code: str) -> list[dict[str, Any]]:
    rows = [
        {"code": c, **s}
        for c, s in subjects.items()
        if s.get("kind") == "person" and s.get("window") == window_code
    ]
    return sorted(rows, key=lambda r: r["code"])


def window_trend(center: Center, window_code: str, period: Period) -> dict[str, Any]:
    """Scores of the window and its staff over the last ``TREND_LENGTH`` periods.

    Each period's numbers come from that period's run; a failed or empty
    period is a gap (``None``), not a zero.
    """
    periods = list(reversed(_last(period, TREND_LENGTH)))
    series: dict[str, dict[str, Any]] = {}
    for i, p in enumerate(periods):
        subjects = run_view(center, p).subjects
        for code, s in subjects.items():
            if code != window_code and not (
                s.get("kind") == "person" and s.get("window") == window_code
            ):
                continue
            line = series.setdefault(
                code, {"code": code, "name": s.get("name") or code, "data": [None] * len(periods)}
            )
            line["data"][i] = s.get("score")
    ordered = sorted(series.values(), key=lambda x: (x["code"] != window_code, x["code"]))
    return {"periods": [str(p) for p in periods], "series": ordered}


# ---------------------------------------------------------------- top items


@dataclass
class TopItems:
    periods: list[str]
    items: list[dict[str, Any]]
    windows: list[str]
    matrix: list[dict[str, Any]]
    messages: list[str]


def top_items(
    center: Center,
    periods: list[Period],
    policy: Policy | None,
    seen: Visible,
    window_code: str = "",
) -> TopItems:
    """Items by points lost: every trace line with an item and negative points.

    Lines are taken from every visible subject's trace (a deduction charged to
    two subjects counts for both: both lost it).  The matrix is points lost by
    the subject's window and period.
    """
    items: dict[str, dict[str, Any]] = {}
    matrix: dict[str, dict[str, Decimal]] = defaultdict(dict)
    messages: list[str] = []
    for p in periods:
        view = run_view(center, p)
        if view.message:
            messages.append(f"{period_label(p)}：{view.message}")
        for code, s in view.subjects.items():
            if not seen.allows(code, s):
                continue
            subject_window = code if s.get("kind") == "window" else (s.get("window") or "")
            if window_code and subject_window != window_code:
                continue
            for line in s.get("trace", []):
                points = dec(line.get("points"))
                if not line.get("item") or points is None or points >= 0:
                    continue
                item_code = line["item"]
                entry = items.get(item_code)
                if entry is None:
                    item = policy.item(item_code) if policy else None
                    entry = items[item_code] = {
                        "code": item_code,
                        "name": item.name if item else "",
                        "lost": Decimal(0),
                        "count": 0,
                        "lines": 0,
                    }
                entry["lost"] += -points
                entry["count"] += int(line.get("count") or 1)
                entry["lines"] += 1
                cell_key = subject_window or "—"
                matrix[cell_key][str(p)] = matrix[cell_key].get(str(p), Decimal(0)) - points
    ranked = sorted(items.values(), key=lambda e: (-e["lost"], -e["count"], e["code"]))
    names = [str(p) for p in periods]
    rows = [
        {
            "window": w,
            "cells": [matrix[w].get(n) for n in names],
            "total": sum(matrix[w].values(), Decimal(0)),
        }
        for w in sorted(matrix)
    ]
    rows.sort(key=lambda r: (-r["total"], r["window"]))
    return TopItems(names, ranked, sorted(matrix), rows, messages)
