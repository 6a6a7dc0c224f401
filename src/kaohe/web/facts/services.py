"""Imports into the database: preview, all-or-nothing commit, rollback; 补卡; the calendar.

Parsing is the ingest layer's (pure, no database).  Here each parsed row is
bound to the organisation (PINs and codes to people and windows), given its
``natural_key`` and compared with the live facts, so a preview says row by
row what a commit would do and a commit does exactly that — or nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from kaohe.engine import Period
from kaohe.ingest import ColumnMapping, ParseResult, RowError, parse_bytes
from kaohe.ingest.attlog import fast_attlog
from kaohe.ingest.normalize import LOCAL_TZ
from kaohe.web.audit.services import audit_log, snapshot
from kaohe.web.facts import summaries
from kaohe.web.facts.cards import card_item
from kaohe.web.facts.models import (
    AttendanceSummary,
    CalendarDay,
    CalendarYear,
    Card,
    CardColour,
    DayKind,
    ExternalScore,
    ImportBatch,
    ImportKind,
    Leave,
    PinAlias,
    Punch,
    Rating,
    Vote,
)
from kaohe.web.ledger.models import Record, RecordSource
from kaohe.web.org.models import Center, Person, Unit, Window
from kaohe.web.scoring.bridge import NoPolicyError, policy_for
from kaohe.web.scoring.services import ledger_changed

BATCH_SIZE = 5000
FACT_MODELS: dict[str, type[Model]] = {
    ImportKind.PUNCHES: Punch,
    ImportKind.LEAVE: Leave,
    ImportKind.RATINGS: Rating,
    ImportKind.CARDS: Card,
    ImportKind.VOTES: Vote,
    ImportKind.SCORES: ExternalScore,
    ImportKind.ATTENDANCE: AttendanceSummary,
}
PERIOD_KINDS = (ImportKind.VOTES, ImportKind.SCORES)
_PERIOD_IN_NAME = re.compile(r"(?<!\d)(\d{4}-(?:0[1-9]|1[0-2]|Q[1-4]))(?![\d])")


class RowStatus:
    """What a commit would do with a parsed row (shown in the preview)."""

    NEW = "新增"
    EXISTING = "已存在"
    REPEATED = "文件内重复"
    SUPERSEDED = "已被红牌取代"
    UNMATCHED = "未匹配"


@dataclass
class Unmatched:
    """An employee number or subject code nobody in the center carries."""

    value: str
    rows: list[int] = field(default_factory=list)


@dataclass
class PreviewRow:
    row: int
    values: dict[str, Any]
    status: str
    key: str = ""
    person: Person | None = None
    window: Window | None = None
    subject: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Preview:
    """Everything the preview page and the CLI show; ``ok`` means a commit would succeed."""

    kind: str
    file_name: str
    sha256: str
    parsed: ParseResult
    period: str = ""
    rows: list[PreviewRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    """Shown, not blocking: e.g. punches a summary overrides."""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.unmatched

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def added(self) -> int:
        return self.count(RowStatus.NEW)

    @property
    def duplicates(self) -> int:
        return sum(
            1
            for r in self.rows
            if r.status in (RowStatus.EXISTING, RowStatus.REPEATED, RowStatus.SUPERSEDED)
        )

    def as_dict(self) -> dict[str, Any]:
        out = self.parsed.as_dict()
        out["errors"] = [e.as_dict() for e in self.errors]
        out.update(
            {
                "file": self.file_name,
                "sha256": self.sha256,
                "period": self.period or None,
                "added": self.added,
                "duplicates": self.duplicates,
                "unmatched": [{"value": u.value, "rows": u.rows} for u in self.unmatched],
                "warnings": [w.as_dict() for w in self.warnings],
            }
        )
        return out


class ImportRefused(Exception):
    """A commit that would not be all-or-nothing clean: errors or unmatched rows remain."""

    def __init__(self, preview: Preview) -> None:
        problems = len(preview.errors) + len(preview.unmatched)
        super().__init__(f"导入被拒绝：{problems} 处错误或未匹配编号，未写入任何数据")
        self.preview = preview


def digest(*parts: object) -> str:
    """The natural key: a sha256 of what makes two rows the same fact."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def punch_key(code: str, minute: str, device: str) -> str:
    """A punch's natural key: 32 hex digits (128 bits) of ``digest("punch", 工号, minute, device)``.

    ``minute`` is the local wall-clock minute, ``YYYY-MM-DDTHH:MM:00``.  The
    PostgreSQL import computes the same in SQL (:func:`_insert_punches_pg`).
    """
    return digest("punch", code, minute, device)[:32]


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def uploads_dir() -> Path:
    return Path(settings.DATA_DIR) / "uploads"


def upload_store(*, data: bytes) -> str:
    """Keep an uploaded file under its hash between preview and commit; returns the hash."""
    sha = file_sha256(data)
    folder = uploads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / sha
    if not path.exists():
        tmp = folder / f".{sha}.part"
        tmp.write_bytes(data)
        tmp.replace(path)
    return sha


def upload_read(sha: str) -> bytes:
    """The stored upload; the name is checked, never a path from a form."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise FileNotFoundError(sha)
    data = (uploads_dir() / sha).read_bytes()
    if file_sha256(data) != sha:
        raise FileNotFoundError(sha)
    return data


def period_from_name(name: str) -> str:
    found = _PERIOD_IN_NAME.search(name)
    return found.group(1) if found else ""


def _device_of(file_name: str, extra: Mapping[str, Any]) -> str:
    machine = str(extra.get("machine") or "")
    if machine:
        return machine[:60]
    stem = Path(file_name).name
    found = re.match(r"(.+?)_attlog", stem)
    return found.group(1)[:60] if found else ""


class _Directory:
    """The center's people and windows by every code an export may use."""

    def __init__(self, center: Center) -> None:
        people = list(Person.objects.filter(center=center))
        by_pk = {p.pk: p for p in people}
        self.people: dict[str, Person] = {}
        for p in people:
            self.people.setdefault(p.code, p)
        for p in people:
            if p.pin:
                self.people[p.pin] = p
        for pin, pk in PinAlias.objects.filter(center=center).values_list("pin", "person_id"):
            self.people[pin] = by_pk[pk]
        self.windows: dict[str, Window] = {}
        for w in Window.objects.filter(center=center):
            self.windows.setdefault(w.name, w)
        for w in Window.objects.filter(center=center):
            self.windows[w.code] = w
        self.units: dict[str, str] = {}
        for code, name in Unit.objects.filter(center=center).values_list("code", "name"):
            self.units.setdefault(name, code)
            self.units[code] = code

    def subject(self, value: str) -> str | None:
        """An engine id (person 工号, window 编号, unit 代码) for a vote or score subject."""
        person = self.people.get(value)
        if person is not None:
            return person.code
        window = self.windows.get(value)
        if window is not None:
            return window.code
        return self.units.get(value)


def import_preview(
    *,
    center: Center,
    kind: str,
    data: bytes,
    file_name: str = "",
    mapping: ColumnMapping | None = None,
    period: str = "",
    pin_width: int | None = None,
) -> Preview:
    """Parse, bind to the organisation and compare with the live facts — read only."""
    defaults: dict[str, Any] = {"source": Path(file_name).stem}
    if kind == ImportKind.ATTENDANCE and period:
        defaults["month"] = period  # the upload's month for files without a 月份 column
    parsed = parse_bytes(kind, data, mapping, pin_width=pin_width, file_defaults=defaults)
    preview = Preview(kind, file_name, file_sha256(data), parsed, errors=list(parsed.errors))
    if kind in PERIOD_KINDS:
        period = period or period_from_name(file_name)
        try:
            preview.period = str(Period.parse(period)) if period else ""
        except ValueError:
            preview.errors.append(RowError(None, "考核期", f"不是有效的考核期：{period}"))
        if not preview.period and not any(e.column == "考核期" for e in preview.errors):
            preview.errors.append(RowError(None, "考核期", "请填写考核期（如 2024-05、2024-Q2）"))
    if parsed.errors and any(e.row is None for e in parsed.errors):
        return preview
    directory = _Directory(center)
    unmatched: dict[str, Unmatched] = {}
    card_policy = None
    for row, extra in zip(parsed.rows, parsed.extras, strict=True):
        number = int(row["_row"])
        values = {k: v for k, v in row.items() if k != "_row"}
        item = PreviewRow(number, values, RowStatus.NEW, extra=dict(extra))
        missing = _bind(kind, item, directory, preview)
        _check_fits(kind, item, preview)
        if missing is not None:
            item.status = RowStatus.UNMATCHED
            unmatched.setdefault(missing, Unmatched(missing)).rows.append(number)
        elif item.status == RowStatus.NEW:
            if kind == ImportKind.CARDS:
                card_policy = _card_item(center, item, preview, card_policy)
            if kind == ImportKind.ATTENDANCE:
                item.key = summaries.summary_key(item)
            else:
                item.key = _key(kind, item, file_name, preview.period)
        preview.rows.append(item)
    preview.unmatched = list(unmatched.values())
    _mark_duplicates(center, kind, preview)
    if kind == ImportKind.ATTENDANCE:
        _check_attendance(center, preview, period)
    if kind == ImportKind.PUNCHES:
        summaries.warn_summarised_punches(center, preview)
    return preview


def _check_attendance(center: Center, preview: Preview, period: str) -> None:
    """A summary is for months: the upload's period must be one; one summary per month."""
    if period:
        try:
            month = Period.parse(period)
        except ValueError:
            month = None
        if month is None or str(month.kind) != "month":
            preview.errors.append(RowError(None, "考核期", f"考勤汇总的考核期须为月份：{period}"))
    rows = [r.values for r in preview.rows]
    preview.period = summaries.single_month(rows)
    first = min((Period.parse(str(v["month"])).end for v in rows), default=None)
    policy = None
    if first is not None:
        try:
            policy = policy_for(center, first)
        except NoPolicyError:
            policy = None
    summaries.check_summaries(center, preview, policy)


def _bind(kind: str, item: PreviewRow, directory: _Directory, preview: Preview) -> str | None:
    """Attach people, windows and engine ids; returns the unknown value, if any."""
    v = item.values
    if kind in (ImportKind.PUNCHES, ImportKind.LEAVE, ImportKind.ATTENDANCE):
        item.person = directory.people.get(v["person"])
        return None if item.person else str(v["person"])
    if kind == ImportKind.RATINGS:
        if v.get("window"):
            item.window = directory.windows.get(v["window"])
            if item.window is None:
                preview.errors.append(RowError(item.row, "窗口", f"没有这个窗口：{v['window']}"))
                item.status = "错误"
                return None
        if v.get("person"):
            item.person = directory.people.get(v["person"])
            if item.person is None:
                return str(v["person"])
        if item.person is None and item.window is None:
            preview.errors.append(RowError(item.row, "窗口", "既没有窗口也没有被评价人"))
            item.status = "错误"
        return None
    if kind == ImportKind.CARDS:
        item.person = directory.people.get(v["subject"])
        if item.person is None:
            item.window = directory.windows.get(v["subject"])
        return None if (item.person or item.window) else str(v["subject"])
    subject = directory.subject(str(v["subject"]))
    if subject is None:
        return str(v["subject"])
    item.subject = subject
    return None


_LIMITS = {
    # field: (column label, largest magnitude the database column holds)
    "days": ("天数", Decimal("9999")),
    "value": ("得分", Decimal("99999")),
    "rank": ("排名", Decimal(2**31 - 1)),
}


def _check_fits(kind: str, item: PreviewRow, preview: Preview) -> None:
    """Values the ingest layer accepts but a column cannot hold become row errors, not crashes."""
    v = item.values
    if kind == ImportKind.LEAVE and not (v.get("start") or v.get("end")):
        preview.errors.append(RowError(item.row, "开始日期", "请假缺少开始和结束日期"))
        item.status = "错误"
    for name, (label, limit) in _LIMITS.items():
        value = v.get(name)
        if value is not None and abs(Decimal(value)) > limit:
            preview.errors.append(RowError(item.row, label, f"数值超出范围：{value}"))
            item.status = "错误"


def _card_item(
    center: Center, item: PreviewRow, preview: Preview, cache: dict[str, Any] | None
) -> dict[str, Any]:
    cache = cache if cache is not None else {}
    day: date = item.values["date"]
    month = f"{day:%Y-%m}"
    if month not in cache:
        try:
            cache[month] = policy_for(center, day)
        except NoPolicyError as exc:
            cache[month] = None
            preview.errors.append(RowError(item.row, "", str(exc)))
    policy = cache[month]
    if policy is None:
        item.status = "错误"
        return cache
    on = "person" if item.person else "window"
    code = card_item(policy.id, item.extra["colour"], on)
    found = next((i for i in policy.items if i.code == code), None) if code else None
    if found is None:
        preview.errors.append(RowError(item.row, "", f"考核办法 {policy.id} 没有红黄牌考核项"))
        item.status = "错误"
    else:
        item.extra["item"] = found
        item.extra["policy_id"] = policy.id
    return cache


def _key(kind: str, item: PreviewRow, file_name: str, period: str) -> str:
    v, extra = item.values, item.extra
    if kind == ImportKind.PUNCHES:
        when: datetime = v["time"]
        minute = when.replace(second=0, microsecond=0, tzinfo=None).isoformat()
        device = _device_of(file_name, extra)
        item.extra["device"] = device
        return punch_key(item.person.code if item.person else "", minute, device)
    if kind == ImportKind.LEAVE:
        code = item.person.code if item.person else ""
        return digest("leave", code, v["type"], v["start"], v["end"])
    if kind == ImportKind.RATINGS:
        if extra.get("rating_id"):
            return digest("rating", "id", extra["rating_id"])
        return digest(
            "rating",
            v["date"],
            item.window.code if item.window else "",
            item.person.code if item.person else "",
            v["stars"],
            extra.get("case", ""),
            extra.get("channel", ""),
        )
    if kind == ImportKind.CARDS:
        return digest("card", extra["case"], extra["stage"], extra["colour"])
    if kind == ImportKind.VOTES:
        return digest("vote", period, v["group"], v["voter"], item.subject)
    return digest("score", period, v["source"], item.subject)


def _chunks(values: list[str], size: int = 2000) -> Iterable[list[str]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _mark_duplicates(center: Center, kind: str, preview: Preview) -> None:
    model = FACT_MODELS[kind]
    keyed = [r for r in preview.rows if r.key]
    existing: set[str] = set()
    keys = sorted({r.key for r in keyed})
    for chunk in _chunks(keys):
        existing.update(
            model._default_manager.filter(  # type: ignore[attr-defined]
                center=center, rolled_back=False, natural_key__in=chunk
            ).values_list("natural_key", flat=True)
        )
    reds: set[tuple[str, str]] = set()
    if kind == ImportKind.CARDS:
        cases = sorted({r.extra["case"] for r in keyed})
        for chunk in _chunks(cases):
            reds.update(
                Card.objects.filter(
                    center=center, rolled_back=False, colour=CardColour.RED, case__in=chunk
                ).values_list("case", "stage")
            )
    seen: set[str] = set()
    for r in keyed:
        if r.key in existing:
            r.status = RowStatus.EXISTING
        elif r.key in seen:
            r.status = RowStatus.REPEATED
        elif r.extra.get("colour") == "yellow" and (r.extra["case"], r.extra["stage"]) in reds:
            r.status = RowStatus.SUPERSEDED
        seen.add(r.key)


def pin_alias_set(
    *, center: Center, pin: str, person: Person, by: Any, request: HttpRequest | None = None
) -> PinAlias:
    """Remember that ``pin`` is ``person`` (the next import maps it by itself)."""
    if person.center_id != center.pk:
        raise ValueError("person of another center")
    with transaction.atomic():
        alias, _ = PinAlias.objects.update_or_create(
            center=center, pin=pin, defaults={"person": person, "created_by": by}
        )
        audit_log(
            actor=by,
            action="facts.pin_alias",
            obj=alias,
            summary=f"编号 {pin} 映射到 {person}",
            after=snapshot(alias),
            request=request,
        )
    return alias


def import_commit(
    *,
    center: Center,
    kind: str,
    data: bytes,
    by: Any,
    file_name: str = "",
    mapping: ColumnMapping | None = None,
    resolutions: Mapping[str, Person] | None = None,
    period: str = "",
    pin_width: int | None = None,
    request: HttpRequest | None = None,
) -> ImportBatch:
    """Import one file all-or-nothing; refuses (writing nothing) on any error or unmatched row.

    ``resolutions`` maps unknown PINs to people; they are saved as aliases in
    the same transaction, so a refused import does not keep them either.
    """
    with transaction.atomic():
        for pin, person in (resolutions or {}).items():
            pin_alias_set(center=center, pin=pin, person=person, by=by, request=request)
        if kind == ImportKind.PUNCHES and mapping is None:
            clean = fast_attlog(data, pin_width)
            if clean is not None:
                fast = _commit_attlog(center, clean, data, file_name, by, request)
                if fast is not None:
                    return fast
        preview = import_preview(
            center=center,
            kind=kind,
            data=data,
            file_name=file_name,
            mapping=mapping,
            period=period,
            pin_width=pin_width,
        )
        if not preview.ok:
            raise ImportRefused(preview)
        parsed = preview.parsed
        batch = ImportBatch.objects.create(
            center=center,
            kind=kind,
            file_name=file_name[:200],
            sha256=preview.sha256,
            format=parsed.format[:40],
            encoding=(parsed.encoding or "")[:20],
            rows=parsed.source_rows,
            added=preview.added,
            duplicates=preview.duplicates,
            unmatched=len(preview.unmatched),
            period=preview.period,
            imported_by=by if getattr(by, "pk", None) else None,
        )
        new = [r for r in preview.rows if r.status == RowStatus.NEW]
        days = _write(center, kind, batch, new, by, preview.period)
        audit_log(
            actor=by,
            action="facts.import",
            obj=batch,
            summary=f"导入{batch.get_kind_display()} {file_name}：新增 {batch.added}，"
            f"重复 {batch.duplicates}",
            after=snapshot(batch),
            request=request,
        )
        for day in _months(days, preview.period):
            ledger_changed(center, day)
    return batch


def _pins(center: Center) -> dict[str, tuple[int, str]]:
    """PIN (or 工号) → (person id, 工号), as :class:`_Directory` resolves them, without models."""
    people = list(Person.objects.filter(center=center).values_list("pk", "code", "pin"))
    codes = {pk: code for pk, code, _ in people}
    out: dict[str, tuple[int, str]] = {}
    for pk, code, _ in people:
        out.setdefault(code, (pk, code))
    for pk, code, pin in people:
        if pin:
            out[pin] = (pk, code)
    for pin, pk in PinAlias.objects.filter(center=center).values_list("pin", "person_id"):
        out[pin] = (pk, codes[pk])
    return out


def _commit_attlog(
    center: Center,
    lines: list[tuple[str, str, str]],
    data: bytes,
    file_name: str,
    by: Any,
    request: HttpRequest | None,
) -> ImportBatch | None:
    """A clean device file straight to the table: same keys and counts as the general path.

    Returns ``None`` (writing nothing) when a PIN is unknown, so the general
    path builds the preview that lists it.
    """
    people = _pins(center)
    if any(pin not in people for pin in {line[0] for line in lines}):
        return None
    device = _device_of(file_name, {})
    batch = ImportBatch.objects.create(
        center=center,
        kind=ImportKind.PUNCHES,
        file_name=file_name[:200],
        sha256=file_sha256(data),
        format="zkteco_dat",
        encoding="utf-8",
        rows=len(lines),
        imported_by=by if getattr(by, "pk", None) else None,
    )
    if connection.vendor == "postgresql":
        added = _insert_punches_pg(center, batch, lines, people, device)
    else:
        added = _insert_punches(center, batch, _keyed(lines, people, device), device)
    batch.added = added
    batch.duplicates = len(lines) - added
    batch.save(update_fields=["added", "duplicates"])
    audit_log(
        actor=by,
        action="facts.import",
        obj=batch,
        summary=f"导入{batch.get_kind_display()} {file_name}：新增 {batch.added}，"
        f"重复 {batch.duplicates}",
        after=snapshot(batch),
        request=request,
        center=center,
    )
    for month in sorted({day[:7] for _, day, _ in lines}):
        ledger_changed(center, date.fromisoformat(month + "-01"))
    return batch


_OFFSET = datetime.now(LOCAL_TZ).isoformat()[-6:]  # +08:00: device times are local


def _keyed(
    lines: list[tuple[str, str, str]], people: Mapping[str, tuple[int, str]], device: str
) -> dict[str, tuple[int, str]]:
    """natural key → (person id, aware time text) for each line, the first of a minute kept."""
    rows: dict[str, tuple[int, str]] = {}
    sep = "\x1f"
    for pin, day, clock in lines:
        pk, code = people[pin]
        key = hashlib.sha256(
            f"punch{sep}{code}{sep}{day}T{clock[:5]}:00{sep}{device}".encode()
        ).hexdigest()[:32]
        if key not in rows:
            rows[key] = (pk, f"{day} {clock}{_OFFSET}")
    return rows


def _insert_punches_pg(
    center: Center,
    batch: ImportBatch,
    lines: list[tuple[str, str, str]],
    people: Mapping[str, tuple[int, str]],
    device: str,
) -> int:
    """PostgreSQL: COPY the lines, key and deduplicate them in SQL, insert the new ones.

    The natural key is the same :func:`punch_key` (``punch``, 工号, the
    minute, the device), computed by the server.  Imports of one center
    take a transaction-level advisory lock, so two at once run one after the
    other and the second sees the first's rows as existing.
    """
    table = Punch._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_PUNCH_LOCK, center.pk])
        cursor.execute(
            "CREATE TEMP TABLE kaohe_punch_in (n integer, person_id bigint, local text) "
            "ON COMMIT DROP"
        )
        raw = cursor.cursor
        ids = {pin: f"\t{pk}\t" for pin, (pk, _) in people.items()}
        with raw.copy("COPY kaohe_punch_in (n, person_id, local) FROM STDIN") as copy:  # type: ignore[attr-defined]
            step = 100_000
            for start in range(0, len(lines), step):
                copy.write(
                    "".join(
                        [
                            f"{n}{ids[pin]}{day}T{clock}\n"
                            for n, (pin, day, clock) in enumerate(
                                lines[start : start + step], start
                            )
                        ]
                    )
                )
        cursor.execute("ANALYZE kaohe_punch_in")
        cursor.execute(
            f"""
            INSERT INTO {table}
                (center_id, batch_id, natural_key, rolled_back, person_id, time, device, note)
            SELECT %(center)s, %(batch)s, k.key, false, k.person_id,
                   (k.local || %(offset)s)::timestamptz, %(device)s, ''
            FROM (
                SELECT DISTINCT ON (key) key, person_id, local
                FROM (
                    SELECT s.n, s.person_id, s.local,
                           encode(substr(sha256(convert_to(
                               p.prefix || left(s.local, 16) || %(suffix)s, 'UTF8'
                           )), 1, 16), 'hex')::uuid AS key
                    FROM kaohe_punch_in s
                    JOIN (
                        SELECT id, 'punch' || chr(31) || code || chr(31) AS prefix
                        FROM org_person WHERE center_id = %(center)s
                    ) p ON p.id = s.person_id
                ) keyed
                ORDER BY key, n
            ) k
            WHERE NOT EXISTS (
                SELECT 1 FROM {table} f
                WHERE f.center_id = %(center)s AND NOT f.rolled_back AND f.natural_key = k.key
            )
            ORDER BY k.key
            """,
            {
                "center": center.pk,
                "batch": batch.pk,
                "offset": _OFFSET,
                "device": device,
                "suffix": f":00\x1f{device}",
            },
        )
        added = int(cursor.rowcount)
        cursor.execute("DROP TABLE kaohe_punch_in")
        return added


_PUNCH_LOCK = 0x6B616F  # advisory lock class of punch imports ("kao"), per center id


def _insert_punches(
    center: Center, batch: ImportBatch, rows: dict[str, tuple[int, str]], device: str
) -> int:
    """Insert rows whose key is not live yet (SQLite and others); returns how many were added."""
    table = Punch._meta.db_table
    columns = "center_id, batch_id, natural_key, rolled_back, person_id, time, device, note"
    keys = list(rows)
    existing: set[str] = set()
    for chunk_keys in _chunks(keys):
        existing.update(
            Punch.objects.filter(
                center=center, rolled_back=False, natural_key__in=chunk_keys
            ).values_list("natural_key", flat=True)
        )
    adapt = connection.ops.adapt_datetimefield_value
    new = [
        (center.pk, batch.pk, key, False, pk, adapt(datetime.fromisoformat(when)), device, "")
        for key, (pk, when) in rows.items()
        if key not in existing
    ]
    marks = ", ".join(["%s"] * 8)
    with connection.cursor() as cursor:
        for i in range(0, len(new), BATCH_SIZE):
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})", new[i : i + BATCH_SIZE]
            )
    return len(new)


def _months(days: Iterable[date], period: str) -> list[date]:
    firsts = {d.replace(day=1) for d in days}
    if period:
        p = Period.parse(period)
        firsts |= {p.start, p.end.replace(day=1)}
    return sorted(firsts)


def _write(
    center: Center, kind: str, batch: ImportBatch, rows: list[PreviewRow], by: Any, period: str
) -> set[date]:
    base = {"center": center, "batch": batch}
    if kind == ImportKind.PUNCHES:
        punches = [
            Punch(
                **base,
                natural_key=r.key,
                person=r.person,
                time=r.values["time"],
                device=r.extra.get("device", ""),
            )
            for r in rows
        ]
        _bulk_punches(punches)
        return {timezone.localtime(p.time).date() for p in punches}
    if kind == ImportKind.LEAVE:
        Leave.objects.bulk_create(
            [
                Leave(
                    **base,
                    natural_key=r.key,
                    person=r.person,
                    type=r.values["type"][:30],
                    start=r.values["start"] or r.values["end"],
                    end=r.values["end"] or r.values["start"],
                    days=r.values["days"],
                    approved=r.values["approved"],
                )
                for r in rows
            ],
            batch_size=BATCH_SIZE,
        )
        return {d for r in rows for d in (r.values["start"], r.values["end"]) if d}
    if kind == ImportKind.RATINGS:
        Rating.objects.bulk_create(
            [
                Rating(
                    **base,
                    natural_key=r.key,
                    date=r.values["date"],
                    window=r.window,
                    person=r.person,
                    stars=r.values["stars"],
                    verified=r.values["verified"],
                    default=r.values["default"],
                    external_id=str(r.extra.get("rating_id", ""))[:80],
                )
                for r in rows
            ],
            batch_size=BATCH_SIZE,
        )
        return {r.values["date"] for r in rows}
    if kind == ImportKind.CARDS:
        return _write_cards(center, batch, rows, by)
    if kind == ImportKind.ATTENDANCE:
        return summaries.write_summaries(center, batch, rows)
    if kind == ImportKind.VOTES:
        Vote.objects.bulk_create(
            [
                Vote(
                    **base,
                    natural_key=r.key,
                    period=period,
                    group=r.values["group"][:40],
                    voter=r.values["voter"][:60],
                    subject=r.subject,
                    level=r.values["level"],
                )
                for r in rows
            ],
            batch_size=BATCH_SIZE,
        )
        return set()
    ExternalScore.objects.bulk_create(
        [
            ExternalScore(
                **base,
                natural_key=r.key,
                period=period,
                source=r.values["source"][:40],
                subject=r.subject,
                value=r.values["value"],
                rank=r.values["rank"],
            )
            for r in rows
        ],
        batch_size=BATCH_SIZE,
    )
    return set()


def _bulk_punches(punches: list[Punch]) -> None:
    Punch.objects.bulk_create(punches, batch_size=BATCH_SIZE)


def _write_cards(center: Center, batch: ImportBatch, rows: list[PreviewRow], by: Any) -> set[date]:
    """Each card becomes an imported ledger record; a red voids the same case and stage's yellow."""
    now = timezone.now()
    for r in rows:
        item = r.extra["item"]
        colour = CardColour(r.extra["colour"])
        note = f"电子监察{colour.label}：办件 {r.extra['case']}"
        if r.extra["stage"]:
            note += f"，环节 {r.extra['stage']}"
        if r.values.get("note"):
            note += f"；{r.values['note']}"
        record = Record.objects.create(
            center=center,
            person=r.person,
            window=None if r.person else r.window,
            policy_id=r.extra["policy_id"],
            item_code=item.code,
            item_name=item.name,
            dimension=item.dimension or "",
            date=r.values["date"],
            count=1,
            note=note,
            source=RecordSource.IMPORT,
            import_batch=batch,
            recorded_by=by if getattr(by, "pk", None) else None,
        )
        if colour == CardColour.RED:
            yellows = Card.objects.filter(
                center=center,
                rolled_back=False,
                colour=CardColour.YELLOW,
                case=r.extra["case"],
                stage=r.extra["stage"],
                record__voided_at__isnull=True,
            ).select_related("record")
            for yellow in yellows:
                if yellow.record is not None:
                    Card.objects.filter(pk=yellow.pk).update(superseded_by=batch)
                    Record.objects.filter(pk=yellow.record.pk).update(
                        voided_at=now,
                        voided_by=by if getattr(by, "pk", None) else None,
                        void_reason=f"同一办件同一环节已亮红牌（导入批次 {batch.pk}），黄牌被取代",
                    )
        Card.objects.create(
            center=center,
            batch=batch,
            natural_key=r.key,
            record=record,
            case=r.extra["case"],
            stage=r.extra["stage"],
            colour=colour,
            date=r.values["date"],
        )
    return {r.values["date"] for r in rows}


def import_rollback(
    *, batch: ImportBatch, by: Any, reason: str, request: HttpRequest | None = None
) -> ImportBatch:
    """Undo one import as a unit: its facts are marked, its records voided, nothing deleted."""
    reason = reason.strip()
    if not reason:
        raise ValueError("撤销导入必须填写原因")
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.rolled_back_at is not None:
            raise ValueError("该批次已撤销")
        before = snapshot(batch)
        now = timezone.now()
        days: set[date] = set()
        model = FACT_MODELS[batch.kind]
        facts = model._default_manager.filter(batch=batch)  # type: ignore[attr-defined]
        days |= _fact_days(batch.kind, facts)
        facts.update(rolled_back=True)
        records = Record.objects.filter(import_batch=batch, voided_at__isnull=True)
        days |= set(records.values_list("date", flat=True))
        records.update(voided_at=now, voided_by=by, void_reason=f"导入批次撤销：{reason}")
        if batch.kind == ImportKind.CARDS:
            days |= _restore_superseded(batch, by, reason, request)
        batch.rolled_back_at = now
        batch.rolled_back_by = by
        batch.rollback_reason = reason
        batch.save(update_fields=["rolled_back_at", "rolled_back_by", "rollback_reason"])
        audit_log(
            actor=by,
            action="facts.import_rollback",
            obj=batch,
            summary=f"撤销导入 {batch.file_name}：{reason}",
            before=before,
            after=snapshot(batch),
            request=request,
        )
        for day in _months(days, batch.period):
            ledger_changed(batch.center, day)
    return batch


def _restore_superseded(
    batch: ImportBatch, by: Any, reason: str, request: HttpRequest | None
) -> set[date]:
    """Give back the yellows this batch's reds voided: exactly those, each audited.

    Only live yellow cards (their own import not rolled back) whose record is
    still voided come back; the audit row keeps the void that is undone.
    """
    days: set[date] = set()
    cards = Card.objects.filter(superseded_by=batch).select_related("record")
    for card in cards:
        record = card.record
        if card.rolled_back or record is None or record.voided_at is None:
            continue
        before = snapshot(record)
        Record.objects.filter(pk=record.pk).update(voided_at=None, voided_by=None, void_reason="")
        record.refresh_from_db()
        audit_log(
            actor=by,
            action="ledger.record_restore",
            obj=record,
            summary=f"撤销红牌导入（批次 {batch.pk}），恢复被取代的黄牌 {card.case}：{reason}",
            before=before,
            after=snapshot(record),
            request=request,
        )
        days.add(record.date)
    cards.update(superseded_by=None)
    return days


def _fact_days(kind: str, facts: Any) -> set[date]:
    if kind == ImportKind.PUNCHES:
        return {timezone.localtime(t).date() for t in facts.values_list("time", flat=True)}
    if kind == ImportKind.LEAVE:
        return {d for s, e in facts.values_list("start", "end") for d in (s, e)}
    if kind in (ImportKind.RATINGS, ImportKind.CARDS):
        return set(facts.values_list("date", flat=True))
    if kind == ImportKind.ATTENDANCE:
        return summaries.summary_days(facts)
    return set()


def punch_correct(
    *,
    person: Person,
    when: datetime,
    reason: str,
    by: Any,
    request: HttpRequest | None = None,
) -> Punch:
    """补卡: add the punch the clock missed, with its reason, audited and re-scored."""
    reason = reason.strip()
    if not reason:
        raise ValueError("补卡必须填写原因")
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    minute = timezone.localtime(when).replace(second=0, microsecond=0, tzinfo=None)
    key = punch_key(person.code, minute.isoformat(), "correction")
    with transaction.atomic():
        if Punch.objects.filter(
            center_id=person.center_id, rolled_back=False, natural_key=key
        ).exists():
            raise ValueError("该时间已有补卡记录")
        punch = Punch.objects.create(
            center_id=person.center_id,
            person=person,
            time=when,
            device="correction",
            note=reason[:200],
            natural_key=key,
        )
        audit_log(
            actor=by,
            action="facts.punch_correct",
            obj=punch,
            summary=f"补卡 {person} {minute:%Y-%m-%d %H:%M}：{reason}",
            after=snapshot(punch),
            request=request,
            center=person.center,
        )
        ledger_changed(person.center, minute.date())
    return punch


# ------------------------------------------------------------------ calendar


def _calendar_changed(center: Center, days: Iterable[date]) -> None:
    for first in sorted({d.replace(day=1) for d in days}):
        ledger_changed(center, first)


def calendar_year_enter(
    *,
    center: Center,
    year: int,
    days_off: Iterable[date],
    workdays: Iterable[date],
    note: str,
    by: Any,
    request: HttpRequest | None = None,
) -> CalendarYear:
    """Enter a year's State Council arrangement: its days off and 调休 make-up workdays."""
    off, work = sorted(set(days_off)), sorted(set(workdays))
    wrong = [d for d in [*off, *work] if d.year != year]
    if wrong:
        raise ValueError(f"{wrong[0]} 不在 {year} 年")
    both = set(off) & set(work)
    if both:
        raise ValueError(f"{min(both)} 不能既是休息日又是工作日")
    with transaction.atomic():
        if CalendarYear.objects.filter(center=center, year=year).exists():
            raise ValueError(f"{year} 年的安排已录入")
        entry = CalendarYear.objects.create(center=center, year=year, note=note, entered_by=by)
        for kind, days in ((DayKind.HOLIDAY, off), (DayKind.WORKDAY, work)):
            for d in days:
                CalendarDay.objects.update_or_create(
                    center=center,
                    date=d,
                    defaults={"kind": kind, "note": note[:200], "created_by": by},
                )
        audit_log(
            actor=by,
            action="facts.calendar_year",
            obj=entry,
            summary=f"录入 {year} 年节假日安排：休息 {len(off)} 天，调休上班 {len(work)} 天",
            after={"year": year, "days_off": off, "workdays": work, "note": note},
            request=request,
            center=center,
        )
        _calendar_changed(center, [*off, *work])
    return entry


def calendar_day_set(
    *,
    center: Center,
    day: date,
    kind: DayKind,
    note: str,
    by: Any,
    request: HttpRequest | None = None,
) -> CalendarDay:
    """A local closure (e.g. a typhoon day) or a single correction to the calendar."""
    with transaction.atomic():
        old = CalendarDay.objects.filter(center=center, date=day).first()
        before = snapshot(old) if old else None
        entry, _ = CalendarDay.objects.update_or_create(
            center=center, date=day, defaults={"kind": kind, "note": note[:200], "created_by": by}
        )
        audit_log(
            actor=by,
            action="facts.calendar_day",
            obj=entry,
            summary=f"{day} 设为{DayKind(kind).label}：{note}",
            before=before,
            after=snapshot(entry),
            request=request,
            center=center,
        )
        _calendar_changed(center, [day])
    return entry


def calendar_day_remove(*, entry: CalendarDay, by: Any, request: HttpRequest | None = None) -> None:
    """Take a day's adjustment back (the audit row keeps what it was)."""
    with transaction.atomic():
        audit_log(
            actor=by,
            action="facts.calendar_day_remove",
            obj=entry,
            summary=f"取消 {entry.date} 的日历调整",
            before=snapshot(entry),
            request=request,
            center=entry.center,
        )
        day, center = entry.date, entry.center
        entry.delete()
        _calendar_changed(center, [day])
