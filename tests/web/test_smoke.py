from __future__ import annotations

import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.test import Client

import kaohe.web
from tests.web.personas import World


def test_pages_need_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login")


def test_health_is_open(client: Client) -> None:
    assert client.get("/healthz").content == b"ok"


def test_world_scopes(world: World) -> None:
    from kaohe.web.accounts.scope import visible_people, visible_windows

    assert set(visible_windows(world.chief).values_list("code", flat=True)) == {"A1", "A2"}
    assert set(visible_people(world.chief).values_list("code", flat=True)) == {
        "1001",
        "1002",
        "9001",
    }
    assert list(visible_people(world.staff).values_list("code", flat=True)) == ["1001"]
    assert list(visible_windows(world.staff).values_list("code", flat=True)) == ["A1"]
    assert visible_people(world.sysadmin).count() == 0
    assert visible_people(world.inspector).count() == 4


WEB = Path(kaohe.web.__file__).resolve().parent
TEMPLATES = sorted(WEB.rglob("templates/**/*.html"))
STATIC_TAG = re.compile(r"""\{%\s*static\s+["']([^"']+)["']\s*%\}""")
#: A script, stylesheet, font, image or frame fetched from elsewhere: an http(s)
#: or protocol-relative address in src=, in a <link href=>, or in CSS url()/@import.
EXTERNAL = re.compile(
    r"""(?:\bsrc\s*=\s*["']?|<link\b[^>]*\bhref\s*=\s*["']?|url\(\s*["']?|@import\s+["'])"""
    r"""(?:https?:)?//""",
    re.IGNORECASE,
)


def test_base_template_assets_exist() -> None:
    base = (WEB / "templates" / "base.html").read_text(encoding="utf-8")
    assets = STATIC_TAG.findall(base)
    assert assets == ["kaohe/app.css", "vendor/htmx-2.0.11.min.js"]
    for asset in assets:
        assert finders.find(asset), asset


def test_every_static_asset_a_template_names_exists() -> None:
    missing = [
        f"{template.relative_to(WEB)}: {asset}"
        for template in TEMPLATES
        for asset in STATIC_TAG.findall(template.read_text(encoding="utf-8"))
        if not finders.find(asset)
    ]
    assert missing == []


def test_no_template_or_stylesheet_loads_anything_from_outside() -> None:
    sources = [*TEMPLATES, *sorted(WEB.rglob("static/**/*.css"))]
    assert len(sources) > 1
    outside = [
        f"{source.relative_to(WEB)}:{number}: {line.strip()}"
        for source in sources
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1)
        if EXTERNAL.search(line)
    ]
    assert outside == []


def test_the_external_pattern_catches_cdn_references() -> None:
    caught = [
        '<script src="https://cdn.jsdelivr.net/npm/htmx.org"></script>',
        "<link rel=stylesheet href='//fonts.googleapis.com/css?family=Noto'>",
        "@font-face { src: url(https://example.com/font.woff2) }",
        '@import "http://example.com/x.css";',
    ]
    allowed = [
        '<script src="/static/vendor/htmx-2.0.11.min.js"></script>',
        '<a href="https://www.gov.cn/">中国政府网</a>',
        "background: url(/static/kaohe/bg.png)",
    ]
    assert [bool(EXTERNAL.search(line)) for line in caught] == [True] * 4
    assert [bool(EXTERNAL.search(line)) for line in allowed] == [False] * 3
