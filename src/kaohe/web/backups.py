"""Backups of a kaohe installation and their restore (等保: 数据备份与恢复).

A backup is one ``.tar.gz``: ``manifest.json`` (when, from which backend, the
applied migrations, the row count of every model, the sha256 of every member),
``data.jsonl`` (every row of every kaohe model, Django's JSON Lines serialisation
with natural keys for users' permissions) and ``files/…`` (evidence photos,
appeal attachments, uploaded import files, saved column mappings).

The serialisation is Django's rather than ``pg_dump`` or a copy of the SQLite
file so that one backup restores into either backend: a center that starts on
the embedded SQLite moves to PostgreSQL with ``kaohe backup`` + ``kaohe restore``.

Restore never overwrites: it refuses a database that holds any kaohe row and a
file that exists with other content, before changing anything, so a mistyped
``DATABASE_URL`` cannot destroy a live center.  It first migrates the empty
database to the backup's own migration state, loads the rows in one transaction,
checks every count against the manifest, then migrates forward to this version.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "kaohe-backup"
VERSION = 1
MANIFEST = "manifest.json"
DATA = "data.jsonl"
#: The kaohe apps and the one Django table their rows refer to by natural key.
APP_LABELS = ("auth", "accounts", "audit", "org", "ledger", "facts", "scoring", "workflow")
#: Rows that are not the center's data: permissions and content types are rebuilt
#: by ``migrate``, sessions expire anyway.
EXCLUDED_MODELS = ("auth.permission",)
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup that cannot be written, read or restored; the message is for the operator."""


@dataclass
class Manifest:
    created: str
    backend: str
    migrations: list[tuple[str, str]]
    counts: dict[str, int]
    members: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> bytes:
        body = {
            "format": FORMAT,
            "version": VERSION,
            "created": self.created,
            "backend": self.backend,
            "migrations": [list(pair) for pair in self.migrations],
            "counts": self.counts,
            "members": self.members,
        }
        return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True).encode()

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        try:
            body = json.loads(raw)
            if body.get("format") != FORMAT:
                raise BackupError("不是 kaohe 备份文件（manifest.json 的 format 不符）")
            if body.get("version") != VERSION:
                raise BackupError(f"备份格式版本 {body.get('version')} 不受支持（支持 {VERSION}）")
            return cls(
                created=str(body["created"]),
                backend=str(body["backend"]),
                migrations=[(str(a), str(n)) for a, n in body["migrations"]],
                counts={str(k): int(v) for k, v in body["counts"].items()},
                members={str(k): str(v) for k, v in body["members"].items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"manifest.json 无法读取：{exc}") from exc


def file_roots() -> dict[str, Path]:
    """Where the installation keeps files, by the name they carry inside a backup."""
    from kaohe.web.facts.services import uploads_dir
    from kaohe.web.facts.views import mappings_dir

    return {
        "media": Path(settings.MEDIA_ROOT),
        "uploads": uploads_dir(),
        "mappings": mappings_dir(),
    }


def backed_up_models() -> list[type[models.Model]]:
    """Every model whose rows a backup carries, in dependency order."""
    out: list[type[models.Model]] = []
    for label in APP_LABELS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.label_lower not in EXCLUDED_MODELS and model._meta.managed:
                out.append(model)
    return out


def row_counts() -> dict[str, int]:
    return {m._meta.label_lower: m._base_manager.count() for m in backed_up_models()}


def applied_migrations() -> list[tuple[str, str]]:
    return sorted(MigrationRecorder(connection).applied_migrations())


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(roots: dict[str, Path]) -> Iterator[tuple[str, Path]]:
    for name, root in roots.items():
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
            yield f"files/{name}/{path.relative_to(root).as_posix()}", path


class _ExactEncoder(DjangoJSONEncoder):
    """Django's encoder cuts datetimes to milliseconds; a backup keeps every microsecond."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


def _dump_rows(target: Path) -> dict[str, int]:
    """Serialise every row and count them inside one snapshot of the database.

    The counts are taken in the same transaction as the dump, so a record saved
    while the backup runs is either in both or in neither.  Models go in
    dependency order, so natural keys resolve while the rows are loaded.
    """
    ordered = serializers.sort_dependencies(
        [(apps.get_app_config(label), None) for label in APP_LABELS], allow_cycles=True
    )
    wanted = set(backed_up_models())
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with target.open("w", encoding="utf-8") as out:
            for model in ordered:
                if model not in wanted:
                    continue
                serializers.serialize(
                    "jsonl",
                    model._base_manager.order_by("pk").iterator(chunk_size=2000),
                    stream=out,
                    use_natural_foreign_keys=True,
                    cls=_ExactEncoder,
                )
        return row_counts()


def default_backup_path(now: datetime | None = None) -> Path:
    stamp = timezone.localtime(now or timezone.now()).strftime("%Y%m%d-%H%M%S")
    return Path(settings.DATA_DIR) / "backups" / f"kaohe-{stamp}.tar.gz"


def write_backup(out: Path | None = None, *, by: str = "") -> tuple[Path, Manifest]:
    """Write a backup of the configured database and files; return its path and manifest."""
    out = out or default_backup_path()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kaohe-backup-") as tmp:
        data = Path(tmp) / DATA
        counts = _dump_rows(data)
        manifest = Manifest(
            created=timezone.localtime().isoformat(timespec="seconds"),
            backend=connection.vendor,
            migrations=applied_migrations(),
            counts=counts,
        )
        members = [(DATA, data), *_files(file_roots())]
        manifest.members = {name: _sha256_file(path) for name, path in members}
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            _add_bytes(tar, MANIFEST, manifest.as_json())
            for name, path in members:
                tar.add(path, arcname=name, recursive=False)
        partial.replace(out)
    _audit(
        "system.backup",
        f"备份 {out.name}：{sum(counts.values())} 行，{len(members) - 1} 个文件",
        by,
    )
    return out, manifest


def _add_bytes(tar: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(payload))


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"备份中的文件名不安全：{name}")
    return path


def _stream_sha256(fh: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: fh.read(CHUNK), b""):
        digest.update(block)
    return digest.hexdigest()


def verify_backup(path: Path) -> Manifest:
    """Read the manifest and check every member's sha256; raise on the first problem."""
    if not path.is_file():
        raise BackupError(f"{path}：文件不存在")
    try:
        with tarfile.open(path, "r:gz") as tar:
            manifest = _read_manifest(tar)
            seen: set[str] = set()
            for member in tar:
                if member.name == MANIFEST:
                    continue
                _safe_member(member.name)
                if not member.isfile():
                    raise BackupError(f"{path}：{member.name} 不是普通文件")
                expected = manifest.members.get(member.name)
                if expected is None:
                    raise BackupError(f"{path}：{member.name} 不在 manifest.json 中")
                fh = tar.extractfile(member)
                if fh is None or _stream_sha256(fh) != expected:
                    raise BackupError(
                        f"{path}：{member.name} 校验失败（sha256 不符，文件已损坏或被改动）"
                    )
                seen.add(member.name)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{path}：不是完整的 tar.gz 备份（{exc}）") from exc
    missing = sorted(set(manifest.members) - seen)
    if missing:
        raise BackupError(f"{path}：缺少 {', '.join(missing[:5])}")
    return manifest


def _read_manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError as exc:
        raise BackupError("备份中没有 manifest.json") from exc
    fh = tar.extractfile(member)
    if fh is None:
        raise BackupError("manifest.json 无法读取")
    return Manifest.parse(fh.read())


def _existing_tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def _rows_present() -> list[str]:
    tables = _existing_tables()
    return [
        m._meta.label_lower
        for m in backed_up_models()
        if m._meta.db_table in tables and m._base_manager.exists()
    ]


def _targets(loader: MigrationLoader, applied: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The last migration of each app in the backup's state (a node no other one follows)."""
    by_app: dict[str, set[str]] = {}
    for app, name in applied:
        by_app.setdefault(app, set()).add(name)
    targets = []
    for app, names in sorted(by_app.items()):
        leaves = [
            name
            for name in names
            if not any(
                (app, name) in loader.graph.forwards_plan((app, other))
                for other in names
                if other != name
            )
        ]
        targets.append((app, sorted(leaves)[-1]))
    return targets


def _migrate_to_backup_state(manifest: Manifest) -> bool:
    """Bring the empty database to the backup's schema; True when that is this version's."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    known = set(loader.graph.nodes)
    unknown = [pair for pair in manifest.migrations if pair not in known]
    if unknown:
        app, name = unknown[0]
        raise BackupError(
            f"备份来自更新的版本（迁移 {app}.{name} 本版本没有），请先升级 kaohe 再恢复"
        )
    current = set(loader.graph.leaf_nodes())
    if {pair for pair in manifest.migrations if pair in current} == current:
        call_command("migrate", interactive=False, verbosity=0)
        return True
    for app, name in _targets(loader, manifest.migrations):
        call_command("migrate", app, name, interactive=False, verbosity=0)
    return False


def _check_files(
    tar: tarfile.TarFile, roots: dict[str, Path]
) -> list[tuple[tarfile.TarInfo, Path]]:
    """Where each file goes; refuses one that exists there with other content."""
    plan: list[tuple[tarfile.TarInfo, Path]] = []
    for member in tar:
        parts = _safe_member(member.name).parts
        if parts[0] != "files":
            continue
        if len(parts) < 3 or parts[1] not in roots:
            raise BackupError(f"备份中的文件位置未知：{member.name}")
        target = roots[parts[1]].joinpath(*parts[2:])
        fh = tar.extractfile(member)
        if target.exists() and (fh is None or _sha256_file(target) != _stream_sha256(fh)):
            raise BackupError(f"{target} 已存在且内容不同，恢复不会覆盖它")
        plan.append((member, target))
    return plan


def restore_backup(path: Path, *, by: str = "") -> Manifest:
    """Restore a verified backup into an empty database and the configured folders."""
    manifest = verify_backup(path)
    present = _rows_present()
    if present:
        raise BackupError(
            f"目标数据库已有数据（{', '.join(present[:3])} 等），恢复只写入空数据库；"
            "请用新的 KAOHE_DATA_DIR 或空的 DATABASE_URL 数据库"
        )
    with (
        tarfile.open(path, "r:gz") as tar,
        tempfile.TemporaryDirectory(prefix="kaohe-restore-") as tmp,
    ):
        plan = _check_files(tar, file_roots())
        data = Path(tmp) / DATA
        source = tar.extractfile(tar.getmember(DATA))
        if source is None:
            raise BackupError("data.jsonl 无法读取")
        with data.open("wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        is_current = _migrate_to_backup_state(manifest)
        with transaction.atomic():
            _load_rows(data)
            counts = row_counts()
            wrong = {
                k: (v, counts.get(k, 0))
                for k, v in manifest.counts.items()
                if counts.get(k, 0) != v
            }
            if wrong:
                label, (want, got) = next(iter(wrong.items()))
                raise BackupError(f"恢复后 {label} 有 {got} 行，备份记录为 {want} 行；已撤销恢复")
        for member, target in plan:
            fh = tar.extractfile(member)
            if fh is None or target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                shutil.copyfileobj(fh, out, CHUNK)
    if not is_current:
        call_command("migrate", interactive=False, verbosity=0)
    _audit("system.restore", f"从 {path.name}（{manifest.created}，{manifest.backend}）恢复", by)
    return manifest


def _insert(model: type[models.Model], batch: list[models.Model]) -> None:
    """Insert rows as they were saved: ``raw`` keeps auto_now stamps and bypasses save().

    ``loaddata`` does the same one row at a time (a select and an insert each);
    this is the bulk form of its ``save_base(raw=True)``.
    """
    fields = list(model._meta.local_concrete_fields)
    size = max(1, connection.ops.bulk_batch_size(fields, batch) or len(batch))
    for start in range(0, len(batch), size):
        model._base_manager._insert(  # type: ignore[attr-defined]
            batch[start : start + size], fields=fields, using=DEFAULT_DB_ALIAS, raw=True
        )


def _load_rows(path: Path) -> None:
    """Load ``data.jsonl`` in bulk, then check every foreign key and reset the sequences."""
    from django.core.management.color import no_style

    touched: list[type[models.Model]] = []
    batch: list[models.Model] = []
    later: list[Any] = []

    def flush() -> None:
        if batch:
            model = type(batch[0])
            _insert(model, batch)
            if model not in touched:
                touched.append(model)
            batch.clear()

    with connection.constraint_checks_disabled(), path.open(encoding="utf-8") as fh:
        for item in serializers.deserialize("jsonl", fh, handle_forward_references=True):
            if batch and (type(item.object) is not type(batch[0]) or len(batch) >= 5000):
                flush()
            batch.append(item.object)
            if item.m2m_data or item.deferred_fields:
                later.append(item)
        flush()
        for item in later:
            for name, values in (item.m2m_data or {}).items():
                getattr(item.object, name).set(values)
            if item.deferred_fields:
                item.save_deferred_fields()
    connection.check_constraints(table_names=[m._meta.db_table for m in touched])
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), touched):
            cursor.execute(statement)


def _audit(action: str, summary: str, by: str) -> None:
    from kaohe.web.audit.services import audit_log

    audit_log(actor=None, action=action, summary=summary, actor_name=by or "kaohe")


def describe(manifest: Manifest) -> dict[str, Any]:
    """What the CLI prints about a backup."""
    return {
        "created": manifest.created,
        "backend": manifest.backend,
        "rows": sum(manifest.counts.values()),
        "files": sum(1 for name in manifest.members if name.startswith("files/")),
        "counts": {k: v for k, v in sorted(manifest.counts.items()) if v},
    }
