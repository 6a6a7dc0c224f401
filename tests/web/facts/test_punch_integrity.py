"""facts_punch's references are triggers (kaohe.web.facts.integrity): as strict as foreign keys."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from kaohe.ingest.normalize import LOCAL_TZ
from kaohe.web.facts.models import ImportBatch, ImportKind, Punch
from kaohe.web.facts.services import import_commit, import_rollback
from kaohe.web.org.models import Center, Person
from tests.web.personas import World

MISSING = 987_654_321
DAT = "   1001\t2024-04-01 08:01:02\t1\t0\t1\t0\n   1002\t2024-04-01 08:15:00\t1\t0\t1\t0\n"


def punch(world: World, **refs: int | None) -> Punch:
    values = {"center_id": world.center.pk, "person_id": world.zhang.pk, "batch_id": None}
    values.update(refs)
    return Punch.objects.create(
        **values,
        time=datetime(2024, 4, 1, 8, 0, tzinfo=LOCAL_TZ),
        natural_key=f"{abs(hash(str(refs))):032x}"[-32:],
    )


def execute(sql: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def batch_of(world: World) -> ImportBatch:
    return ImportBatch.objects.create(
        center=world.center, kind=ImportKind.PUNCHES, file_name="x.dat", sha256="0" * 64
    )


def test_the_punch_table_has_no_foreign_key_constraints_but_triggers(world: World) -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "facts_punch")
    assert not [name for name, c in constraints.items() if c["foreign_key"]]
    single = {tuple(c["columns"]) for c in constraints.values() if c["index"]}
    assert ("center_id",) not in single and ("person_id",) not in single
    assert ("batch_id",) in single  # rollback finds a batch's rows by it


@pytest.mark.parametrize("column", ["person_id", "center_id", "batch_id"])
def test_a_punch_naming_a_missing_row_is_refused(world: World, column: str) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        punch(world, **{column: MISSING})
    assert not Punch.objects.exists()


def test_a_bulk_insert_with_one_bad_row_writes_nothing(world: World) -> None:
    rows = [
        Punch(
            center=world.center,
            person_id=pk,
            time=datetime(2024, 4, 1, 8, i, tzinfo=LOCAL_TZ),
            natural_key=f"{i:032x}",
        )
        for i, pk in enumerate([world.zhang.pk, world.li.pk, MISSING, world.wang.pk])
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        Punch.objects.bulk_create(rows)
    assert not Punch.objects.exists()


@pytest.mark.parametrize("column", ["person_id", "center_id", "batch_id"])
def test_a_punch_cannot_be_moved_to_a_missing_row(world: World, column: str) -> None:
    p = punch(world, batch_id=batch_of(world).pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Punch.objects.filter(pk=p.pk).update(**{column: MISSING})
    p.refresh_from_db()
    assert p.person_id == world.zhang.pk and p.batch_id is not None


def test_a_referenced_person_center_or_batch_cannot_be_deleted(world: World) -> None:
    batch = batch_of(world)
    punch(world, batch_id=batch.pk)
    for table, pk in (
        ("org_person", world.zhang.pk),
        ("org_center", world.center.pk),
        ("facts_importbatch", batch.pk),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            execute(f"DELETE FROM {table} WHERE id = %s", pk)  # below the ORM
    with pytest.raises(ProtectedError):
        world.zhang.delete()  # the ORM refuses first (on_delete=PROTECT)
    assert Person.objects.filter(pk=world.zhang.pk).exists()
    assert Center.objects.filter(pk=world.center.pk).exists()
    assert ImportBatch.objects.filter(pk=batch.pk).exists()


def test_a_referenced_id_cannot_change_but_other_columns_can(world: World) -> None:
    punch(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        execute("UPDATE org_person SET id = %s WHERE id = %s", MISSING, world.zhang.pk)
    Person.objects.filter(pk=world.zhang.pk).update(name="张三丰")
    assert Person.objects.get(pk=world.zhang.pk).name == "张三丰"


def test_unreferenced_rows_are_deleted_as_before(world: World) -> None:
    punch(world)
    unused = Person.objects.create(center=world.center, code="7001", name="赵六")
    other = Center.objects.create(code="other", name="另一中心")
    execute("DELETE FROM org_person WHERE id = %s", unused.pk)
    other.delete()
    assert not Person.objects.filter(pk=unused.pk).exists()


def test_an_import_and_its_rollback_pass_the_triggers(world: World) -> None:
    batch = import_commit(
        center=world.center, kind="punches", data=DAT.encode(), by=None, file_name="a_attlog.dat"
    )
    assert batch.added == 2 and Punch.objects.filter(batch=batch).count() == 2
    import_rollback(batch=batch, by=world.inspector, reason="测试撤销")
    assert Punch.objects.filter(batch=batch, rolled_back=True).count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        execute("DELETE FROM facts_importbatch WHERE id = %s", batch.pk)
    again = import_commit(
        center=world.center, kind="punches", data=DAT.encode(), by=None, file_name="a_attlog.dat"
    )
    assert again.added == 2
