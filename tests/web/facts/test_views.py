"""The facts pages by persona: who may open what, and that a denied request changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kaohe.ingest import parse_bytes
from kaohe.web.audit.models import AuditEntry
from kaohe.web.facts.models import CalendarDay, ImportBatch, PinAlias, Punch
from kaohe.web.facts.services import import_commit
from kaohe.web.facts.xlsx_templates import TEMPLATES
from kaohe.web.org.models import Person
from tests.web.personas import World

DAT = b"   1001\t2024-04-01 08:01:02\t1\n   7777\t2024-04-01 08:20:00\t1\n   1002\tbroken\t1\n"
GOOD = b"   1001\t2024-04-01 08:01:02\t1\n   7777\t2024-04-01 08:20:00\t1\n"


def state() -> tuple[int, ...]:
    return (
        Punch.objects.count(),
        ImportBatch.objects.count(),
        AuditEntry.objects.count(),
        PinAlias.objects.count(),
        CalendarDay.objects.count(),
    )


def upload(client: Client, data: bytes, name: str = "A1_attlog.dat", kind: str = "punches") -> str:
    response = client.post(
        reverse("facts:imports"),
        {"kind": kind, "file": SimpleUploadedFile(name, data), "mapping": "", "period": ""},
    )
    assert response.status_code == 302
    return str(response["Location"])


@pytest.mark.parametrize("persona", ["leader", "chief", "staff", "sysadmin", "secadmin", "auditor"])
def test_only_the_inspector_imports(client: Client, world: World, persona: str) -> None:
    client.force_login(getattr(world, persona))
    batch = import_commit(
        center=world.center, kind="punches", data=GOOD[:31], by=world.inspector, file_name="a.dat"
    )
    before = state()
    assert client.get(reverse("facts:imports")).status_code == 403
    assert client.get(reverse("facts:template", args=["punches"])).status_code == 403
    response = client.post(
        reverse("facts:imports"), {"kind": "punches", "file": SimpleUploadedFile("a.dat", GOOD)}
    )
    assert response.status_code == 403
    assert (
        client.post(reverse("facts:rollback", args=[batch.pk]), {"reason": "x"}).status_code == 403
    )
    assert state() == before
    batch.refresh_from_db()
    assert batch.rolled_back_at is None


def test_upload_preview_names_bad_rows_then_commit_refused(client: Client, world: World) -> None:
    client.force_login(world.inspector)
    location = upload(client, DAT)
    page = client.get(location)
    assert page.status_code == 200
    html = page.content.decode()
    assert "错误（须修正文件后重新上传）" in html and "<td>3</td><td>time</td>" in html
    assert "7777" in html and "提交导入" not in html
    before = state()
    sha = location.split("/")[-2]
    response = client.post(
        reverse("facts:preview", args=[sha]), {"kind": "punches", "name": "A1_attlog.dat"}
    )
    assert response.status_code == 200 and "导入被拒绝" in response.content.decode()
    assert state() == before


def test_map_an_unknown_pin_on_the_preview_and_commit(client: Client, world: World) -> None:
    client.force_login(world.inspector)
    location = upload(client, GOOD)
    html = client.get(location).content.decode()
    assert 'name="resolve-0"' in html and "提交导入" in html
    sha = location.split("/")[-2]
    response = client.post(
        reverse("facts:preview", args=[sha]),
        {"kind": "punches", "name": "A1_attlog.dat", "resolve-0": str(world.li.pk)},
    )
    assert response.status_code == 302 and response["Location"] == reverse("facts:imports")
    batch = ImportBatch.objects.get()
    assert (batch.added, batch.file_name, batch.imported_by) == (
        2,
        "A1_attlog.dat",
        world.inspector,
    )
    assert PinAlias.objects.get().pin == "7777"
    listing = client.get(reverse("facts:imports")).content.decode()
    assert "A1_attlog.dat" in listing and "有效" in listing
    response = client.post(reverse("facts:rollback", args=[batch.pk]), {"reason": ""})
    batch.refresh_from_db()
    assert batch.rolled_back_at is None
    client.post(reverse("facts:rollback", args=[batch.pk]), {"reason": "文件有误"})
    batch.refresh_from_db()
    assert (
        batch.rollback_reason == "文件有误" and Punch.objects.filter(rolled_back=False).count() == 0
    )


def test_preview_of_an_unknown_upload_is_404(client: Client, world: World) -> None:
    client.force_login(world.inspector)
    assert (
        client.get(reverse("facts:preview", args=["0" * 64]) + "?kind=punches").status_code == 404
    )
    assert client.get(reverse("facts:preview", args=["..etc"]) + "?kind=punches").status_code == 404


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_every_template_round_trips(client: Client, world: World, kind: str) -> None:
    client.force_login(world.inspector)
    response = client.get(reverse("facts:template", args=[kind]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = b"".join(response.streaming_content) if response.streaming else response.content
    result = parse_bytes(kind, data, file_defaults={"source": "template"})
    assert (result.errors, result.valid, result.container) == ([], 1, "xlsx")
    headers = TEMPLATES[kind][0]
    assert (
        not set(result.dropped_columns) - {"姓名", "设备名称", "事项名称"} or kind == "ratings"
    ), result.dropped_columns
    batch = import_commit(
        center=world.center,
        kind=kind,
        data=data,
        by=world.inspector,
        file_name="t.xlsx",
        period="2024-04",
    )
    assert batch.added == 1, headers


def test_lost_leading_zeros_are_put_back_by_the_pin_width_on_the_page(
    client: Client, world: World
) -> None:
    zero = Person.objects.create(center=world.center, code="0042", name="赵六", pin="0042")
    client.force_login(world.inspector)
    data = b"     42\t2024-04-01 08:01:02\t1\n"
    location = upload(client, data)
    html = client.get(location).content.decode()
    assert 'name="resolve-0"' in html and 'id="pin-width"' in html  # 42 is unknown
    sha = location.split("/")[-2]
    preview = reverse("facts:preview", args=[sha])
    query = {"kind": "punches", "name": "A1_attlog.dat", "mapping": "", "period": ""}
    html = client.get(preview, {**query, "pin_width": "4"}).content.decode()
    assert 'name="resolve-0"' not in html and "0042" in html and 'value="4"' in html
    assert client.get(preview, {**query, "pin_width": "abc"}).status_code == 200  # ignored
    response = client.post(preview, {**query, "pin_width": "4"})
    assert response.status_code == 302
    punch = Punch.objects.get()
    assert punch.person == zero and PinAlias.objects.count() == 0
    # the upload form takes the width too, and carries it to the preview
    response = client.post(
        reverse("facts:imports"),
        {"kind": "punches", "file": SimpleUploadedFile("b.dat", data), "pin_width": "4"},
    )
    assert response.status_code == 302 and "pin_width=4" in response["Location"]
    bad = client.post(
        reverse("facts:imports"),
        {"kind": "punches", "file": SimpleUploadedFile("b.dat", data), "pin_width": "99"},
    )
    assert bad.status_code == 200 and ImportBatch.objects.count() == 1
