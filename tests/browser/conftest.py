"""A real Chromium (Debian's, never a downloaded one) driving the live server.

Each xdist worker runs its own live server on its own fixed port (8106 for
the first worker, 8107 for the second, …), never the developer's 8000.  The world
(`tests/web/personas.py`) is built in the live server's database, which the
test process shares: ``transactional_db`` commits, so the server thread sees
every row the test wrote and the test sees every row the server wrote.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from django.utils import timezone
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

# Playwright's sync API keeps an asyncio loop in the main thread; Django would
# otherwise refuse ORM calls from the test body as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import (
    Browser,
    BrowserContext,
    Playwright,
    Request,
    Response,
    expect,
    sync_playwright,
)

from tests.web.personas import World, build_world

CHROMIUM = Path(os.environ.get("KAOHE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
FIRST_PORT = 8106
PORTS = 4  # 8106–8109
#: The phone of issue 3: an inspector on patrol (iPhone 12–15 sized).
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
#: Persons are scored under guangde-2023 (xxqu-2022 scores windows only).
BROWSER_POLICY = "guangde-2023"
TIMEOUT_MS = 10_000


def _live_server_address() -> str:
    given = os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS")
    if given:
        return given
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker.removeprefix("gw") or 0)
    return f"127.0.0.1:{FIRST_PORT + index % PORTS}"


class _ReusableAddressThread(LiveServerThread):
    """Django's live server, allowed to bind a port whose old connections linger.

    Django binds without SO_REUSEADDR, so a fixed port stays unusable for a
    minute after the previous run (its closed connections sit in TIME_WAIT).
    On Linux the flag still refuses a port another server is listening on.
    """

    def _create_server(self, connections_override: Any = None) -> ThreadedWSGIServer:
        return self.server_class(
            (self.host, self.port),
            QuietWSGIRequestHandler,
            allow_reuse_address=True,
            connections_override=connections_override,
        )


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """pytest-django's live server (static files served), on this worker's own port."""
    server = LiveServer(_live_server_address(), start=False)
    plain = server.thread
    server.thread = _ReusableAddressThread(
        plain.host,
        plain.static_handler,
        connections_override=plain.connections_override,
        port=plain.port,
    )
    server.thread.daemon = True
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


class _Watch:
    """What a context fetched that it should not have: a server error, a missing
    static file, anything from another host (no CDN, ever)."""

    def __init__(self, context: BrowserContext, origin: str) -> None:
        self.origin = origin
        self.problems: list[str] = []
        context.on("request", self._request)
        context.on("response", self._response)

    def _request(self, request: Request) -> None:
        url = request.url
        if not url.startswith((self.origin, "data:", "blob:", "about:")):
            self.problems.append(f"outside request: {url}")

    def _response(self, response: Response) -> None:
        path = response.url.removeprefix(self.origin)
        if response.status >= 500 or (response.status >= 400 and path.startswith("/static/")):
            self.problems.append(f"{response.status} {path}")


def _context(
    browser: Browser,
    live_server: LiveServer,
    contexts: list[tuple[BrowserContext, _Watch]],
    **options: Any,
) -> BrowserContext:
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", **options
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    contexts.append((context, _Watch(context, live_server.url)))
    return context


@pytest.fixture
def _contexts() -> Iterator[list[tuple[BrowserContext, _Watch]]]:
    """Every context a test opened; closed after it, failing it if one saw a problem."""
    contexts: list[tuple[BrowserContext, _Watch]] = []
    yield contexts
    problems = [problem for _, watch in contexts for problem in watch.problems]
    for context, _ in contexts:
        context.close()
    if problems:
        pytest.fail("the browser saw: " + "; ".join(problems))


@pytest.fixture
def desktop(
    browser: Browser, live_server: LiveServer, _contexts: list[tuple[BrowserContext, _Watch]]
) -> BrowserContext:
    return _context(browser, live_server, _contexts, **DESKTOP)


@pytest.fixture
def phone(
    browser: Browser, live_server: LiveServer, _contexts: list[tuple[BrowserContext, _Watch]]
) -> BrowserContext:
    return _context(browser, live_server, _contexts, **PHONE)


@pytest.fixture
def new_desktop(
    browser: Browser, live_server: LiveServer, _contexts: list[tuple[BrowserContext, _Watch]]
) -> Callable[[], BrowserContext]:
    """Another person at another desk: each call opens a fresh context (own cookies)."""
    return lambda: _context(browser, live_server, _contexts, **DESKTOP)


@pytest.fixture(autouse=True)
def _test_settings(settings: Settings, tmp_path: Path) -> None:
    """Uploaded evidence goes to the test's own folder (the live server shares settings).

    PBKDF2 at production strength costs about a second per password; the
    world has eight users and every login checks one, so tests hash with MD5.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture
def live_world(live_server: LiveServer) -> World:
    """The named personas, committed where the live server can read them."""
    return build_world(BROWSER_POLICY)


class Clock:
    """The calendar day the application believes it is, in the test and in the live server.

    Every "today" of the app (the patrol's record date, the publicity countdown,
    the appeal window, 审定 only after publicity) is ``timezone.localdate()``
    called without a value, so the ``clock`` fixture replaces that one function
    for the test's duration; the live server runs in a thread of this process
    and sees the same day.  Only the day moves: ``timezone.now()`` (sessions,
    lockouts, timestamps of audit rows and snapshots) keeps the real time.  It
    is a test fixture, not a setting: nothing in the application can move it.
    """

    def __init__(self, today: date) -> None:
        self.today = today

    def set(self, day: date) -> None:
        self.today = day


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    real = timezone.localdate
    now = Clock(real())

    def localdate(value: Any = None, timezone: Any = None) -> date:
        return now.today if value is None else real(value, timezone)

    monkeypatch.setattr(timezone, "localdate", localdate)
    return now
