"""Backup and restore: every row and file comes back exactly; nothing is ever overwritten."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core import serializers
from django.core.management import call_command

from kaohe.cli import main as cli_main
from kaohe.web.audit.models import AuditEntry
from kaohe.web.audit.services import audit_log
from kaohe.web.backups import (
    MANIFEST,
    BackupError,
    Manifest,
    backed_up_models,
    file_roots,
    restore_backup,
    verify_backup,
    write_backup,
)
from kaohe.web.ledger.models import Record
from kaohe.web.ledger.services import record_create, record_void
from kaohe.web.org.models import Center
from tests.web.ledger.conftest import photo
from tests.web.personas import build_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _folders(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Uploads, evidence and mappings of each test live in its own folder."""
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "data" / "media"
    monkeypatch.setenv("KAOHE_MAPPINGS_DIR", str(tmp_path / "data" / "mappings"))


def _center_with_history() -> None:
    """A center with a photo-backed record, a voided one, an upload and a saved mapping."""
    world = build_world("guangde-2023")
    kept = record_create(
        center=world.center,
        by=world.inspector,
        subject=world.zhang,
        item_code="attendance.01",
        date=date(2024, 5, 6),
        note="迟到",
        photos=[photo()],
    )
    voided = record_create(
        center=world.center,
        by=world.inspector,
        subject=world.li,
        item_code="attendance.01",
        date=date(2024, 5, 7),
        photos=[photo("b.png", color=(10, 10, 200))],
    )
    record_void(record=voided, by=world.leader, reason="考勤机故障")
    audit_log(actor=world.leader, action="test.note", obj=kept, summary="备份前")
    roots = file_roots()
    (roots["uploads"]).mkdir(parents=True, exist_ok=True)
    (roots["uploads"] / "abc123").write_bytes(b"1\t2024-05-06 08:29:00\n")
    roots["mappings"].mkdir(parents=True, exist_ok=True)
    (roots["mappings"] / "门禁.yaml").write_text("kind: punches\n", encoding="utf-8")


def _all_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every backed-up model, as Django serialises it (audit of restore aside)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for model in backed_up_models():
        rows = model._base_manager.order_by("pk")
        if model is AuditEntry:
            rows = rows.exclude(action__in=["system.backup", "system.restore"])
        out[model._meta.label_lower] = serializers.serialize("python", rows)
    return out


def _all_files() -> dict[str, bytes]:
    return {
        f"{name}/{p.relative_to(root).as_posix()}": p.read_bytes()
        for name, root in file_roots().items()
        if root.is_dir()
        for p in root.rglob("*")
        if p.is_file()
    }


def _wipe() -> None:
    call_command("flush", interactive=False, verbosity=0)
    for root in file_roots().values():
        for p in sorted(root.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()


def test_restore_brings_back_every_row_and_file(tmp_path: Path) -> None:
    _center_with_history()
    rows, files = _all_rows(), _all_files()
    assert Record.objects.filter(voided_at__isnull=False).count() == 1
    assert len([k for k in files if k.startswith("media/")]) == 2

    path, manifest = write_backup(tmp_path / "b.tar.gz", by="test")
    assert manifest.counts["ledger.record"] == 2
    assert manifest.counts["org.center"] == 1
    assert AuditEntry.objects.filter(action="system.backup").count() == 1

    _wipe()
    assert Center.objects.count() == 0 and _all_files() == {}
    restore_backup(path, by="test")

    assert _all_rows() == rows
    assert _all_files() == files
    restored = AuditEntry.objects.get(action="system.restore")
    assert restored.actor_name == "test" and "b.tar.gz" in restored.summary
    # the sequences continue after the restored rows (PostgreSQL would collide otherwise)
    Center.objects.create(code="new", name="新中心")


def test_restore_refuses_a_database_with_data(tmp_path: Path) -> None:
    _center_with_history()
    path, _ = write_backup(tmp_path / "b.tar.gz")
    before = _all_rows()
    with pytest.raises(BackupError, match="目标数据库已有数据"):
        restore_backup(path)
    assert _all_rows() == before


def test_restore_refuses_to_overwrite_a_different_file(tmp_path: Path) -> None:
    _center_with_history()
    path, _ = write_backup(tmp_path / "b.tar.gz")
    _wipe()
    clash = file_roots()["uploads"] / "abc123"
    clash.parent.mkdir(parents=True, exist_ok=True)
    clash.write_bytes(b"another file")
    with pytest.raises(BackupError, match="已存在且内容不同"):
        restore_backup(path)
    assert Center.objects.count() == 0
    assert clash.read_bytes() == b"another file"


def _repack(src: Path, dst: Path, change: Any) -> None:
    """Copy an archive, letting ``change(name, payload)`` alter each member's bytes."""
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
        for member in tin:
            fh = tin.extractfile(member)
            payload = change(member.name, fh.read() if fh else b"")
            info = tarfile.TarInfo(member.name)
            info.size = len(payload)
            tout.addfile(info, io.BytesIO(payload))


def test_a_changed_member_fails_verification(tmp_path: Path) -> None:
    _center_with_history()
    path, _ = write_backup(tmp_path / "b.tar.gz")
    bad = tmp_path / "bad.tar.gz"
    _repack(
        path,
        bad,
        lambda name, data: data.replace(b"\xe8\xbf\x9f", b"XYZ") if name == "data.jsonl" else data,
    )
    with pytest.raises(BackupError, match=r"data\.jsonl 校验失败"):
        verify_backup(bad)
    half = tmp_path / "half.tar.gz"
    half.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(BackupError, match=r"不是完整的 tar\.gz"):
        verify_backup(half)


def test_a_backup_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    _center_with_history()
    path, _ = write_backup(tmp_path / "b.tar.gz")
    newer = tmp_path / "newer.tar.gz"

    def future(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        manifest = Manifest.parse(data)
        manifest.migrations.append(("org", "9999_from_the_future"))
        return manifest.as_json()

    _repack(path, newer, future)
    _wipe()
    with pytest.raises(BackupError, match="更新的版本"):
        restore_backup(newer)
    assert Center.objects.count() == 0


def test_cli_backup_check_and_refusal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _center_with_history()
    out = tmp_path / "cli.tar.gz"
    assert cli_main(["backup", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["path"] == str(out) and summary["files"] == 4
    assert summary["counts"]["ledger.record"] == 2

    assert cli_main(["restore", str(out), "--check"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["restored"] is False

    assert cli_main(["restore", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kaohe restore: 目标数据库已有数据")

    assert cli_main(["restore", str(tmp_path / "missing.tar.gz")]) == 2
    assert "文件不存在" in capsys.readouterr().err
