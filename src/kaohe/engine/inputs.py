"""The organisation and the fact tables the engine scores.

One schema for every container (case YAML, an XLSX workbook, a directory of
CSV/XLSX/Parquet files, the web database): containers produce plain rows,
:func:`build_inputs` types and checks them row by row and names the table, row
and field of anything wrong.

Parquet tables, already typed and possibly millions of rows, come as frames:
:func:`build_org_frames` and :func:`build_table_frame` take them column by
column, and leave whatever the row path would refuse or change to it, so the
inputs and the messages are the same either way.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Collection, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import polars as pl

from kaohe.engine.numbers import D

DEC = pl.Decimal(38, 4)

WINDOW_KINDS = ("single", "comprehensive", "subcenter", "section")
ROLES = ("staff", "chief_rep", "backbone", "window_lead", "manager")
EMPLOYMENT = ("seconded", "purchased")
VOTE_LEVELS = ("非常满意", "满意", "一般", "不满意")


class InputError(ValueError):
    """A bad input value; ``where`` is "table row N field" for the message."""

    def __init__(self, table: str, row: int | None, field_name: str | None, message: str) -> None:
        self.table = table
        self.row = row
        self.field = field_name
        self.message = message
        where = table
        if row is not None:
            where += f" row {row}"
        if field_name:
            where += f" field {field_name!r}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Unit:
    id: str
    name: str


@dataclass(frozen=True)
class Window:
    id: str
    name: str
    unit: str | None = None
    kind: str = "single"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str = "staff"
    window: str | None = None
    windows: tuple[str, ...] | None = None
    unit: str | None = None
    employment: str = "seconded"
    joined: date | None = None
    left: date | None = None
    substitutes_for: str | None = None
    pin: str | None = None

    def in_post(self, start: date, end: date) -> bool:
        """Whether the person served on some day from start to end (``left`` = last day)."""
        return (self.joined is None or self.joined <= end) and (
            self.left is None or self.left >= start
        )


@dataclass
class Org:
    units: dict[str, Unit] = field(default_factory=dict)
    windows: dict[str, Window] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)

    def unit_of(self, subject: str) -> str | None:
        if subject in self.windows:
            return self.windows[subject].unit
        person = self.people.get(subject)
        if person is None:
            return None
        if person.unit:
            return person.unit
        if person.window and person.window in self.windows:
            return self.windows[person.window].unit
        return None

    def chief_rep_windows(self, person: Person) -> list[str]:
        """The windows a chief representative answers for (default: all of his unit's)."""
        if person.windows:
            return list(person.windows)
        unit = self.unit_of(person.id)
        if unit is None:
            return []
        by_unit: dict[str, list[str]] | None = self.__dict__.get("_windows_by_unit")
        if by_unit is None or self.__dict__.get("_windows_seen") != len(self.windows):
            by_unit = {}
            for w in self.windows.values():
                if w.unit is not None:
                    by_unit.setdefault(w.unit, []).append(w.id)
            self.__dict__["_windows_by_unit"] = by_unit
            self.__dict__["_windows_seen"] = len(self.windows)
        return list(by_unit.get(unit, []))


# column -> (dtype, required)
SCHEMAS: dict[str, dict[str, tuple[pl.DataType, bool]]] = {
    "records": {
        "date": (pl.Date(), True),
        "subject": (pl.String(), True),
        "item": (pl.String(), False),
        "dimension": (pl.String(), False),
        "count": (pl.Int64(), False),
        "points": (DEC, False),
        "major": (pl.Boolean(), False),
        "exempt": (pl.Boolean(), False),
        "already_deducted": (pl.Boolean(), False),
        "note": (pl.String(), False),
    },
    "attendance": {
        "person": (pl.String(), True),
        "month": (pl.String(), False),
        "workdays": (DEC, False),
        "present_days": (DEC, False),
        "expected_signins": (DEC, False),
        "missed_signins": (DEC, False),
    },
    "punches": {"person": (pl.String(), True), "time": (pl.Datetime(), True)},
    "leave": {
        "person": (pl.String(), True),
        "type": (pl.String(), True),
        "start": (pl.Date(), False),
        "end": (pl.Date(), False),
        "days": (DEC, False),
        "approved": (pl.Boolean(), False),
    },
    "ratings": {
        "date": (pl.Date(), True),
        "window": (pl.String(), False),
        "person": (pl.String(), False),
        "stars": (pl.Int64(), True),
        "verified": (pl.Boolean(), False),
        "already_deducted": (pl.Boolean(), False),
        "default": (pl.Boolean(), False),
    },
    "votes": {
        "group": (pl.String(), True),
        "voter": (pl.String(), True),
        "subject": (pl.String(), True),
        "level": (pl.String(), True),
    },
    "scores": {
        "source": (pl.String(), True),
        "subject": (pl.String(), True),
        "value": (DEC, False),
        "rank": (pl.Int64(), False),
    },
    "period_scores": {
        "subject": (pl.String(), True),
        "period": (pl.String(), True),
        "score": (DEC, True),
        "grade": (pl.String(), False),
    },
    "history": {
        "person": (pl.String(), True),
        "year": (pl.Int64(), True),
        "grade": (pl.String(), True),
        "promoted": (pl.Boolean(), False),
    },
    "adjustments": {
        "subject": (pl.String(), True),
        "grade": (pl.String(), True),
        "reason": (pl.String(), True),
    },
}

BOOL_DEFAULTS = {
    ("records", "major"): False,
    ("records", "exempt"): False,
    ("records", "already_deducted"): False,
    ("ratings", "verified"): False,
    ("ratings", "already_deducted"): False,
    ("ratings", "default"): False,
    ("leave", "approved"): True,
    ("history", "promoted"): False,
}


RANGES: dict[tuple[str, str], tuple[int, int]] = {("ratings", "stars"): (1, 5)}


def _check_ranges(table: str, frame: pl.DataFrame) -> None:
    for (t, col), (lo, hi) in RANGES.items():
        if t != table or col not in frame.columns or frame.height == 0:
            continue
        bad = frame.filter((pl.col(col) < lo) | (pl.col(col) > hi))
        if bad.height:
            row = bad.row(0, named=True)
            raise InputError(table, int(row["_row"]), col, f"{row[col]} is outside {lo}–{hi}")


def empty_table(table: str) -> pl.DataFrame:
    schema = {"_row": pl.Int64(), **{c: t for c, (t, _) in SCHEMAS[table].items()}}
    return pl.DataFrame(schema=schema)


@dataclass
class Facts:
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)

    def __getitem__(self, table: str) -> pl.DataFrame:
        frame = self.tables.get(table)
        if frame is None:
            frame = empty_table(table)
            self.tables[table] = frame
        return frame

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self[table].to_dicts()


# ---------------------------------------------------------------- value parsing


def _as_text(value: object) -> str:
    if type(value) is str:  # the common case first (org tables have thousands of rows)
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _as_text(value)
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {value!r} (expected YYYY-MM-DD)")


def parse_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time())
    text = _as_text(value).replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"not a date and time: {value!r} (expected YYYY-MM-DDTHH:MM)")


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = _as_text(value).lower()
    if text in ("true", "yes", "y", "1", "是", "t"):
        return True
    if text in ("false", "no", "n", "0", "否", "f", ""):
        return False
    raise ValueError(f"not true/false: {value!r}")


MAX_PLACES = 4
MAX_MAGNITUDE = Decimal(10) ** 15


def parse_decimal(value: object) -> Decimal:
    """A number with at most four decimals and a sane magnitude.

    Points, days and scores never need more; refusing them keeps every column at
    one exact scale instead of letting a storage layer round silently.
    """
    if isinstance(value, (dict, list, tuple, set)):
        raise ValueError(f"not a number: {value!r}")
    try:
        number = D(value if not isinstance(value, str) else value.strip())
    except (TypeError, ValueError):
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a number: {value!r}")
    if abs(number) >= MAX_MAGNITUDE:
        raise ValueError(f"number out of range: {value!r}")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        raise ValueError(f"at most {MAX_PLACES} decimal places: {value!r}")
    return number


def parse_int(value: object) -> int:
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"not a whole number: {value!r}")
    return int(number)


def _text(value: object) -> str:
    if isinstance(value, (dict, list, tuple, set)):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return _as_text(value)


def _parse(dtype: pl.DataType, value: object) -> object:
    if isinstance(dtype, pl.Date):
        return parse_date(value)
    if isinstance(dtype, pl.Datetime):
        return parse_datetime(value)
    if isinstance(dtype, pl.Boolean):
        return parse_bool(value)
    if isinstance(dtype, pl.Decimal):
        return parse_decimal(value)
    if isinstance(dtype, pl.Int64):
        return parse_int(value)
    return _text(value)


def _opt_text(value: object) -> str | None:
    """The text of a cell, or None when it is blank (``None if _blank(v) else _as_text(v)``)."""
    if value is None:
        return None
    if type(value) is str:
        return value.strip() or None
    return None if _blank(value) else _as_text(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def build_table(table: str, rows: Iterable[Mapping[str, object]]) -> pl.DataFrame:
    """Type one fact table; the first bad cell raises :class:`InputError`."""
    schema = SCHEMAS.get(table)
    if schema is None:
        raise InputError(table, None, None, f"unknown table (known: {', '.join(SCHEMAS)})")
    columns: dict[str, list[object]] = {"_row": [], **{c: [] for c in schema}}
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise InputError(table, n, None, "a row must be a mapping of field: value")
        if isinstance(row.get("_row"), int):
            n = int(row["_row"])  # type: ignore[call-overload]
        for key in row:
            if key not in schema and not str(key).startswith("_"):
                raise InputError(table, n, str(key), f"unknown field (known: {', '.join(schema)})")
        given_row = row.get("_row")
        columns["_row"].append(int(given_row) if isinstance(given_row, int) else n)
        for col, (dtype, required) in schema.items():
            raw = row.get(col)
            if _blank(raw):
                if required:
                    raise InputError(table, n, col, "missing")
                columns[col].append(BOOL_DEFAULTS.get((table, col)))
                continue
            try:
                columns[col].append(_parse(dtype, raw))
            except ValueError as exc:
                raise InputError(table, n, col, str(exc)) from None
    frame_schema = {"_row": pl.Int64(), **{c: t for c, (t, _) in schema.items()}}
    frame = pl.DataFrame(columns, schema=frame_schema)
    _check_ranges(table, frame)
    return frame


_SCALARS = frozenset({str, int, float, bool, type(None), date, datetime})


def _org_rows(kind: str, rows: object) -> list[Mapping[str, object]]:
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise InputError(f"org.{kind}", None, None, "must be a list")
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        if type(row) is not dict and not isinstance(row, Mapping):
            raise InputError(f"org.{kind}", n, None, "a row must be a mapping")
        if _blank(row.get("id")):
            raise InputError(f"org.{kind}", n, "id", "missing")
        for key, value in row.items():
            if type(value) in _SCALARS:
                continue  # plain values need no check (thousands of rows)
            if isinstance(value, Mapping) or (isinstance(value, list) and key != "windows"):
                raise InputError(f"org.{kind}", n, str(key), "expected a single value")
        ident = _as_text(row["id"])
        if ident in seen:
            raise InputError(f"org.{kind}", n, "id", f"duplicate id {ident!r}")
        seen.add(ident)
    return rows


ORG_FIELDS: dict[str, frozenset[str]] = {
    "units": frozenset({"id", "name"}),
    "windows": frozenset({"id", "name", "unit", "kind"}),
    "people": frozenset(
        {
            "id",
            "name",
            "role",
            "window",
            "windows",
            "unit",
            "employment",
            "joined",
            "left",
            "substitutes_for",
            "pin",
        }
    ),
}


def build_org(data: Mapping[str, object]) -> Org:
    for key in data:
        if key not in ("units", "windows", "people"):
            raise InputError("org", None, str(key), "unknown org table (units, windows, people)")
    org = Org()
    for n, row in enumerate(_org_rows("units", data.get("units")), start=1):
        uid = _as_text(row["id"])
        org.units[uid] = Unit(uid, _as_text(row.get("name") or uid))
        _no_extra("org.units", n, row, ORG_FIELDS["units"])
    for n, row in enumerate(_org_rows("windows", data.get("windows")), start=1):
        _no_extra("org.windows", n, row, ORG_FIELDS["windows"])
        kind = _as_text(row.get("kind") or "single")
        if kind not in WINDOW_KINDS:
            raise InputError(
                "org.windows", n, "kind", f"unknown kind {kind!r} ({', '.join(WINDOW_KINDS)})"
            )
        wid = _as_text(row["id"])
        unit = None if _blank(row.get("unit")) else _as_text(row["unit"])
        if unit is not None and org.units and unit not in org.units:
            raise InputError("org.windows", n, "unit", f"unknown unit {unit!r}")
        org.windows[wid] = Window(wid, _as_text(row.get("name") or wid), unit, kind)
    fields = ORG_FIELDS["people"]
    people_rows = _org_rows("people", data.get("people"))
    substitutes = False
    for n, row in enumerate(people_rows, start=1):
        _no_extra("org.people", n, row, fields)
        pid = _as_text(row["id"])
        role = _as_text(row.get("role") or "staff")
        if role not in ROLES:
            raise InputError("org.people", n, "role", f"unknown role {role!r} ({', '.join(ROLES)})")
        employment = _as_text(row.get("employment") or "seconded")
        if employment not in EMPLOYMENT:
            raise InputError("org.people", n, "employment", f"unknown employment {employment!r}")
        window = _opt_text(row.get("window"))
        if window is not None and window not in org.windows:
            raise InputError("org.people", n, "window", f"unknown window {window!r}")
        windows_raw = row.get("windows")
        windows: tuple[str, ...] | None = None
        if not _blank(windows_raw):
            windows = _window_list(windows_raw)
            for w in windows:
                if w not in org.windows:
                    raise InputError("org.people", n, "windows", f"unknown window {w!r}")
        unit = _opt_text(row.get("unit"))
        if unit is not None and org.units and unit not in org.units:
            raise InputError("org.people", n, "unit", f"unknown unit {unit!r}")
        try:
            joined = None if _blank(row.get("joined")) else parse_date(row["joined"])
        except ValueError as exc:
            raise InputError("org.people", n, "joined", str(exc)) from None
        try:
            left = None if _blank(row.get("left")) else parse_date(row["left"])
        except ValueError as exc:
            raise InputError("org.people", n, "left", str(exc)) from None
        sub = _opt_text(row.get("substitutes_for"))
        substitutes = substitutes or sub is not None
        pin = _opt_text(row.get("pin"))
        org.people[pid] = Person(
            pid,
            _as_text(row.get("name") or pid),
            role,
            window,
            windows,
            unit,
            employment,
            joined,
            left,
            sub,
            pin,
        )
    for n, row in enumerate(people_rows if substitutes else (), start=1):
        sub = org.people[_as_text(row["id"])].substitutes_for
        if sub is not None and sub not in org.people:
            raise InputError("org.people", n, "substitutes_for", f"unknown person {sub!r}")
    return org


# What Python's str.strip() removes (a superset of what Polars' strip_chars() removes);
# tests/engine/test_inputs_frames.py checks it against every code point.
PY_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _org_columns(kind: str, frame: pl.DataFrame) -> dict[str, list[Any]] | None:
    """The columns of an org table as lists, when :func:`build_org` would read them unchanged.

    That is: only known fields; text that needs no stripping (``""`` counts as
    absent, as in a row mapping); dates already typed; every row with an id, no
    id twice. Columns without any value are left out, as blank cells are.
    ``None`` for anything else, so the caller takes the row-by-row path, whose
    messages name the first bad row.
    """
    allowed = ORG_FIELDS[kind]
    text = [c for c, dtype in frame.schema.items() if dtype == pl.String]
    frame = frame.with_columns(pl.col(text).replace("", None))  # "" is a blank cell
    # one pass over the table: how many values each column lacks, which text needs a strip
    tally = frame.select(
        *(pl.col(c).null_count().alias(f"nulls:{c}") for c in frame.columns),
        *(
            (pl.col(c).str.strip_chars(PY_SPACE).str.len_bytes() == pl.col(c).str.len_bytes())
            .all()
            .alias(f"clean:{c}")
            for c in text
        ),
    ).row(0, named=True)
    out: dict[str, list[Any]] = {}
    for name, dtype in frame.schema.items():
        if tally[f"nulls:{name}"] == frame.height:
            continue  # no value at all: as if the column were absent
        if name not in allowed:
            return None
        if dtype == pl.String and name not in ("joined", "left"):  # dates as text: parsed
            if not tally[f"clean:{name}"]:
                return None
        elif not (
            (dtype == pl.Date and name in ("joined", "left"))
            or (dtype == pl.List(pl.String()) and name == "windows")
        ):
            return None
        out[name] = frame[name].to_list()
    if frame.height and ("id" not in out or None in out["id"]):
        return None  # a row without an id: missing, or a blank row to skip
    if frame.height and frame["id"].is_duplicated().any():
        return None
    return out


def build_org_frames(frames: Mapping[str, pl.DataFrame]) -> Org | None:
    """:func:`build_org` for tables given as frames (Parquet), column by column.

    Tens of thousands of people are built from their columns with vectorised
    checks and one plain object each, instead of one mapping per row typed field
    by field. The result equals ``build_org`` of the frames' rows. When anything
    would make ``build_org`` change a value or raise (an unknown window, a
    duplicate id, a role not known, text needing a strip, an odd column type),
    this returns ``None`` and the caller builds from rows, so every error
    message stays the row-by-row one.

    The cyclic garbage collector is paused meanwhile: the people are tens of
    thousands of new objects without cycles, and a collection every few hundred
    of them, each walking the growing heap, costs a fifth of the build.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _org_of_frames(frames)
    finally:
        if paused:
            gc.enable()


def _org_of_frames(frames: Mapping[str, pl.DataFrame]) -> Org | None:
    """The work of :func:`build_org_frames`, with the collector paused."""
    cols: dict[str, dict[str, list[Any]]] = {}
    for kind, frame in frames.items():
        if kind not in ORG_FIELDS:
            return None
        got = _org_columns(kind, frame)
        if got is None:
            return None
        cols[kind] = got
    org = Org()

    def column(kind: str, name: str) -> list[Any]:
        table = cols.get(kind, {})
        return table.get(name) or [None] * len(table.get("id", ()))

    def known(values: list[Any], keys: Mapping[str, object] | tuple[str, ...]) -> bool:
        present = set(values)
        present.discard(None)
        return present.issubset(keys)

    for uid, name in zip(column("units", "id"), column("units", "name"), strict=True):
        org.units[uid] = Unit(uid, name or uid)
    kinds = column("windows", "kind")
    units = column("windows", "unit")
    if not known(kinds, WINDOW_KINDS):
        return None
    if org.units and not known(units, org.units):
        return None
    for wid, name, unit, kind in zip(
        column("windows", "id"), column("windows", "name"), units, kinds, strict=True
    ):
        org.windows[wid] = Window(wid, name or wid, unit, kind or "single")
    roles = column("people", "role")
    employments = column("people", "employment")
    windows = column("people", "window")
    units = column("people", "unit")
    if not (
        known(roles, ROLES)
        and known(employments, EMPLOYMENT)
        and known(windows, org.windows)
        and (not org.units or known(units, org.units))
    ):
        return None
    lists = column("people", "windows")
    if "windows" in cols.get("people", {}):  # chief representatives' own lists: a few rows
        lists = [None if raw is None else _window_list(raw) for raw in lists]
        if not all(w in org.windows for ws in lists if ws for w in ws):
            return None
    people = org.people
    new, put = object.__new__, object.__setattr__
    for pid, name, role, window, ws, unit, employment, joined, left, sub, pin in zip(
        column("people", "id"),
        column("people", "name"),
        roles,
        windows,
        lists,
        units,
        employments,
        column("people", "joined"),
        column("people", "left"),
        column("people", "substitutes_for"),
        column("people", "pin"),
        strict=True,
    ):
        # Person(...) made the way pickle makes one: a frozen dataclass's __init__
        # sets each field through object.__setattr__, which costs more than the rest
        # of the row; the tests check the result equals build_org's field for field
        person = new(Person)
        put(
            person,
            "__dict__",
            {
                "id": pid,
                "name": name or pid,
                "role": role or "staff",
                "window": window,
                "windows": ws,
                "unit": unit,
                "employment": employment or "seconded",
                "joined": joined,
                "left": left,
                "substitutes_for": sub,
                "pin": pin,
            },
        )
        people[pid] = person
    if not known(column("people", "substitutes_for"), people):
        return None
    return org


def _window_list(raw: object) -> tuple[str, ...]:
    """A chief representative's windows: a list, or one cell of ids split at commas or spaces."""
    items = raw if isinstance(raw, list) else re.split(r"[,，、\s]+", str(raw))
    return tuple(_as_text(w) for w in items if not _blank(w))


def _no_extra(table: str, n: int, row: Mapping[str, object], allowed: AbstractSet[str]) -> None:
    if row.keys() <= allowed:
        return
    for key in row:
        if key not in allowed:
            raise InputError(
                table, n, str(key), f"unknown field (known: {', '.join(sorted(allowed))})"
            )


def build_facts(raw: Mapping[str, object] | None) -> Facts:
    facts = Facts()
    for table, rows in (raw or {}).items():
        if table not in SCHEMAS:
            raise InputError(str(table), None, None, f"unknown table (known: {', '.join(SCHEMAS)})")
        if rows is None:
            continue
        if isinstance(rows, pl.DataFrame):
            facts.tables[table] = build_table(table, rows.to_dicts())
            continue
        if not isinstance(rows, list):
            raise InputError(str(table), None, None, "must be a list of rows")
        facts.tables[table] = build_table(table, rows)
    return facts


_TYPE_NAMES = {
    pl.Date: "date",
    pl.Datetime: "date and time",
    pl.Decimal: "number",
    pl.Int64: "whole number",
    pl.Boolean: "true/false",
    pl.String: "text",
}
_TRUE = ["true", "yes", "y", "1", "是", "t"]
_FALSE = ["false", "no", "n", "0", "否", "f"]


def _cast_column(src: pl.Series, dtype: pl.DataType) -> pl.Series:
    """Cast one column without raising: cells that do not convert become null."""
    if src.dtype == dtype:
        return src
    if isinstance(dtype, pl.String):
        return src.cast(pl.String()).str.strip_chars()
    if isinstance(dtype, pl.Boolean):
        text = src.cast(pl.String()).str.strip_chars().str.to_lowercase()
        return (
            pl.select(
                pl.when(pl.lit(text).is_in(_TRUE))
                .then(True)
                .when(pl.lit(text).is_in(_FALSE))
                .then(False)
                .otherwise(None)
            )
            .to_series()
            .alias(src.name)
        )
    if isinstance(dtype, pl.Date):
        if src.dtype == pl.Datetime:
            return src.dt.date()
        return src.cast(pl.String()).str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
    if isinstance(dtype, pl.Datetime):
        if src.dtype == pl.Date:
            return src.cast(pl.Datetime())
        text = src.cast(pl.String()).str.strip_chars().str.replace("T", " ")
        return text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False).fill_null(
            text.str.to_datetime("%Y-%m-%d %H:%M", strict=False)
        )
    if isinstance(dtype, pl.Int64):
        if src.dtype.is_integer():
            return src.cast(pl.Int64(), strict=False)
        as_dec = src.cast(pl.String()).str.strip_chars().cast(pl.Float64(), strict=False)
        whole = as_dec.round(0) == as_dec
        kept = pl.select(pl.when(pl.lit(whole)).then(pl.lit(as_dec)).otherwise(None)).to_series()
        return kept.cast(pl.Int64(), strict=False).alias(src.name)
    if isinstance(dtype, pl.Decimal):
        text = src.cast(pl.String()).str.strip_chars()
        too_fine = text.str.contains(r"\.\d{5,}$").fill_null(False)
        value = text.cast(DEC, strict=False)
        chosen = pl.select(pl.when(pl.lit(too_fine)).then(None).otherwise(pl.lit(value)))
        return chosen.to_series().alias(src.name)
    return src.cast(dtype, strict=False)


def _byte(value: int) -> pl.Expr:
    return pl.lit(value, dtype=pl.UInt8())


# What strip_chars() removes (Unicode White_Space) starts with a byte at or below
# 0x20 or from 0xC2 to 0xE3, and ends with a byte at or below 0x20 or from 0x80 to
# 0xAF. Reading two bytes of each value is several times cheaper than stripping ten
# million values; ids and codes are never caught, what is caught is stripped to decide.
# tests/engine/test_inputs_frames.py checks both bounds against every code point.


def _may_start_spaced(first: pl.Expr) -> pl.Expr:
    return (first <= _byte(0x20)) | first.is_between(_byte(0xC2), _byte(0xE3))


def _may_end_spaced(last: pl.Expr) -> pl.Expr:
    return (last <= _byte(0x20)) | last.is_between(_byte(0x80), _byte(0xAF))


def _spaced_text(
    frame: pl.DataFrame, columns: list[str], starts_clean: Collection[str] = ()
) -> set[str]:
    """The text columns holding a blank or a value with white space at either end.

    Only those need ``strip_chars()`` and blanks made null; the others are kept
    as they are, which gives the same values without copying them. Columns in
    ``starts_clean`` are known to have no blank and no value starting with white
    space (from the file's statistics), so only their last bytes are read.
    """
    if not columns or not frame.height:
        return set()
    reads: list[pl.Expr] = []
    for col in columns:
        data = pl.col(col).cast(pl.Binary())
        if col not in starts_clean:
            reads.append(data.bin.get(0, null_on_oob=True).alias(f"first:{col}"))
        reads.append(data.bin.get(-1, null_on_oob=True).alias(f"last:{col}"))
    ends = frame.select(reads)

    def caught(col: str) -> pl.Expr:
        at_end = _may_end_spaced(pl.col(f"last:{col}"))
        return at_end if col in starts_clean else at_end | _may_start_spaced(pl.col(f"first:{col}"))

    flags = ends.select(caught(c).any().alias(c) for c in columns).row(0)
    found: set[str] = set()
    for col, flagged in zip(columns, flags, strict=True):
        if col not in starts_clean and ends[f"first:{col}"].null_count() > frame[col].null_count():
            found.add(col)  # an empty value, a blank
        elif flagged:
            values = pl.concat([frame.select(col), ends], how="horizontal").filter(caught(col))
            if (values[col].str.strip_chars() != values[col]).any():
                found.add(col)
    return found


def build_table_frame(
    table: str, frame: pl.DataFrame, starts_clean: Collection[str] = ()
) -> pl.DataFrame:
    """Type a whole fact table at once (Parquet, large CSV): same checks as :func:`build_table`.

    ``_row`` is kept when given (the container's row numbers), else 1-based positions.
    ``starts_clean``: text columns known (from a Parquet file's statistics) to hold
    no blank and no value starting with white space; only their ends are checked.
    """
    schema = SCHEMAS.get(table)
    if schema is None:
        raise InputError(table, None, None, f"unknown table (known: {', '.join(SCHEMAS)})")
    for col in frame.columns:
        if col not in schema and not col.startswith("_"):
            raise InputError(table, None, col, f"unknown field (known: {', '.join(schema)})")
    if "_row" in frame.columns:
        rows = frame["_row"].cast(pl.Int64())
    else:
        rows = pl.int_range(1, frame.height + 1, dtype=pl.Int64(), eager=True).alias("_row")
    out: dict[str, pl.Series] = {"_row": rows}
    text = [c for c in schema if frame.schema.get(c) == pl.String]
    spaced = _spaced_text(frame, text, starts_clean)
    for col, (dtype, required) in schema.items():
        default = BOOL_DEFAULTS.get((table, col))
        if col not in frame.columns:
            if required and frame.height:
                raise InputError(table, int(rows[0]), col, "missing")
            out[col] = pl.Series(col, [], dtype=dtype).extend_constant(default, frame.height)
            continue
        src = frame[col]
        if col in spaced:
            src = src.str.strip_chars().replace("", None)
        typed = _cast_column(src, dtype).alias(col)
        # a column already of its type cannot fail to convert
        bad = None if src.dtype == dtype else src.is_not_null() & typed.is_null()
        if bad is not None and bad.any():
            i = int(bad.arg_true()[0])
            name = _TYPE_NAMES.get(type(dtype), "value")
            value = src[i]
            message = f"not a {name}: {value!r}"
            if isinstance(dtype, pl.Decimal) and isinstance(value, str) and "." in value:
                message = f"at most {MAX_PLACES} decimal places or not a number: {value!r}"
            raise InputError(table, int(rows[i]), col, message)
        if isinstance(dtype, pl.Decimal) and typed.len():
            big = typed.abs() >= pl.Series([MAX_MAGNITUDE], dtype=DEC)
            if big.any():
                i = int(big.arg_true()[0])
                raise InputError(table, int(rows[i]), col, f"number out of range: {src[i]!r}")
        if required and typed.null_count():
            i = int(typed.is_null().arg_true()[0])
            raise InputError(table, int(rows[i]), col, "missing")
        if default is not None:
            typed = typed.fill_null(default)
        out[col] = typed
    frame = pl.DataFrame(out)
    _check_ranges(table, frame)
    return frame
