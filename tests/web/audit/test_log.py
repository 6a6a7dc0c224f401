"""审计管理员's audit log: read-only, filtered, paginated, exported without formulas."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from kaohe.web.audit.models import AuditEntry
from kaohe.web.audit.services import audit_log
from kaohe.web.org.models import Center
from tests.web.personas import World

DENIED = ["inspector", "leader", "chief", "staff", "sysadmin", "secadmin"]


def _at(entry: AuditEntry, day: str) -> None:
    """Backdate one row (a queryset update: the model itself refuses to be saved twice)."""
    when = timezone.make_aware(datetime.fromisoformat(day + "T10:00:00"))
    AuditEntry.objects.filter(pk=entry.pk).update(at=when)


@pytest.fixture
def entries(world: World) -> dict[str, AuditEntry]:
    made = {
        "create": audit_log(
            actor=world.sysadmin, action="user.create", obj=world.staff, summary="建账号"
        ),
        "unlock": audit_log(actor=world.secadmin, action="user.unlock", obj=world.leader),
        "failed": audit_log(
            actor=None,
            actor_name='=HYPERLINK("http://x","点我")',
            action="login.failed",
            summary="+cmd|' /C calc'!A0",
            after={"note": "@SUM(1)"},
        ),
    }
    _at(made["create"], "2026-10-01")
    _at(made["unlock"], "2026-10-15")
    _at(made["failed"], "2026-11-01")
    other = Center.objects.create(code="other", name="别的中心")
    audit_log(actor=None, actor_name="elsewhere", action="user.create", center=other)
    return made


def _codes(response) -> list[str]:
    return [e.action for e in response.context["page"]]


def test_auditor_reads_own_center_log(client: Client, world: World, entries) -> None:
    client.force_login(world.auditor)
    response = client.get("/audit/")
    assert response.status_code == 200
    assert _codes(response) == ["login.failed", "user.unlock", "user.create"]
    text = response.content.decode()
    assert "elsewhere" not in text
    assert "审计日志" in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "secadmin"}, ["user.unlock"]),
        ({"action": "user.create"}, ["user.create"]),
        ({"since": "2026-10-15"}, ["login.failed", "user.unlock"]),
        ({"until": "2026-10-15"}, ["user.unlock", "user.create"]),
        ({"since": "2026-10-02", "until": "2026-10-31"}, ["user.unlock"]),
        ({"obj": "accounts.user"}, ["user.unlock", "user.create"]),
        ({"obj": "accounts.user:{staff}"}, ["user.create"]),
        ({"since": "2026-11-02", "until": "2026-11-01"}, []),
    ],
)
def test_filters(
    client: Client, world: World, entries, query: dict[str, str], expected: list[str]
) -> None:
    query = {k: v.format(staff=world.staff.pk) for k, v in query.items()}
    client.force_login(world.auditor)
    assert _codes(client.get("/audit/", query)) == expected


def test_pagination(client: Client, world: World) -> None:
    for i in range(60):
        audit_log(actor=world.leader, action="test.row", summary=str(i))
    client.force_login(world.auditor)
    first = client.get("/audit/", {"action": "test.row"})
    assert first.context["page"].paginator.count == 60
    assert len(first.context["page"]) == 50
    assert "第 1 / 2 页" in first.content.decode()
    assert "action=test.row&amp;page=2" in first.content.decode()
    second = client.get("/audit/", {"action": "test.row", "page": 2})
    assert [e.summary for e in second.context["page"]] == [str(i) for i in range(9, -1, -1)]


@pytest.mark.parametrize("persona", DENIED)
def test_others_cannot_read_or_export(client: Client, world: World, entries, persona: str) -> None:
    client.force_login(getattr(world, persona))
    count = AuditEntry.objects.count()
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert client.get("/audit/export.xlsx").status_code == 403
    assert AuditEntry.objects.count() == count


def test_unknown_export_format_is_404(client: Client, world: World) -> None:
    client.force_login(world.auditor)
    assert client.get("/audit/export.pdf").status_code == 404


def test_csv_export_neutralises_formulas(client: Client, world: World, entries) -> None:
    client.force_login(world.auditor)
    response = client.get("/audit/export.csv", {"action": "login.failed"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    body = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["时间", "操作人账号", "操作"]
    assert len(rows) == 2
    row = rows[1]
    assert row[0] == "2026-11-01 10:00:00"
    assert row[1] == '\'=HYPERLINK("http://x","点我")'
    assert row[5] == "'+cmd|' /C calc'!A0"
    assert row[7] == '{"note": "@SUM(1)"}'
    # the export itself is audited
    export = AuditEntry.objects.get(action="audit.export")
    assert export.actor_id == world.auditor.pk
    assert export.summary == "csv 1 行 action=login.failed"


def test_xlsx_export_writes_text_not_formulas(client: Client, world: World, entries) -> None:
    client.force_login(world.auditor)
    response = client.get("/audit/export.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["审计日志"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4  # header + the center's three rows, newest first
    assert rows[1][1] == '\'=HYPERLINK("http://x","点我")'
    assert rows[1][5] == "'+cmd|' /C calc'!A0"
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert [r[2] for r in rows[1:]] == ["login.failed", "user.unlock", "user.create"]


def test_entries_are_append_only(world: World, entries) -> None:
    entry = AuditEntry.objects.get(pk=entries["create"].pk)
    entry.summary = "篡改"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).summary == "建账号"


def test_no_write_methods_on_the_log_page(client: Client, world: World, entries) -> None:
    client.force_login(world.auditor)
    count = AuditEntry.objects.count()
    assert client.post("/audit/", {"action": "x"}).status_code == 405
    assert client.post("/audit/export.csv").status_code == 405
    assert AuditEntry.objects.count() == count
