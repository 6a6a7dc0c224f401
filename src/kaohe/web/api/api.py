"""The HTTP API (``/api/v1/``) for the platforms around a center.

Clock terminals, the 好差评 platform and the e-supervision system push their
exports here, through exactly the import pipeline of the web page (preview,
all-or-nothing commit, idempotent re-sends, unmatched numbers refused); pay
and HR systems read the published results — only published, immutable
snapshots, never a draft.  OpenAPI at ``/api/v1/openapi.json``, an
interactive page at ``/api/v1/docs`` (assets served by us).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import File, NinjaAPI, Query, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.security import HttpBearer

from kaohe.ingest import MappingError, load_mapping
from kaohe.web.api.models import ApiToken, Scope
from kaohe.web.api.services import token_authenticate
from kaohe.web.audit.services import audit_log
from kaohe.web.facts.models import ImportBatch, ImportKind
from kaohe.web.facts.services import ImportRefused, import_commit, import_preview
from kaohe.web.workflow.models import AssessmentPeriod, Snapshot


class TokenAuth(HttpBearer):
    """``Authorization: Bearer kh_…``; a session cookie never authenticates an API call."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return token_authenticate(token, request)


api = NinjaAPI(
    title="kaohe 考核系统接口",
    version="1",
    description=(
        "政务服务中心考核系统的数据接口。每个令牌代表一个账号（督查员或领导），"
        "只能访问该账号所在中心的数据，并受令牌的权限范围（imports / results）限制。"
        "导入与网页导入相同：先预览（dry_run=true），提交时全部成功或全部不写入；"
        "同一文件或重叠文件重复提交不会重复入库。结果只提供已发布的通报快照。"
    ),
    auth=TokenAuth(),
    urls_namespace="api",
)


def _token(request: HttpRequest, scope: Scope) -> ApiToken:
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    if scope.value not in token.scopes:
        raise HttpError(403, f"令牌 {token.prefix} 没有“{scope.label}”权限")
    return token


# ---------------------------------------------------------------- schemas


class Me(Schema):
    token: str
    name: str
    scopes: list[str]
    expires_at: datetime
    user: str
    role: str
    center: str
    center_name: str


class PeriodOut(Schema):
    period: str
    state: str
    state_label: str
    version: int
    policy_id: str
    publicity_ends: date | None
    appeal_ends: date | None
    published_at: datetime | None
    published_versions: list[int]


class SubjectOut(Schema):
    code: str
    name: str
    kind: str
    scorecard: str | None
    window: str | None
    unit: str | None
    score: str | None = None
    rank: int | None = None
    grade: str | None = None
    dimensions: dict[str, str | None] = {}
    bonus: str | None = None
    actions: list[str] = []
    trace: list[dict[str, Any]] | None = None


class ResultsOut(Schema):
    period: str
    version: int
    published_at: datetime
    policy_id: str
    calendar: str
    sha256: str
    adjustments: list[dict[str, Any]]
    subjects: list[SubjectOut]


class BatchOut(Schema):
    id: int
    kind: str
    file_name: str
    sha256: str
    format: str
    encoding: str
    period: str
    rows: int
    added: int
    duplicates: int
    imported_at: datetime
    rolled_back: bool


class ImportOut(Schema):
    imported: bool
    dry_run: bool
    batch: BatchOut | None = None
    preview: dict[str, Any] | None = None


class Problem(Schema):
    detail: str
    preview: dict[str, Any] | None = None


class ResultsQuery(Schema):
    version: int | None = None
    trace: bool = False


class ImportQuery(Schema):
    dry_run: bool = False
    period: str = ""
    pin_width: int | None = None
    mapping: str = ""


# ---------------------------------------------------------------- who am I


@api.get("/me", response=Me, summary="当前令牌", tags=["令牌"])
def me(request: HttpRequest) -> dict[str, Any]:
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    user = token.user
    return {
        "token": token.prefix,
        "name": token.name,
        "scopes": token.scopes,
        "expires_at": token.expires_at,
        "user": user.get_username(),
        "role": user.role,
        "center": user.center.code,
        "center_name": user.center.name,
    }


# ---------------------------------------------------------------- results


@api.get("/periods", response=list[PeriodOut], summary="考核期及其状态", tags=["结果"])
def periods(request: HttpRequest) -> list[dict[str, Any]]:
    token = _token(request, Scope.RESULTS)
    rows = AssessmentPeriod.objects.filter(center=token.user.center).order_by("-period")
    versions: dict[int, list[int]] = {}
    for period_id, version in Snapshot.objects.filter(period__in=rows).values_list(
        "period_id", "version"
    ):
        versions.setdefault(period_id, []).append(version)
    return [
        {
            "period": p.period,
            "state": p.state,
            "state_label": p.get_state_display(),
            "version": p.version,
            "policy_id": p.policy_id,
            "publicity_ends": p.publicity_ends,
            "appeal_ends": p.appeal_ends,
            "published_at": p.published_at,
            "published_versions": sorted(versions.get(p.pk, [])),
        }
        for p in rows
    ]


@api.get(
    "/periods/{period}/results",
    response={200: ResultsOut, 404: Problem},
    summary="已发布的考核结果（通报快照）",
    tags=["结果"],
)
def results(request: HttpRequest, period: str, q: Query[ResultsQuery]) -> Status[dict[str, Any]]:
    """The newest published version, or ``version``; a period never published is 404."""
    token = _token(request, Scope.RESULTS)
    snaps = Snapshot.objects.filter(period__center=token.user.center, period__period=period)
    snap = (snaps.filter(version=q.version) if q.version else snaps).order_by("-version").first()
    if snap is None:
        return Status(
            404,
            {
                "detail": f"考核期 {period} 没有已发布的通报"
                + (f"第 {q.version} 版" if q.version else "")
            },
        )
    subjects = []
    for code, s in snap.result.get("subjects", {}).items():
        subjects.append(
            {
                "code": code,
                **{k: s.get(k) for k in ("name", "kind", "scorecard", "window", "unit")},
                **{k: s.get(k) for k in ("score", "rank", "grade", "bonus")},
                "dimensions": s.get("dimensions") or {},
                "actions": s.get("actions") or [],
                "trace": s.get("trace", []) if q.trace else None,
            }
        )
    subjects.sort(
        key=lambda s: (s["scorecard"] or "", s["rank"] is None, s["rank"] or 0, s["code"])
    )
    return Status(
        200,
        {
            "period": snap.period.period,
            "version": snap.version,
            "published_at": snap.published_at,
            "policy_id": snap.policy_id,
            "calendar": snap.calendar,
            "sha256": snap.sha256,
            "adjustments": snap.adjustments,
            "subjects": subjects,
        },
    )


# ---------------------------------------------------------------- imports


def _batch(b: ImportBatch) -> dict[str, Any]:
    return {
        "id": b.pk,
        "kind": b.kind,
        "file_name": b.file_name,
        "sha256": b.sha256,
        "format": b.format,
        "encoding": b.encoding,
        "period": b.period,
        "rows": b.rows,
        "added": b.added,
        "duplicates": b.duplicates,
        "imported_at": b.imported_at,
        "rolled_back": b.rolled_back_at is not None,
    }


@api.post(
    "/imports/{kind}",
    response={200: ImportOut, 400: Problem, 404: Problem, 413: Problem, 422: Problem},
    summary="导入一个文件（先预览，或全部提交）",
    tags=["导入"],
)
def import_file(
    request: HttpRequest, kind: str, q: Query[ImportQuery], file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    """``kind``: punches, leave, ratings, cards, votes, scores, attendance.

    ``dry_run=true`` answers the preview (rows, errors by row and column,
    unmatched numbers) and writes nothing.  Otherwise the file is imported
    all-or-nothing: 422 with the preview when any row is bad or any number is
    unknown (map it in the web page first), 200 with the batch when done.
    Sending the same file again adds nothing (``added`` is 0).
    """
    token = _token(request, Scope.IMPORTS)
    if kind not in ImportKind.values:
        return Status(
            404, {"detail": f"未知的导入类型 {kind}（可选：{', '.join(ImportKind.values)}）"}
        )
    limit = settings.KAOHE_IMPORT_MAX_BYTES
    if file.size is not None and file.size > limit:
        return Status(413, {"detail": f"文件超过 {limit // (1024 * 1024)} MB 的上限"})
    data = file.read()
    name = (file.name or f"{kind}.dat")[:200]
    try:
        mapping = load_mapping(q.mapping) if q.mapping else None
    except MappingError as exc:
        return Status(400, {"detail": str(exc)})
    center = token.user.center
    options: dict[str, Any] = {"mapping": mapping, "period": q.period, "pin_width": q.pin_width}
    if q.dry_run:
        preview = import_preview(center=center, kind=kind, data=data, file_name=name, **options)
        return Status(200, {"imported": False, "dry_run": True, "preview": preview.as_dict()})
    try:
        batch = import_commit(
            center=center,
            kind=kind,
            data=data,
            file_name=name,
            by=token.user,
            request=request,
            **options,
        )
    except ImportRefused as exc:
        return Status(422, {"detail": str(exc), "preview": exc.preview.as_dict()})
    audit_log(
        actor=token.user,
        action="api.import",
        obj=batch,
        summary=f"接口令牌 {token} 导入 {batch}：新增 {batch.added}，重复 {batch.duplicates}",
        request=request,
        center=center,
    )
    return Status(200, {"imported": True, "dry_run": False, "batch": _batch(batch)})


@api.get("/batches", response=list[BatchOut], summary="最近的导入批次", tags=["导入"])
def imports(request: HttpRequest, kind: str = "", limit: int = 50) -> list[dict[str, Any]]:
    token = _token(request, Scope.IMPORTS)
    rows = ImportBatch.objects.filter(center=token.user.center)
    if kind:
        rows = rows.filter(kind=kind)
    return [_batch(b) for b in rows.order_by("-imported_at", "-id")[: max(1, min(limit, 500))]]


@api.get(
    "/batches/{batch_id}",
    response={200: BatchOut, 404: Problem},
    summary="一个导入批次",
    tags=["导入"],
)
def import_batch(request: HttpRequest, batch_id: int) -> Status[dict[str, Any]]:
    token = _token(request, Scope.IMPORTS)
    batch = ImportBatch.objects.filter(center=token.user.center, pk=batch_id).first()
    if batch is None:
        return Status(404, {"detail": f"没有导入批次 {batch_id}"})
    return Status(200, _batch(batch))
