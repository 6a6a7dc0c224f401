"""The login page in a real browser: the form, the error, the lockout, the way out."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, expect
from pytest_django.fixtures import Settings

from kaohe.web.accounts.models import User
from tests.browser.helpers import log_in, screenshot
from tests.web.personas import PASSWORD, World

pytestmark = pytest.mark.browser
LOGIN = reverse("accounts:login")


def test_login_page_renders(live_world: World, phone: BrowserContext) -> None:
    page = phone.new_page()
    response = page.goto(reverse("home"))
    assert response is not None and response.ok
    assert f"{LOGIN}?next=" in page.url
    expect(page).to_have_title("登录 · 政务服务中心绩效考核")
    expect(page.locator("h1")).to_have_text("政务服务中心绩效考核 · 登录")
    expect(page.locator("#id_username")).to_be_focused()
    expect(page.locator(".muted")).to_contain_text("连续 5 次输错密码将锁定账号 30 分钟")
    # The shared stylesheet and the vendored htmx arrived (served locally).
    assert page.evaluate("document.styleSheets[0].cssRules.length") > 10
    assert page.evaluate("typeof htmx.version") == "string"
    # The page fits the phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "01-login")


def test_wrong_password_says_so_and_counts(live_world: World, desktop: BrowserContext) -> None:
    page = desktop.new_page()
    page.goto(LOGIN)
    page.fill("#id_username", "inspector")
    page.fill("#id_password", "not-the-password")
    page.click("form.stack button[type=submit]")
    expect(page.locator(".errorlist")).to_have_text("账号或密码不正确。")
    assert LOGIN in page.url
    assert page.input_value("#id_username") == "inspector"
    inspector = User.objects.get(username="inspector")
    assert inspector.failed_logins == 1
    assert inspector.locked_until is None
    screenshot(page, "02-login-wrong-password")


def test_lockout_after_failures_even_with_the_right_password(
    live_world: World, desktop: BrowserContext, settings: Settings
) -> None:
    settings.KAOHE_LOCKOUT_FAILURES = 3
    page = desktop.new_page()
    page.goto(LOGIN)
    for attempt in range(1, 4):
        page.fill("#id_username", "leader")
        page.fill("#id_password", f"wrong-{attempt}")
        page.click("form.stack button[type=submit]")
        page.wait_for_load_state()
        if attempt < 3:
            expect(page.locator(".errorlist")).to_have_text("账号或密码不正确。")
    expect(page.locator(".errorlist")).to_contain_text("连续登录失败次数过多，账号已锁定至")
    screenshot(page, "03-login-locked")

    # The right password does not open a locked account.
    page.fill("#id_username", "leader")
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    expect(page.locator(".errorlist")).to_contain_text("账号已锁定至")
    assert LOGIN in page.url
    leader = User.objects.get(username="leader")
    assert leader.failed_logins == 3
    assert leader.locked_until is not None
    # Another account is not affected by the first one's lockout.
    other = User.objects.get(username="inspector")
    assert (other.failed_logins, other.locked_until) == (0, None)


def test_log_in_and_out(live_world: World, desktop: BrowserContext) -> None:
    page = desktop.new_page()
    log_in(page, "leader")
    expect(page.locator("header .who span")).to_have_text("leader · 考核领导小组")
    page.click("header .who button[type=submit]")
    page.wait_for_url(f"**{LOGIN}")
    expect(page.locator("h1")).to_have_text("政务服务中心绩效考核 · 登录")
    # Logged out means logged out: the next page asks for the password again.
    page.goto(reverse("scoring:ranking"))
    assert LOGIN in page.url
