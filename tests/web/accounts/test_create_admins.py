"""``kaohe manage create_admins``: the first three administrators of a real installation."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from kaohe.web.accounts.models import Role, User
from kaohe.web.audit.models import AuditEntry
from kaohe.web.org.models import Center

START = "Erst#Passwort2026"


@pytest.fixture
def center(db: None) -> Center:
    return Center.objects.create(code="real", name="某区政务服务中心")


def test_creates_the_three_admins(center: Center, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAOHE_ADMIN_PASSWORD", START)
    out = io.StringIO()
    call_command(
        "create_admins",
        "--center",
        "real",
        "--password-from-env",
        "KAOHE_ADMIN_PASSWORD",
        stdout=out,
    )
    users = {u.username: u for u in User.objects.all()}
    assert {name: u.role for name, u in users.items()} == {
        "sysadmin": Role.SYSADMIN,
        "secadmin": Role.SECADMIN,
        "auditor": Role.AUDITOR,
    }
    for user in users.values():
        assert user.center_id == center.pk
        assert user.check_password(START)
        assert user.password_changed_at is None
        assert user.is_demo is False
    rows = AuditEntry.objects.filter(action="user.create").order_by("id")
    assert [(r.actor_name, r.object_id, r.center_id) for r in rows] == [
        ("create_admins", str(users[n].pk), center.pk) for n in ("sysadmin", "secadmin", "auditor")
    ]
    assert out.getvalue().splitlines() == [
        "系统管理员：sysadmin",
        "安全管理员：secadmin",
        "审计管理员：auditor",
        "首次登录后须各自修改密码。",
    ]


def test_custom_usernames_and_prompt(center: Center, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([START, START])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command(
        "create_admins",
        "--center",
        "real",
        "--sysadmin",
        "xt",
        "--secadmin",
        "aq",
        "--auditor",
        "sj",
        stdout=io.StringIO(),
    )
    assert set(User.objects.values_list("username", "role")) == {
        ("xt", "sysadmin"),
        ("aq", "secadmin"),
        ("sj", "auditor"),
    }


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--center", "nowhere"], START, "中心 nowhere 不存在"),
        (["--center", "real"], "weakpassword", "密码不符合要求"),
        (["--center", "real"], "", "环境变量 KAOHE_ADMIN_PASSWORD 未设置或为空"),
        (["--center", "real", "--auditor", "sysadmin"], START, "三个管理员账号必须互不相同"),
    ],
)
def test_refusals_create_nothing(
    center: Center, monkeypatch: pytest.MonkeyPatch, args: list[str], env: str, message: str
) -> None:
    monkeypatch.setenv("KAOHE_ADMIN_PASSWORD", env)
    with pytest.raises(CommandError) as err:
        call_command(
            "create_admins",
            *args,
            "--password-from-env",
            "KAOHE_ADMIN_PASSWORD",
            stdout=io.StringIO(),
        )
    assert message in str(err.value)
    assert User.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_existing_account_refused(center: Center, monkeypatch: pytest.MonkeyPatch) -> None:
    User.objects.create_user(username="secadmin", password=START, role=Role.STAFF)
    monkeypatch.setenv("KAOHE_ADMIN_PASSWORD", START)
    with pytest.raises(CommandError, match="账号已存在：secadmin"):
        call_command(
            "create_admins",
            "--center",
            "real",
            "--password-from-env",
            "KAOHE_ADMIN_PASSWORD",
            stdout=io.StringIO(),
        )
    assert list(User.objects.values_list("username", "role")) == [("secadmin", "staff")]
    assert AuditEntry.objects.count() == 0
