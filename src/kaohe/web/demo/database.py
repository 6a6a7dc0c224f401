"""Give the demo a fresh database without ever wiping a real one.

A database is *empty* (no tables, or migrated with no center and no real
user), *demo* (every center's code starts with ``demo``) or *real*.  Only an
empty or demo database is reset: a SQLite file is deleted and recreated, a
PostgreSQL database is migrated and flushed.  A real database is refused —
the operator must point ``KAOHE_DATA_DIR`` / ``DATABASE_URL`` elsewhere.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection

DEMO_PREFIX = "demo"


class DbState(StrEnum):
    EMPTY = "empty"
    DEMO = "demo"
    REAL = "real"


class DemoRefused(RuntimeError):
    """The configured database holds real data; the demo will not touch it."""


def database_state() -> DbState:
    """What the configured database holds, read without changing anything."""
    tables = set(connection.introspection.table_names())
    if not tables:
        return DbState.EMPTY
    if "org_center" not in tables or "accounts_user" not in tables:
        return DbState.REAL  # someone else's schema: not ours to wipe
    with connection.cursor() as cursor:
        cursor.execute("SELECT code FROM org_center")
        codes = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT COUNT(*) FROM accounts_user WHERE NOT is_demo")
        real_users = cursor.fetchone()[0]
    if codes and all(c.startswith(DEMO_PREFIX) for c in codes):
        return DbState.DEMO
    if not codes and not real_users:
        return DbState.EMPTY
    return DbState.REAL


def sqlite_path() -> Path | None:
    """The database file when the configured database is SQLite, else None."""
    if connection.vendor != "sqlite":
        return None
    return Path(str(connection.settings_dict["NAME"]))


def _sqlite_state(path: Path, state: Callable[[], DbState]) -> DbState:
    if not path.exists():
        return DbState.EMPTY
    try:
        return state()
    finally:
        connection.close()


def prepare_database(
    *, state: Callable[[], DbState] = database_state, verbosity: int = 0
) -> DbState:
    """Make the configured database fresh and migrated for the demo; return what it was.

    Raises :class:`DemoRefused` for a database with real data, before anything changes.
    """
    path = sqlite_path()
    found = _sqlite_state(path, state) if path is not None else state()
    if found is DbState.REAL:
        where = str(path) if path is not None else "DATABASE_URL"
        raise DemoRefused(
            f"{where} 中已有非演示数据，演示不会覆盖它。"
            "请用另一个 KAOHE_DATA_DIR（或空的 DATABASE_URL 数据库）运行 kaohe demo。"
        )
    if found is DbState.DEMO:
        # photos of the previous demo's records: nothing refers to them any more
        shutil.rmtree(Path(settings.MEDIA_ROOT) / "evidence", ignore_errors=True)
    if path is not None:
        connection.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=verbosity)
        return found
    call_command("migrate", interactive=False, verbosity=verbosity)
    if found is DbState.DEMO:
        call_command("flush", interactive=False, verbosity=verbosity)
    return found
