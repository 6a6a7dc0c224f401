"""The bulletin and bonus sheet: files read back equal the published snapshot."""

from __future__ import annotations

import argparse
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from kaohe.engine import load_policy
from kaohe.engine.policy.models import ACTION_NAMES
from kaohe.web.commands.bulletin import main as bulletin_main
from kaohe.web.workflow import exports, selectors
from kaohe.web.workflow.models import Snapshot
from tests.pdf_text import pdf_lines, pdf_tables
from tests.web.personas import World
from tests.web.workflow.conftest import Cycle, baoshan_year
from tests.web.workflow.helpers import open_period, run_through

TITLE = "测试区政务服务中心2024年5月考核结果通报"


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _num(value: Any) -> str | None:
    return None if value is None else format(Decimal(str(value)).normalize(), "f")


def _pdf_text(src: exports.BulletinSource) -> str:
    """The PDF's text as a reader sees it (pdfplumber on the rendered bytes)."""
    return "\n".join(pdf_lines(exports.bulletin_pdf(src)))


def test_bulletin_xlsx_read_back_equals_the_snapshot(cycle: Cycle) -> None:
    _, snap = run_through(cycle.world)
    book = _book(exports.bulletin_xlsx(exports.bulletin_source(cycle.world.center, "2024-05")))
    assert book.sheetnames == [
        "说明",
        "窗口（科室）月度考核",
        "窗口工作人员个人月考核成绩",
        "窗口首席代表（不单独计分，承接约谈）",
        "扣分明细",
    ]
    about = book["说明"]
    assert about["A1"].value == TITLE
    assert (about["A2"].value, about["B2"].value) == ("发文单位", "测试区政务服务管理办公室")
    assert about["B6"].value == 1  # version
    policy = load_policy("guangde-2023")
    dim_codes = {d.name: d.code for sc in policy.scorecards for d in sc.dimensions}
    seen = set()
    for name in book.sheetnames[1:-1]:
        ws = book[name]
        header = [c.value for c in ws[1]]
        assert header[:5] == ["名次", "编号", "名称", "单位", "总分"]
        assert header[-3:] == ["等次", "扣分明细", "备注"]
        for row in ws.iter_rows(min_row=2, values_only=True):
            subject = snap.result["subjects"][row[1]]
            seen.add(row[1])
            assert row[0] == subject["rank"]
            assert (row[2], _num(row[4])) == (subject["name"], subject["score"])
            # Columns follow the policy's dimension order (PostgreSQL's jsonb keeps no key order).
            codes = [dim_codes[name] for name in header[5:-3]]
            assert [_num(v) for v in row[5:-3]] == [subject["dimensions"][c] for c in codes]
            assert (row[-3] or None) == subject["grade"]
    assert seen == set(snap.result["subjects"])
    b1 = next(
        r
        for r in book["窗口（科室）月度考核"].iter_rows(min_row=2, values_only=True)
        if r[1] == "B1"
    )
    assert b1[-2] == "事项变更5个工作日内未调整报送 -2"
    details = list(book["扣分明细"].iter_rows(min_row=2, values_only=True))
    assert (
        "窗口（科室）月度考核",
        "B1",
        "窗口B1",
        "business.02",
        "事项变更5个工作日内未调整报送",
        -2,
    ) in details


def test_spreadsheet_cells_never_become_formulas(cycle: Cycle) -> None:
    w = cycle.world
    names = {w.b1: '=HYPERLINK("http://evil","x")', w.a2: "+1+2", w.a1: "-3", w.zhang: "@SUM(1)"}
    for obj, name in names.items():
        obj.name = name
        obj.save(update_fields=["name"])
    book = _book(exports.bulletin_xlsx(exports.bulletin_source(w.center, "2024-05")))
    cells = {
        c.value: c.data_type
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value in names.values()
    }
    assert cells == {name: "s" for name in names.values()}


def test_pdf_has_title_issuing_body_and_draft_watermark_until_published(cycle: Cycle) -> None:
    w = cycle.world
    open_period(w)
    draft = exports.bulletin_source(w.center, "2024-05")
    assert draft.draft
    data = exports.bulletin_pdf(draft)
    assert data.startswith(b"%PDF")
    text = _pdf_text(draft)
    assert TITLE + "（草稿）" in text and "草稿" in text
    assert "测试区政务服务管理办公室" in text
    from kaohe.web.workflow.models import AssessmentPeriod

    run_through_existing(w, AssessmentPeriod.objects.get())
    published = exports.bulletin_source(w.center, "2024-05")
    text = _pdf_text(published)
    assert TITLE in text and "草稿" not in text
    windows = pdf_tables(exports.bulletin_pdf(published))[0]
    assert {r["名称"]: r["等次"] for r in windows.records()}["窗口B1"] == ""
    assert "优质服务窗口" in [r["等次"] for r in windows.records()]


def run_through_existing(world: World, p: Any) -> Snapshot:
    from tests.web.workflow.helpers import publish, to_publicity

    to_publicity(world, p)
    return publish(world, p)


def test_cli_writes_both_formats(cycle: Cycle, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run_through(cycle.world)
    xlsx, pdf = tmp_path / "b.xlsx", tmp_path / "b.pdf"
    args = argparse.Namespace(period="2024-05", format="xlsx", out=str(xlsx), center=None)
    assert bulletin_main(args) == 0
    assert _book(xlsx.read_bytes())["说明"]["A1"].value == TITLE
    args = argparse.Namespace(period="2024-05", format="pdf", out=str(pdf), center="test")
    assert bulletin_main(args) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert f"{pdf}: {TITLE}（第 1 版）" in capsys.readouterr().out
    missing = argparse.Namespace(
        period="2024-05", format="pdf", out=str(tmp_path / "x"), center="nope"
    )
    assert bulletin_main(missing) == 2
    assert not (tmp_path / "x").exists()


def test_downloads_draft_only_for_inspector_and_leader(client, cycle: Cycle) -> None:  # type: ignore[no-untyped-def]
    w = cycle.world
    p = open_period(w)
    url = reverse("workflow:bulletin", args=[p.pk, "xlsx"])
    client.force_login(w.staff)
    assert client.get(url).status_code == 403
    client.force_login(w.leader)
    response = client.get(url)
    assert response.status_code == 200
    assert _book(response.content)["说明"]["A1"].value == TITLE + "（草稿）"
    run_through_existing(w, p)
    client.force_login(w.staff)
    response = client.get(reverse("workflow:bulletin", args=[p.pk, "pdf"]))
    assert (response.status_code, response.content[:4]) == (200, b"%PDF")
    assert client.get(reverse("workflow:bonus", args=[p.pk])).status_code == 403


def test_bonus_sheet_shows_what_the_engine_computed(world: World) -> None:
    baoshan_year(world)
    _, snap = run_through(world, "2024")
    book = _book(exports.bonus_xlsx(exports.bulletin_source(world.center, "2024")))
    rows = {r[0]: r for r in book["绩效奖励"].iter_rows(min_row=3, values_only=True)}
    expected = {
        code: s
        for code, s in snap.result["subjects"].items()
        if s["bonus"] is not None or s["actions"]
    }
    assert set(rows) == set(expected) == {"1001", "1002"}
    for code, s in expected.items():
        assert _num(rows[code][7]) == s["bonus"]
        assert rows[code][6] == s["grade"]
        assert (rows[code][8] or "") == "；".join(ACTION_NAMES[a] for a in s["actions"])
    assert _num(rows["1001"][7]) == "12000"


def test_actions_are_printed_by_their_names() -> None:
    assert selectors.action_names(["interview", "bonus_stop", "promote"]) == [
        "约谈",
        "停发绩效奖励",
        "岗位工资晋升一级",
    ]
    assert selectors.action_names(None) == []


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_an_older_version_stays_downloadable(client, cycle: Cycle, fmt: str) -> None:  # type: ignore[no-untyped-def]
    from kaohe.web.workflow import services

    w = cycle.world
    p, _ = run_through(w)
    services.period_reopen(period=p, by=w.leader, reason="更正")
    client.force_login(w.leader)
    page = client.get(reverse("workflow:period", args=[p.pk])).content.decode()
    assert "第 1 版" in page and f"bulletin.{fmt}?version=1" in page
    response = client.get(reverse("workflow:bulletin", args=[p.pk, fmt]), {"version": 1})
    assert response.status_code == 200
    assert "v1" in response["Content-Disposition"]
    assert (
        client.get(reverse("workflow:bulletin", args=[p.pk, fmt]), {"version": 9}).status_code
        == 404
    )
