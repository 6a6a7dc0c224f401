from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from kaohe.engine import Period
from kaohe.web.ledger.models import Record
from kaohe.web.org.models import Assignment, CenterPolicy
from kaohe.web.scoring import bridge
from kaohe.web.scoring.models import RunStatus, ScoreRun
from kaohe.web.scoring.services import compute, ledger_changed, periods_touching
from tests.web.personas import World


@pytest.fixture
def guangde(world: World) -> World:
    CenterPolicy.objects.filter(center=world.center).update(policy_id="guangde-2023")
    return world


def test_roster_follows_assignments(world: World) -> None:
    Assignment.objects.filter(person=world.li).update(end=date(2024, 4, 15))
    Assignment.objects.create(person=world.li, window=world.a2, start=date(2024, 4, 16))
    april = bridge.roster(world.center, Period.parse("2024-04"))
    assert april.people["1002"].window == "A2"
    assert april.people["1002"].joined == date(2024, 1, 1)
    may = bridge.roster(world.center, Period.parse("2024-05"))
    assert may.people["1002"].window == "A2"
    march = bridge.roster(world.center, Period.parse("2024-03"))
    assert march.people["1002"].window == "A1"
    assert march.people["9001"].unit == "A"


def _record(
    w: World, item: str, day: date, policy: str = "guangde-2023", **fields: Any
) -> Record:
    """A ledger record of ``item`` on ``day``; ``fields`` name its person or window and the rest."""
    return Record.objects.create(
        center=w.center, policy_id=policy, item_code=item, item_name=item, date=day, **fields
    )


def test_voided_records_are_not_facts(guangde: World) -> None:
    w = guangde
    keep = _record(w, "discipline.01", date(2024, 5, 6), person=w.zhang)
    _record(
        w,
        "discipline.01",
        date(2024, 5, 7),
        person=w.zhang,
        voided_at=datetime(2024, 5, 8, tzinfo=UTC),
        void_reason="录错",
    )
    records = bridge.facts(w.center, Period.parse("2024-05")).tables["records"]
    assert records["_row"].to_list() == [keep.pk]


def test_compute_stores_engine_result_with_record_ids(guangde: World) -> None:
    w = guangde
    rec = _record(w, "discipline.01", date(2024, 5, 6), person=w.zhang)
    run = compute(w.center, "2024-05")
    assert run.status == RunStatus.CURRENT, run.error
    zhang = run.result["subjects"]["1001"]
    li = run.result["subjects"]["1002"]
    assert Decimal(zhang["score"]) < Decimal(li["score"])
    assert any(t["record"] == rec.pk for t in zhang["trace"])


def _stop(w: World, day: date, **subject: Any) -> Record:
    """A guangde results.01 finding (停发3个月绩效奖励, no points) on a window or a person."""
    return _record(w, "results.01", day, **subject)


def test_counters_read_the_span_their_scope_names(guangde: World) -> None:
    """广德's 停发3个月 (scope months:3): a March finding on a window stops its bonus and its
    staff's through May, not in June, and costs no points in any month it is read in."""
    w = guangde
    rec = _stop(w, date(2024, 3, 20), window=w.a1)
    may = bridge.facts(w.center, Period.parse("2024-05")).tables["records"]
    assert may["_row"].to_list() == [rec.pk]
    june = bridge.facts(w.center, Period.parse("2024-06")).tables["records"]
    assert june.height == 0

    run = compute(w.center, "2024-05")
    assert run.status == RunStatus.CURRENT, run.error
    subjects = run.result["subjects"]
    for code in ("A1", "1001", "1002"):
        assert subjects[code]["actions"] == ["bonus_stop"], code
    assert subjects["B1"]["actions"] == []
    assert subjects["2001"]["actions"] == []
    assert Decimal(subjects["A1"]["score"]) == Decimal(subjects["B1"]["score"])
    assert compute(w.center, "2024-06").result["subjects"]["A1"]["actions"] == []


def test_earlier_rows_of_someone_off_the_roster_are_left_out(guangde: World) -> None:
    """A wide scope reads earlier months, where people who have since left have rows: they
    concern nobody scored now, and must not make the run fail as unknown subjects."""
    w = guangde
    Assignment.objects.filter(person=w.wang).update(end=date(2024, 3, 31))
    _stop(w, date(2024, 3, 15), person=w.wang)
    kept = _stop(w, date(2024, 3, 15), person=w.zhang)
    may = bridge.facts(w.center, Period.parse("2024-05")).tables["records"]
    assert may["_row"].to_list() == [kept.pk]
    run = compute(w.center, "2024-05")
    assert run.status == RunStatus.CURRENT, run.error
    assert "2001" not in run.result["subjects"]
    assert run.result["subjects"]["1001"]["actions"] == ["bonus_stop"]
    assert run.result["subjects"]["1002"]["actions"] == []


def test_a_change_marks_stale_every_stored_period_that_reads_its_day(guangde: World) -> None:
    """A March finding moves April's and May's results (months:3), not June's or February's."""
    w = guangde
    for month in ("2024-02", "2024-04", "2024-05", "2024-06"):
        assert compute(w.center, month).status == RunStatus.CURRENT
    assert periods_touching(w.center, date(2024, 3, 20)) == [
        "2024-03",
        "2024-Q1",
        "2024",
        "2024-04",
        "2024-05",
    ]
    _stop(w, date(2024, 3, 20), window=w.a1)
    ledger_changed(w.center, date(2024, 3, 20))
    status = dict(ScoreRun.objects.filter(center=w.center).values_list("period", "status"))
    assert status["2024-04"] == status["2024-05"] == RunStatus.STALE
    assert status["2024-02"] == status["2024-06"] == RunStatus.CURRENT


def test_a_card_earlier_in_the_year_reaches_luoshans_quarter(world: World) -> None:
    """罗山's quarterly 优秀 veto reads the whole year (出现红黄牌，取消评先评优资格（当年）):
    a Q1 card is among Q2's facts, and still costs its points only in Q1."""
    CenterPolicy.objects.filter(center=world.center).update(policy_id="luoshan")
    card = _record(world, "s_gov_service.10", date(2024, 2, 10), "luoshan", person=world.zhang)
    q2 = bridge.facts(world.center, Period.parse("2024-Q2")).tables["records"]
    assert q2["_row"].to_list() == [card.pk]
    run = compute(world.center, "2024-Q2")
    assert run.status == RunStatus.CURRENT, run.error
    subjects = run.result["subjects"]
    assert subjects["1001"]["score"] == subjects["1002"]["score"]
    q1 = compute(world.center, "2024-Q1").result["subjects"]
    assert Decimal(q1["1001"]["score"]) < Decimal(q1["1002"]["score"])
