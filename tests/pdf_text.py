"""The bulletin PDF read back with pdfplumber: its lines of text and its tables, cell by cell.

``pdf_lines`` gives the text line by line, page after page; ``pdf_tables``
gives each numbered table (``1. 窗口（科室）月度考核``) with its header and
rows.  A table that runs onto the next page continues there under the header
WeasyPrint repeats; that repeated header is dropped.  A cell's text wraps in a
narrow column, so its lines are joined again (``窗口\\nA1`` → ``窗口A1``).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pdfplumber

_HEADING = re.compile(r"^\d+\. \S")


def pdf_lines(data: bytes) -> list[str]:
    """Every line of text, page after page, as pdfplumber lays it out."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [line for page in pdf.pages for line in (page.extract_text() or "").splitlines()]


@dataclass
class Table:
    """A bulletin table read back: its heading, its header cells and its rows, cell by cell."""

    title: str
    header: list[str]
    rows: list[list[str]]

    def records(self) -> list[dict[str, str]]:
        return [dict(zip(self.header, row, strict=True)) for row in self.rows]


def _cell(value: str | None) -> str:
    return "".join((value or "").split("\n"))


def pdf_tables(data: bytes) -> list[Table]:
    """The numbered tables, in order; each is titled by the nearest heading above it."""
    tables: list[Table] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            headings = [
                line
                for line in page.extract_text_lines()
                if _HEADING.match(line["text"])
            ]
            for found in page.find_tables():
                cells = [[_cell(c) for c in row] for row in found.extract()]
                above = [h for h in headings if h["bottom"] <= found.bbox[1] + 1]
                if above:
                    title = above[-1]["text"].split(". ", 1)[1]
                    headings.remove(above[-1])
                    tables.append(Table(title, cells[0], cells[1:]))
                else:  # continued from the previous page under a repeated header
                    last = tables[-1]
                    last.rows.extend(r for r in cells if r != last.header)
    return tables
