"""Democratic-evaluation ballots counted by the engine, and the annual forms (宝山)."""

from __future__ import annotations

import io

import openpyxl
from django.urls import reverse

from kaohe.web.audit.models import AuditEntry
from kaohe.web.facts.models import Vote
from kaohe.web.scoring.models import ScoreRun
from tests.web.personas import World
from tests.web.workflow.conftest import baoshan_year, full_attendance
from tests.web.workflow.helpers import open_period, publish, to_publicity


def test_inspector_enters_a_ballot_and_the_engine_counts_it(
    client, world: World, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    full_attendance(world, [f"2024-{m:02d}" for m in range(1, 13)])
    p = open_period(world, "2024")  # 新乡 xxqu-2022: windows rated by the supervisors yearly
    url = reverse("workflow:ballots", args=[p.pk])
    client.force_login(world.inspector)
    page = client.get(url).content.decode()
    assert 'name="level-A1"' in page and "行政审批行风监督员" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"group": "supervisors", "voter": "票1", "level-A1": "满意", "level-A2": "一般"},
        )
    assert response.status_code == 302
    assert sorted(Vote.objects.values_list("group", "voter", "subject", "level")) == [
        ("supervisors", "票1", "A1", "满意"),
        ("supervisors", "票1", "A2", "一般"),
    ]
    assert AuditEntry.objects.filter(action="vote.enter").count() == 1
    run = ScoreRun.objects.get(center=world.center, period="2024")
    subjects = run.result["subjects"]
    assert [subjects[w]["dimensions"]["sat_supervisor"] for w in ("A1", "A2", "B1")] == [
        "5",
        "4.9",
        "4.8",
    ]
    assert "已录入 1 张票" in client.get(url).content.decode()


def test_ballots_refused_for_others_and_when_invalid(client, world: World) -> None:  # type: ignore[no-untyped-def]
    full_attendance(world, [f"2024-{m:02d}" for m in range(1, 13)])
    p = open_period(world, "2024")
    url = reverse("workflow:ballots", args=[p.pk])
    for persona in ("leader", "staff", "chief", "sysadmin"):
        client.force_login(getattr(world, persona))
        response = client.post(url, {"group": "supervisors", "voter": "x", "level-A1": "满意"})
        assert response.status_code == 403
    client.force_login(world.inspector)
    client.post(url, {"group": "supervisors", "voter": "票1", "level-A1": "极好"})
    client.post(url, {"group": "nobody", "voter": "票1", "level-A1": "满意"})
    assert Vote.objects.count() == 0
    client.post(url, {"group": "supervisors", "voter": "票1", "level-A1": "满意"})
    client.post(url, {"group": "supervisors", "voter": "票1", "level-A2": "满意"})
    assert list(Vote.objects.values_list("voter", "subject")) == [("票1", "A1")]


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_annual_forms_per_person(client, world: World) -> None:  # type: ignore[no-untyped-def]
    baoshan_year(world)
    p = open_period(world, "2024")
    form = reverse("workflow:annual_form", args=[p.pk, "register", "1001", "xlsx"])
    client.force_login(world.staff)
    assert client.get(form).status_code == 403  # a draft: not for staff yet
    client.force_login(world.leader)
    assert "年度考核登记表" in client.get(reverse("workflow:period", args=[p.pk])).content.decode()
    to_publicity(world, p)
    snap = publish(world, p)
    zhang = snap.result["subjects"]["1001"]
    client.force_login(world.staff)
    ws = _book(client.get(form).content).active
    assert ws["A1"].value == "测试区政务服务中心2024年度年度考核登记表"
    assert (ws["B2"].value, ws["D2"].value) == ("张三", "1001")
    assert (ws["B5"].value, ws["D5"].value) == (float(zhang["score"]), zhang["grade"])
    assert ws["B6"].value == float(zhang["bonus"])
    for kind in ("register", "score", "vote"):
        response = client.get(reverse("workflow:annual_form", args=[p.pk, kind, "1001", "pdf"]))
        assert (response.status_code, response.content[:4]) == (200, b"%PDF")
    other = reverse("workflow:annual_form", args=[p.pk, "register", "1002", "pdf"])
    assert client.get(other).status_code == 404
    score = _book(
        client.get(reverse("workflow:annual_form", args=[p.pk, "score", "1001", "xlsx"])).content
    ).active
    rows = list(score.iter_rows(values_only=True))
    assert ("总分", float(zhang["score"])) == rows[[r[0] for r in rows].index("总分")][:2]
