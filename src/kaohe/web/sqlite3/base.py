"""See :mod:`kaohe.web.sqlite3`."""

from __future__ import annotations

from typing import Any

from django.db.backends.sqlite3 import base

FIRST = '"facts_punch"'


class DatabaseOperations(base.DatabaseOperations):
    def sql_flush(self, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        sql: list[str] = super().sql_flush(style, tables, **kwargs)
        first = [s for s in sql if s.startswith("DELETE") and FIRST in s]
        return first + [s for s in sql if s not in first]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
