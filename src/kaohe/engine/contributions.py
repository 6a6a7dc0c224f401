"""Turning ledger records (and leave, ratings, punches) into point contributions.

One record can post to several subjects (a person and his window, a window's
chief rep with a share), can be aggravated or exempt, can be one of N counted
events; all of that comes from the item's definition in the policy. The work
is done on Polars frames so that a province's month of records resolves in one
vectorised pass; validation reports the first bad row with its field.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import chain
from typing import TypeVar

import polars as pl

from kaohe.engine.inputs import DEC, InputError, Org
from kaohe.engine.policy.models import Policy

CONTRIB_SCHEMA: dict[str, pl.DataType] = {
    "target": pl.String(),
    "dimension": pl.String(),
    "part": pl.String(),
    "item": pl.String(),
    "effect": pl.String(),
    "magnitude": DEC,
    "date": pl.Date(),
    "count": pl.Int64(),
    "row": pl.Int64(),
    "source": pl.String(),
    "subject": pl.String(),
    "note": pl.String(),
    "tag": pl.String(),
    "already_deducted": pl.Boolean(),
    "major": pl.Boolean(),
}


def item_table(policy: Policy) -> pl.DataFrame:
    """One row per item with everything resolution needs."""
    dims = {d.code: d for sc in policy.scorecards for d in sc.dimensions}
    rows = []
    for it in policy.items:
        dim = dims[it.dimension]
        effect = it.effect or ("add" if dim.kind == "earned" else "deduct")
        lo, hi = it.range if it.range else (None, None)
        rows.append(
            {
                "item": it.code,
                "i_dimension": it.dimension,
                "i_part": it.part,
                "i_points": it.points,
                "i_lo": lo,
                "i_hi": hi,
                "i_free": it.free_entry,
                "i_max": it.max_points,
                "i_effect": effect,
                "i_exempt": it.exempt,
                "i_major": it.major is not None,
                "i_major_points": it.major.points if it.major else None,
                "i_major_mult": it.major.multiplier if it.major else None,
                "i_threshold": it.threshold is not None,
            }
        )
    schema = {
        "item": pl.String(),
        "i_dimension": pl.String(),
        "i_part": pl.String(),
        "i_points": DEC,
        "i_lo": DEC,
        "i_hi": DEC,
        "i_free": pl.Boolean(),
        "i_max": DEC,
        "i_effect": pl.String(),
        "i_exempt": pl.Boolean(),
        "i_major": pl.Boolean(),
        "i_major_points": DEC,
        "i_major_mult": DEC,
        "i_threshold": pl.Boolean(),
    }
    return pl.DataFrame(rows, schema=schema)


def _checks(
    policy: Policy, org: Org, known: pl.Expr | None = None
) -> list[tuple[pl.Expr, str, str]]:
    """The record checks: (a bad row's condition, its field, its message).

    ``known``: whether a row's subject is in the organisation, when the caller
    has already worked that out (by subject numbers) instead of by the text.
    """
    if known is None:
        known = pl.col("subject").is_in(list(org.people) + list(org.windows))
    dims_all = {d.code: d for sc in policy.scorecards for d in sc.dimensions}
    free_dims = [c for c, d in dims_all.items() if d.kind in ("deduct", "earned")]
    item, dim, points = pl.col("item"), pl.col("dimension"), pl.col("points")
    return [
        (~known, "subject", "unknown subject {subject!r}"),
        (item.is_null() & dim.is_null(), "item", "give an item code or a dimension code"),
        (
            item.is_not_null() & pl.col("i_dimension").is_null(),
            "item",
            f"unknown item code {{item!r}} for policy {policy.id}",
        ),
        (
            item.is_null() & ~dim.is_in(free_dims),
            "dimension",
            f"unknown dimension code {{dimension!r}} for policy {policy.id}",
        ),
        (
            item.is_not_null() & dim.is_not_null() & (dim != pl.col("i_dimension")),
            "dimension",
            "item {item} belongs to dimension {i_dimension}, not {dimension}",
        ),
        (
            pl.col("count").is_not_null() & (pl.col("count") < 1),
            "count",
            "count must be a whole number ≥ 1",
        ),
        (
            points.is_not_null() & (points <= 0),
            "points",
            "points is a positive magnitude (the item decides deduct or add)",
        ),
        (item.is_null() & points.is_null(), "points", "a dimension-only record needs points"),
        (
            (pl.col("i_free") | pl.col("i_lo").is_not_null()) & points.is_null(),
            "points",
            "item {item} needs points (range {i_lo}–{i_hi} or free entry)",
        ),
        (
            pl.col("i_lo").is_not_null()
            & points.is_not_null()
            & ((points < pl.col("i_lo")) | (points > pl.col("i_hi"))),
            "points",
            "{points} is outside item {item}'s range {i_lo}–{i_hi}",
        ),
        (
            pl.col("i_max").is_not_null() & (points > pl.col("i_max")),
            "points",
            "{points} is above item {item}'s maximum {i_max}",
        ),
        (
            pl.col("i_points").is_not_null()
            & points.is_not_null()
            & (points != pl.col("i_points")),
            "points",
            "item {item} has fixed points {i_points}; leave points empty",
        ),
        (
            pl.col("major") & (item.is_null() | ~pl.col("i_major").fill_null(False)),
            "major",
            "item {item} has no aggravated (major) effect in this policy",
        ),
        (
            pl.col("exempt") & (item.is_null() | ~pl.col("i_exempt").fill_null(False)),
            "exempt",
            "item {item} has no exemption in this policy",
        ),
    ]


def validate_records(policy: Policy, org: Org, records: pl.DataFrame) -> pl.DataFrame:
    """Check every record against the policy and the organisation; return it joined to items.

    One vectorised pass decides whether anything is wrong; only then is the
    first bad row (lowest row number) looked up with its specific message.
    """
    frame = records.join(item_table(policy), on="item", how="left")
    checks = _checks(policy, org)
    any_bad = (
        frame.lazy()
        .select(pl.any_horizontal([c.fill_null(False) for c, _, _ in checks]).any())
        .collect()
        .item()
    )
    if not any_bad:
        return frame
    flags = frame.select([c.fill_null(False).alias(f"c{i}") for i, (c, _, _) in enumerate(checks)])
    worst: tuple[int, int] | None = None
    for i in range(len(checks)):
        hit = frame.filter(flags[f"c{i}"])
        if hit.height:
            row = int(hit["_row"].min())  # type: ignore[arg-type]
            if worst is None or row < worst[0]:
                worst = (row, i)
    assert worst is not None
    row_n, i = worst
    _, field, message = checks[i]
    bad = frame.filter(pl.col("_row") == row_n).row(0, named=True)
    raise InputError("records", row_n, field, message.format(**bad))


FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)


def _unit_points(scaled: bool = False) -> pl.Expr:
    """The points of one event of a record (before ``count`` and exemption), unrounded.

    The record's own points or the item's, aggravated when ``major``; with
    ``scaled``, times the share of a day of a derived part-day row.
    """
    base = pl.coalesce(pl.col("points"), pl.col("i_points"))
    major = (
        pl.when(pl.col("major") & pl.col("i_major_points").is_not_null())
        .then(pl.col("i_major_points"))
        .when(pl.col("major") & pl.col("i_major_mult").is_not_null())
        .then(base * pl.col("i_major_mult"))
        .otherwise(base)
    )
    if scaled:
        # derived rows for part of a day (half a day of 事假) carry their share of the points
        major = major * pl.col("_scale").fill_null(Decimal(1)).cast(DEC)
    return major


def _magnitude(frame: FrameT, dim_effects: dict[str, str]) -> FrameT:
    major = _unit_points("_scale" in frame.collect_schema().names())
    count = pl.col("count").fill_null(1)
    magnitude = (
        pl.when(pl.col("exempt")).then(pl.lit(Decimal(0), dtype=DEC)).otherwise(major * count)
    ).cast(DEC)
    return frame.with_columns(
        magnitude=magnitude,
        count=count,
        dimension=pl.coalesce(pl.col("i_dimension"), pl.col("dimension")),
        part=pl.col("i_part"),
        effect=pl.col("i_effect").fill_null(
            pl.col("dimension").replace_strict(
                dim_effects, default="deduct", return_dtype=pl.String()
            )
        ),
        tag=pl.when(pl.col("exempt"))
        .then(pl.lit("exempt"))
        .when(pl.col("major"))
        .then(pl.lit("major"))
        .otherwise(pl.lit(None, dtype=pl.String())),
    )


PREPARED = [
    "_row",
    "date",
    "subject",
    "item",
    "dimension",
    "part",
    "effect",
    "magnitude",
    "count",
    "major",
    "exempt",
    "already_deducted",
    "note",
    "tag",
]


def prepare_records(policy: Policy, org: Org, records: pl.DataFrame) -> pl.DataFrame:
    """Validated records with their points worked out, narrowed to what scoring reads.

    The item columns joined for validation are dropped here: on a province's
    month they would otherwise cost gigabytes.
    """
    frame = validate_records(policy, org, records)
    return _magnitude(frame, _dim_effects(policy)).select(PREPARED)


def _dim_effects(policy: Policy) -> dict[str, str]:
    return {
        d.code: ("add" if d.kind == "earned" else "deduct")
        for sc in policy.scorecards
        for d in sc.dimensions
    }


def resolve(
    policy: Policy,
    org: Org,
    records: pl.DataFrame,
    start: date,
    end: date,
    source: str = "record",
    checked: bool = False,
) -> pl.DataFrame:
    """Contributions of the records dated start..end, one row per target subject.

    ``checked``: the records were validated already (aggregated batch rows).
    """
    if records.height == 0:
        return pl.DataFrame(schema=CONTRIB_SCHEMA)
    if "magnitude" in records.columns:
        frame = records
    elif checked:
        frame = _magnitude(
            records.join(item_table(policy), on="item", how="left"), _dim_effects(policy)
        ).select(PREPARED)
    else:
        frame = prepare_records(policy, org, records)
    frame = frame.filter(pl.col("date").is_between(start, end))
    if frame.height == 0:
        return pl.DataFrame(schema=CONTRIB_SCHEMA)
    subst = {p.id: p.substitutes_for for p in org.people.values() if p.substitutes_for}
    frame = frame.with_columns(
        original=pl.col("subject"),
        subject=pl.col("subject").replace(subst) if subst else pl.col("subject"),
    )
    frame = _apply_thresholds(policy, frame).with_row_index("_rid")
    window_of = {p.id: p.window for p in org.people.values() if p.window}
    window_of.update({w: w for w in org.windows})
    chiefs: dict[str, list[str]] = {}
    for p in org.people.values():
        if p.role == "chief_rep" and not p.substitutes_for:
            for w in org.chief_rep_windows(p):
                chiefs.setdefault(w, []).append(p.id)
    staff: dict[str, list[str]] = {}
    for p in org.people.values():
        if p.window and p.role == "staff" and not p.substitutes_for:
            staff.setdefault(p.window, []).append(p.id)

    charges: dict[str, list[tuple[str, Decimal]]] = {
        it.code: [(c.to, c.share) for c in it.charge] for it in policy.items
    }
    parts: list[pl.DataFrame] = []
    kinds = {kind for cs in charges.values() for kind, _ in cs} | {"subject"}
    for kind in sorted(kinds):
        for share in sorted(
            {s for cs in charges.values() for k, s in cs if k == kind} | {Decimal(1)}
        ):
            codes = [c for c, cs in charges.items() if (kind, share) in cs]
            if kind == "subject" and share == 1:
                sel = frame.filter(pl.col("item").is_in(codes) | pl.col("item").is_null())
            else:
                sel = frame.filter(pl.col("item").is_in(codes))
            if sel.height == 0:
                continue
            if kind == "subject":
                sel = sel.with_columns(target=pl.col("subject"))
            elif kind == "window":
                sel = sel.with_columns(
                    target=pl.col("subject").replace_strict(
                        window_of, default=None, return_dtype=pl.String()
                    )
                )
            else:
                mapping = chiefs if kind == "chief_rep" else staff
                win = pl.col("subject").replace_strict(
                    window_of, default=None, return_dtype=pl.String()
                )
                sel = sel.with_columns(
                    target=win.replace_strict(
                        {k: v for k, v in mapping.items()},
                        default=None,
                        return_dtype=pl.List(pl.String()),
                    )
                ).explode("target")
            sel = sel.filter(pl.col("target").is_not_null())
            if share != 1:
                sel = sel.with_columns(
                    magnitude=(pl.col("magnitude") * pl.lit(share, dtype=DEC)).cast(DEC)
                )
            parts.append(sel)
    if not parts:
        return pl.DataFrame(schema=CONTRIB_SCHEMA)
    # a window recorded for an item charged to [subject, window] is one target, charged once
    out = pl.concat(parts, how="diagonal_relaxed")
    multi = [code for code, cs in charges.items() if len(cs) > 1]
    if multi:
        several = pl.col("item").is_in(multi).fill_null(False)
        once = out.filter(several).unique(["_rid", "target"], keep="first", maintain_order=True)
        out = pl.concat([out.filter(~several), once])
    out = out.with_columns(
        source=pl.lit(source),
        row=pl.col("_row"),
        subject=pl.col("original"),
    )
    return out.select([pl.col(c).cast(t) for c, t in CONTRIB_SCHEMA.items()])


def _apply_thresholds(policy: Policy, frame: pl.DataFrame) -> pl.DataFrame:
    """Counting items: only events beyond ``free`` (or every n-th) in a scope carry points.

    Events of ``counts_with`` items count towards the threshold (罗山: a mid-day
    leave over 2 h is also a mid-day leave). The chargeable events of a scope are
    carried by the item's own records, latest first, and by the counted-with
    records only when the item has too few records of its own.
    """
    from kaohe.engine.periods import Period, PeriodKind

    counted = [it for it in policy.items if it.threshold is not None]
    if not counted:
        return frame
    frame = frame.with_row_index("_idx")
    updates: dict[int, Decimal] = {}
    for it in counted:
        th = it.threshold
        assert th is not None
        unit = it.points if it.points is not None else Decimal(0)
        codes = [it.code, *th.counts_with]
        sub = frame.filter(pl.col("item").is_in(codes)).sort(["subject", "date", "_row"])
        scopes: dict[tuple[str, object], list[dict[str, object]]] = {}
        for rec in sub.iter_rows(named=True):
            key: object = None
            if th.per is not None:
                key = str(Period.parse(rec["date"]).enclosing(PeriodKind(th.per)))
            scopes.setdefault((rec["subject"], key), []).append(rec)
        for recs in scopes.values():
            total = sum(int(r["count"]) for r in recs)  # type: ignore[call-overload]
            chargeable = sum(
                1 for k in range(th.free + 1, total + 1) if (k - th.free) % th.every == 0
            )
            own = [r for r in recs if r["item"] == it.code]
            for r in own:
                updates[int(r["_idx"])] = Decimal(0)  # type: ignore[call-overload]
            carriers = list(reversed(own)) + [r for r in reversed(recs) if r["item"] != it.code]
            for r in carriers:
                if chargeable <= 0:
                    break
                n = min(chargeable, int(r["count"]))  # type: ignore[call-overload]
                chargeable -= n
                idx = int(r["_idx"])  # type: ignore[call-overload]
                current = updates.get(idx, r["magnitude"] if r["item"] != it.code else Decimal(0))
                updates[idx] = current + unit * n  # type: ignore[operator,unused-ignore]
    if updates:
        idx = list(updates)
        vals = [updates[i] for i in idx]
        patch = pl.DataFrame({"_idx": idx, "_new": vals}, schema={"_idx": pl.UInt32(), "_new": DEC})
        frame = (
            frame.join(patch, on="_idx", how="left")
            .with_columns(magnitude=pl.coalesce(pl.col("_new"), pl.col("magnitude")))
            .drop("_new")
        )
    return frame.drop("_idx")


COUNTER_KEYS = ["subject", "item", "dimension", "major", "exempt", "already_deducted"]


def monthly_counts(frame: FrameT) -> FrameT:
    """Record counts per subject, item and month: what ``count()`` and ``has_flag()`` read."""
    keys = [*COUNTER_KEYS, pl.col("date").dt.truncate("1mo")]
    return frame.group_by(keys).agg(pl.col("count").fill_null(1).sum().alias("n"))


class SubjectIds:
    """The organisation's subjects numbered 0, 1, 2 …, and who a record on each is charged to.

    A province's ledger aggregates to about a million (subject, item) rows. Pricing them and
    charging them to windows, chief reps and staff by the subject's text would hash those
    strings again at every step; numbered once per organisation, the same steps are gathers
    and joins on small integers. Names the organisation only refers to (a window a person
    names that is not in its window list) are numbered too, after its own subjects, so that
    charging by number follows the charging by text exactly.
    """

    def __init__(self, org: Org) -> None:
        people, windows = org.people, org.windows
        names = list(people)
        names += [w for w in windows if w not in people]
        self.known = len(names)  # numbers below this are the organisation's own subjects
        number = {s: i for i, s in enumerate(names)}
        chief_windows = [
            (p.id, org.chief_rep_windows(p))
            for p in people.values()
            if p.role == "chief_rep" and not p.substitutes_for
        ]
        referenced = dict.fromkeys(
            chain(
                (p.substitutes_for for p in people.values() if p.substitutes_for),
                (p.window for p in people.values() if p.window),
                (w for _, ws in chief_windows for w in ws),
            )
        )
        for name in referenced:
            if name not in number:
                number[name] = len(number)
                names.append(name)
        n = len(names)
        canon = list(range(n))
        window: list[int | None] = [None] * n
        staff_windows: list[int] = []
        staff_people: list[int] = []
        for p in people.values():
            if p.substitutes_for:
                canon[number[p.id]] = number[p.substitutes_for]
            if p.window:
                window[number[p.id]] = number[p.window]
                if p.role == "staff" and not p.substitutes_for:
                    staff_windows.append(number[p.window])
                    staff_people.append(number[p.id])
        for w in windows:
            window[number[w]] = number[w]
        self.number = number
        self.names = pl.Series("subject", names, dtype=pl.String())
        self.frame = pl.DataFrame(
            {"subject": self.names, "sid": pl.int_range(0, n, dtype=pl.UInt32(), eager=True)}
        )
        # whose record it is for counting and charging: a substitute's records are the person's
        self.canon = pl.Series("canon", canon, dtype=pl.UInt32())
        self.window = pl.Series("window", window, dtype=pl.UInt32())
        link = {"wsid": pl.UInt32(), "tsid": pl.UInt32()}
        chief_links = [(number[w], number[c]) for c, ws in chief_windows for w in ws]
        self.links = {
            "chief_rep": pl.DataFrame(
                {"wsid": [w for w, _ in chief_links], "tsid": [c for _, c in chief_links]},
                schema=link,
            ),
            "staff": pl.DataFrame({"wsid": staff_windows, "tsid": staff_people}, schema=link),
        }


SUMS_SCHEMA: dict[str, pl.DataType] = {
    "tsid": pl.UInt32(),
    "dimension": pl.String(),
    "part": pl.String(),
    "effect": pl.String(),
    "total": DEC,
}


def fast_sums(
    policy: Policy,
    org: Org,
    records: pl.DataFrame,
    start: date,
    end: date,
    ids: SubjectIds | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Points per (target, dimension, part, effect) and record counts per subject, item and month.

    The same result as :func:`resolve` followed by a group-by, for a province's
    month. Points are linear in ``count``, so the records are first aggregated
    once — one group-by over the ledger, the only pass over every row — and the
    aggregated rows are then checked, priced and charged. Counting-threshold
    items (whose points depend on record order) take the row path of
    :func:`resolve`. When a check fails, :func:`validate_records` reports the
    first bad row precisely.

    Subjects are numbers of ``ids`` (:class:`SubjectIds`). The sums have the
    columns of :data:`SUMS_SCHEMA` (``tsid``: the target's number); the counters
    ``sid`` (the subject a substitute stands for), ``item`` (the policy's codes
    as an Enum), ``dimension`` (the record's own, for records without an item),
    ``date`` (the month), the three flags and ``n``.
    """
    ids = ids if ids is not None else SubjectIds(org)
    counted = {
        c for it in policy.items if it.threshold for c in (it.code, *it.threshold.counts_with)
    }
    # derived rows for part of a day carry a share of the points: not linear in count, so they
    # are priced one by one (they still count in the counters)
    part_day = (
        (pl.col("_scale").is_not_null() & (pl.col("_scale") != 1))
        if "_scale" in records.columns
        else pl.lit(False)
    )
    scaled = records.filter(part_day) if "_scale" in records.columns else records.clear()
    # what the ledger holds, in one parallel pass: which optional keys and flags occur, its
    # date range, and whether any count is below one
    facts = records.select(
        *(pl.col(c).is_not_null().any().alias(c) for c in ("dimension", "points")),
        *(pl.col(c).any().alias(c) for c in ("major", "exempt", "already_deducted")),
        pl.col("date").min().alias("first"),
        pl.col("date").max().alias("last"),
        pl.col("date").null_count().alias("undated"),
        (pl.col("count") < 1).any().alias("bad_count"),
    ).row(0, named=True)
    # the group-by over the whole ledger is the one expensive step, so it is keyed on as little
    # as possible: subject and item, plus only those other keys that vary in these records
    # (all-empty columns, flags nobody set, a single calendar month are constants, not keys)
    optional = [c for c in ("dimension", "points") if facts[c]]
    flags = [c for c in ("major", "exempt", "already_deducted") if facts[c]]
    by: list[pl.Expr] = [*map(pl.col, optional)]
    constants: dict[str, pl.Expr] = {
        c: pl.lit(None, dtype=records.schema[c])
        for c in ("dimension", "points")
        if c not in optional
    }
    if flags:
        # the flags travel packed in one small integer
        by.append(
            (
                pl.col("major").fill_null(False).cast(pl.Int8())
                + 2 * pl.col("exempt").fill_null(False).cast(pl.Int8())
                + 4 * pl.col("already_deducted").fill_null(False).cast(pl.Int8())
            ).alias("_flags")
        )
        unpacked = {
            "major": (pl.col("_flags") % 2) == 1,
            "exempt": ((pl.col("_flags") // 2) % 2) == 1,
            "already_deducted": (pl.col("_flags") // 4) == 1,
        }
    else:
        unpacked = {c: pl.lit(False) for c in ("major", "exempt", "already_deducted")}
    if scaled.height:
        by.append(part_day.alias("_part_day"))
    else:
        constants["_part_day"] = pl.lit(False)
    first, last = facts["first"], facts["last"]
    span = (
        (first, last)
        if isinstance(first, date) and isinstance(last, date) and not facts["undated"]
        else None
    )
    months = 0  # calendar months the records span, when the month is a key
    if span is not None and _month_number(span[0]) == _month_number(span[1]):
        constants["date"] = pl.lit(span[0].replace(day=1), dtype=pl.Date())
    else:
        by.append(pl.col("date").dt.truncate("1mo").alias("date"))
        if span is not None:
            months = _month_number(span[1]) - _month_number(span[0]) + 1
    # a count below one fails validation; the full check then names the first bad row
    if facts["bad_count"]:
        validate_records(policy, org, records)

    # the item as a policy Enum is a cheaper key than its text; a code the policy does not
    # know makes the cast fail, and validation then names the row
    codes = pl.Enum(sorted({it.code for it in policy.items}))
    try:
        agg = _group_ledger(records, ids, codes, by, optional, months, span[0] if span else None)
    except pl.exceptions.InvalidOperationError:
        validate_records(policy, org, records)  # raises with the first bad row
        raise
    agg = agg.with_columns(**unpacked, **constants)

    # one row per distinct pricing key (item, and the optional keys) stands in for all the
    # aggregated rows with that key in the checks; subjects are checked by their numbers
    keys = ["item", *optional] + (["_flags"] if flags else [])
    items = item_table(policy).with_columns(pl.col("item").cast(codes))
    probe = agg.unique(subset=keys).join(items, on="item", how="left")
    checks = _checks(policy, org, known=pl.lit(True))
    unknown_subject = agg["sid"].null_count() > 0 or bool((agg["sid"] >= ids.known).any())
    if (
        unknown_subject
        or probe.select(pl.any_horizontal([c.fill_null(False) for c, _, _ in checks]).any()).item()
    ):
        validate_records(policy, org, records)  # raises with the first bad row
    agg = agg.with_columns(sid=pl.lit(ids.canon).gather(pl.col("sid")))
    counters = agg.select(
        "sid", "item", "dimension", "date", "major", "exempt", "already_deducted",
        pl.col("count").alias("n"),
    )  # fmt: skip

    # groups are calendar months and periods are whole months, quarters or years
    rows = agg.filter(
        pl.col("date").is_between(start, end)
        & ~pl.col("item").is_in(list(counted)).fill_null(False)
        & ~pl.col("_part_day")
    )
    sums = _charge(policy, ids, rows, probe, keys) if rows.height else pl.DataFrame(
        schema=SUMS_SCHEMA
    )
    threshold_rows = pl.concat(
        [records.filter(pl.col("item").is_in(list(counted))) if counted else records.clear(), scaled],
        how="diagonal_relaxed",
    )
    if threshold_rows.height:
        extra = resolve(policy, org, threshold_rows, start, end)
        if extra.height:
            more = (
                extra.group_by(["target", "dimension", "part", "effect"])
                .agg(pl.col("magnitude").sum().alias("total"))
                .join(ids.frame.rename({"subject": "target", "sid": "tsid"}), on="target")
                .select(list(SUMS_SCHEMA))
            )
            sums = (
                pl.concat([sums, more])
                .group_by(["tsid", "dimension", "part", "effect"])
                .agg(pl.col("total").sum())
            )
    return sums, counters


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def _group_ledger(
    records: pl.DataFrame,
    ids: SubjectIds,
    codes: pl.Enum,
    by: list[pl.Expr],
    optional: list[str],
    months: int,
    first: date | None,
) -> pl.DataFrame:
    """The one pass over the ledger: record counts per subject number, item and ``by`` keys.

    The subject's text is replaced by its number (a join with the organisation's
    few thousand names; an unknown subject gets none) and the item by its policy
    code. When no optional key varies, all keys are packed into one integer —
    a group-by on one integer column is markedly cheaper than on several
    columns — and unpacked on the million aggregated rows afterwards.
    """
    subject = pl.col("subject")
    if records.schema["subject"] != pl.String():
        subject = subject.cast(pl.String())
    ledger = (
        records.lazy()
        .select(subject, pl.col("item").cast(codes), "count", "date", *optional,
                "major", "exempt", "already_deducted", *(["_scale"] if "_scale" in records.columns else []))
        .join(ids.frame.lazy(), on="subject", how="left")
    )  # fmt: skip
    count = pl.col("count").fill_null(1).sum().alias("count")
    n_ids, n_codes = ids.frame.height, len(codes.categories)
    # (name, value as a small non-negative integer, how many values it takes)
    fields: list[tuple[str, pl.Expr, int]] = [
        ("sid", pl.col("sid").fill_null(n_ids), n_ids + 1),
        ("item", pl.col("item").to_physical().cast(pl.UInt32()).fill_null(n_codes), n_codes + 1),
    ]
    packable = not optional
    for expr in by:
        name = expr.meta.output_name()
        if name == "_flags":
            fields.append((name, expr, 8))
        elif name == "_part_day":
            fields.append((name, expr, 2))
        elif name == "date" and months and first is not None:
            base = _month_number(first)
            month = pl.col("date").dt.year().cast(pl.Int64()) * 12 + pl.col("date").dt.month() - 1
            fields.append((name, month - base, months))
        else:
            packable = False
    size = 1
    for _, _, n in fields:
        size *= n
    if not packable or size >= 2**63:
        return (
            ledger.group_by([pl.col("sid"), pl.col("item"), *by])
            .agg(count)
            .collect()
        )
    dtype = pl.UInt32() if size < 2**32 else pl.UInt64()  # the narrower, the faster
    key = pl.lit(0, dtype=dtype)
    for _, value, n in fields:
        key = key * n + value.cast(dtype)
    grouped = ledger.group_by(key.alias("_key")).agg(count).collect()
    unpacked: dict[str, pl.Expr] = {}
    rest = pl.col("_key")
    for name, _, n in reversed(fields):
        unpacked[name] = rest % n
        rest = rest // n
    sid, item = unpacked["sid"], unpacked["item"]
    columns: dict[str, pl.Expr] = {
        "sid": pl.when(sid < n_ids).then(sid).cast(pl.UInt32()),
        "item": pl.lit(pl.Series(codes.categories).cast(codes)).gather(
            pl.when(item < n_codes).then(item)
        ),
    }
    if "_flags" in unpacked:
        columns["_flags"] = unpacked["_flags"].cast(pl.Int8())
    if "_part_day" in unpacked:
        columns["_part_day"] = unpacked["_part_day"] == 1
    if "date" in unpacked and first is not None:
        month = unpacked["date"].cast(pl.Int64()) + _month_number(first)
        columns["date"] = pl.date(month // 12, month % 12 + 1, 1)
    return grouped.select(**columns, count="count")


def _charge(
    policy: Policy, ids: SubjectIds, rows: pl.DataFrame, probe: pl.DataFrame, keys: list[str]
) -> pl.DataFrame:
    """Price aggregated rows by their item and charge them to their targets, by numbers.

    Every aggregated row with the same pricing key has the same points per event,
    dimension, part and effect, so those are worked out once per key by the row
    path's own expressions (:func:`_magnitude`). Rows are then summed per
    subject, (dimension, part, effect) and set of charges before they are charged:
    all of a subject's records of one charge set reach the same targets. A
    share other than 1 is applied to each aggregated row before summing, as the
    row path applies it to each of its rows.
    """
    charges: dict[str, list[tuple[str, Decimal]]] = {
        it.code: [(c.to, c.share) for c in it.charge] for it in policy.items
    }
    # a class of items: the charges (in the order the row path makes them) and whether one
    # record's targets are charged once each (items with several charges); a record without
    # an item goes to its subject
    classes: dict[tuple[tuple[tuple[str, Decimal], ...], bool], int] = {}
    class_of: dict[str, int] = {}
    for code, cs in charges.items():
        key = (tuple(sorted(set(cs))), len(cs) > 1)
        class_of[code] = classes.setdefault(key, len(classes))
    no_item = classes.setdefault(((("subject", Decimal(1)),), False), len(classes))

    # where the points go (the key's own dimension column is the record's: kept for the join)
    resolved = _magnitude(
        probe.with_columns(count=pl.lit(1, dtype=pl.Int64())), _dim_effects(policy)
    ).select("dimension", "part", "effect")
    dpe = resolved.unique().with_row_index("dpe")
    priced = pl.concat(
        [
            probe.select(
                *keys,
                "exempt",
                _unit=_unit_points(),
                cclass=pl.col("item")
                .cast(pl.String())
                .replace_strict(class_of, default=no_item, return_dtype=pl.UInt32()),
            ),
            resolved.join(dpe, on=["dimension", "part", "effect"], how="left", nulls_equal=True)
            .select("dpe"),
        ],
        how="horizontal",
    )
    shares = sorted({share for key in classes for _, share in key[0]})
    magnitude = (
        pl.when(pl.col("exempt"))
        .then(pl.lit(Decimal(0), dtype=DEC))
        .otherwise(pl.col("_unit") * pl.col("count"))
    ).cast(DEC)
    amounts = {
        share: (
            pl.col("magnitude")
            if share == 1
            else (pl.col("magnitude") * pl.lit(share, dtype=DEC)).cast(DEC)
        ).alias(f"m{i}")
        for i, share in enumerate(shares)
    }
    column = {share: f"m{i}" for i, share in enumerate(shares)}
    # one integer key (subject, destination, class) groups faster than three columns; the
    # steps run as one query, without materialising what lies between them
    n_dpe, n_class = dpe.height, len(classes)
    wide = pl.UInt32() if ids.frame.height * n_dpe * n_class < 2**32 else pl.UInt64()
    reduced = (
        rows.lazy()
        .select("sid", *keys, "count")
        .join(
            priced.lazy().select(*keys, "_unit", "exempt", "dpe", "cclass"),
            on=keys,
            how="left",
            nulls_equal=True,
        )
        .select("sid", "dpe", "cclass", magnitude.alias("magnitude"))
        .group_by(
            (
                (pl.col("sid").cast(wide) * n_dpe + pl.col("dpe").cast(wide)) * n_class
                + pl.col("cclass").cast(wide)
            ).alias("_key")
        )
        .agg([amount.sum() for amount in amounts.values()])
        .select(
            (pl.col("_key") // (n_dpe * n_class)).cast(pl.UInt32()).alias("sid"),
            ((pl.col("_key") // n_class) % n_dpe).cast(pl.UInt32()).alias("dpe"),
            (pl.col("_key") % n_class).cast(pl.UInt32()).alias("cclass"),
            *column.values(),
        )
        .collect()
    )
    present = set(reduced["cclass"].unique().to_list())
    parts: list[pl.LazyFrame] = []
    for (kinds, several), cid in classes.items():
        if cid not in present:
            continue
        mine = reduced.lazy().filter(pl.col("cclass") == cid)
        if several:
            mine = mine.with_row_index("_rid")
        rid = ["_rid"] if several else []
        pieces = []
        for kind, share in kinds:
            m = pl.col(column[share]).alias("total")
            if kind == "subject":
                piece = mine.select(*rid, pl.col("sid").alias("tsid"), "dpe", m)
            elif kind == "window":
                window = pl.lit(ids.window).gather(pl.col("sid")).alias("tsid")
                piece = mine.select(*rid, window, "dpe", m)
            else:
                piece = (
                    mine.with_columns(wsid=pl.lit(ids.window).gather(pl.col("sid")))
                    .join(ids.links[kind].lazy(), on="wsid", how="inner")
                    .select(*rid, "tsid", "dpe", m)
                )
            pieces.append(piece.filter(pl.col("tsid").is_not_null()))
        joined = pl.concat(pieces)
        if several:
            # a target reached by two of a record's charges is charged once, by the first
            joined = joined.unique(["_rid", "tsid"], keep="first", maintain_order=True).drop("_rid")
        parts.append(joined)
    if not parts:
        return pl.DataFrame(schema=SUMS_SCHEMA)
    target = pl.UInt32() if ids.frame.height * n_dpe < 2**32 else pl.UInt64()
    return (
        pl.concat(parts)
        .group_by((pl.col("tsid").cast(target) * n_dpe + pl.col("dpe").cast(target)).alias("_key"))
        .agg(pl.col("total").sum())
        .select(
            tsid=(pl.col("_key") // n_dpe).cast(pl.UInt32()),
            dpe=(pl.col("_key") % n_dpe).cast(pl.UInt32()),
            total="total",
        )
        .join(dpe.lazy().with_columns(pl.col("dpe").cast(pl.UInt32())), on="dpe")
        .select(list(SUMS_SCHEMA))
        .collect()
    )
