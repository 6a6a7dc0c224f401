from __future__ import annotations

from django.test import Client

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
