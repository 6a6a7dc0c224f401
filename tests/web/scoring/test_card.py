from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from kaohe.web.scoring.models import ScoreRun
from tests.web.personas import World
from tests.web.scoring.helpers import (
    MAY,
    card_score,
    html,
    record,
    trace_records,
    use_policy,
)


def card_url(code: str) -> str:
    return reverse("scoring:card", args=[code])


@pytest.fixture
def guangde(world: World) -> World:
    use_policy(world, "guangde-2023")
    return world


def test_staff_reads_his_card_with_every_line(client: Client, guangde: World) -> None:
    live = record(guangde, person=guangde.zhang)
    gone = record(guangde, person=guangde.zhang, voided="录错了窗口")
    client.force_login(guangde.staff)
    response = client.get(card_url("1001"), {"period": MAY})
    assert response.status_code == 200
    page = html(response)
    subject = ScoreRun.objects.get(period=MAY).result["subjects"]["1001"]
    assert card_score(page) == subject["score"] == "92"
    assert trace_records(page) == [live.pk]
    # the deduction line: item code and name, count, points in red
    assert "discipline.01 未按规定着装" in page
    assert '<td class="num neg">−1</td>' in page
    # rule lines are shown too, and they all add up to the score
    assert "出勤到岗（个人） 满分 30" in page
    assert '<td class="num" id="trace-total">92</td>' in page
    assert "＝ 得分 92 ✓" in page
    # the voided record is listed apart, with its reason
    voided = page.split('id="voided"', 1)[1]
    assert f'data-ledger-record="{gone.pk}"' in voided
    assert "录错了窗口" in voided
    assert f'data-ledger-record="{live.pk}"' not in voided
    try:
        ledger_url = reverse("ledger:detail", args=[live.pk])
    except NoReverseMatch:  # the ledger pages are built separately
        ledger_url = ""
    if ledger_url:
        assert f'<a href="{ledger_url}">台账记录 #{live.pk}</a>' in page


def test_trace_sums_to_the_score_for_a_window_formula(client: Client, guangde: World) -> None:
    record(guangde, person=guangde.zhang)
    client.force_login(guangde.inspector)
    page = html(client.get(card_url("A1"), {"period": MAY}))
    assert card_score(page) == "92.5"
    assert '<td class="num" id="trace-total">92.5</td>' in page
    assert "＝ 得分 92.5 ✓" in page


def test_every_card_of_a_run_adds_up(client: Client, guangde: World) -> None:
    record(guangde, person=guangde.zhang)
    record(guangde, window=guangde.b1, item="business.09")
    client.force_login(guangde.inspector)
    client.get(card_url("A1"), {"period": MAY})
    subjects = ScoreRun.objects.get(period=MAY).result["subjects"]
    assert sorted(subjects) == ["1001", "1002", "2001", "9001", "A1", "A2", "B1"]
    for code, subject in subjects.items():
        page = html(client.get(card_url(code), {"period": MAY}))
        assert card_score(page) == subject["score"], code
        assert f"＝ 得分 {subject['score']} ✓" in page, code


def test_my_card_redirects_to_own_card(client: Client, guangde: World) -> None:
    client.force_login(guangde.staff)
    response = client.get(reverse("scoring:my_card"), {"period": MAY})
    assert response.status_code == 302
    assert response["Location"] == card_url("1001") + "?period=2024-05"
    client.force_login(guangde.chief)
    assert client.get(reverse("scoring:my_card"))["Location"] == card_url("9001")


@pytest.mark.parametrize("persona", ["inspector", "leader", "sysadmin", "secadmin", "auditor"])
def test_my_card_is_for_people_only(client: Client, guangde: World, persona: str) -> None:
    client.force_login(getattr(guangde, persona))
    assert client.get(reverse("scoring:my_card")).status_code == 403


@pytest.mark.parametrize("code", ["1002", "2001", "A1", "9001", "nobody"])
def test_staff_cannot_read_anyone_else(client: Client, guangde: World, code: str) -> None:
    client.force_login(guangde.staff)
    assert client.get(card_url(code), {"period": MAY}).status_code == 404
    assert not ScoreRun.objects.exists()


@pytest.mark.parametrize(
    ("code", "status"), [("1001", 200), ("A2", 200), ("9001", 200), ("2001", 404), ("B1", 404)]
)
def test_chief_reads_his_unit_only(client: Client, guangde: World, code: str, status: int) -> None:
    client.force_login(guangde.chief)
    assert client.get(card_url(code), {"period": MAY}).status_code == status


@pytest.mark.parametrize("persona", ["sysadmin", "secadmin", "auditor"])
def test_admins_cannot_read_cards(client: Client, guangde: World, persona: str) -> None:
    client.force_login(getattr(guangde, persona))
    assert client.get(card_url("1001"), {"period": MAY}).status_code == 403
    assert not ScoreRun.objects.exists()


def test_inspector_reads_anyone_but_unknown_codes_are_404(client: Client, guangde: World) -> None:
    client.force_login(guangde.inspector)
    assert client.get(card_url("2001"), {"period": MAY}).status_code == 200
    assert client.get(card_url("X9"), {"period": MAY}).status_code == 404


def test_window_only_policy_shows_his_windows_card_and_own_records(
    client: Client, world: World
) -> None:
    mine = record(world, person=world.zhang)
    record(world, person=world.li)
    voided = record(world, person=world.zhang, voided="重复录入")
    client.force_login(world.staff)
    page = html(client.get(card_url("1001"), {"period": MAY}))
    subjects = ScoreRun.objects.get(period=MAY).result["subjects"]
    assert "1001" not in subjects
    assert card_score(page) == subjects["A1"]["score"] == "99"
    assert 'id="window-only"' in page and "窗口A1（A1）" in page
    own = page.split("本人台账记录", 1)[1].split("已作废", 1)[0]
    assert f'data-ledger-record="{mine.pk}"' in own
    assert own.count("data-ledger-record=") == 1
    assert f'data-ledger-record="{voided.pk}"' in page.split("已作废", 1)[1]
    assert Decimal(subjects["A1"]["score"]) == Decimal(100) - 1


def test_failed_run_message_on_the_card(client: Client, guangde: World) -> None:
    client.force_login(guangde.staff)
    page = html(client.get(card_url("1001"), {"period": "2030-05"}))
    assert "2030 年的工作日历尚未录入，无法计分" in page
    assert 'id="card-score"' not in page


def test_a_windows_card_lists_the_voided_records_of_its_staff(client: Client, world: World) -> None:
    """Under a window-only regulation (xxqu-2022) a finding on a person counts for his window.

    Voided (an appeal overturned, say), it leaves no trace line on the window's
    card; the card's 已作废 list must still show it, not "本期没有已作废的记录".
    """
    gone = record(world, person=world.zhang, voided="申诉改判：记录有误")
    own = record(world, window=world.a1, voided="重复录入")
    elsewhere = record(world, person=world.wang, voided="录错了人")  # 王五 staffs B1
    live = record(world, person=world.li)
    client.force_login(world.chief)  # 陈首席 answers for unit A
    page = html(client.get(card_url("A1"), {"period": MAY}))
    assert card_score(page) == "99.5"
    assert trace_records(page) == [live.pk]
    voided = page.split('id="voided"', 1)[1]
    assert "本期没有已作废的记录" not in voided
    assert f'data-ledger-record="{gone.pk}"' in voided and "申诉改判：记录有误" in voided
    assert "张三" in voided  # whose record it was
    assert f'data-ledger-record="{own.pk}"' in voided
    assert f'data-ledger-record="{elsewhere.pk}"' not in voided
    assert f'data-ledger-record="{live.pk}"' not in voided
