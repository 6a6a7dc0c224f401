"""``kaohe demo --no-serve`` and ``kaohe run`` as a newcomer runs them: real processes.

Each runs in a subprocess with its own ``KAOHE_DATA_DIR`` so the settings
module reads the environment afresh; ``DATABASE_URL`` is removed so a CI run
against PostgreSQL still builds its demo in a temporary SQLite file.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password

from kaohe.cli import main as cli_main

PASSWORD = "Demo#Env2026x"
PORT = 8105
ROLES = ["inspector", "leader", "chief", "staff", "sysadmin", "secadmin", "auditor"]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAOHE_DEMO_PASSWORD")}
    env.update(KAOHE_DATA_DIR=str(data_dir), **extra)
    return env


def _kaohe(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import sys; from kaohe.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo built by the CLI, shared by the tests below (it takes seconds)."""
    data = tmp_path_factory.mktemp("demo-data")
    done = _kaohe(
        ["demo", "--no-serve", "--policy", "xxqu-2022"], _env(data, KAOHE_DEMO_PASSWORD=PASSWORD)
    )
    assert done.returncode == 0, done.stderr
    (data / "stdout.txt").write_text(done.stdout, encoding="utf-8")
    return data


def _users(data: Path) -> dict[str, tuple[str, str, int]]:
    with sqlite3.connect(data / "kaohe.sqlite3") as db:
        rows = db.execute("SELECT username, role, password, is_demo FROM accounts_user").fetchall()
    return {u: (role, pw, demo) for u, role, pw, demo in rows}


def test_demo_prints_accounts_and_uses_the_env_password(db: None, demo_dir: Path) -> None:
    out = (demo_dir / "stdout.txt").read_text(encoding="utf-8")
    assert "XX区行政审批服务中心（办法 xxqu-2022）" in out
    assert "33 个窗口" in out
    for role in ROLES:
        assert f"\n  {role} " in out
    assert f"密码：{PASSWORD}（来自 KAOHE_DEMO_PASSWORD）" in out
    users = _users(demo_dir)
    assert sorted(users) == sorted(ROLES)
    for name, (role, hashed, is_demo) in users.items():
        assert role == name
        assert is_demo == 1
        assert check_password(PASSWORD, hashed)


def test_demo_resets_a_demo_database_and_refuses_a_real_one(db: None, tmp_path: Path) -> None:
    data = tmp_path / "again"
    # an earlier demo: its center, a demo user and a photo of one of its records
    data.mkdir()
    with sqlite3.connect(data / "kaohe.sqlite3") as conn:
        conn.execute("CREATE TABLE org_center (id INTEGER PRIMARY KEY, code TEXT)")
        conn.execute("CREATE TABLE accounts_user (id INTEGER PRIMARY KEY, is_demo BOOL)")
        conn.execute("INSERT INTO org_center (code) VALUES ('demo-old')")
        conn.execute("INSERT INTO accounts_user (is_demo) VALUES (1)")
    photo = data / "media" / "evidence" / "2026" / "old.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"old")
    first = _kaohe(["demo", "--no-serve", "--policy", "baoshan-2024"], _env(data))
    assert first.returncode == 0, first.stderr
    assert not photo.exists()
    with sqlite3.connect(data / "kaohe.sqlite3") as conn:
        assert conn.execute("SELECT code FROM org_center").fetchall() == [("demo-xxqu",)]
    generated = next(
        line.split("：")[1].split("（")[0] for line in first.stdout.splitlines() if "密码：" in line
    )
    assert "随机生成" in first.stdout
    assert check_password(generated, _users(data)["leader"][1])
    # a real center in the file: the demo refuses and leaves it as it was
    with sqlite3.connect(data / "kaohe.sqlite3") as conn:
        conn.execute("UPDATE org_center SET code = 'xxqu'")
    refused = _kaohe(["demo", "--no-serve"], _env(data))
    assert refused.returncode == 2
    assert "非演示数据" in refused.stderr
    with sqlite3.connect(data / "kaohe.sqlite3") as conn:
        assert conn.execute("SELECT code FROM org_center").fetchall() == [("xxqu",)]
    assert check_password(generated, _users(data)["leader"][1])


def test_unknown_policy_is_a_usage_error(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["demo", "--no-serve", "--policy", "nowhere-2020"]) == 2
    assert "未知的办法 'nowhere-2020'" in capsys.readouterr().err


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def _some_static_asset() -> str:
    """The shared stylesheet, or (until the settings find it) the first asset an app ships."""
    from django.contrib.staticfiles import finders

    found = sorted(path for finder in finders.get_finders() for path, _ in finder.list([]))
    assert found
    return "kaohe/app.css" if "kaohe/app.css" in found else found[0]


def test_run_serves_the_existing_database(db: None, demo_dir: Path) -> None:
    code = "import sys; from kaohe.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "run", "--port", str(PORT)],
        env=_env(demo_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{PORT}"
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"{base}/accounts/login/")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        assert status == 200
        assert "登录".encode() in body
        # static files come through whitenoise straight from the finders (no collectstatic)
        asset = _some_static_asset()
        asset_status, content = _get(f"{base}/static/{asset}")
        assert asset_status == 200 and len(content) > 100
        assert _get(f"{base}/")[0] == 200  # redirected to the login page
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{PORT}/" in out
    # the demo accounts are still there: run migrates, it does not reset
    assert sorted(_users(demo_dir)) == sorted(ROLES)
