"""Issue 5 item 7: a period's whole cycle under each of the five policies, in Chromium.

The inspector records two findings on patrol; he opens the period, 初审 and
公示 (the page counts the publicity down in working days); in the appeal
window the person concerned appeals one finding from his score card, with a
reason, a photo and a PDF; leadership overturns it with a reason: the record
is voided, the period re-scored and re-ranked, and the appellant is told.
Once publicity is over leadership approves (审定) and the inspector publishes;
the bulletin downloaded as XLSX and as PDF is read back and must say what
the engine computes from the ledger.

揭东 (jiedong-2022) takes appeals only in the two working days after
publication, so there the overturn reopens the period as version 2, which
goes through 初审, 公示, 审定 and 发布 again; version 1 stays downloadable.

The world (org, people, attendance, 宝山's committee scores) is seeded through
the ORM; every step of the cycle itself is a click.  ``clock`` moves the
application's "today" from the patrol to publicity, the appeal, and past it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from kaohe.web.facts.models import ExternalScore
from kaohe.web.ledger.models import Record
from kaohe.web.org.models import Assignment, Employment, Person
from kaohe.web.scoring.models import ScoreRun
from kaohe.web.scoring.services import compute
from kaohe.web.workflow import exports
from kaohe.web.workflow.models import Appeal, AppealState, AssessmentPeriod, PeriodState, Snapshot
from tests.browser.conftest import Clock
from tests.browser.helpers import log_in, screenshot
from tests.pdf_text import pdf_lines, pdf_tables
from tests.web.personas import START, World, build_world
from tests.web.workflow.conftest import baoshan_year, full_attendance

pytestmark = pytest.mark.browser

REASON = "回执与监控录像证明当时在岗，着装规范"
DECISION = "调取监控核实，记录有误，予以改判"


@dataclass(frozen=True)
class Finding:
    """What the inspector records on patrol: at a window, on a person (or the window itself)."""

    window: str
    person: str | None
    item: str
    points: str | None = None  # 揭东's items carry no points: the inspector gives them


@dataclass(frozen=True)
class Move:
    """A subject's (score, rank, grade) in the engine's ranking before and after the overturn."""

    scorecard: str
    code: str
    before: tuple[str, int, str | None]
    after: tuple[str, int, str | None]


@dataclass(frozen=True)
class Case:
    policy: str
    period: str
    patrol: date  # the day of the findings, inside the period
    publicity: date  # 开始公示
    publicity_ends: date  # its last working day, as the page must say
    appeal: date  # the day the appeal is filed and decided
    approve: date  # past publicity: 审定 and 发布
    findings: tuple[Finding, Finding]  # the first is appealed and overturned
    appeal_ends: date  # the last day of the appeal window the cycle page shows
    appellant: str  # his username; he appeals from the score card of ``card``
    card: str
    moves: tuple[Move, ...]
    workdays: int = 5  # of publicity (the default where the regulation gives none)
    left_on_appeal_day: int | None = 4  # publicity's working days still to run then
    notices: tuple[str, ...] = ()  # grade moves the appellant is told of
    # 揭东 only: the reopened version 2's publicity and its end, and its publication day
    again: tuple[date, date, date] | None = None
    bonus: dict[str, tuple[str, str]] = field(default_factory=dict)  # 宝山: before, after


MAY = dict(
    period="2024-05",
    patrol=date(2024, 5, 10),
    publicity=date(2024, 6, 3),  # a Monday; 2024-06-10 (端午) is a holiday
    publicity_ends=date(2024, 6, 11),
    appeal=date(2024, 6, 5),  # Wednesday: 4 working days of publicity left, today included
    approve=date(2024, 6, 12),
    appeal_ends=date(2024, 6, 11),
)

CASES = [
    Case(
        policy="guangde-2023",
        **MAY,  # type: ignore[arg-type]
        findings=(
            Finding("A1", "1001", "discipline.01"),  # 未按规定着装: 张三 −1, 窗口A1 −0.5
            Finding("A1", "1002", "attendance.01"),  # 迟到: 李四 −1 (his own attendance)
        ),
        appellant="staff",
        card="1001",
        moves=(
            # 窗口A1 falls behind A2 and B1 (93) and out of the two 优质服务窗口 places …
            Move("window-month", "A1", ("92.5", 3, None), ("93", 1, "优质服务窗口")),
            Move("staff-month", "1001", ("92", 2, None), ("93", 1, None)),
        ),
        notices=("2024-05 经申诉复核重新排名：窗口A1 的等次由“无等次”变为“优质服务窗口”。",),
    ),
    Case(
        policy="xxqu-2022",  # windows only: the chief rep appeals for his unit's window
        **MAY,  # type: ignore[arg-type]
        findings=(
            Finding("A1", "1001", "discipline.01"),  # 迟到早退: −0.5 on 窗口A1
            Finding("A2", None, "norms.04"),  # 未佩证上岗: −0.2 on 窗口A2
        ),
        appellant="chief",
        card="A1",
        moves=(
            Move("window-month", "A1", ("99.5", 3, None), ("100", 1, None)),
            Move("window-month", "A2", ("99.8", 2, None), ("99.8", 3, None)),
        ),
    ),
    Case(
        policy="jiedong-2022",  # publicity 2 working days, appeals 2 working days after 公布
        period="2024-05",
        patrol=date(2024, 5, 10),
        publicity=date(2024, 6, 3),
        publicity_ends=date(2024, 6, 5),
        approve=date(2024, 6, 6),  # publish version 1: appeals until 2024-06-11
        appeal=date(2024, 6, 7),
        appeal_ends=date(2024, 6, 11),
        workdays=2,
        left_on_appeal_day=None,
        findings=(
            Finding("A1", "1001", "discipline.02", "2"),  # 着装情况, 2 points as given
            Finding("A1", "1002", "discipline.03", "1"),  # 服务态度, 1 point
        ),
        appellant="staff",
        card="1001",
        moves=(
            Move("people_month", "1001", ("98", 3, "合格"), ("100", 1, "合格")),
            Move("people_month", "1002", ("99", 2, "合格"), ("99", 3, "合格")),
        ),
        again=(date(2024, 6, 7), date(2024, 6, 12), date(2024, 6, 13)),
    ),
    Case(
        policy="luoshan",  # quarterly
        period="2024-Q2",
        patrol=date(2024, 6, 14),
        publicity=date(2024, 7, 1),
        publicity_ends=date(2024, 7, 8),
        appeal=date(2024, 7, 3),
        approve=date(2024, 7, 9),
        appeal_ends=date(2024, 7, 8),
        findings=(
            Finding("A1", "1001", "s_discipline.02"),  # 衣着不整齐: −1
            Finding("B1", "2001", "s_service.01"),  # 不按首问负责: −1
        ),
        appellant="staff",
        card="1001",
        moves=(
            Move("staff_quarter", "1001", ("99", 3, "称职"), ("100", 1, "称职")),
            Move("staff_quarter", "2001", ("99", 3, "称职"), ("99", 4, "称职")),
        ),
    ),
    Case(
        policy="baoshan-2024",  # yearly; the score is the committee's 评分表, findings cost money
        period="2024",
        patrol=date(2024, 12, 16),
        publicity=date(2025, 1, 6),
        publicity_ends=date(2025, 1, 13),
        appeal=date(2025, 1, 8),
        approve=date(2025, 1, 14),
        appeal_ends=date(2025, 1, 13),
        findings=(
            Finding("A1", "1001", "conduct.01"),  # 被投诉: vetoes 优秀, −200 元
            Finding("A1", "1002", "conduct.02"),  # 被通报: −50 元
        ),
        appellant="staff",
        card="1001",
        # Ten purchased-service staff: one 优秀 place (10 %), one 表扬 (15 %).  The
        # complaint bars 张三 (92, first) from 优秀, which goes to 李四 (88).
        moves=(
            Move("purchased-year", "1001", ("92", 1, "表扬"), ("92", 1, "优秀")),
            Move("purchased-year", "1002", ("88", 2, "优秀"), ("88", 2, "表扬")),
        ),
        notices=("2024 经申诉复核重新排名：张三 的等次由“表扬”变为“优秀”。",),
        bonus={"1001": ("11800", "12000"), "1002": ("11950", "11950")},
    ),
]


def seed(case: Case) -> World:
    world = build_world(case.policy)
    full_attendance(world, [f"2024-{m:02d}" for m in range(1, 13)])
    if case.policy == "baoshan-2024":
        baoshan_year(world)
        for i in range(8):
            p = Person.objects.create(
                center=world.center,
                code=f"30{i:02d}",
                name=f"购买服务{i + 1}",
                employment=Employment.PURCHASED,
            )
            Assignment.objects.create(person=p, window=world.a2, start=START)
            ExternalScore.objects.create(
                center=world.center,
                natural_key=f"rating_form-2024-{p.code}",
                period="2024",
                source="rating_form",
                subject=p.code,
                value=80 + i,
            )
    return world


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 160, 60)).save(out, format="PNG")
    return out.getvalue()


#: The smallest file that is a PDF by header and trailer (a scanned receipt, as far as the checks go).
RECEIPT = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# ---------------------------------------------------------------- steps in the browser


def patrol(page: Page, finding: Finding) -> int:
    """Window → person (or the window itself) → item → (points) → save; the record's id."""
    page.goto(reverse("ledger:patrol"))
    page.locator(f'[data-window="{finding.window}"]').click()
    if finding.person:
        page.locator(f'[data-person="{finding.person}"]').click()
    else:
        page.locator('[data-subject="window"]').click()
    page.locator(f'[data-item="{finding.item}"]').click()
    if finding.points is not None:
        page.fill("#patrol-points", finding.points)
    page.click("#patrol-save")
    done = page.locator("#patrol-done")
    expect(done).to_be_visible()
    return int(done.get_attribute("data-record") or 0)


def step(page: Page, label: str, state: str) -> None:
    """Click a step of the period's 流程 and wait for the state it leads to."""
    page.get_by_role("button", name=label, exact=True).click()
    expect(page.locator(".messages")).to_contain_text("操作已完成。")
    expect(page.locator("h1 .badge")).to_have_text(state)


def ranking(page: Page, period: str, move: Move) -> tuple[str, int, str | None]:
    page.goto(f"{reverse('scoring:ranking')}?period={period}&card={move.scorecard}")
    row = page.locator(f'#ranking tr[data-subject="{move.code}"]')
    expect(row).to_have_count(1)
    grade = row.locator(".badge:not(.warn)")
    return (
        row.locator(".score").inner_text(),
        int(row.locator("td").first.inner_text()),
        grade.inner_text() if grade.count() else None,
    )


def run_of(world: World, period: str) -> dict[str, Any]:
    run = ScoreRun.objects.get(center=world.center, period=period)
    return {c: (s["score"], s["rank"], s.get("grade")) for c, s in run.result["subjects"].items()}


def bonus_of(world: World, period: str, codes: dict[str, Any]) -> dict[str, str]:
    run = ScoreRun.objects.get(center=world.center, period=period)
    return {c: run.result["subjects"][c]["bonus"] for c in codes}


def download(page: Page, link: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.get_by_role("link", name=link, exact=True).click()
    dl = info.value
    path = dl.path()
    assert path is not None
    with open(path, "rb") as f:
        return dl.suggested_filename, f.read()


def _num(value: Any) -> str | None:
    return None if value in (None, "") else format(Decimal(str(value)).normalize(), "f")


def check_bulletin(xlsx: bytes, pdf: bytes, snap: Snapshot) -> dict[str, tuple[Any, ...]]:
    """Both files read back say, subject by subject, the snapshot's rank, name, score and grade."""
    subjects = snap.result["subjects"]
    expected = {
        code: (s["rank"], s["name"], s["score"], s.get("grade") or None)
        for code, s in subjects.items()
    }
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    about = book["说明"]
    assert (about["A6"].value, about["B6"].value) == ("版本", snap.version)
    assert book.sheetnames[-1] == "扣分明细"
    from_xlsx: dict[str, tuple[Any, ...]] = {}
    for ws in book.worksheets[1:-1]:
        header = [c.value for c in ws[1]]
        assert header[:5] == ["名次", "编号", "名称", "单位", "总分"]
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        ranks = [r[0] for r in rows if r[0] is not None]
        assert ranks == sorted(ranks), f"{ws.title} is not in rank order"
        for r in rows:
            from_xlsx[r[1]] = (r[0], r[2], _num(r[4]), r[header.index("等次")] or None)
    assert from_xlsx == expected

    from_pdf: dict[str, tuple[Any, ...]] = {}
    tables = pdf_tables(pdf)
    assert [t.title for t in tables] == book.sheetnames[1:-1]
    for t in tables:
        for r in t.records():
            rank = int(r["名次"]) if r["名次"] else None
            from_pdf[r["编号"]] = (rank, r["名称"], r["总分"] or None, r["等次"] or None)
    assert from_pdf == expected
    return from_xlsx


@pytest.mark.parametrize("case", CASES, ids=[c.policy for c in CASES])
def test_the_cycle_in_the_browser(
    case: Case,
    live_server: LiveServer,
    clock: Clock,
    new_desktop: Callable[[], BrowserContext],
) -> None:
    world = seed(case)
    after_publication = case.again is not None
    shot = f"cycle-{case.policy}"

    # 1. On patrol the inspector records the two findings.
    clock.set(case.patrol)
    inspector = new_desktop().new_page()
    log_in(inspector, "inspector")
    ids = [patrol(inspector, f) for f in case.findings]
    appealed = Record.objects.get(pk=ids[0])
    assert [r.date for r in Record.objects.filter(pk__in=ids)] == [case.patrol] * 2

    # 2. He opens the period, reviews it and, on the publicity day, publishes it for 公示.
    inspector.goto(reverse("workflow:periods"))
    inspector.fill("input[name=period]", case.period)
    inspector.get_by_role("button", name="新建考核期").click()
    expect(inspector.locator("h1")).to_contain_text(f"{case.period} 考核周期")
    expect(inspector.locator("h1 .badge")).to_have_text("草稿")
    period_url = inspector.url
    step(inspector, "初审", "已初审")
    clock.set(case.publicity)
    step(inspector, "开始公示", "公示中")
    expect(inspector.get_by_text(f"公示剩余 {case.workdays} 个工作日")).to_be_visible()
    expect(inspector.locator("body")).to_contain_text(f"截止 {case.publicity_ends:%Y-%m-%d}")
    screenshot(inspector, f"{shot}-1-publicity")

    # The engine's ranking, as leadership sees it, with both findings.
    leader = new_desktop().new_page()
    log_in(leader, "leader")
    for m in case.moves:
        assert ranking(leader, case.period, m) == m.before, m
    assert {m.code: run_of(world, case.period)[m.code] for m in case.moves} == {
        m.code: m.before for m in case.moves
    }
    assert bonus_of(world, case.period, case.bonus) == {c: b for c, (b, _) in case.bonus.items()}

    if after_publication:
        # 揭东: no appeal during publicity; 审定 and 发布 once it is over.
        clock.set(case.approve)
        leader.goto(period_url)
        step(leader, "审定", "已审定")
        inspector.goto(period_url)
        step(inspector, "发布通报", "已通报")

    # 3. In the appeal window the appellant appeals the finding from his score card.
    clock.set(case.appeal)
    appellant = new_desktop().new_page()
    log_in(appellant, case.appellant)
    appellant.goto(f"{reverse('workflow:periods')}")
    if case.left_on_appeal_day is not None:
        expect(appellant.locator("tbody")).to_contain_text(
            f"公示剩余 {case.left_on_appeal_day} 个工作日（截止 {case.publicity_ends:%Y-%m-%d}）"
        )
    expect(appellant.locator("tbody")).to_contain_text(f"申诉期至 {case.appeal_ends:%Y-%m-%d}")
    appellant.get_by_role("link", name=case.period, exact=True).click()
    expect(appellant.locator("h1 .badge")).to_have_text("已通报" if after_publication else "公示中")
    # Staff and chief reps get the bulletin once it is published, never a draft.
    expect(appellant.get_by_role("link", name="下载通报 PDF", exact=True)).to_have_count(
        1 if after_publication else 0
    )
    card_url = f"{reverse('scoring:card', args=[case.card])}?period={case.period}"
    appellant.goto(card_url)
    expect(appellant.locator("#appeal-open")).to_be_visible()
    card_before = next(m for m in case.moves if m.code == case.card).before
    expect(appellant.locator("#card-score")).to_have_text(card_before[0])
    appellant.locator(f'[data-appeal-record="{appealed.pk}"]').first.click()
    expect(appellant.locator("h1")).to_contain_text(f"提出申诉 · {case.period}")
    appellant.fill("#appeal-text", REASON)
    appellant.set_input_files(
        "#appeal-files",
        files=[
            {"name": "现场照片.png", "mimeType": "image/png", "buffer": png()},
            {"name": "回执.pdf", "mimeType": "application/pdf", "buffer": RECEIPT},
        ],
    )
    screenshot(appellant, f"{shot}-2-appeal")
    appellant.get_by_role("button", name="提交申诉").click()
    expect(appellant.locator("h1 .badge")).to_have_text("已提交")
    appeal = Appeal.objects.get()
    assert (appeal.record_id, appeal.appellant.username, appeal.text) == (
        appealed.pk,
        case.appellant,
        REASON,
    )
    assert sorted(a.content_type for a in appeal.attachments.all()) == [
        "application/pdf",
        "image/png",
    ]

    # 4. Leadership reviews it and overturns it with a reason.
    leader.goto(period_url)
    leader.locator("table").get_by_role("link", name=f"#{appeal.pk}").click()
    expect(leader.locator("body")).to_contain_text("申诉附件（2）")
    photo = leader.locator('img[alt="申诉附件 1"]')
    photo.scroll_into_view_if_needed()
    expect(photo).to_have_js_property("complete", True)
    assert photo.evaluate("i => i.naturalWidth") == 40
    leader.get_by_role("button", name="开始复核").click()
    expect(leader.locator("h1 .badge")).to_have_text("复核中")
    leader.select_option("#decision", "overturn")
    leader.fill("#reason", DECISION)
    leader.get_by_role("button", name="提交复核结论").click()
    expect(leader.locator("h1 .badge")).to_have_text("改判")
    expect(leader.locator(".voided")).to_have_text("已作废")
    screenshot(leader, f"{shot}-3-overturned")

    appeal.refresh_from_db()
    appealed.refresh_from_db()
    assert (appeal.state, appeal.decided_by, appeal.reason) == (
        AppealState.OVERTURNED,
        world.leader,
        DECISION,
    )
    assert appealed.voided and appealed.void_reason == f"申诉改判：{DECISION}"
    assert {m.code: run_of(world, case.period)[m.code] for m in case.moves} == {
        m.code: m.after for m in case.moves
    }
    assert bonus_of(world, case.period, case.bonus) == {c: a for c, (_, a) in case.bonus.items()}
    for m in case.moves:
        assert ranking(leader, case.period, m) == m.after, m

    # The appellant is told: on the cycle page, the decision and any grade it moved.
    appellant.goto(reverse("workflow:periods"))
    notices = appellant.locator(".card", has_text="新通知")
    told = f"您对 {case.period} 的申诉已复核：改判。意见：{DECISION}"
    expect(notices).to_contain_text(told)
    for text in case.notices:
        expect(notices).to_contain_text(text)
    notices.locator("li", has_text=told).get_by_role("button", name="查看").click()
    expect(appellant).to_have_url(
        re.compile(re.escape(reverse("workflow:appeal", args=[appeal.pk])))
    )
    expect(appellant.locator("h1 .badge")).to_have_text("改判")
    expect(appellant.locator("body")).to_contain_text(f"意见：{DECISION}")
    expect(appellant.locator(".voided")).to_have_text("已作废")
    appellant.goto(card_url)
    card_after = next(m for m in case.moves if m.code == case.card).after
    expect(appellant.locator("#card-score")).to_have_text(card_after[0])
    # The card no longer counts the finding …
    expect(appellant.locator(f'#trace tr[data-record="{appealed.pk}"]')).to_have_count(0)
    # … and lists it as voided (a window card too, when it was entered on one of its staff).
    expect(appellant.locator(f'#voided [data-ledger-record="{appealed.pk}"]')).to_contain_text(
        f"申诉改判：{DECISION}"
    )
    screenshot(appellant, f"{shot}-4-card-after")

    # 5. Past publicity: 审定 and 发布 (揭东: version 2 goes round the cycle again).
    if after_publication:
        assert case.again is not None
        publicity2, ends2, publish2 = case.again
        inspector.goto(period_url)
        expect(inspector.locator("h1")).to_contain_text("第 2 版")
        expect(inspector.locator("h1 .badge")).to_have_text("草稿")
        step(inspector, "初审", "已初审")
        clock.set(publicity2)
        step(inspector, "开始公示", "公示中")
        expect(inspector.locator("body")).to_contain_text(
            f"公示剩余 2 个工作日（截止 {ends2:%Y-%m-%d}）"
        )
        clock.set(publish2)
    else:
        clock.set(case.approve)
    leader.goto(period_url)
    step(leader, "审定", "已审定")
    inspector.goto(period_url)
    step(inspector, "发布通报", "已通报")
    version = 2 if after_publication else 1
    period = AssessmentPeriod.objects.get(center=world.center, period=case.period)
    assert (period.state, period.version) == (PeriodState.PUBLISHED, version)
    snap = Snapshot.objects.get(period=period, version=version)
    screenshot(inspector, f"{shot}-5-published")

    # 6. The bulletin as downloaded, read back, against the engine.
    xlsx_name, xlsx = download(inspector, "下载通报 XLSX")
    pdf_name, pdf = download(inspector, "下载通报 PDF")
    assert (xlsx_name, pdf_name) == (
        f"通报-{case.period}-v{version}.xlsx",
        f"通报-{case.period}-v{version}.pdf",
    )
    # What the engine computes from the ledger now is what was published …
    fresh = compute(world.center, case.period)
    assert fresh.result is not None
    assert fresh.result["subjects"] == snap.result["subjects"]
    assert appealed.pk not in [r["id"] for r in snap.records]
    # … and what both files say, the overturned ranking included.
    rows = check_bulletin(xlsx, pdf, snap)
    title = exports.bulletin_source(world.center, case.period).title
    lines = pdf_lines(pdf)
    assert lines[0] == title and "草稿" not in "".join(lines)
    assert lines[1].endswith(f"第 {version} 版")
    for m in case.moves:
        rank, _, score, grade = rows[m.code]
        assert (score, rank, grade) == m.after, m

    if after_publication:
        # Version 1, published before the appeal, is still there with the finding counted.
        v1 = Snapshot.objects.get(period=period, version=1)
        assert appealed.pk in [r["id"] for r in v1.records]
        with inspector.expect_download() as info:
            inspector.locator('a[href$="bulletin.xlsx?version=1"]').click()
        assert info.value.suggested_filename == f"通报-{case.period}-v1.xlsx"
        with open(info.value.path(), "rb") as f:
            book = openpyxl.load_workbook(io.BytesIO(f.read()))
        subjects = {
            r[1]: (_num(r[4]), r[0])
            for ws in book.worksheets[1:-1]
            for r in ws.iter_rows(min_row=2, values_only=True)
        }
        for m in case.moves:
            assert subjects[m.code] == m.before[:2], m

    if case.bonus:
        # 宝山's money: the bonus sheet shows the engine's amounts, the complaint's 200 元 restored.
        _, bonus = download(inspector, "绩效奖励表 XLSX")
        sheet = openpyxl.load_workbook(io.BytesIO(bonus))["绩效奖励"]
        amounts = {r[0]: _num(r[7]) for r in sheet.iter_rows(min_row=3, values_only=True)}
        for code, (_, after) in case.bonus.items():
            assert amounts[code] == after == snap.result["subjects"][code]["bonus"]

    # Now published, the appellant may download it too.
    appellant.goto(period_url)
    expect(appellant.get_by_role("link", name="下载通报 PDF", exact=True)).to_be_visible()
