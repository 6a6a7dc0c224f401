"""试算 in the browser: the inspector makes an item heavier, sees whom it moves, and only then saves."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, expect

from kaohe.web.org.models import CenterPolicy, PolicySource
from kaohe.web.scoring.services import compute
from tests.browser.helpers import log_in, screenshot
from tests.web.personas import World
from tests.web.scoring.helpers import record

pytestmark = pytest.mark.browser

D01 = "{code: discipline.01, name: 未按规定着装, dimension: discipline, part: service, points: 1,"


def test_dry_run_shows_the_change_then_save_keeps_it(
    live_world: World, desktop: BrowserContext
) -> None:
    record(live_world, person=live_world.zhang, day=date(2024, 5, 6))
    record(live_world, person=live_world.zhang, day=date(2024, 5, 7))
    compute(live_world.center, "2024-05")

    page = desktop.new_page()
    log_in(page, "inspector")
    page.goto(reverse("org:policy_edit"))
    text = page.locator("#id_text").input_value()
    assert D01 in text
    page.locator("#id_text").fill(text.replace(D01, D01.replace("points: 1,", "points: 2,"), 1))
    expect(page.get_by_label("2024-05")).to_be_checked()
    page.get_by_role("button", name="试算（不保存）").click()

    month = page.locator('.dry-run-period[data-period="2024-05"]')
    expect(month.locator(".summary")).to_contain_text("得分变化")
    zhang = month.locator(f'tr[data-subject="{live_world.zhang.code}"]')
    expect(zhang.locator(".delta")).to_have_text("-2")
    assert Decimal(zhang.locator(".old-score").inner_text()) - Decimal(
        zhang.locator(".new-score").inner_text()
    ) == Decimal(2)
    expect(month.locator(f'tr[data-subject="{live_world.wang.code}"]')).to_have_count(0)
    screenshot(page, "60-policy-dry-run")
    assert CenterPolicy.objects.filter(center=live_world.center).count() == 1

    # The edited text is still in the box: saving it now makes it the center's version.
    assert "points: 2," in page.locator("#id_text").input_value()
    page.locator("#id_effective_from").fill("2024-06-01")
    page.get_by_role("button", name="校验并保存").click()
    expect(page).to_have_url(reverse("org:policy"))
    row = CenterPolicy.objects.filter(center=live_world.center).latest("id")
    assert (row.source, row.effective_from) == (PolicySource.CUSTOM, date(2024, 6, 1))
