"""Referential integrity of ``facts_punch`` by triggers instead of foreign-key constraints.

The punch table is the one that takes a million rows in one import.  As
foreign-key constraints (Django makes them ``DEFERRABLE INITIALLY DEFERRED``)
every inserted row queues three checks that run one by one at commit: about
three million index probes for a large device file.  The same guarantees,
checked once per statement:

- PostgreSQL: ``AFTER INSERT`` and ``AFTER UPDATE`` statement-level triggers
  with a transition table lock the referenced centers, people and import
  batches ``FOR KEY SHARE`` (as a foreign-key check does, so a concurrent
  delete waits for the import) and raise ``foreign_key_violation`` when one
  row names a missing one — a single join, whatever the number of rows.
  Statement-level triggers on ``org_center``, ``org_person`` and
  ``facts_importbatch`` refuse to delete a row (or change its id) while a
  punch still refers to it.
- SQLite: the same checks as row-level ``BEFORE`` triggers (SQLite has no
  statement-level ones); they raise ``ABORT`` (an ``IntegrityError``).

The model keeps its ``ForeignKey`` fields (``db_constraint=False``), so the
ORM still joins, protects (``on_delete=PROTECT`` is checked by Django
before a delete, the triggers are the backstop) and orders backups.

Not covered, as with the foreign keys before: ``TRUNCATE`` of a referenced
table alone (PostgreSQL fires no delete triggers for it).
"""

from __future__ import annotations

from typing import Any

PUNCH = "facts_punch"
# (column in facts_punch, referenced table, nullable)
REFERENCES = (
    ("center_id", "org_center", False),
    ("person_id", "org_person", False),
    ("batch_id", "facts_importbatch", True),
)

_PG_CHECK = f"""
CREATE OR REPLACE FUNCTION kaohe_punch_refs_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    wanted integer;
    locked integer;
    missing text;
BEGIN
    -- One pass over the new rows for their distinct references; lock what they
    -- name, as a foreign-key check does (a concurrent delete waits) ...
    WITH refs AS MATERIALIZED (
             SELECT center_id, person_id, batch_id FROM new_rows GROUP BY 1, 2, 3),
         c AS (SELECT 1 FROM org_center WHERE id IN (SELECT center_id FROM refs)
               FOR KEY SHARE),
         p AS (SELECT 1 FROM org_person WHERE id IN (SELECT person_id FROM refs)
               FOR KEY SHARE),
         b AS (SELECT 1 FROM facts_importbatch WHERE id IN (SELECT batch_id FROM refs)
               FOR KEY SHARE)
    SELECT (SELECT count(*) FROM c) + (SELECT count(*) FROM p) + (SELECT count(*) FROM b),
           (SELECT count(DISTINCT center_id) + count(DISTINCT person_id)
                   + count(DISTINCT batch_id) FROM refs)
    INTO locked, wanted;
    -- ... and refuse the statement when one of them does not exist.
    IF locked <> wanted THEN
        SELECT CASE
            WHEN NOT EXISTS (SELECT 1 FROM org_center c WHERE c.id = n.center_id)
                THEN 'center_id=' || n.center_id
            WHEN NOT EXISTS (SELECT 1 FROM org_person p WHERE p.id = n.person_id)
                THEN 'person_id=' || n.person_id
            ELSE 'batch_id=' || n.batch_id
        END INTO missing
        FROM new_rows n
        WHERE NOT EXISTS (SELECT 1 FROM org_center c WHERE c.id = n.center_id)
           OR NOT EXISTS (SELECT 1 FROM org_person p WHERE p.id = n.person_id)
           OR (n.batch_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM facts_importbatch b WHERE b.id = n.batch_id))
        LIMIT 1;
        RAISE EXCEPTION '{PUNCH}: % does not exist', coalesce(missing, 'a reference')
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER facts_punch_refs_insert AFTER INSERT ON {PUNCH}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kaohe_punch_refs_check();
CREATE TRIGGER facts_punch_refs_update AFTER UPDATE ON {PUNCH}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION kaohe_punch_refs_check();
"""


def _pg_guard(column: str, table: str) -> str:
    name = f"kaohe_punch_guard_{table}"
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    gone bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT o.id INTO gone FROM old_rows o
        WHERE EXISTS (SELECT 1 FROM {PUNCH} f WHERE f.{column} = o.id) LIMIT 1;
    ELSE
        SELECT o.id INTO gone FROM old_rows o
        WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id)
          AND EXISTS (SELECT 1 FROM {PUNCH} f WHERE f.{column} = o.id) LIMIT 1;
    END IF;
    IF gone IS NOT NULL THEN
        RAISE EXCEPTION '{table} id=% is still referenced from {PUNCH}', gone
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER {name}_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
CREATE TRIGGER {name}_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


def _pg_drop_guard(table: str) -> str:
    name = f"kaohe_punch_guard_{table}"
    return (
        f"DROP TRIGGER IF EXISTS {name}_delete ON {table};"
        f"DROP TRIGGER IF EXISTS {name}_update ON {table};"
        f"DROP FUNCTION IF EXISTS {name}();"
    )


def _sqlite_missing(row: str) -> str:
    parts = []
    for column, table, nullable in REFERENCES:
        test = f"NOT EXISTS (SELECT 1 FROM {table} WHERE id = {row}.{column})"
        parts.append(f"({row}.{column} IS NOT NULL AND {test})" if nullable else test)
    return " OR ".join(parts)


def _sqlite_create() -> list[str]:
    columns = ", ".join(c for c, _, _ in REFERENCES)
    out = [
        f"CREATE TRIGGER facts_punch_refs_insert BEFORE INSERT ON {PUNCH} "
        f"WHEN {_sqlite_missing('NEW')} "
        f"BEGIN SELECT RAISE(ABORT, '{PUNCH}: referenced row does not exist'); END",
        f"CREATE TRIGGER facts_punch_refs_update BEFORE UPDATE OF {columns} ON {PUNCH} "
        f"WHEN {_sqlite_missing('NEW')} "
        f"BEGIN SELECT RAISE(ABORT, '{PUNCH}: referenced row does not exist'); END",
    ]
    for column, table, _ in REFERENCES:
        name = f"kaohe_punch_guard_{table}"
        used = f"EXISTS (SELECT 1 FROM {PUNCH} WHERE {column} = OLD.id)"
        message = f"{table} row is still referenced from {PUNCH}"
        out += [
            f"CREATE TRIGGER {name}_delete BEFORE DELETE ON {table} WHEN {used} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
            f"CREATE TRIGGER {name}_update BEFORE UPDATE OF id ON {table} "
            f"WHEN NEW.id <> OLD.id AND {used} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        ]
    return out


def _sqlite_drop() -> list[str]:
    out = [
        "DROP TRIGGER IF EXISTS facts_punch_refs_insert",
        "DROP TRIGGER IF EXISTS facts_punch_refs_update",
    ]
    for _, table, _ in REFERENCES:
        name = f"kaohe_punch_guard_{table}"
        out += [f"DROP TRIGGER IF EXISTS {name}_delete", f"DROP TRIGGER IF EXISTS {name}_update"]
    return out


def create_statements(vendor: str) -> list[str]:
    """The SQL that installs the punch table's integrity triggers on ``vendor``."""
    if vendor == "postgresql":
        return [_PG_CHECK, *(_pg_guard(c, t) for c, t, _ in REFERENCES)]
    if vendor == "sqlite":
        return _sqlite_create()
    raise NotImplementedError(f"no punch integrity triggers for {vendor}")


def drop_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS facts_punch_refs_insert ON facts_punch;"
            "DROP TRIGGER IF EXISTS facts_punch_refs_update ON facts_punch;"
            "DROP FUNCTION IF EXISTS kaohe_punch_refs_check();",
            *(_pg_drop_guard(t) for _, t, _ in REFERENCES),
        ]
    if vendor == "sqlite":
        return _sqlite_drop()
    raise NotImplementedError(f"no punch integrity triggers for {vendor}")


def install(apps: Any, schema_editor: Any) -> None:
    """Migration step: (re)create the triggers (after the constraints are gone).

    Idempotent.  On SQLite a migration that remakes ``facts_punch`` or a
    table it refers to (any altered column) must run
    ``RunPython(integrity.uninstall, integrity.install)`` before and
    ``RunPython(integrity.install, integrity.uninstall)`` after: the remake
    drops the table's own triggers and cannot rename while the others name
    it (see migration ``facts/0005``).
    """
    vendor = schema_editor.connection.vendor
    for sql in [*drop_statements(vendor), *create_statements(vendor)]:
        schema_editor.execute(sql, params=None)


def uninstall(apps: Any, schema_editor: Any) -> None:
    """Reverse migration step: drop them (before the constraints come back)."""
    for sql in drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)
