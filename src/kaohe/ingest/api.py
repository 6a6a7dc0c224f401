"""Parse one file of one kind into a :class:`ParseResult` — the only entry point.

Pure: bytes in, preview out. The CLI's dry run and the web upload both call
:func:`parse_bytes`; committing the rows to a database is a separate step.
Nothing here may raise on bad input: every problem becomes a row-level or
file-level error in the result.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from kaohe.ingest.fields import Context, FieldError, Preset, Skip
from kaohe.ingest.formats import KINDS, Kind
from kaohe.ingest.mapping import ColumnMapping
from kaohe.ingest.normalize import is_blank, text
from kaohe.ingest.preview import ParseResult, RowError
from kaohe.ingest.reading import ReadError, Sheet, Workbook, find_header, read_workbook

_DAT_LINE = re.compile(r"^\s*[^\t]+\t\s*\d{4}-\d{1,2}-\d{1,2}[ \t]+\d{1,2}:\d{2}")
_SUMMARY = re.compile(r"^(合计|总计|小计|共计|总数|汇总)")
MAX_BYTES = 200 * 1024 * 1024


def parse_file(
    kind: str,
    path: Path,
    mapping: ColumnMapping | None = None,
    known_pins: Collection[str] | None = None,
    pin_width: int | None = None,
) -> ParseResult:
    """Read ``path`` and parse it; unreadable files give a file-level error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        result = ParseResult(kind, KINDS[kind].table if kind in KINDS else "")
        result.error(None, "", f"cannot read {path.name}: {exc.strerror or exc}")
        return result
    source = {"source": path.stem}
    return parse_bytes(kind, data, mapping, known_pins, pin_width, file_defaults=source)


def parse_bytes(
    kind: str,
    data: bytes,
    mapping: ColumnMapping | None = None,
    known_pins: Collection[str] | None = None,
    pin_width: int | None = None,
    file_defaults: dict[str, Any] | None = None,
) -> ParseResult:
    """Parse ``data`` as ``kind`` (punches, leave, ratings, cards, votes, scores)."""
    if kind not in KINDS:
        result = ParseResult(kind, "")
        result.error(None, "", f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
        return result
    spec = KINDS[kind]
    result = ParseResult(kind, spec.table)
    if mapping is not None and mapping.kind != kind:
        result.error(None, "", f"mapping {mapping.name!r} is for {mapping.kind}, not {kind}")
        return result
    if len(data) > MAX_BYTES:
        result.error(None, "", f"file larger than {MAX_BYTES // 2**20} MB: split it")
        return result
    try:
        book = read_workbook(data)
    except ReadError as exc:
        result.error(None, "", str(exc))
        return result
    except RecursionError:
        result.error(None, "", "file nested too deeply to read")
        return result
    result.format = result.container = book.format
    result.encoding = book.encoding
    ctx = Context(
        pin_width=pin_width or (mapping.pin_width if mapping else None),
        defaults={**(file_defaults or {}), **(mapping.defaults if mapping else {})},
    )
    if kind == "punches" and mapping is None and _is_zkteco_dat(book):
        result.format = "zkteco_dat"
        _parse_dat(book.sheets[0], spec, ctx, result)
    else:
        presets = (mapping.preset(),) if mapping else spec.presets
        _parse_tables(book, spec, presets, ctx, result)
    if known_pins is not None:
        known = set(known_pins)
        seen: dict[str, None] = {}
        for row in result.rows:
            for fld in spec.person_fields:
                pin = row.get(fld)
                if pin is not None and pin not in known:
                    seen.setdefault(pin, None)
        result.unmatched = list(seen)
    if kind == "cards":
        _supersede_cards(result)
    if kind == "ratings":
        _dedupe_ratings(result)
    return result


def _is_zkteco_dat(book: Workbook) -> bool:
    if book.format != "text" or not book.sheets:
        return False
    for _, cells in book.sheets[0].rows[:5]:
        if any(not is_blank(c) for c in cells):
            return bool(_DAT_LINE.match("\t".join(text(c) for c in cells)))
    return False


def _parse_dat(sheet: Sheet, spec: Kind, ctx: Context, result: ParseResult) -> None:
    """Device download: PIN, time, then opaque fields (order varies by firmware)."""
    for number, cells in sheet.rows:
        values = [text(c) for c in cells]
        if not any(values):
            continue
        result.source_rows += 1
        fields = [c.strip() for c in values]
        when: str = fields[1] if len(fields) > 1 else ""
        rest = fields[2:]
        if rest and re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", when) and ":" in rest[0]:
            when, rest = f"{when} {rest[0]}", rest[1:]
        values_by_field = {"person": fields[0], "time": when, "meta": "\t".join(rest)}
        _convert(spec, values_by_field, {"person": "PIN", "time": "time"}, number, ctx, result)


def _parse_tables(
    book: Workbook, spec: Kind, presets: tuple[Preset, ...], ctx: Context, result: ParseResult
) -> None:
    matched = []
    for sheet in book.sheets:
        best: tuple[Preset, int, dict[str, int]] | None = None
        for preset in presets:
            found = find_header(sheet.rows, preset.fields, preset.required)
            if found and (best is None or len(found[1]) > len(best[2])):
                best = (preset, *found)
        if best:
            matched.append((sheet, *best))
    if not matched:
        names = "; ".join(
            f"{p.name}: " + ", ".join(p.fields[f][0] for f in p.required) for p in presets
        )
        result.error(None, "", f"no header row found in the first rows (need {names})")
        return
    many = len(matched) > 1
    result.format = matched[0][1].name
    for sheet, _preset, index, columns in matched:
        header_number, header = sheet.rows[index]
        if result.header_row is None:
            result.header_row = header_number
        used = set(columns.values())
        for i, name in enumerate(header):
            label = text(name) if not is_blank(name) else ""
            if label and i not in used and label not in result.dropped_columns:
                result.dropped_columns.append(label)
        labels = {
            f: (f"{sheet.name}!" if many else "") + text(header[i]) for f, i in columns.items()
        }
        sheet_ctx = _with_title(ctx, sheet.rows[:index])
        for number, cells in sheet.rows[index + 1 :]:
            if all(is_blank(c) for c in cells):
                continue
            first = next((text(c) for c in cells if not is_blank(c)), "")
            if _SUMMARY.match(first):
                result.skipped.append(RowError(number, "", f"summary row ({first[:20]})"))
                continue
            result.source_rows += 1
            values = {f: (cells[i] if i < len(cells) else None) for f, i in columns.items()}
            _convert(spec, values, labels, number, sheet_ctx, result)


def _with_title(ctx: Context, above: Sequence[tuple[int, Sequence[Any]]]) -> Context:
    """The context with the text of the title rows above the header (``2024年4月 考勤汇总``).

    Clock software prints the month in the title, not in a column; converters
    that need a month read it from there before guessing from the file name.
    """
    title = " ".join(text(c) for _, cells in above for c in cells if not is_blank(c))
    if not title:
        return ctx
    return replace(ctx, defaults={**ctx.defaults, "title": title})


def _convert(
    spec: Kind,
    values: dict[str, Any],
    labels: dict[str, str],
    number: int,
    ctx: Context,
    result: ParseResult,
) -> None:
    try:
        row, extras = spec.convert(values, ctx)
    except FieldError as exc:
        result.error(number, labels.get(exc.field, exc.field), exc.message)
        return
    except Skip as exc:
        result.skipped.append(RowError(number, "", str(exc)))
        return
    except (ValueError, ArithmeticError, TypeError, OverflowError) as exc:
        result.error(number, "", f"bad row: {exc}"[:200])
        return
    result.rows.append({"_row": number, **row})
    result.extras.append(extras)


def _supersede_cards(result: ParseResult) -> None:
    """One card per (case, stage, colour); a red drops the same case and stage's yellow."""
    reds = {(e["case"], e["stage"]) for e in result.extras if e["colour"] == "red"}
    seen: set[tuple[str, str, str]] = set()
    rows, extras = [], []
    for row, extra in zip(result.rows, result.extras, strict=True):
        key = (extra["case"], extra["stage"], extra["colour"])
        if key in seen:
            result.skipped.append(RowError(row["_row"], "", f"duplicate {extra['colour']} card"))
            continue
        if extra["colour"] == "yellow" and key[:2] in reds:
            result.skipped.append(RowError(row["_row"], "", "yellow card superseded by a red"))
            continue
        seen.add(key)
        rows.append(row)
        extras.append(extra)
    result.rows, result.extras = rows, extras


def _dedupe_ratings(result: ParseResult) -> None:
    """一次一评: a second rating of the same case on the same channel is a duplicate."""
    seen: set[tuple[str, str]] = set()
    rows, extras = [], []
    for row, extra in zip(result.rows, result.extras, strict=True):
        case = extra.get("case")
        if case:
            key = (case, extra.get("channel", ""))
            if key in seen:
                result.skipped.append(RowError(row["_row"], "", f"duplicate rating of case {case}"))
                continue
            seen.add(key)
        rows.append(row)
        extras.append(extra)
    result.rows, result.extras = rows, extras
