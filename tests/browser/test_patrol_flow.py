"""Issue 3's flow end to end, in Chromium: a finding on patrol reaches the score.

督查员 records on his phone that 张三 (1001, window A1) was not in uniform
(guangde-2023 item discipline.01, 1 point) with a photo; 张三 at his desk finds
the line on his card, with the record's number; the leader sees 张三's score
fall by exactly that point in the ranking.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from kaohe.web.ledger.models import Evidence, Record, RecordSource
from tests.browser.helpers import log_in, screenshot
from tests.web.personas import World

pytestmark = pytest.mark.browser

ITEM = "discipline.01"
ITEM_NAME = "未按规定着装"
STAFF_CARD = "staff-month"
#: Each series of the window's trend chart: its name and its last value.
TREND_JS = """() => echarts.getInstanceByDom(document.getElementById("trend-chart"))
    .getOption().series.map(s => [s.name, s.data[s.data.length - 1]])"""


def photo_png() -> bytes:
    """A small, real PNG (a 64×48 blue frame), made here so nothing is random."""
    image = Image.new("RGB", (64, 48), (30, 90, 200))
    for x in range(64):
        image.putpixel((x, 0), (255, 255, 255))
        image.putpixel((x, 47), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def score_of(page: Page, code: str) -> Decimal:
    row = page.locator(f'#ranking tr[data-subject="{code}"]')
    expect(row).to_have_count(1)
    return Decimal(row.locator(".score").inner_text())


def rank_of(page: Page, code: str) -> str:
    return page.locator(f'#ranking tr[data-subject="{code}"] td').first.inner_text()


def test_patrol_deduction_reaches_card_and_ranking(
    live_world: World, phone: BrowserContext, new_desktop: Callable[[], BrowserContext]
) -> None:
    period = timezone.localdate().strftime("%Y-%m")
    ranking_url = f"{reverse('scoring:ranking')}?period={period}&card={STAFF_CARD}"
    card_url = reverse("scoring:card", args=["1001"])

    # The leader looks at this month's staff ranking before the patrol.
    leader = new_desktop().new_page()
    log_in(leader, "leader")
    expect(leader).to_have_url(re.compile(re.escape(reverse("scoring:ranking")) + "$"))
    leader.goto(ranking_url)
    expect(leader.locator("#ranking tbody tr")).to_have_count(3)  # 张三, 李四, 王五
    # Nothing recorded yet: everyone has the same 93 (guangde's full marks
    # without the dimensions that need facts) and shares the first place.
    assert {code: score_of(leader, code) for code in ("1001", "1002", "2001")} == {
        "1001": Decimal(93),
        "1002": Decimal(93),
        "2001": Decimal(93),
    }
    assert rank_of(leader, "1001") == "1"
    screenshot(leader, "20-ranking-before")

    # The inspector, on his phone, lands on the patrol page.
    inspector = phone.new_page()
    log_in(inspector, "inspector")
    expect(inspector).to_have_url(re.compile(re.escape(reverse("ledger:patrol")) + "$"))
    expect(inspector.locator("[data-window]")).to_have_count(3)
    screenshot(inspector, "10-patrol-1-window")
    inspector.locator('[data-window="A1"]').tap()
    expect(inspector.locator("[data-person]")).to_have_count(3)  # 张三, 李四, the window itself
    expect(inspector.locator('[data-person="1001"]')).to_contain_text("张三")
    screenshot(inspector, "11-patrol-2-person")
    inspector.locator('[data-person="1001"]').tap()
    expect(inspector.locator(f'[data-item="{ITEM}"]')).to_contain_text(ITEM_NAME)
    screenshot(inspector, "12-patrol-3-item")
    inspector.locator(f'[data-item="{ITEM}"]').tap()
    png = photo_png()
    inspector.set_input_files(
        "input[name=photos]",
        files=[{"name": "uniform.png", "mimeType": "image/png", "buffer": png}],
    )
    screenshot(inspector, "13-patrol-4-photo")
    inspector.locator("#patrol-save").tap()
    done = inspector.locator("#patrol-done")
    expect(done).to_contain_text(ITEM_NAME)
    expect(done).to_contain_text("张三")
    assert inspector.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(inspector, "14-patrol-done")

    record = Record.objects.get(pk=int(done.get_attribute("data-record") or 0))
    assert (record.person_id, record.window_id) == (live_world.zhang.pk, None)
    assert (record.item_code, record.item_name, record.count, record.points) == (
        ITEM,
        ITEM_NAME,
        1,
        None,
    )
    assert (record.date, record.source) == (timezone.localdate(), RecordSource.PATROL)
    assert record.recorded_by == live_world.inspector
    assert record.voided_at is None
    evidence = Evidence.objects.get(record=record)
    assert (evidence.content_type, evidence.size) == ("image/png", len(png))

    # 张三 at his desk: his own card, with the line of that record.
    staff = new_desktop().new_page()
    log_in(staff, "staff")
    expect(staff).to_have_url(re.compile(re.escape(card_url)))
    staff.goto(f"{card_url}?period={period}")
    line = staff.locator(f'tr[data-record="{record.pk}"]')
    expect(line).to_have_count(1)
    expect(line.locator("td").nth(1)).to_have_text(f"{ITEM} {ITEM_NAME}")
    expect(line.locator("td").nth(3)).to_have_text("−1")
    expect(line.locator("td").nth(3)).to_have_class(re.compile(r"\bneg\b"))
    expect(line.locator("td").nth(4)).to_contain_text(f"台账记录 #{record.pk}")
    expect(staff.locator("#card-score")).to_have_text("92")
    expect(staff.locator("#trace-total")).to_have_text("92")
    expect(staff.locator("#sum-check")).to_contain_text("✓")
    screenshot(staff, "30-card")

    # The leader's ranking: 张三 one point lower, the others unchanged.
    leader.goto(ranking_url)
    assert {code: score_of(leader, code) for code in ("1001", "1002", "2001")} == {
        "1001": Decimal(92),
        "1002": Decimal(93),
        "2001": Decimal(93),
    }
    assert rank_of(leader, "1001") == "3"
    assert leader.locator("#ranking tbody tr").last.get_attribute("data-subject") == "1001"
    screenshot(leader, "21-ranking-after")

    # The window page and the ledger list show the same finding.
    leader.goto(f"{reverse('scoring:window', args=['A1'])}?period={period}")
    expect(leader.locator('tr[data-subject="1001"] .score')).to_have_text("92")
    expect(leader.locator('tr[data-subject="1002"] .score')).to_have_text("93")
    # The trend chart is drawn (vendored ECharts) and ends on this month's scores.
    expect(leader.locator("#trend-chart canvas")).not_to_have_count(0)
    trend = leader.evaluate(TREND_JS)
    assert [name for name, _ in trend] == ["窗口A1（A1）", "张三（1001）", "李四（1002）"]
    assert [last for _, last in trend] == [92.5, 92, 93]
    leader.wait_for_timeout(1200)  # let the line animation finish for the picture
    screenshot(leader, "40-window")
    leader.goto(f"{reverse('ledger:list')}?month={period}")
    rows = leader.locator("#ledger-table tbody tr[data-record]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ITEM_NAME)
    expect(rows.first).to_contain_text("张三")
    expect(rows.first.locator("td").nth(6)).to_have_text("1")  # one photo
    expect(rows.first.locator("td").nth(7)).to_have_text("现场巡查")
    screenshot(leader, "50-ledger-list")

    # The record's page shows the very photo taken on patrol.
    rows.first.locator("td").nth(2).locator("a").click()
    expect(leader).to_have_url(
        re.compile(re.escape(reverse("ledger:detail", args=[record.pk])) + "$")
    )
    photo = leader.locator('img[alt="证据照片 1"]')
    photo.scroll_into_view_if_needed()
    expect(photo).to_have_js_property("complete", True)
    assert photo.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [64, 48]
    screenshot(leader, "51-ledger-detail")
