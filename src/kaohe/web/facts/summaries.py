"""Monthly attendance summaries (考勤汇总) in the database: keys, checks, storage, scoring.

A summary and raw punches describe the same month twice, so the user must
never get both deductions.  The rule (decided, and shown on the preview):

* **the summary wins** — for a person and month with a live summary row, the
  bridge leaves that person's punches of that month out of scoring (they
  stay stored and visible on the attendance page, nothing is deleted);
  rolling the summary back brings the punches back into the score;
* **one summary per person and month** — a second file with *other* numbers
  for a month that already has a live row is refused row by row: roll the
  first import back, then import the corrected file.  The *same* numbers
  again are duplicates (idempotent re-import).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from kaohe.engine import Period
from kaohe.engine.policy.models import Policy
from kaohe.ingest import RowError
from kaohe.ingest.summary import attendance_row, ledger_rows
from kaohe.web.facts.models import AttendanceSummary, ImportBatch, Punch
from kaohe.web.org.models import Center

if TYPE_CHECKING:
    from kaohe.web.facts.services import Preview, PreviewRow

FIELDS = (
    "workdays",
    "present_days",
    "expected_signins",
    "missed_signins",
    "late",
    "early",
    "missed",
    "absent_days",
    "leave_days",
)


def _plain(value: object) -> str:
    """``22``, ``22.0`` and ``22.00`` are one value in a key."""
    if value is None:
        return ""
    return format(Decimal(str(value)).normalize(), "f")


def summary_key(item: PreviewRow) -> str:
    """Person, month and every number: the same file again is a duplicate, other numbers not."""
    from kaohe.web.facts.services import digest

    v = item.values
    code = item.person.code if item.person else ""
    return digest("attendance", code, v["month"], *(_plain(v.get(f)) for f in FIELDS))


def single_month(rows: Iterable[Mapping[str, Any]]) -> str:
    """The one month every row is for (the batch's period), or ``""``."""
    months = {str(r["month"]) for r in rows}
    return months.pop() if len(months) == 1 else ""


def check_summaries(center: Center, preview: Preview, policy: Policy | None) -> None:
    """Refuse a second, different summary of a person's month; warn where punches exist."""
    from kaohe.web.facts.services import RowStatus

    keyed = [r for r in preview.rows if r.key and r.person is not None]
    live: dict[tuple[int, str], tuple[str, int | None]] = {
        (pk, month): (key, batch)
        for pk, month, key, batch in AttendanceSummary.objects.filter(
            center=center,
            rolled_back=False,
            person_id__in={r.person.pk for r in keyed if r.person},
            month__in={r.values["month"] for r in keyed},
        ).values_list("person_id", "month", "natural_key", "batch_id")
    }
    seen: dict[tuple[int, str], str] = {}
    for r in keyed:
        assert r.person is not None
        at = (r.person.pk, str(r.values["month"]))
        other = live.get(at)
        if other is not None and other[0] != r.key:
            preview.errors.append(
                RowError(
                    r.row,
                    "工号",
                    f"{r.person.code} {at[1]} 已有不同的考勤汇总（导入批次 {other[1]}）："
                    "请先撤销该批次，再导入更正后的汇总",
                )
            )
            r.status = "错误"
        elif at in seen and seen[at] != r.key:
            preview.errors.append(
                RowError(r.row, "工号", f"{r.person.code} {at[1]} 在文件中有两行不同的汇总")
            )
            r.status = "错误"
        seen.setdefault(at, r.key)
    _warn_punches(center, preview, [r for r in keyed if r.status == RowStatus.NEW])
    if keyed and policy is not None and policy.schedule is None:
        preview.warnings.append(
            RowError(
                None,
                "",
                f"考核办法 {policy.id} 没有签到制度：迟到、早退、缺卡、旷工次数不折算扣分，"
                "只导入出勤天数与签到次数",
            )
        )


SHOWN_PEOPLE = 20  # names listed in a warning before "等 N 人"


def warn_summarised_punches(center: Center, preview: Preview) -> None:
    """Punches of a person-month a live summary decides are stored but not scored: say so.

    One warning per month (naming the first people), not per row: a clock
    file holds thousands of rows for the same few people.
    """
    from kaohe.web.facts.services import RowStatus

    months: dict[str, set[int]] = {}
    for r in preview.rows:
        if r.status == RowStatus.NEW and r.person is not None:
            when = r.values["time"]
            months.setdefault(f"{when:%Y-%m}", set()).add(r.person.pk)
    if not months:
        return
    decided = AttendanceSummary.objects.filter(
        center=center, rolled_back=False, month__in=sorted(months)
    ).values_list("month", "person_id", "person__code")
    hit: dict[str, list[str]] = {}
    for month, pk, code in decided:
        if pk in months[month]:
            hit.setdefault(month, []).append(code)
    for month in sorted(hit):
        codes = sorted(hit[month])
        names = "、".join(codes[:SHOWN_PEOPLE])
        more = f" 等 {len(codes)} 人" if len(codes) > SHOWN_PEOPLE else ""
        preview.warnings.append(
            RowError(
                None,
                "工号",
                f"{month} 已导入考勤汇总的人员（{names}{more}）：以考勤汇总为准，"
                "这些打卡只保存、仅供查看，不计分（撤销汇总后计分）",
            )
        )


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    p = Period.parse(month)
    since = timezone.make_aware(datetime.combine(p.start, time.min))
    until = timezone.make_aware(datetime.combine(p.end + timedelta(days=1), time.min))
    return since, until


def _warn_punches(center: Center, preview: Preview, rows: list[PreviewRow]) -> None:
    for month in sorted({str(r.values["month"]) for r in rows}):
        people = {r.person.pk: r for r in rows if r.person and r.values["month"] == month}
        since, until = _month_bounds(month)
        with_punches = set(
            Punch.objects.filter(
                center=center,
                rolled_back=False,
                person_id__in=people,
                time__gte=since,
                time__lt=until,
            )
            .values_list("person_id", flat=True)
            .distinct()
        )
        for pk in sorted(with_punches):
            r = people[pk]
            preview.warnings.append(
                RowError(
                    r.row,
                    "工号",
                    f"{r.values['person']} {month} 已有打卡记录：以考勤汇总为准，"
                    "该月打卡不再计分（撤销汇总后恢复）",
                )
            )


def write_summaries(center: Center, batch: ImportBatch, rows: list[PreviewRow]) -> set[date]:
    """Store the rows; returns the first day of each month they change."""
    AttendanceSummary.objects.bulk_create(
        [
            AttendanceSummary(
                center=center,
                batch=batch,
                natural_key=r.key,
                person=r.person,
                month=r.values["month"],
                **{f: r.values.get(f) for f in FIELDS},
                late_minutes=r.extra.get("late_minutes"),
                early_minutes=r.extra.get("early_minutes"),
            )
            for r in rows
        ]
    )
    return {Period.parse(str(r.values["month"])).start for r in rows}


def summary_days(facts: Any) -> set[date]:
    """First days of the months a batch's summaries cover (for re-scoring on rollback)."""
    return {Period.parse(m).start for m in facts.values_list("month", flat=True)}


# ------------------------------------------------------------------ scoring


def live_summaries(center: Center, months: Iterable[str]) -> list[dict[str, Any]]:
    """The live summary rows of ``months`` as parsed rows (``person`` = the 工号)."""
    return [
        {"person": code, "month": month, **dict(zip(FIELDS, values, strict=True))}
        for code, month, *values in AttendanceSummary.objects.filter(
            center=center, rolled_back=False, month__in=sorted(set(months))
        )
        .order_by("month", "person__code")
        .values_list("person__code", "month", *FIELDS)
    ]


def _day_in_post(month: str, joined: date | None, left: date | None) -> date:
    """A day of the month the person served (the records' date): his first such day."""
    p = Period.parse(month)
    day = max(p.start, joined) if joined else p.start
    if left is not None and left < day:
        day = max(p.start, left)
    return min(day, p.end)


def summary_tables(
    summaries: list[dict[str, Any]], policy: Policy, served: Mapping[str, tuple[Any, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The engine's ``attendance`` rows and the ledger rows of the counts.

    ``served`` is each roster person's (joined, left), so every record falls
    on a day the person was in post; people off the roster are left out.
    """
    attendance: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for row in summaries:
        if row["person"] not in served:
            continue  # not on the period's roster: nobody to score
        attendance.append(attendance_row(row, policy.schedule))
        joined, left = served[row["person"]]
        day = _day_in_post(row["month"], joined, left)
        for rec in ledger_rows(row, policy.schedule, day):
            records.append({"_row": 0, **rec})
    return attendance, records


def covered(summaries: Iterable[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """(person, month) pairs a summary decides: their punches are not scored."""
    return {(str(r["person"]), str(r["month"])) for r in summaries}
