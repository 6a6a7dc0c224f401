from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from kaohe.engine.periods import PeriodKind
from kaohe.web.org.models import Person
from kaohe.web.scoring import selectors, services
from kaohe.web.scoring.models import RunStatus, ScoreRun
from tests.web.personas import World
from tests.web.scoring.helpers import MAY, html, ranking_scores, record, use_policy

URL = reverse("scoring:ranking")


@pytest.fixture
def guangde(world: World) -> World:
    use_policy(world, "guangde-2023")
    record(world, person=world.zhang)
    return world


def test_inspector_sees_every_window_with_the_runs_scores(client: Client, guangde: World) -> None:
    client.force_login(guangde.inspector)
    response = client.get(URL, {"period": MAY})
    assert response.status_code == 200
    run = ScoreRun.objects.get(center=guangde.center, period=MAY)
    subjects = run.result["subjects"]
    page = html(response)
    assert 'id="ranking"' in page
    assert ranking_scores(page) == {c: subjects[c]["score"] for c in ("A2", "B1", "A1")}
    assert ranking_scores(page)["A1"] == "92.5"
    # dimension column headers are the policy's names
    assert "出勤到岗" in page and "工作纪律" in page and "优质服务窗口" in page


def test_staff_tab_lists_people_and_sorts_by_header(client: Client, guangde: World) -> None:
    client.force_login(guangde.leader)
    page = html(client.get(URL, {"period": MAY, "card": "staff-month", "sort": "-score"}))
    assert list(ranking_scores(page).items()) == [("1002", "93"), ("2001", "93"), ("1001", "92")]
    page = html(client.get(URL, {"period": MAY, "card": "staff-month", "sort": "score"}))
    assert list(ranking_scores(page)) == ["1001", "1002", "2001"]
    page = html(client.get(URL, {"period": MAY, "card": "staff-month", "sort": "dim:discipline"}))
    assert list(ranking_scores(page)) == ["1001", "1002", "2001"]
    assert 'aria-sort="ascending"' in page


def test_chief_sees_only_his_units_windows_and_people(client: Client, guangde: World) -> None:
    client.force_login(guangde.chief)
    page = html(client.get(URL, {"period": MAY}))
    assert set(ranking_scores(page)) == {"A1", "A2"}
    page = html(client.get(URL, {"period": MAY, "card": "staff-month"}))
    assert set(ranking_scores(page)) == {"1001", "1002"}
    page = html(client.get(URL, {"period": MAY, "card": "chief-rep-month"}))
    assert ranking_scores(page) == {"9001": "92.75"}


def test_scores_root_opens_the_ranking(client: Client, guangde: World) -> None:
    client.force_login(guangde.leader)
    response = client.get("/scores/", {"period": MAY})
    assert response.status_code == 302
    assert response["Location"] == URL + "?period=2024-05"


def test_staff_is_sent_to_his_own_card(client: Client, guangde: World) -> None:
    client.force_login(guangde.staff)
    response = client.get(URL, {"period": MAY})
    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:my_card") + "?period=2024-05"


@pytest.mark.parametrize("persona", ["sysadmin", "secadmin", "auditor"])
def test_admins_see_no_scores(client: Client, guangde: World, persona: str) -> None:
    client.force_login(getattr(guangde, persona))
    assert client.get(URL, {"period": MAY}).status_code == 403
    assert client.get(URL, {"period": MAY, "format": "xlsx"}).status_code == 403
    assert not ScoreRun.objects.exists()


def test_anonymous_is_sent_to_login(client: Client, guangde: World) -> None:
    response = client.get(URL, {"period": MAY})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_ranking_changes_after_a_record(
    client: Client, guangde: World, django_capture_on_commit_callbacks: object
) -> None:
    client.force_login(guangde.inspector)
    before = ranking_scores(html(client.get(URL, {"period": MAY, "card": "staff-month"})))
    assert before == {"1002": "93", "2001": "93", "1001": "92"}
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        record(guangde, person=guangde.li, day=date(2024, 5, 9))
        record(guangde, person=guangde.li, day=date(2024, 5, 10))
        services.ledger_changed(guangde.center, date(2024, 5, 9))
    after = ranking_scores(html(client.get(URL, {"period": MAY, "card": "staff-month"})))
    assert after == {"2001": "93", "1001": "92", "1002": "91"}


def test_xlsx_export_is_the_table_and_formula_safe(client: Client, guangde: World) -> None:
    Person.objects.filter(pk=guangde.zhang.pk).update(name="=HYPERLINK(1)")
    client.force_login(guangde.inspector)
    response = client.get(
        URL, {"period": MAY, "card": "staff-month", "sort": "score", "format": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="ranking-2024-05-staff-month.xlsx"'
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("名次", "名称", "窗口", "单位", "出勤到岗（个人）")
    assert rows[1][:4] == (3, "'=HYPERLINK(1)", "A1", "单位A")
    assert rows[1][11:13] == (92, None)
    assert [r[1] for r in rows[1:]] == ["'=HYPERLINK(1)", "李四", "王五"]


def test_failed_run_says_the_calendar_is_missing(client: Client, guangde: World) -> None:
    client.force_login(guangde.inspector)
    page = html(client.get(URL, {"period": "2030-05"}))
    assert "2030 年的工作日历尚未录入，无法计分" in page
    assert 'id="ranking"' not in page
    assert ScoreRun.objects.get(period="2030-05").status == RunStatus.FAILED


def test_period_defaults_and_choices_follow_the_policy(guangde: World) -> None:
    today = date(2024, 6, 15)
    pc = selectors.period_context(guangde.center, None, today)
    assert str(pc.period) == "2024-05"
    assert [c.value for c in pc.choices][:3] == ["2024-05", "2024-04", "2024-03"]
    assert len(pc.choices) == 12
    use_policy(guangde, "xxqu-2022")
    pc = selectors.period_context(guangde.center, "nonsense", today)
    assert pc.kinds == [PeriodKind.MONTH, PeriodKind.YEAR]
    assert str(pc.period) == "2024-05"
    assert [c.value for c in pc.choices][12:] == ["2023", "2022"]
    use_policy(guangde, "luoshan")
    pc = selectors.period_context(guangde.center, None, today)
    assert str(pc.period) == "2024-Q1"
    assert [c.value for c in pc.choices][:4] == ["2024-Q1", "2023-Q4", "2023-Q3", "2023-Q2"]
    use_policy(guangde, "baoshan-2024")
    assert str(selectors.period_context(guangde.center, None, today).period) == "2023"
