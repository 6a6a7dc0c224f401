"""Assignment history as services: join, transfer, leave, 顶岗, and what the engine gets."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from kaohe.engine import Period
from kaohe.web.audit.models import AuditEntry
from kaohe.web.org.models import Assignment, Person, PersonRole
from kaohe.web.org.services import (
    person_join,
    person_leave,
    person_transfer,
    substitute_start,
    window_create,
    window_set_active,
)
from kaohe.web.scoring import bridge
from tests.web.personas import START, World


def _history(person: Person) -> list[tuple[str | None, date, date | None]]:
    return [
        (a.window.code if a.window else None, a.start, a.end)
        for a in person.assignments.select_related("window").order_by("start")
    ]


def test_transfer_ends_the_day_before_and_starts_on_the_day(world: World) -> None:
    new = person_transfer(
        person=world.li,
        to_window=world.a2,
        on=date(2024, 4, 16),
        by=world.inspector,
        note="调令1号",
    )
    assert _history(world.li) == [("A1", START, date(2024, 4, 15)), ("A2", date(2024, 4, 16), None)]
    assert new.note == "调令1号"
    entry = AuditEntry.objects.get(action="person.transfer")
    assert entry.actor == world.inspector
    assert entry.object_id == str(world.li.pk)
    assert entry.before["end"] is None
    assert entry.after["ended"]["end"] == "2024-04-15"
    assert entry.after["started"]["window_id"] == world.a2.pk


def test_roster_before_during_and_after_a_transfer(world: World) -> None:
    person_transfer(person=world.li, to_window=world.b1, on=date(2024, 4, 16), by=world.inspector)
    march = bridge.roster(world.center, Period.parse("2024-03")).people["1002"]
    april = bridge.roster(world.center, Period.parse("2024-04")).people["1002"]
    may = bridge.roster(world.center, Period.parse("2024-05")).people["1002"]
    assert (march.window, march.joined, march.left) == ("A1", START, None)
    assert (april.window, april.joined, april.left) == ("B1", START, None)
    assert (may.window, may.joined, may.left) == ("B1", START, None)
    assert march.substitutes_for is None and may.substitutes_for is None


def test_roster_of_a_person_who_joined_and_left(world: World) -> None:
    newbie = Person.objects.create(center=world.center, code="1003", name="赵六")
    person_join(person=newbie, window=world.a2, start=date(2024, 3, 11), by=world.sysadmin)
    person_leave(person=newbie, on=date(2024, 5, 20), by=world.sysadmin, reason="合同到期")
    roster = {
        p: bridge.roster(world.center, Period.parse(p)).people
        for p in ("2024-02", "2024-03", "2024-05", "2024-06")
    }
    assert "1003" not in roster["2024-02"]
    assert (roster["2024-03"]["1003"].window, roster["2024-03"]["1003"].joined) == (
        "A2",
        date(2024, 3, 11),
    )
    assert roster["2024-05"]["1003"].left == date(2024, 5, 20)
    assert "1003" not in roster["2024-06"]
    newbie.refresh_from_db()
    assert newbie.active is False
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("id")) == [
        "person.join",
        "person.leave",
    ]


def test_roster_of_a_substitute(world: World) -> None:
    temp = Person.objects.create(center=world.center, code="1009", name="钱七")
    a = substitute_start(
        substitute=temp,
        replaced=world.zhang,
        window=world.a1,
        start=date(2024, 6, 3),
        end=date(2024, 7, 31),
        by=world.inspector,
    )
    assert (a.substitutes_for, a.window, a.end) == (world.zhang, world.a1, date(2024, 7, 31))
    may = bridge.roster(world.center, Period.parse("2024-05")).people
    june = bridge.roster(world.center, Period.parse("2024-06")).people
    august = bridge.roster(world.center, Period.parse("2024-08")).people
    assert "1009" not in may and "1009" not in august
    assert (june["1009"].window, june["1009"].substitutes_for) == ("A1", "1001")
    assert (june["1009"].joined, june["1009"].left) == (date(2024, 6, 3), date(2024, 7, 31))
    assert june["1001"].substitutes_for is None
    assert AuditEntry.objects.get(action="person.substitute").object_id == str(temp.pk)


def test_transfer_only_forward_of_the_last_start(world: World) -> None:
    person_transfer(person=world.li, to_window=world.a2, on=date(2024, 4, 16), by=world.inspector)
    before = _history(world.li)
    with pytest.raises(ValidationError) as err:
        person_transfer(
            person=world.li, to_window=world.b1, on=date(2024, 4, 16), by=world.inspector
        )
    assert "只能向后调动" in str(err.value)
    with pytest.raises(ValidationError):
        person_transfer(
            person=world.li, to_window=world.b1, on=date(2024, 3, 1), by=world.inspector
        )
    assert _history(world.li) == before
    assert AuditEntry.objects.filter(action="person.transfer").count() == 1


def test_transfer_to_the_same_window_or_after_leaving_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as err:
        person_transfer(
            person=world.li, to_window=world.a1, on=date(2024, 5, 1), by=world.inspector
        )
    assert "相同" in str(err.value)
    person_leave(person=world.li, on=date(2024, 5, 31), by=world.inspector, reason="辞职")
    with pytest.raises(ValidationError) as err:
        person_transfer(
            person=world.li, to_window=world.a2, on=date(2024, 7, 1), by=world.inspector
        )
    assert "没有在岗" in str(err.value)
    assert _history(world.li) == [("A1", START, date(2024, 5, 31))]


def test_join_refuses_overlap_and_accepts_after_leaving(world: World) -> None:
    with pytest.raises(ValidationError) as err:
        person_join(person=world.zhang, window=world.a2, start=date(2024, 6, 1), by=world.inspector)
    assert "不能重叠" in str(err.value)
    assert _history(world.zhang) == [("A1", START, None)]
    person_leave(person=world.zhang, on=date(2024, 6, 30), by=world.inspector, reason="借调")
    with pytest.raises(ValidationError):
        person_join(
            person=world.zhang, window=world.a2, start=date(2024, 6, 30), by=world.inspector
        )
    person_join(person=world.zhang, window=world.a2, start=date(2024, 9, 1), by=world.inspector)
    assert _history(world.zhang) == [
        ("A1", START, date(2024, 6, 30)),
        ("A2", date(2024, 9, 1), None),
    ]
    world.zhang.refresh_from_db()
    assert world.zhang.active is True


def test_join_needs_a_window_or_unit(world: World) -> None:
    newbie = Person.objects.create(center=world.center, code="1003", name="赵六")
    with pytest.raises(ValidationError):
        person_join(person=newbie, start=date(2024, 3, 1), by=world.inspector)
    assert not newbie.assignments.exists()


def test_chief_rep_may_answer_for_a_window_while_assigned_to_his_unit(world: World) -> None:
    person_join(person=world.chen, window=world.b1, start=date(2024, 2, 1), by=world.inspector)
    assert world.chen.role == PersonRole.CHIEF_REP
    roster = bridge.roster(world.center, Period.parse("2024-03")).people["9001"]
    assert roster.windows == ("B1",)
    with pytest.raises(ValidationError):
        person_join(
            person=world.chen, unit=world.unit_a, start=date(2024, 3, 1), by=world.inspector
        )


def test_leave_validation(world: World) -> None:
    with pytest.raises(ValidationError) as err:
        person_leave(person=world.zhang, on=date(2023, 12, 31), by=world.inspector, reason="调出")
    assert "不能早于" in str(err.value)
    with pytest.raises(ValidationError):
        person_leave(person=world.zhang, on=date(2024, 5, 31), by=world.inspector, reason="  ")
    assert _history(world.zhang) == [("A1", START, None)]
    assert not AuditEntry.objects.exists()


def test_substitute_validation(world: World) -> None:
    temp = Person.objects.create(center=world.center, code="1009", name="钱七")
    cases = [
        ({"substitute": temp, "replaced": temp}, "本人"),
        ({"start": date(2024, 6, 30), "end": date(2024, 6, 1)}, "不能早于"),
        (
            {"replaced": Person.objects.create(center=world.center, code="1010", name="孙八")},
            "没有岗位",
        ),
        ({"substitute": world.li}, "不能重叠"),
    ]
    base = {
        "substitute": temp,
        "replaced": world.zhang,
        "window": world.a1,
        "start": date(2024, 6, 1),
        "end": date(2024, 6, 30),
    }
    for change, message in cases:
        with pytest.raises(ValidationError) as err:
            substitute_start(**{**base, **change}, by=world.inspector)
        assert message in str(err.value), change
    assert not Assignment.objects.filter(substitutes_for__isnull=False).exists()
    assert not AuditEntry.objects.exists()


def test_window_create_and_deactivate_keep_history(world: World) -> None:
    w = window_create(
        center=world.center,
        code="C1",
        name="窗口C1",
        kind="comprehensive",
        unit=world.unit_b,
        hall=None,
        by=world.sysadmin,
    )
    with pytest.raises(ValidationError):
        window_create(
            center=world.center,
            code="C1",
            name="重复",
            kind="single",
            unit=None,
            hall=None,
            by=world.sysadmin,
        )
    window_set_active(window=w, active=False, by=world.sysadmin)
    w.refresh_from_db()
    assert w.active is False
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("id")) == [
        "window.create",
        "window.deactivate",
    ]
    assert "C1" not in bridge.roster(world.center, Period.parse("2024-05")).windows
