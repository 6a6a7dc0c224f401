"""What every browser test does: log in, take a screenshot."""

from __future__ import annotations

from pathlib import Path

from django.urls import reverse
from playwright.sync_api import Page

from tests.web.personas import PASSWORD

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Fill the login form and wait until the browser has left the login page."""
    login = reverse("accounts:login")
    page.goto(login)
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(lambda url: login not in url)


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot kept as a test artifact (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
