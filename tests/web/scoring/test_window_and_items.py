from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from kaohe.web.scoring.models import ScoreRun
from tests.web.personas import World
from tests.web.scoring.helpers import MAY, html, ranking_scores, record, use_policy

TOP = reverse("scoring:top_items")


def window_url(code: str) -> str:
    return reverse("scoring:window", args=[code])


def embedded(page: str, element_id: str) -> object:
    m = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S)
    assert m, f"no {element_id} on the page"
    return json.loads(m.group(1))


@pytest.fixture
def guangde(world: World) -> World:
    use_policy(world, "guangde-2023")
    record(world, person=world.zhang, day=date(2024, 4, 8))
    record(world, person=world.zhang, day=date(2024, 5, 6))
    record(world, person=world.zhang, day=date(2024, 5, 7))
    record(world, person=world.wang, item="discipline.02", day=date(2024, 5, 8))
    return world


def test_window_page_shows_score_staff_and_trend(client: Client, guangde: World) -> None:
    client.force_login(guangde.inspector)
    response = client.get(window_url("A1"), {"period": MAY})
    assert response.status_code == 200
    page = html(response)
    runs = {r.period: r.result["subjects"] for r in ScoreRun.objects.all()}
    assert re.search(r'id="window-score"[^>]*><a [^>]*>92</a>', page)
    assert runs[MAY]["A1"]["score"] == "92"
    assert ranking_scores(page) == {"1001": "91", "1002": "93"}
    trend = embedded(page, "trend-data")
    periods = ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    assert trend["periods"] == periods
    assert [s["code"] for s in trend["series"]] == ["A1", "1001", "1002"]
    window_line = trend["series"][0]["data"]
    assert window_line == [runs[p]["A1"]["score"] for p in periods]
    assert window_line[-2:] == ["92.5", "92"]
    assert "vendor/echarts-6.1.0.min.js" in page


def test_window_page_scope(client: Client, guangde: World) -> None:
    client.force_login(guangde.chief)
    assert client.get(window_url("A2"), {"period": MAY}).status_code == 200
    assert client.get(window_url("B1"), {"period": MAY}).status_code == 404
    assert client.get(window_url("ZZ"), {"period": MAY}).status_code == 404
    runs = ScoreRun.objects.count()
    for persona in ("staff", "sysadmin", "secadmin", "auditor"):
        client.force_login(getattr(guangde, persona))
        assert client.get(window_url("A1"), {"period": MAY}).status_code == 403, persona
    assert ScoreRun.objects.count() == runs


def test_top_items_over_two_months(client: Client, guangde: World) -> None:
    client.force_login(guangde.leader)
    page = html(client.get(TOP, {"from": "2024-04", "to": MAY}))
    rows = re.findall(
        r'<tr data-item="([^"]+)">.*?class="num neg lost">([^<]*)<.*?class="num count">(\d+)<',
        page,
        re.S,
    )
    assert rows == [("discipline.01", "3", "3"), ("discipline.02", "1", "1")]
    matrix = dict(
        re.findall(r'<tr data-window="([^"]+)">.*?class="num total">([^<]*)<', page, re.S)
    )
    assert matrix == {"A1": "3", "B1": "1"}
    assert '<th class="num">2024-04</th><th class="num">2024-05</th>' in page
    chart = embedded(page, "items-data")
    assert chart["lost"] == ["3", "1"]
    assert chart["items"][0].startswith("discipline.01 ")


def test_top_items_for_one_window_and_by_scope(client: Client, guangde: World) -> None:
    client.force_login(guangde.inspector)
    page = html(client.get(TOP, {"from": MAY, "to": MAY, "window": "B1"}))
    assert re.findall(r'<tr data-item="([^"]+)">', page) == ["discipline.02"]
    client.force_login(guangde.chief)
    page = html(client.get(TOP, {"from": MAY, "to": MAY}))
    assert re.findall(r'<tr data-item="([^"]+)">', page) == ["discipline.01"]
    assert client.get(TOP, {"to": MAY, "window": "B1"}).status_code == 404
    runs = ScoreRun.objects.count()
    for persona in ("staff", "sysadmin", "secadmin", "auditor"):
        client.force_login(getattr(guangde, persona))
        assert client.get(TOP, {"to": MAY}).status_code == 403, persona
    assert ScoreRun.objects.count() == runs


def test_top_items_reports_a_failed_month(client: Client, guangde: World) -> None:
    client.force_login(guangde.inspector)
    page = html(client.get(TOP, {"from": "2030-05", "to": "2030-05"}))
    assert "2030 年的工作日历尚未录入，无法计分" in page
    assert 'id="no-items"' in page
