"""A demo never wipes a real database: the state check and the refusal."""

from __future__ import annotations

import pytest

from kaohe.web.demo import database
from kaohe.web.demo.builder import generate_password
from kaohe.web.demo.database import DbState, DemoRefused, database_state, prepare_database
from kaohe.web.org.models import Center
from tests.web.personas import World


def test_migrated_database_without_centers_or_users_is_empty(db: None) -> None:
    assert database_state() is DbState.EMPTY


def test_database_with_a_real_center_is_real(world: World) -> None:
    assert database_state() is DbState.REAL


def test_database_with_only_demo_centers_is_demo(db: None) -> None:
    Center.objects.create(code="demo-xxqu", name="XX区行政审批服务中心")
    assert database_state() is DbState.DEMO


def test_a_real_user_without_a_center_makes_it_real(db: None) -> None:
    from kaohe.web.accounts.models import User

    User.objects.create_user(username="admin", password="Xx#1234567890")
    assert database_state() is DbState.REAL


def test_postgresql_with_real_data_is_refused_and_untouched(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as on PostgreSQL (no SQLite file), with a check that reports real data
    monkeypatch.setattr(database, "sqlite_path", lambda: None)
    calls: list[str] = []
    monkeypatch.setattr(database, "call_command", lambda *a, **k: calls.append(a[0]))
    with pytest.raises(DemoRefused, match="非演示数据"):
        prepare_database(state=lambda: DbState.REAL)
    assert calls == []
    assert list(Center.objects.values_list("code", flat=True)) == ["test"]


def test_postgresql_demo_is_migrated_and_flushed(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "sqlite_path", lambda: None)
    calls: list[str] = []
    monkeypatch.setattr(database, "call_command", lambda *a, **k: calls.append(a[0]))
    assert prepare_database(state=lambda: DbState.DEMO) is DbState.DEMO
    assert calls == ["migrate", "flush"]
    calls.clear()
    assert prepare_database(state=lambda: DbState.EMPTY) is DbState.EMPTY
    assert calls == ["migrate"]


def test_generated_password_passes_the_validators(db: None) -> None:
    from django.contrib.auth.password_validation import validate_password

    first, second = generate_password(), generate_password()
    assert first != second
    validate_password(first)
    validate_password(second)
