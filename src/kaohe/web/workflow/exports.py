"""The bulletin (通报) and the bonus sheet as files: XLSX and PDF.

Both read a published snapshot, so a published bulletin is the same file
forever; before publication they read the current draft run and say 草稿 on
every page.  Nothing here computes a score or an amount: the engine did.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.template.loader import render_to_string
from django.utils import timezone

from kaohe.engine import Period, Policy, load_policy
from kaohe.engine.numbers import normalize
from kaohe.engine.periods import PeriodKind
from kaohe.web.org.models import Center
from kaohe.web.scoring import bridge
from kaohe.web.scoring.services import current_run
from kaohe.web.workflow import selectors
from kaohe.web.workflow.models import AssessmentPeriod, PeriodState, Snapshot


class NoResultsError(LookupError):
    """The period has no results to put in a bulletin (never computed, or the engine refused)."""


@dataclass
class BulletinSource:
    center: Center
    period: str
    result: dict[str, Any]
    policy: Policy
    draft: bool
    version: int | None = None
    published_at: datetime | None = None
    sha256: str = ""
    adjustments: list[dict[str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.center.name}{period_label(self.period)}考核结果通报"

    @property
    def issuing_body(self) -> str:
        return self.center.issuing_body or self.center.name

    @property
    def date(self) -> str:
        when = self.published_at or timezone.now()
        d = timezone.localtime(when).date()
        return f"{d.year}年{d.month}月{d.day}日"

    @property
    def filename_stem(self) -> str:
        tail = f"v{self.version}" if not self.draft else "草稿"
        return f"通报-{self.period}-{tail}"


def period_label(period: str) -> str:
    p = Period.parse(period)
    if p.kind is PeriodKind.MONTH:
        return f"{p.start.year}年{p.start.month}月"
    if p.kind is PeriodKind.QUARTER:
        return f"{p.start.year}年第{(p.start.month - 1) // 3 + 1}季度"
    return f"{p.start.year}年度"


def _policy(center: Center, period: str, policy_id: str) -> Policy:
    try:
        policy = bridge.policy_for(center, Period.parse(period).end)
    except bridge.NoPolicyError:
        return load_policy(policy_id)
    return policy if policy.id == policy_id or not policy_id else load_policy(policy_id)


def bulletin_source(center: Center, period: str, version: int | None = None) -> BulletinSource:
    """The published snapshot (the latest, or the version asked for); else the draft run."""
    ap = AssessmentPeriod.objects.filter(center=center, period=period).first()
    snap: Snapshot | None = None
    if ap is not None:
        snaps = Snapshot.objects.filter(period=ap)
        if version is not None:
            snap = snaps.filter(version=version).first()
            if snap is None:
                raise NoResultsError(f"{period} 没有第 {version} 版通报")
        elif ap.state == PeriodState.PUBLISHED:
            snap = snaps.order_by("-version").first()
    if snap is not None:
        return BulletinSource(
            center=center,
            period=period,
            result=snap.result,
            policy=_policy(center, period, snap.policy_id),
            draft=False,
            version=snap.version,
            published_at=snap.published_at,
            sha256=snap.sha256,
            adjustments=list(snap.adjustments),
        )
    run = current_run(center, period)
    if run.result is None:
        raise NoResultsError(f"{period} 尚无计分结果：{run.error or '未计算'}")
    return BulletinSource(
        center=center,
        period=period,
        result=run.result,
        policy=_policy(center, period, run.policy_id),
        draft=True,
        version=ap.version if ap else None,
        adjustments=selectors.adjustments_for(center, period),
    )


# ---------------------------------------------------------------- XLSX


class _Sheet:
    """Writes a row cell by cell: numbers as numbers, everything else as plain text.

    ``write_string`` stores text as text, so a name or note starting with
    = + - @ can never become a formula (spreadsheet formula injection).
    """

    def __init__(self, book: xlsxwriter.Workbook, name: str) -> None:
        self.ws = book.add_worksheet(_sheet_name(name))
        self.row = 0

    def put(self, values: list[Any], fmt: Any = None) -> None:
        for col, v in enumerate(values):
            if v is None or v == "":
                self.ws.write_blank(self.row, col, None, fmt)
            elif isinstance(v, bool):
                self.ws.write_string(self.row, col, "是" if v else "否", fmt)
            elif isinstance(v, int | Decimal):
                self.ws.write_number(self.row, col, float(v), fmt)
            else:
                self.ws.write_string(self.row, col, str(v), fmt)
        self.row += 1


def _sheet_name(name: str) -> str:
    for ch in "[]:*?/\\":
        name = name.replace(ch, "_")
    return name[:31]


def _deductions_text(row: dict[str, Any]) -> str:
    return "；".join(f"{d['name']} {_fmt(d['points'])}" for d in row["deductions"])


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else str(normalize(value))


def bulletin_xlsx(src: BulletinSource) -> bytes:
    """Ranking with dimension columns, grades, deductions by item and notes; one sheet per card."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    about = _Sheet(book, "说明")
    about.put([src.title + ("（草稿）" if src.draft else "")], bold)
    about.put(["发文单位", src.issuing_body])
    about.put(["日期", src.date])
    about.put(["考核期", src.period])
    about.put(["考核办法", f"{src.policy.title}（{src.policy.id}）"])
    about.put(["版本", src.version if not src.draft else "草稿"])
    if src.sha256:
        about.put(["快照校验值", src.sha256])
    for w in src.result.get("warnings", []):
        about.put(["提示", w])
    for a in src.adjustments:
        name = src.result["subjects"].get(a["subject"], {}).get("name", a["subject"])
        about.put(["领导小组调整", f"{name}（{a['subject']}）→ {a['grade']}：{a['reason']}"])
    tables = selectors.ranking_tables(src.result, src.policy, src.adjustments)
    detail_rows: list[list[Any]] = []
    for t in tables:
        sheet = _Sheet(book, t["name"])
        sheet.put(
            ["名次", "编号", "名称", "单位", "总分", *t["dimensions"], "等次", "扣分明细", "备注"],
            bold,
        )
        for r in t["rows"]:
            sheet.put(
                [
                    r["rank"],
                    r["code"],
                    r["name"],
                    r["unit"],
                    r["score"],
                    *r["dimensions"],
                    r["grade"],
                    _deductions_text(r),
                    "；".join(r["notes"]),
                ]
            )
            for d in r["deductions"]:
                detail_rows.append(
                    [t["name"], r["code"], r["name"], d["item"], d["name"], d["points"]]
                )
    detail = _Sheet(book, "扣分明细")
    detail.put(["考核表", "编号", "名称", "考核项代码", "考核项", "分值"], bold)
    for dr in detail_rows:
        detail.put(dr)
    book.close()
    return out.getvalue()


def bonus_xlsx(src: BulletinSource) -> bytes:
    """The bonus sheet: amounts and actions exactly as the engine computed them."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    sheet = _Sheet(book, "绩效奖励")
    sheet.put(
        [
            f"{src.center.name}{period_label(src.period)}绩效奖励与结果运用"
            + ("（草稿）" if src.draft else "")
        ],
        bold,
    )
    sheet.put(["编号", "名称", "类别", "单位", "窗口", "总分", "等次", "金额（元）", "处理"], bold)
    for r in selectors.money_rows(src.result):
        sheet.put(
            [
                r["code"],
                r["name"],
                "个人" if r["kind"] == "person" else "窗口",
                r["unit"],
                r["window"],
                r["score"],
                r["grade"],
                r["bonus"],
                "；".join(r["actions"]),
            ]
        )
    book.close()
    return out.getvalue()


# ---------------------------------------------------------------- PDF


def bulletin_html(src: BulletinSource) -> str:
    tables = selectors.ranking_tables(src.result, src.policy, src.adjustments)
    for t in tables:
        for r in t["rows"]:
            r["deductions_text"] = _deductions_text(r)
    return render_to_string(
        "workflow/bulletin_pdf.html",
        {"src": src, "tables": tables, "warnings": src.result.get("warnings", [])},
    )


def bulletin_document(src: BulletinSource) -> Any:
    """The laid-out WeasyPrint document (pages), before it is written as PDF."""
    from weasyprint import HTML

    return HTML(string=bulletin_html(src)).render()


def bulletin_pdf(src: BulletinSource) -> bytes:
    return bytes(bulletin_document(src).write_pdf())


# ---------------------------------------------------------------- annual forms (宝山)

FORMS = {"register": "年度考核登记表", "score": "年度考核评分表", "vote": "民主测评表"}


def _form_context(
    src: BulletinSource, code: str, kind: str, tallies: dict[str, Any]
) -> dict[str, Any]:
    from kaohe.web.org.models import Person

    subject = src.result["subjects"].get(code)
    if subject is None or subject.get("kind") != "person" or kind not in FORMS:
        raise NoResultsError(f"{src.period} 没有人员 {code} 的考核结果")
    person = Person.objects.filter(center=src.center, code=code).first()
    card = next((sc for sc in src.policy.scorecards if sc.id == subject["scorecard"]), None)
    dims = [
        {"name": d.name, "value": subject["dimensions"].get(d.code)}
        for d in (card.dimensions if card else [])
    ]
    levels: list[str] = []
    for pool in card.pools if card else []:
        levels.extend(g for g in pool.grades if g not in levels)
    if src.policy.votes is not None:
        levels = list(src.policy.votes.weights)
    counts = tallies.get(code, {})
    groups = (src.policy.votes.groups if src.policy.votes else {}) or {g: g for g in counts}
    return {
        "src": src,
        "kind": kind,
        "form_title": f"{src.center.name}{period_label(src.period)}{FORMS[kind]}",
        "code": code,
        "subject": subject,
        "person": person,
        "employment": person.get_employment_display() if person else "",
        "dims": dims,
        "levels": levels,
        "tally": [
            {"group": label, "counts": [counts.get(g, {}).get(lv, 0) for lv in levels]}
            for g, label in groups.items()
        ],
        "trace": [t for t in subject.get("trace", []) if t.get("item")],
    }


def annual_form_pdf(src: BulletinSource, code: str, kind: str, tallies: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_to_string("workflow/annual_form.html", _form_context(src, code, kind, tallies))
    return bytes(HTML(string=html).write_pdf())


def annual_form_xlsx(src: BulletinSource, code: str, kind: str, tallies: dict[str, Any]) -> bytes:
    ctx = _form_context(src, code, kind, tallies)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    sheet = _Sheet(book, FORMS[kind])
    s = ctx["subject"]
    sheet.put([ctx["form_title"] + ("（草稿）" if src.draft else "")], bold)
    sheet.put(["姓名", s.get("name"), "工号", ctx["code"]])
    sheet.put(["单位", s.get("unit") or "", "窗口", s.get("window") or ""])
    if kind == "register":
        sheet.put(["用工形式", ctx["employment"], "考核年度", src.period])
        sheet.put(["考核得分", _dec_or_none(s.get("score")), "考核等次", s.get("grade") or ""])
        sheet.put(["年终奖金（元）", _dec_or_none(s.get("bonus"))])
        sheet.put(["结果运用", "；".join(selectors.action_names(s.get("actions")))])
        sheet.put(["个人总结", ""])
        sheet.put(["考核小组意见", ""])
        sheet.put(["领导班子意见", ""])
    elif kind == "score":
        sheet.put(["考核内容", "得分"], bold)
        for d in ctx["dims"]:
            sheet.put([d["name"], _dec_or_none(d["value"])])
        sheet.put(["总分", _dec_or_none(s.get("score"))], bold)
        sheet.put(["等次", s.get("grade") or ""])
        for t in ctx["trace"]:
            sheet.put([t["text"], _dec_or_none(t.get("points")), t.get("date") or ""])
    else:
        sheet.put(["投票组", *ctx["levels"]], bold)
        for row in ctx["tally"]:
            sheet.put([row["group"], *row["counts"]])
    book.close()
    return out.getvalue()


def _dec_or_none(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
