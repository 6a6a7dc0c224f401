"""The text of a PDF as WeasyPrint writes it, read back with the standard library only.

The project has no PDF reader (pypdf, pdfminer) and needs none in production,
so the browser tests read a downloaded bulletin with this small extractor.  It
understands exactly what WeasyPrint (pydyf) produces: objects at the top level
or packed in object streams, Flate-compressed page contents, Type0 fonts with a
``/ToUnicode`` CMap, and text placed with ``Tm`` and shown with ``TJ``.
``pdf_lines`` gives each line of text with its page and position, in drawing
order; ``pdf_tables`` rebuilds the bulletin's tables cell by cell from them.
It is not a general PDF parser.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

_OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
_REF = rb"(\d+) 0 R"


def _stream(body: bytes) -> tuple[bytes, bytes | None]:
    """(dictionary, decoded stream or None) of one object's body."""
    m = re.search(rb"stream\r?\n", body)
    if m is None:
        return body, None
    head, raw = body[: m.start()], body[m.end() :]
    raw = raw[: raw.rfind(b"endstream")]
    if b"/FlateDecode" in head:
        raw = zlib.decompress(raw)
    return head, raw


def _objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    objects: dict[int, tuple[bytes, bytes | None]] = {}
    for num, body in _OBJ.findall(data):
        head, stream = _stream(body)
        objects[int(num)] = (head, stream)
        if b"/Type /ObjStm" in head and stream is not None:
            first = int(re.search(rb"/First (\d+)", head).group(1))  # type: ignore[union-attr]
            numbers = [int(n) for n in stream[:first].split()]
            pairs = list(zip(numbers[::2], numbers[1::2], strict=True))
            for i, (packed, offset) in enumerate(pairs):
                end = pairs[i + 1][1] if i + 1 < len(pairs) else len(stream) - first
                objects[packed] = (stream[first + offset : first + end], None)
    return objects


def _dict_entry(objects: dict[int, tuple[bytes, bytes | None]], head: bytes, key: bytes) -> bytes:
    """The value of ``/key`` in a dictionary: an inline ``<< … >>`` or the object referred to."""
    m = re.search(rb"/" + key + rb"\s*(?:" + _REF + rb"|<<)", head)
    if m is None:
        return b""
    if m.group(1) is not None:
        return objects[int(m.group(1))][0]
    depth, i = 1, m.end()
    while depth and i < len(head):
        if head.startswith(b"<<", i):
            depth, i = depth + 1, i + 2
        elif head.startswith(b">>", i):
            depth, i = depth - 1, i + 2
        else:
            i += 1
    return head[m.end() : i - 2]


def _cmap(text: bytes) -> dict[int, str]:
    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(
            rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            start = int(dst, 16)
            for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(start + k)
    return out


_TOKEN = re.compile(
    rb"([-\d.]+)\s+([-\d.]+)\s+Tm"  # the text matrix's position (x, y)
    rb"|/([^\s/\[\]<>()]+)\s+[\d.]+\s+Tf"  # the font
    rb"|\[(.*?)\]\s*TJ"  # text (WeasyPrint writes every string in hex, in a TJ array)
    rb"|<([0-9a-fA-F\s]*)>\s*Tj",
    re.S,
)


@dataclass(frozen=True)
class Line:
    """The text drawn from one text position on: a line of a cell, a heading, a footer."""

    page: int
    x: float
    y: float
    text: str


def pdf_lines(data: bytes) -> list[Line]:
    """Every line of text, page after page in drawing order, decoded through ToUnicode."""
    objects = _objects(data)
    order = _page_order(objects)
    pages = sorted(
        (
            (num, head)
            for num, (head, _) in objects.items()
            if re.search(rb"/Type\s*/Page(?!s)", head)
        ),
        key=lambda p: order.get(p[0], p[0]),
    )
    lines: list[Line] = []
    for page, (_, head) in enumerate(pages, start=1):
        resources = _dict_entry(objects, head, b"Resources")
        fonts: dict[str, dict[int, str]] = {}
        for name, ref in re.findall(
            rb"/([^\s/]+)\s+" + _REF, _dict_entry(objects, resources, b"Font")
        ):
            m = re.search(rb"/ToUnicode\s+" + _REF, objects[int(ref)][0])
            if m is not None:
                fonts[name.decode()] = _cmap(objects[int(m.group(1))][1] or b"")
        contents = re.search(rb"/Contents\s+(?:\[(.*?)\]|" + _REF + rb")", head, re.S)
        refs: list[bytes] = []
        if contents is not None:
            refs = re.findall(_REF, contents.group(1)) if contents.group(1) else [contents.group(2)]
        for ref in refs:
            lines.extend(_lines(page, objects[int(ref)][1] or b"", fonts))
    return lines


def _page_order(objects: dict[int, tuple[bytes, bytes | None]]) -> dict[int, int]:
    """Page object number → its position in the /Kids of the page tree."""
    for head, _ in objects.values():
        if re.search(rb"/Type\s*/Pages", head):
            kids = re.search(rb"/Kids\s*\[(.*?)\]", head, re.S)
            if kids:
                return {int(n): i for i, n in enumerate(re.findall(_REF, kids.group(1)))}
    return {}


def _lines(page: int, content: bytes, fonts: dict[str, dict[int, str]]) -> list[Line]:
    out: list[Line] = []
    cmap: dict[int, str] = {}
    x = y = 0.0
    text: list[str] | None = None

    def flush() -> None:
        if text:
            out.append(Line(page, x, y, "".join(text)))

    for tx, ty, font, array, single in _TOKEN.findall(content):
        if tx:
            flush()
            x, y, text = float(tx), float(ty), []
        elif font:
            cmap = fonts.get(font.decode(), {})
        elif text is not None:
            strings = re.findall(rb"<([0-9a-fA-F\s]*)>", array) if array else [single]
            text.extend(_decode(h, cmap) for h in strings)
    flush()
    return out


def _decode(hexstr: bytes, cmap: dict[int, str]) -> str:
    raw = bytes.fromhex(re.sub(rb"\s", b"", hexstr).decode())
    return "".join(
        cmap.get(int.from_bytes(raw[i : i + 2], "big"), "\ufffd") for i in range(0, len(raw), 2)
    )


_HEADING = re.compile(r"^\d+\. \S")
_FOOTER = re.compile(r"^第 \d+ 页 共 \d+ 页$")


@dataclass
class Table:
    """A bulletin table read back: its heading, its header cells and its rows, cell by cell."""

    title: str
    header: list[str]
    rows: list[list[str]]

    def records(self) -> list[dict[str, str]]:
        return [dict(zip(self.header, row, strict=True)) for row in self.rows]


def pdf_tables(data: bytes) -> list[Table]:
    """The bulletin's tables: a numbered heading, then a table drawn cell by cell.

    A cell's lines share its column (cells are laid out left to right, each
    column starting where its header cell starts; numbers are right-aligned
    inside theirs); a new row begins where the column goes back to the left.
    The header row that WeasyPrint repeats on a new page is dropped.
    """
    lines = [line for line in pdf_lines(data) if not _FOOTER.match(line.text)]
    tables: list[Table] = []
    i = 0
    while i < len(lines):
        if not _HEADING.match(lines[i].text):
            i += 1
            continue
        title, i = lines[i].text.split(". ", 1)[1], i + 1
        top = lines[i]
        lefts = sorted(
            {round(ln.x, 1) for ln in lines[i:] if ln.page == top.page and abs(ln.y - top.y) < 0.5}
        )
        rows: list[list[list[str]]] = []
        last = len(lefts)
        while i < len(lines) and lines[i].x >= lefts[0] - 1 and not _HEADING.match(lines[i].text):
            col = max(k for k, left in enumerate(lefts) if lines[i].x >= left - 1)
            if col < last:
                rows.append([[] for _ in lefts])
            rows[-1][col].append(lines[i].text)
            last, i = col, i + 1
        cells = [["".join(c) for c in row] for row in rows]
        header = cells[0]
        tables.append(Table(title, header, [r for r in cells[1:] if r != header]))
    return tables
