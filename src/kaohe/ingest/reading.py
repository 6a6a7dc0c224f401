"""Any supported file as grids of cells with the row numbers a user sees.

Errors must point at the row a user can find in Excel, so every row keeps its
real number even when title rows, blank rows or merged banners come first.
The header row is found by its names in the first rows, not assumed to be row 1.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

from kaohe.ingest.normalize import is_blank, text
from kaohe.ingest.sniff import DecodeError, decode, sniff

Cell = object
Row = tuple[int, list[Cell]]
HEADER_SCAN_ROWS = 30
MAX_CELLS = 5_000_000


class ReadError(ValueError):
    """The file cannot be read as a table at all (a file-level, row-less error)."""


@dataclass
class Sheet:
    name: str
    rows: list[Row] = field(default_factory=list)


@dataclass
class Workbook:
    """What a file held: its container format, the text encoding if any, its sheets."""

    format: str
    encoding: str | None
    sheets: list[Sheet]


# ------------------------------------------------------------------ text


def _delimiter(sample: str) -> str:
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    best, best_score = ",", -1
    for delim in ("\t", ",", ";", "|"):
        counts = [ln.count(delim) for ln in lines]
        score = sum(1 for c in counts if c > 0)
        if score > best_score or (score == best_score and delim == "\t" and score > 0):
            best, best_score = delim, score
    return best


def rows_from_text(content: str) -> list[Row]:
    """CSV or tab-separated text; the delimiter is the one most lines use."""
    delim = _delimiter(content[:20000])
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delim)
    rows: list[Row] = []
    try:
        for number, record in enumerate(reader, start=1):
            rows.append((number, list(record)))
    except csv.Error as exc:
        raise ReadError(f"not readable as delimited text: {exc}") from None
    return rows


# ------------------------------------------------------------------ HTML


class _TableParser(HTMLParser):
    """Cells of every <table> row; nested markup inside a cell becomes its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._colspan = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._close_row()
            self._row = []
        elif tag in ("td", "th"):
            self._close_cell()
            if self._row is None:
                self._row = []
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._colspan = int(span) if span.isdigit() and 0 < int(span) < 1000 else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._close_cell()
        elif tag == "tr" or tag == "table":
            self._close_row()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def _close_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            value = re.sub(r"\s+", " ", "".join(self._cell).replace("\xa0", " ")).strip()
            self._row.append(value)
            self._row.extend([""] * (self._colspan - 1))
        self._cell = None
        self._colspan = 1

    def _close_row(self) -> None:
        self._close_cell()
        if self._row is not None:
            if not self.tables:
                self.tables.append([])
            self.tables[-1].append(self._row)
        self._row = None


def sheets_from_html(content: str) -> list[Sheet]:
    parser = _TableParser()
    parser.feed(content)
    parser.close()
    parser._close_row()
    sheets = [
        Sheet(f"table{n}", [(i, list(r)) for i, r in enumerate(t, start=1)])
        for n, t in enumerate(parser.tables, start=1)
        if t
    ]
    if not sheets:
        raise ReadError("HTML file without a table")
    return sheets


def _html_charset(data: bytes) -> str | None:
    m = re.search(rb"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", data[:4096], re.I)
    return m.group(1).decode("ascii").lower() if m else None


def decode_markup(data: bytes) -> tuple[str, str]:
    """UTF-8 first, then GB18030 — unless the markup declares something else."""
    declared = _html_charset(data)
    if declared in ("gbk", "gb2312", "gb18030", "cp936"):
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise DecodeError("bad UTF-16 text") from None
    return decode(data)


# ------------------------------------------------------------------ MHT


def html_from_mht(data: bytes) -> tuple[str, str]:
    """The first HTML part of an MHT web archive ("Save as single file web page")."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = (part.get_content_charset() or "").lower()
                if charset in ("gbk", "gb2312", "gb18030"):
                    try:
                        return payload.decode("gb18030"), "gb18030"
                    except UnicodeDecodeError:
                        pass
                return decode(payload)
    raise ReadError("MHT file without an HTML part")


# ------------------------------------------------------------------ SpreadsheetML

_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"


def sheets_from_spreadsheetml(content: str) -> list[Sheet]:
    """Excel 2003 XML; DTDs and entities are refused (no entity-expansion bombs)."""
    if re.search(r"<!(DOCTYPE|ENTITY)", content[:10000], re.I):
        raise ReadError("XML with a DOCTYPE or entities is refused")
    try:
        root = ET.fromstring(content.encode("utf-8").decode("utf-8"))
    except ET.ParseError as exc:
        raise ReadError(f"not well-formed XML: {exc}") from None
    sheets: list[Sheet] = []
    for ws in root.iter(f"{_SS}Worksheet"):
        name = ws.get(f"{_SS}Name") or f"sheet{len(sheets) + 1}"
        rows: list[Row] = []
        number = 0
        for row in ws.iter(f"{_SS}Row"):
            index = row.get(f"{_SS}Index")
            number = int(index) if index and index.isdigit() else number + 1
            cells: list[Cell] = []
            for cell in row.findall(f"{_SS}Cell"):
                cidx = cell.get(f"{_SS}Index")
                if cidx and cidx.isdigit() and 0 < int(cidx) <= 16384:
                    cells.extend([""] * (int(cidx) - 1 - len(cells)))
                data = cell.find(f"{_SS}Data")
                cells.append("".join(data.itertext()).strip() if data is not None else "")
            rows.append((number, cells))
        sheets.append(Sheet(name, rows))
    if not sheets:
        raise ReadError("XML file is not an Excel spreadsheet (no Worksheet)")
    return sheets


# ------------------------------------------------------------------ XLSX / XLS


def sheets_from_xlsx(data: bytes) -> list[Sheet]:
    """Real row numbers via openpyxl: read-only mode pads blank rows."""
    import zipfile

    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ReadError(f"not a readable XLSX file: {type(exc).__name__}") from None
    except Exception as exc:  # openpyxl raises assorted types on damaged parts
        raise ReadError(f"not a readable XLSX file: {type(exc).__name__}") from None
    sheets: list[Sheet] = []
    total = 0
    try:
        for ws in wb.worksheets:
            rows: list[Row] = []
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = list(values)
                total += len(cells)
                if total > MAX_CELLS:
                    raise ReadError(f"more than {MAX_CELLS} cells: split the file")
                rows.append((number, cells))
            sheets.append(Sheet(ws.title, rows))
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"not a readable XLSX file: {type(exc).__name__}") from None
    finally:
        wb.close()
    return sheets


def sheets_from_xls(data: bytes) -> list[Sheet]:
    """Legacy BIFF through fastexcel (calamine), every cell as text.

    Calamine drops leading blank rows, so row numbers count from the first
    non-blank row; good enough for errors, and the message says save as XLSX
    when even that fails.
    """
    try:
        import fastexcel

        reader = fastexcel.read_excel(data)
        sheets: list[Sheet] = []
        for name in reader.sheet_names:
            frame = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
            rows = [(i, list(r)) for i, r in enumerate(frame.iter_rows(), start=1)]
            sheets.append(Sheet(name, rows))
    except Exception:
        raise ReadError("legacy .xls: could not read it; save as .xlsx") from None
    return sheets


def read_workbook(data: bytes) -> Workbook:
    """Sniff, decode and split any supported file into sheets of rows."""
    kind = sniff(data)
    if kind == "xlsx":
        return Workbook("xlsx", None, sheets_from_xlsx(data))
    if kind == "xls":
        return Workbook("xls", None, sheets_from_xls(data))
    try:
        if kind == "mht":
            content, encoding = html_from_mht(data)
            return Workbook("mht", encoding, sheets_from_html(content))
        if kind in ("html", "xml"):
            content, encoding = decode_markup(data)
            if kind == "xml":
                return Workbook("xml", encoding, sheets_from_spreadsheetml(content))
            return Workbook("html", encoding, sheets_from_html(content))
        content, encoding = decode(data)
    except DecodeError as exc:
        raise ReadError(str(exc)) from None
    if "\x00" in content:
        raise ReadError("binary content: not a spreadsheet or text file")
    return Workbook("text", encoding, [Sheet("text", rows_from_text(content))])


# ------------------------------------------------------------------ header


def _norm_header(value: Cell) -> str:
    return re.sub(r"[\s\u3000:：*＊]", "", text(value)).lower() if not is_blank(value) else ""


def find_header(
    rows: Sequence[Row],
    fields: Mapping[str, Sequence[str]],
    required: Iterable[str],
    scan: int = HEADER_SCAN_ROWS,
) -> tuple[int, dict[str, int]] | None:
    """The header row (index into ``rows``) and field → column index.

    The header is the row among the first ``scan`` that names every required
    field (by any alias) and the most fields overall; title rows and merged
    banners above it are skipped.
    """
    need = list(required)
    best: tuple[int, dict[str, int]] | None = None
    best_score = 0
    for i, (_, cells) in enumerate(rows[:scan]):
        names = [_norm_header(c) for c in cells]
        found: dict[str, int] = {}
        for fld, aliases in fields.items():
            for alias in aliases:
                key = _norm_header(alias)
                if key in names:
                    found[fld] = names.index(key)
                    break
        if all(f in found for f in need) and len(found) > best_score:
            best, best_score = (i, found), len(found)
    return best
