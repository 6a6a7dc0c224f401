"""Saved column mappings: a center's own export, described once, reused every month.

A mapping is a YAML file ``<KAOHE_MAPPINGS_DIR>/<name>.yaml`` (default
``var/mappings``)::

    table: punches              # the import kind
    columns: {person: 工号, time: 打卡时间, date: 考勤日期}
    pin_width: 5                # optional: restore lost leading zeros
    defaults: {source: 12345}   # optional: constants for absent columns
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kaohe.ingest.fields import Preset
from kaohe.ingest.formats import KINDS


class MappingError(ValueError):
    """A missing or malformed mapping file."""


@dataclass(frozen=True)
class ColumnMapping:
    name: str
    kind: str
    columns: dict[str, tuple[str, ...]]
    pin_width: int | None = None
    defaults: dict[str, Any] = field(default_factory=dict)

    def preset(self) -> Preset:
        required = tuple(f for f in KINDS[self.kind].presets[0].required if f in self.columns)
        return Preset(f"mapping:{self.name}", dict(self.columns), required)


def mappings_dir() -> Path:
    return Path(os.environ.get("KAOHE_MAPPINGS_DIR") or "var/mappings")


def parse_mapping(name: str, data: object) -> ColumnMapping:
    if not isinstance(data, dict):
        raise MappingError(f"mapping {name!r}: expected a mapping with table and columns")
    kind = data.get("table") or data.get("kind")
    if kind not in KINDS:
        raise MappingError(f"mapping {name!r}: table must be one of {', '.join(KINDS)}")
    cols = data.get("columns")
    if not isinstance(cols, dict) or not cols:
        raise MappingError(f"mapping {name!r}: columns must map fields to header names")
    known = set(KINDS[kind].presets[0].fields)
    columns: dict[str, tuple[str, ...]] = {}
    for fld, header in cols.items():
        if fld not in known:
            raise MappingError(
                f"mapping {name!r}: unknown field {fld!r} (known: {', '.join(sorted(known))})"
            )
        headers = header if isinstance(header, list) else [header]
        if not headers or not all(isinstance(h, (str, int)) and str(h).strip() for h in headers):
            raise MappingError(f"mapping {name!r}: field {fld!r} needs a header name")
        columns[str(fld)] = tuple(str(h) for h in headers)
    missing = [f for f in KINDS[kind].presets[0].required if f not in columns]
    if missing:
        raise MappingError(f"mapping {name!r}: required fields not mapped: {', '.join(missing)}")
    width = data.get("pin_width")
    if width is not None and (
        not isinstance(width, int) or isinstance(width, bool) or not 0 < width <= 30
    ):
        raise MappingError(f"mapping {name!r}: pin_width must be a whole number 1–30")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise MappingError(f"mapping {name!r}: defaults must be a mapping")
    return ColumnMapping(name, str(kind), columns, width, dict(defaults))


def load_mapping(name: str, directory: Path | None = None) -> ColumnMapping:
    """The saved mapping called ``name``; names are plain words, never paths."""
    if not re.fullmatch(r"[\w.-]+", name) or name.startswith("."):
        raise MappingError(f"bad mapping name {name!r}")
    base = directory or mappings_dir()
    for suffix in (".yaml", ".yml"):
        path = base / f"{name}{suffix}"
        if path.is_file():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise MappingError(f"mapping {name!r}: not valid YAML: {exc}") from None
            return parse_mapping(name, data)
    raise MappingError(f"no mapping {name!r} in {base}")
