"""The HTTP API end to end: imports through the web pipeline, published results, scopes, OpenAPI."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kaohe.web.accounts.models import Role
from kaohe.web.api.services import token_issue
from kaohe.web.audit.models import AuditEntry
from kaohe.web.facts.models import ImportBatch, Punch
from kaohe.web.org.models import Center
from tests.web.facts.test_import_services import DAT
from tests.web.personas import World, make_user
from tests.web.workflow.conftest import record, use_policy
from tests.web.workflow.helpers import run_through


@pytest.fixture
def inspector_key(world: World) -> str:
    return token_issue(user=world.inspector, name="考勤机", scopes=["imports", "results"])[1]


def _post(
    client: Client, key: str, kind: str, data: bytes, name: str = "attlog.dat", **query: str
) -> object:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(
        f"/api/v1/imports/{kind}" + (f"?{qs}" if qs else ""),
        {"file": SimpleUploadedFile(name, data)},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def test_a_dry_run_previews_and_writes_nothing(
    client: Client, world: World, inspector_key: str
) -> None:
    r = _post(client, inspector_key, "punches", DAT.encode(), dry_run="true")
    assert r.status_code == 200  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["imported"] is False and body["dry_run"] is True and body["batch"] is None
    preview = body["preview"]
    assert (preview["rows"], preview["errors"], preview["format"]) == (4, [], "zkteco_dat")
    assert preview["added"] == 3 and preview["duplicates"] == 1
    assert not Punch.objects.exists() and not ImportBatch.objects.exists()


def test_a_commit_imports_once_and_a_resend_adds_nothing(world: World, inspector_key: str) -> None:
    client = Client(enforce_csrf_checks=True)  # a platform has no CSRF cookie: the token is enough
    r = _post(client, inspector_key, "punches", DAT.encode())
    assert r.status_code == 200, r.content  # type: ignore[attr-defined]
    batch = r.json()["batch"]  # type: ignore[attr-defined]
    assert (batch["kind"], batch["added"], batch["rows"], batch["rolled_back"]) == (
        "punches",
        3,
        4,
        False,
    )
    assert Punch.objects.count() == 3
    assert ImportBatch.objects.get().imported_by == world.inspector
    audit = AuditEntry.objects.get(action="api.import")
    assert "考勤机" in audit.summary and audit.actor == world.inspector
    again = _post(client, inspector_key, "punches", DAT.encode())
    assert again.json()["batch"]["added"] == 0 and Punch.objects.count() == 3  # type: ignore[attr-defined]
    listed = client.get("/api/v1/batches", HTTP_AUTHORIZATION=f"Bearer {inspector_key}").json()
    assert [b["added"] for b in listed] == [0, 3]
    one = client.get(f"/api/v1/batches/{batch['id']}", HTTP_AUTHORIZATION=f"Bearer {inspector_key}")
    assert one.json()["id"] == batch["id"]


def test_an_unknown_number_refuses_the_whole_file(
    world: World, inspector_key: str, client: Client
) -> None:
    bad = DAT + "   7777\t2024-04-01 08:00:00\t1\t0\t1\t0\n"
    r = _post(client, inspector_key, "punches", bad.encode())
    assert r.status_code == 422  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert "未写入任何数据" in body["detail"]
    assert body["preview"]["unmatched"] == [{"value": "7777", "rows": [5]}]
    assert not Punch.objects.exists() and not ImportBatch.objects.exists()


def test_a_bad_row_is_named_by_row_and_column(
    world: World, inspector_key: str, client: Client
) -> None:
    bad = DAT + "   1001\t2024-13-45 08:00:00\t1\t0\t1\t0\n"
    r = _post(client, inspector_key, "punches", bad.encode())
    assert r.status_code == 422  # type: ignore[attr-defined]
    [error] = r.json()["preview"]["errors"]  # type: ignore[attr-defined]
    assert error["row"] == 5 and error["column"] and error["message"]


def test_unknown_kind_mapping_and_size_are_refused_plainly(
    world: World, inspector_key: str, client: Client, settings: pytest.FixtureRequest
) -> None:
    assert _post(client, inspector_key, "salaries", b"x").status_code == 404  # type: ignore[attr-defined]
    r = _post(client, inspector_key, "punches", DAT.encode(), mapping="../etc")
    assert r.status_code == 400 and "mapping" in r.json()["detail"]  # type: ignore[attr-defined]
    settings.KAOHE_IMPORT_MAX_BYTES = 10  # type: ignore[attr-defined]
    assert _post(client, inspector_key, "punches", DAT.encode()).status_code == 413  # type: ignore[attr-defined]
    assert not ImportBatch.objects.exists()


def test_a_scope_not_granted_is_forbidden(world: World, client: Client) -> None:
    key = token_issue(user=world.leader, name="人事系统", scopes=["results"])[1]
    r = _post(client, key, "punches", DAT.encode())
    assert r.status_code == 403 and "导入数据" in r.json()["detail"]  # type: ignore[attr-defined]
    assert client.get("/api/v1/periods", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert not Punch.objects.exists()


def test_results_are_the_published_snapshot_only(world: World, client: Client) -> None:
    use_policy(world, "guangde-2023")
    record(world, world.zhang, "discipline.01", "未按规定着装")
    key = token_issue(user=world.leader, name="人事系统", scopes=["results"])[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get("/api/v1/periods/2024-05/results", **auth).status_code == 404
    _, snap = run_through(world)
    [listed] = client.get("/api/v1/periods", **auth).json()
    assert (listed["period"], listed["state"], listed["published_versions"]) == (
        "2024-05",
        "published",
        [1],
    )
    r = client.get("/api/v1/periods/2024-05/results", **auth)
    assert r.status_code == 200
    body = r.json()
    assert (body["version"], body["sha256"], body["policy_id"]) == (1, snap.sha256, "guangde-2023")
    subjects = {s["code"]: s for s in body["subjects"]}
    assert set(subjects) == set(snap.result["subjects"])
    zhang = subjects[world.zhang.code]
    expected = snap.result["subjects"][world.zhang.code]
    assert (zhang["score"], zhang["rank"], zhang["grade"]) == (
        expected["score"],
        expected["rank"],
        expected["grade"],
    )
    assert zhang["trace"] is None
    traced = client.get("/api/v1/periods/2024-05/results?trace=true", **auth).json()
    lines = {s["code"]: s for s in traced["subjects"]}[world.zhang.code]["trace"]
    assert any(t["item"] == "discipline.01" for t in lines)
    assert client.get("/api/v1/periods/2024-05/results?version=2", **auth).status_code == 404


def test_another_centers_results_and_batches_are_invisible(world: World, client: Client) -> None:
    use_policy(world, "guangde-2023")
    run_through(world)
    batch_key = token_issue(user=world.inspector, name="x", scopes=["imports"])[1]
    _post(client, batch_key, "punches", DAT.encode())
    other = Center.objects.create(code="other", name="别的中心")
    inspector = make_user("other-inspector", Role.INSPECTOR, other)
    key = token_issue(user=inspector, name="y", scopes=["imports", "results"])[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get("/api/v1/periods", **auth).json() == []
    assert client.get("/api/v1/periods/2024-05/results", **auth).status_code == 404
    assert client.get("/api/v1/batches", **auth).json() == []
    batch = ImportBatch.objects.get()
    assert client.get(f"/api/v1/batches/{batch.pk}", **auth).status_code == 404


def test_the_openapi_document_and_its_page_need_no_internet(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {
        "/api/v1/me",
        "/api/v1/periods",
        "/api/v1/periods/{period}/results",
        "/api/v1/imports/{kind}",
    } <= set(paths)
    assert schema.json()["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert not re.search(r"""(src|href)=["']https?://""", html), (
        "the docs page loads from another host"
    )
    assets = re.findall(r"""(?:src|href)=["'](/static/[^"']+)""", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/ninja/")
        served = client.get(asset)
        assert served.status_code == 200, asset
        b"".join(served.streaming_content if served.streaming else [served.content])
