"""Importers: real-world exports parsed into rows for the engine's fact tables.

Pure parsing, no database: :func:`parse_bytes` / :func:`parse_file` return a
:class:`ParseResult` that the CLI prints as a dry run and the web shows as a
preview before anything is committed.
"""

from kaohe.ingest.api import parse_bytes, parse_file
from kaohe.ingest.formats import KINDS
from kaohe.ingest.mapping import ColumnMapping, MappingError, load_mapping, parse_mapping
from kaohe.ingest.preview import ParseResult, RowError

__all__ = [
    "KINDS",
    "ColumnMapping",
    "MappingError",
    "ParseResult",
    "RowError",
    "load_mapping",
    "parse_bytes",
    "parse_file",
    "parse_mapping",
]
