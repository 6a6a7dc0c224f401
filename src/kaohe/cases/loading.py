"""Cases and batch inputs: one schema, three containers.

A case YAML file, an XLSX workbook (one sheet per table) or a directory (one
``<table>.csv|.xlsx|.parquet`` file per table) all become plain rows that
:func:`kaohe.engine.inputs.build_org` / :func:`~kaohe.engine.inputs.build_facts`
type and check. Every bad input surfaces as :class:`CaseLoadError` naming the
file, the table, the row (list index in YAML, spreadsheet row in CSV/XLSX) and
the field. Parquet tables stay frames, typed column by column
(:func:`~kaohe.engine.inputs.build_org_frames`,
:func:`~kaohe.engine.inputs.build_table_frame`); rows are made of an org
table only when it needs the row-by-row path.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from kaohe.engine.inputs import (
    SCHEMAS,
    Facts,
    InputError,
    Org,
    build_facts,
    build_org,
    build_org_frames,
    build_table_frame,
    parse_decimal,
    parse_int,
)
from kaohe.engine.periods import Period

ORG_TABLES = ("units", "windows", "people")
TABLES = (*ORG_TABLES, *SCHEMAS)
TOP_KEYS = ("case", "policy", "period", "org", "facts", "context", "expect")
ID_COLUMNS = frozenset(
    {"id", "subject", "person", "window", "windows", "unit", "voter", "pin", "substitutes_for"}
)
MONTH_COLUMNS = frozenset({"month", "period"})
# what polars raises when a parsed value does not fit its column (e.g. 1e40 in Decimal(38, 4))
_STORE_ERRORS = (RuntimeError, TypeError, OverflowError, ArithmeticError, pl.exceptions.PolarsError)


class CaseLoadError(ValueError):
    """A case or batch input that cannot be loaded; the message names file, table, row, field."""

    def __init__(
        self,
        file: Path | str,
        message: str,
        table: str | None = None,
        row: int | None = None,
        field_name: str | None = None,
    ) -> None:
        self.file, self.table, self.row, self.field = Path(file), table, row, field_name
        self.message = message
        where = [table] if table else []
        if row is not None:
            where.append(f"row {row}")
        if field_name is not None:
            where.append(f"field '{field_name}'")
        prefix = f"{file}: " + (" ".join(where) + ": " if where else "")
        super().__init__(prefix + message)


@dataclass
class Case:
    name: str
    policy: str
    period: str
    org: Org
    facts: Facts
    context: dict[str, Any]
    expect: dict[str, dict[str, Any]] | None
    expect_error: str | None
    path: Path
    base_dir: Path  # where a relative policy path resolves
    sources: dict[str, Path] = field(default_factory=dict)  # table -> file it came from

    def input_error(self, exc: InputError) -> CaseLoadError:
        """Name the file of an InputError the engine raised later (rows are already real)."""
        table = exc.table.removeprefix("org.")
        return CaseLoadError(
            self.sources.get(table, self.path), exc.message, exc.table, exc.row, exc.field
        )


@dataclass
class _Table:
    file: Path
    label: str  # how messages name the table
    rows: Any  # a list of row mappings (anything else is the engine's to reject)
    numbers: list[int] | None = None  # real row numbers; None: 1-based list index
    frame: pl.DataFrame | None = None  # a Parquet table, typed column by column
    starts_clean: frozenset[str] = frozenset()  # text columns whose statistics rule out blanks

    def number(self, n: int) -> int:
        return self.numbers[n - 1] if self.numbers and 1 <= n <= len(self.numbers) else n


# ---------------------------------------------------------------- cells


def _blank(value: object) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return value is None or (isinstance(value, str) and not value.strip())


def _id_text(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and (m := re.fullmatch(r"\s*([0-9]+)\.0*\s*", value)):
        return m.group(1)
    return value


def _clean(column: object, value: object) -> object:
    """Container noise out: NaN, ``1001.0`` ids, Excel turning ``2024-05`` into a date."""
    if _blank(value):
        return None
    if column == "windows":
        if isinstance(value, str):
            return ",".join(str(_id_text(w)) for w in re.split(r"[,，、;；]", value))
        if isinstance(value, list):
            return [_id_text(w) for w in value]
    if column in ID_COLUMNS:
        return _id_text(value)
    if column in MONTH_COLUMNS and isinstance(value, date):
        return f"{value.year:04d}-{value.month:02d}"
    return value


def _clean_rows(rows: object) -> object:
    if not isinstance(rows, list):
        return rows
    return [{k: _clean(k, v) for k, v in r.items()} if isinstance(r, Mapping) else r for r in rows]


# ---------------------------------------------------------------- building


def _locate(table: str, rows: list[Any]) -> InputError | None:
    """The first number that parses but does not fit its column."""
    for n, row in enumerate(rows, start=1):
        for col, (dtype, _) in SCHEMAS[table].items():
            value = row.get(col)
            if not isinstance(dtype, pl.Decimal | pl.Int64) or _blank(value):
                continue
            try:
                parsed = parse_int(value) if isinstance(dtype, pl.Int64) else parse_decimal(value)
                pl.Series([parsed], dtype=dtype)
            except ValueError:
                continue
            except _STORE_ERRORS:
                return InputError(table, n, col, f"number out of range: {value!r}")
    return None


def _fact_table(table: str, rows: object) -> pl.DataFrame | None:
    try:
        return build_facts({table: rows}).tables.get(table)
    except InputError:
        raise
    except _STORE_ERRORS as exc:
        located = _locate(table, rows) if isinstance(rows, list) else None
        raise located or InputError(table, None, None, f"cannot be stored: {exc}") from None


def _org_from_frames(tables: Mapping[str, _Table]) -> Org | None:
    """The org straight from its columns when every org table given is a frame (Parquet).

    ``None`` when some table came as rows, or when a value needs the
    row-by-row path (which then reports the first bad row as it always has).
    """
    org_tables = {k: t for k, t in tables.items() if k in ORG_TABLES}
    frames = {k: t.frame for k, t in org_tables.items() if t.frame is not None}
    if not org_tables or len(frames) != len(org_tables):
        return None
    return build_org_frames(frames)


def _check_ids(tables: Mapping[str, _Table]) -> None:
    for kind in ORG_TABLES:
        t = tables.get(kind)
        if t is None or not isinstance(t.rows, list):
            continue
        seen: dict[str, int] = {}
        for n, row in enumerate(t.rows, start=1):
            if not isinstance(row, Mapping) or _blank(row.get("id")):
                continue
            key = str(row["id"]).strip()
            if key in seen:
                raise CaseLoadError(
                    t.file,
                    f"duplicate id {key!r} (first in row {seen[key]})",
                    t.label,
                    t.number(n),
                    "id",
                )
            seen[key] = t.number(n)


def _build(tables: Mapping[str, _Table], file: Path) -> tuple[Org, Facts]:
    """Type the tables (keyed by engine name without ``org.``); errors name real rows.

    Parquet fact tables are typed in a second thread while this one builds the
    org: their checks run in Polars, which releases the GIL, and the org is
    Python objects, so the two overlap on two cores. Errors are raised in the
    same order as before (org first, then the fact tables in turn).
    """
    with ThreadPoolExecutor(1, thread_name_prefix="kaohe-facts") as pool:
        typed = {
            name: pool.submit(build_table_frame, name, t.frame, t.starts_clean)
            for name, t in tables.items()
            if name not in ORG_TABLES and t.frame is not None
        }
        try:
            return _build_with(tables, file, typed)
        finally:
            for job in typed.values():
                job.cancel()  # after an error, the tables not yet typed are not needed


def _build_with(
    tables: Mapping[str, _Table], file: Path, typed: Mapping[str, Future[pl.DataFrame]]
) -> tuple[Org, Facts]:
    org = _org_from_frames(tables)
    if org is None:
        tables = {k: _with_rows(t) if k in ORG_TABLES else t for k, t in tables.items()}
        _check_ids(tables)
    try:
        if org is None:
            org = build_org({k: t.rows for k, t in tables.items() if k in ORG_TABLES})
        facts = Facts()
        for name, t in tables.items():
            if name in ORG_TABLES:
                continue
            frame = typed[name].result() if name in typed else _fact_table(name, t.rows)
            if frame is not None and t.numbers is not None:
                frame = frame.with_columns(pl.Series("_row", t.numbers, dtype=pl.Int64()))
            if frame is not None:
                facts.tables[name] = frame
    except InputError as exc:
        src = tables.get(exc.table.removeprefix("org."))
        if src is None:
            raise CaseLoadError(file, exc.message, exc.table, exc.row, exc.field) from None
        row = None if exc.row is None else src.number(exc.row)
        raise CaseLoadError(src.file, exc.message, src.label, row, exc.field) from None
    return org, facts


def _period(file: Path, value: object) -> str:
    if _blank(value):
        raise CaseLoadError(file, "missing (YYYY-MM, YYYY-Qn or YYYY)", field_name="period")
    try:
        return str(Period.parse(value))
    except ValueError as exc:
        raise CaseLoadError(file, str(exc), field_name="period") from None


def _context(file: Path, value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise CaseLoadError(file, "must be a mapping of name: value", field_name="context")
    return {str(k): v for k, v in value.items()}


# ---------------------------------------------------------------- YAML cases


class _Loader(yaml.SafeLoader):
    """Safe YAML; a bad date stays text (so the table row reports it); duplicate keys fail."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, AttributeError, OverflowError):
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _decode(file: Path, data: bytes) -> str:
    """UTF-8 (BOM or not) strictly first, then GB18030 — never the reverse."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise CaseLoadError(file, "neither UTF-8 nor GB18030/GBK text") from None


def _read_bytes(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise CaseLoadError(file, f"cannot read: {exc.strerror or exc}") from None


def _yaml(file: Path) -> object:
    text = _decode(file, _read_bytes(file))
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise CaseLoadError(file, f"invalid YAML{at}: {exc.problem or exc.context}") from None
    except (
        yaml.YAMLError,
        ValueError,
        TypeError,
        AttributeError,
        OverflowError,
        RecursionError,
    ) as exc:
        raise CaseLoadError(file, f"invalid YAML: {exc}") from None


def _expect(file: Path, raw: object) -> tuple[dict[str, dict[str, Any]] | None, str | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, Mapping):
        raise CaseLoadError(
            file, "must be a mapping of subject: fields, or {error: text}", field_name="expect"
        )
    if "error" in raw:
        if len(raw) != 1 or _blank(raw["error"]) or isinstance(raw["error"], Mapping | list):
            raise CaseLoadError(
                file, "{error: text} stands alone, with the text expected", field_name="expect"
            )
        return None, str(raw["error"])
    out: dict[str, dict[str, Any]] = {}
    for subject, fields in raw.items():
        if not isinstance(fields, Mapping):
            raise CaseLoadError(
                file, "must be a mapping of field: value", "expect", field_name=str(subject)
            )
        out[str(_id_text(subject))] = dict(fields)
    return out, None


def _yaml_tables(file: Path, org: object, facts: object) -> dict[str, _Table]:
    tables: dict[str, _Table] = {}
    for part, raw, known in (("org", org, ORG_TABLES), ("facts", facts, tuple(SCHEMAS))):
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            raise CaseLoadError(file, "must be a mapping of table: rows", field_name=part)
        for key, rows in raw.items():
            name = str(key)
            label = f"org.{name}" if part == "org" else name
            if name not in known:
                raise CaseLoadError(file, f"unknown table (known: {', '.join(known)})", label)
            tables[name] = _Table(file, label, _clean_rows(rows))
    return tables


def load_case(path: Path | str) -> Case:
    """Read and check a case YAML file."""
    file = Path(path)
    data = _yaml(file)
    if not isinstance(data, Mapping):
        raise CaseLoadError(file, f"a case must be a mapping with keys {', '.join(TOP_KEYS)}")
    unknown = [str(k) for k in data if k not in TOP_KEYS]
    if unknown:
        known = ", ".join(TOP_KEYS)
        raise CaseLoadError(file, f"unknown key(s) {', '.join(unknown)} (known: {known})")
    policy = data.get("policy")
    if _blank(policy):
        raise CaseLoadError(
            file, "missing (a policy id or a path to a policy file)", field_name="policy"
        )
    if not isinstance(policy, str):
        raise CaseLoadError(
            file, f"must be a policy id or path, not {policy!r}", field_name="policy"
        )
    period = _period(file, data.get("period"))
    context = _context(file, data.get("context"))
    expect, expect_error = _expect(file, data.get("expect"))
    tables = _yaml_tables(file, data.get("org"), data.get("facts"))
    org, facts = _build(tables, file)
    name = data.get("case")
    return Case(
        name=file.stem if _blank(name) else str(name).strip(),
        policy=policy.strip(),
        period=period,
        org=org,
        facts=facts,
        context=context,
        expect=expect,
        expect_error=expect_error,
        path=file,
        base_dir=file.parent,
        sources={k: file for k in tables},
    )


def find_cases(paths: Iterable[Path | str] | Path | str) -> list[Path]:
    """Case files: each path a file, or a directory searched recursively for *.yaml/*.yml."""
    if isinstance(paths, str | Path):
        paths = [paths]
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            hits = (
                f
                for f in p.rglob("*")
                if f.suffix.lower() in (".yaml", ".yml")
                and f.is_file()
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            found.extend(sorted(hits))
        elif p.is_file():
            found.append(p)
        else:
            raise CaseLoadError(p, "no such file or directory")
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------- workbooks and directories


def _grid_table(file: Path, label: str, grid: Iterator[tuple[int, Sequence[object]]]) -> _Table:
    """First row the header; fully empty rows skipped; rows keep their real numbers."""
    rows: list[dict[str, object]] = []
    numbers: list[int] = []
    first = next(grid, None)
    if first is None:
        return _Table(file, label, rows, numbers)
    n, header = first
    names = [None if _blank(h) else str(h).strip() for h in header]
    for i, name in enumerate(names):
        if name is not None and name in names[:i]:
            raise CaseLoadError(file, "column appears twice in the header", label, n, name)
    for n, cells in grid:
        row: dict[str, object] = {}
        for i, value in enumerate(cells):
            if _blank(value):
                continue
            name = names[i] if i < len(names) else None
            if name is None:
                raise CaseLoadError(
                    file, f"a value in column {i + 1}, which has no header", label, n
                )
            row[name] = _clean(name, value)
        if row:
            rows.append(row)
            numbers.append(n)
    return _Table(file, label, rows, numbers)


def _read_csv(file: Path, table: str) -> _Table:
    text = _decode(file, _read_bytes(file))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _grid_table(file, table, enumerate(reader, start=1))
    except csv.Error as exc:
        raise CaseLoadError(file, f"bad CSV: {exc}", table, reader.line_num) from None


def _xlsx_tables(file: Path, only: str | None = None) -> dict[str, _Table]:
    """Each sheet as a table labelled by its title; with ``only``: that sheet, else the first."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and format errors from openpyxl
        raise CaseLoadError(file, f"cannot read workbook: {exc}") from None
    try:
        sheets = book.worksheets
        if only is not None:
            sheets = [s for s in sheets if s.title.strip() == only] or sheets[:1]
        tables: dict[str, _Table] = {}
        for sheet in sheets:
            sheet.reset_dimensions()  # a stale <dimension> tag would cut rows short
            label = only or sheet.title.strip()
            grid = enumerate(sheet.iter_rows(values_only=True), start=1)
            tables[label] = _grid_table(file, label, grid)
        return tables
    except CaseLoadError:
        raise
    except Exception as exc:  # corrupt sheet content
        raise CaseLoadError(file, f"cannot read workbook: {exc}") from None
    finally:
        book.close()


def _read_workbook(file: Path) -> dict[str, _Table]:
    tables = _xlsx_tables(file)
    for title, table in tables.items():
        if title not in TABLES and table.rows:
            raise CaseLoadError(file, f"unknown table (known: {', '.join(TABLES)})", title)
    return {k: t for k, t in tables.items() if k in TABLES}


def _read_table_xlsx(file: Path, table: str) -> _Table:
    return _xlsx_tables(file, only=table).get(table) or _Table(file, table, [], [])


def _read_parquet(file: Path, table: str) -> _Table:
    try:
        frame = pl.read_parquet(file)
    except Exception as exc:  # not Parquet, or corrupt
        raise CaseLoadError(file, f"cannot read Parquet: {exc}") from None
    if table in SCHEMAS:
        # fact tables can be millions of rows: typed column by column, never row by row
        return _Table(file, table, None, None, frame, _starts_clean(file, frame))
    # organisation tables: Parquet is typed already; only ids stored as numbers need text
    for col in frame.columns:
        if col in ID_COLUMNS and frame[col].dtype.is_float():
            frame = frame.with_columns(
                pl.when(pl.col(col) == pl.col(col).round(0))
                .then(pl.col(col).cast(pl.Int64()).cast(pl.String()))
                .otherwise(pl.col(col).cast(pl.String()))
            )
        elif col in ID_COLUMNS and frame[col].dtype not in (pl.String, pl.List):
            frame = frame.with_columns(pl.col(col).cast(pl.String()))
    # rows are made only if the columns cannot be taken as they are (see _build)
    return _Table(file, table, None, None, frame)


def _starts_clean(file: Path, frame: pl.DataFrame) -> frozenset[str]:
    """Text columns whose Parquet statistics put every value's first character in ``!``–U+0084.

    Such a column holds no blank and no value starting with white space, so
    build_table_frame need not read the first byte of ten million values. Every
    row group must have min/max statistics (a lower and an upper bound, per the
    Parquet format, compared as unsigned bytes like Python compares text).
    Anything unexpected leaves the column to be checked value by value.
    """
    text = [c for c, dtype in frame.schema.items() if dtype == pl.String]
    if not text or frame.height < 100_000:
        return frozenset()  # small tables are checked in no time
    try:
        import pyarrow.parquet as pq

        meta = pq.read_metadata(file)
        where = {meta.schema.column(i).path: i for i in range(meta.num_columns)}
        clean = {c for c in text if c in where}
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for col in list(clean):
                chunk = group.column(where[col])
                stats = chunk.statistics
                if stats is not None and stats.null_count == chunk.num_values:
                    continue  # only nulls here
                lo, hi = (stats.min, stats.max) if stats and stats.has_min_max else (None, None)
                if not (isinstance(lo, str) and isinstance(hi, str) and lo >= "!" and hi < "\x85"):
                    clean.discard(col)
    except Exception:  # statistics that cannot be read prove nothing
        return frozenset()
    return frozenset(clean)


def _with_rows(t: _Table) -> _Table:
    """An org table read as a frame, given the rows (and row numbers) build_org reads."""
    if t.rows is not None or t.frame is None:
        return t
    rows = [
        {k: v for k, v in row.items() if v is not None and v != ""}
        for row in t.frame.iter_rows(named=True)
    ]
    kept = [(r, n) for n, r in enumerate(rows, start=1) if r]
    return _Table(t.file, t.label, [r for r, _ in kept], [n for _, n in kept], t.frame)


def _read_directory(folder: Path) -> dict[str, _Table]:
    readers = {
        ".csv": _read_csv,
        ".xlsx": _read_table_xlsx,
        ".xlsm": _read_table_xlsx,
        ".parquet": _read_parquet,
    }
    tables: dict[str, _Table] = {}
    for file in sorted(folder.iterdir()):
        name, ext = file.stem, file.suffix.lower()
        if file.name.startswith((".", "~$")) or not file.is_file():
            continue
        if ext not in readers:
            if name in TABLES:
                raise CaseLoadError(
                    file, f"unsupported format {ext!r} (use .csv, .xlsx or .parquet)", name
                )
            continue
        if name not in TABLES:
            raise CaseLoadError(file, f"unknown table (known: {', '.join(TABLES)})", name)
        if name in tables:
            raise CaseLoadError(file, f"table given twice (also {tables[name].file.name})", name)
        tables[name] = readers[ext](file, name)
    return tables


def _read_tabular(path: Path) -> dict[str, _Table]:
    if path.is_dir():
        tables = _read_directory(path)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        tables = _read_workbook(path)
    elif path.exists():
        raise CaseLoadError(path, "expected an .xlsx workbook or a directory of table files")
    else:
        raise CaseLoadError(path, "no such file or directory")
    if not tables:
        raise CaseLoadError(path, f"no tables found (name sheets or files: {', '.join(TABLES)})")
    return tables


def load_tables(path: Path | str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Plain rows (org_raw, facts_raw) of a workbook or directory, for build_org/build_facts."""
    tables = _read_tabular(Path(path))
    org = {k: _with_rows(t).rows for k, t in tables.items() if k in ORG_TABLES}
    facts = {
        k: (t.frame.to_dicts() if t.frame is not None else t.rows)
        for k, t in tables.items()
        if k not in ORG_TABLES
    }
    return org, facts


def load_batch(
    policy: str | Path,
    period: object,
    data_path: Path | str,
    context: Mapping[str, Any] | None = None,
) -> Case:
    """A case without expectations from a workbook or directory (``kaohe score --data``)."""
    path = Path(data_path)
    tables = _read_tabular(path)
    org, facts = _build(tables, path)
    return Case(
        name=path.name,
        policy=str(policy),
        period=_period(path, period),
        org=org,
        facts=facts,
        context=_context(path, context),
        expect=None,
        expect_error=None,
        path=path,
        base_dir=Path.cwd(),
        sources={k: t.file for k, t in tables.items()},
    )


def expected_error(path: Path | str) -> str | None:
    """The ``expect: {error: ...}`` text of a case file, read without typing its tables.

    A case that must be rejected is usually rejected while loading; `kaohe check`
    still needs to know what it expected.
    """
    file = Path(path)
    try:
        data = _yaml(file)
    except CaseLoadError:
        return None
    if not isinstance(data, Mapping):
        return None
    raw = data.get("expect")
    if isinstance(raw, Mapping) and len(raw) == 1 and "error" in raw and not _blank(raw["error"]):
        return str(raw["error"])
    return None
