"""The clock software's monthly 考勤汇总: parsing it, and turning it into engine inputs.

Many centers have only the monthly summary (per person: 应出勤/实际出勤 days,
迟到/早退 counts, 缺卡 count, 旷工 days, leave days), not the raw punches.  A
summary row carries exactly what the punch path derives for a month
(:func:`kaohe.engine.attendance.summarize`), so the same month must score the
same either way.  Two things follow:

* the days and sign-in totals become one row of the engine's ``attendance``
  table (``workdays``, ``present_days``, ``expected_signins``,
  ``missed_signins``);
* the counts become ledger rows under the policy's sign-in schedule, exactly
  as :func:`kaohe.engine.attendance.to_records` charges punches: 迟到 → the
  schedule's ``late_item``, 早退 → ``early_item``, 缺卡 → ``missed_item``, a
  whole 旷工 day → ``absent_item`` (× the day's sign-ins when the schedule
  counts absence per sign-in), and a 旷工 half day → its half's sign-ins as
  ``missed_item`` (the punch path's rule for half days).  A half is the first
  ``ceil(n / 2)`` of the day's ``n`` sign-ins, as in the engine.

The parsed row (``ParseResult.rows``) is the ``attendance`` table's fields
plus the counts (``late``, ``early``, ``missed``, ``absent_days``,
``leave_days``): :func:`engine_rows` splits it.  Minutes of lateness are kept
for the record but charge nothing — every bundled regulation charges per
occurrence — so a file with minutes and no count is refused rather than
guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kaohe.ingest.fields import PERSON, Context, FieldError, Preset, call_field, pin_field
from kaohe.ingest.normalize import is_blank, parse_number, text

if TYPE_CHECKING:  # the engine (and Polars) is not loaded to parse a file
    from kaohe.engine.policy.models import Schedule

ZERO = Decimal(0)
MAX_DAYS = Decimal(31)
MAX_COUNT = 31 * 8
"""No month has more than 31 days, nor a day more than 8 required sign-ins."""

SUMMARY_PRESETS = (
    Preset(
        "attendance_summary",
        {
            "person": PERSON,
            "month": ("月份", "考勤月份", "统计月份", "考勤月", "汇总月份", "month"),
            "workdays": (
                "应出勤天数",
                "应出勤(天)",
                "应出勤（天）",
                "应出勤",
                "应到天数",
                "应出勤日数",
                "应上班天数",
                "工作日天数",
                "workdays",
            ),
            "present_days": (
                "实际出勤天数",
                "实出勤天数",
                "实际出勤(天)",
                "实际出勤（天）",
                "实际出勤",
                "实到天数",
                "出勤天数",
                "present_days",
            ),
            "late": ("迟到次数", "迟到(次)", "迟到（次）", "迟到", "late"),
            "late_serious": ("严重迟到次数", "严重迟到(次)", "严重迟到（次）"),
            "late_minutes": (
                "迟到时长(分钟)",
                "迟到时长（分钟）",
                "迟到分钟",
                "迟到分钟数",
                "迟到时长",
                "迟到(分钟)",
                "迟到（分钟）",
            ),
            "early": ("早退次数", "早退(次)", "早退（次）", "早退", "early"),
            "early_minutes": (
                "早退时长(分钟)",
                "早退时长（分钟）",
                "早退分钟",
                "早退分钟数",
                "早退时长",
                "早退(分钟)",
                "早退（分钟）",
            ),
            "missed": (
                "缺卡次数",
                "缺卡(次)",
                "缺卡（次）",
                "缺卡",
                "漏打卡次数",
                "漏卡次数",
                "未打卡次数",
                "missed",
            ),
            "missed_in": ("上班缺卡次数", "上班缺卡"),
            "missed_out": ("下班缺卡次数", "下班缺卡"),
            "absent_days": ("旷工天数", "旷工(天)", "旷工（天）", "旷工", "absent_days"),
            "leave_days": ("请假天数", "请假(天)", "请假（天）", "请假", "leave_days"),
            "expected_signins": ("应签到次数", "应打卡次数", "expected_signins"),
            "missed_signins": ("漏签次数", "未签到次数", "missed_signins"),
        },
        ("person",),
    ),
)
_DAYS = ("workdays", "present_days", "absent_days", "leave_days")
_COUNTS = ("late", "late_serious", "early", "missed", "missed_in", "missed_out")
_MINUTES = ("late_minutes", "early_minutes")
_SIGNINS = ("expected_signins", "missed_signins")
_CONTENT = frozenset((*_DAYS, *_COUNTS, *_MINUTES, *_SIGNINS))
_MONTH = re.compile(r"(?<!\d)(\d{4})\s*(?:[-/.年]\s*(\d{1,2})|(\d{2}))(?:\s*月)?(?!\d)")


def parse_month(value: object) -> str:
    """``YYYY-MM`` from ``2024-04``, ``2024/4``, ``2024年4月``, ``202404``, a date in it,
    or a range of dates inside one month (``2024-04-01 ~ 2024-04-30``)."""
    if isinstance(value, (datetime, date)):
        return f"{value.year:04d}-{value.month:02d}"
    raw = text(value)
    found = {(int(m[1]), int(m[2] or m[3])) for m in _MONTH.finditer(raw)}
    if len(found) != 1:
        what = "several months" if found else "no month"
        raise ValueError(f"{raw[:40]!r}: {what} (expected one month, e.g. 2024-04)")
    year, month = found.pop()
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise ValueError(f"{raw[:40]!r} is not a month")
    return f"{year:04d}-{month:02d}"


def _month(v: Mapping[str, Any], ctx: Context) -> str:
    """The row's month, else the given default (an upload's period), else the one month
    the title rows name, else the file name's."""
    if not is_blank(v.get("month")):
        return str(call_field("month", parse_month, v["month"]))
    given = ctx.defaults.get("month")
    if not is_blank(given):
        return str(call_field("month", parse_month, given))
    for guess in ("title", "source"):
        found = ctx.defaults.get(guess)
        if is_blank(found):
            continue
        try:
            return parse_month(found)
        except ValueError:  # none, or several months (制表日期 beside the month): no guess
            pass
    # no such column: name the column the user has to add
    raise FieldError("月份", "month is empty (add a 月份 column or give the month)")


def _amount(v: Mapping[str, Any], fld: str, *, halves: bool, limit: Decimal) -> Decimal | None:
    if is_blank(v.get(fld)):
        return None
    number: Decimal = call_field(fld, parse_number, v[fld])
    if number < 0:
        raise FieldError(fld, f"negative: {number}")
    if number > limit:
        raise FieldError(fld, f"{number} is more than a month can hold ({limit})")
    step = 2 if halves else 1
    if number * step != (number * step).to_integral_value():
        unit = "whole or half days" if halves else "a whole number"
        raise FieldError(fld, f"{number} must be {unit}")
    return number


def summary_row(v: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    """One person's month: the ``attendance`` table's fields plus the counts to charge."""
    if not _CONTENT & set(v):
        raise FieldError(
            "person", "no attendance columns (应出勤天数, 迟到次数, 早退次数, 缺卡次数, 旷工天数 …)"
        )
    row: dict[str, Any] = {"person": pin_field(v, "person", ctx), "month": _month(v, ctx)}
    got = {f: _amount(v, f, halves=True, limit=MAX_DAYS) for f in _DAYS}
    counts = {f: _amount(v, f, halves=False, limit=Decimal(MAX_COUNT)) for f in _COUNTS}
    minutes = {f: _amount(v, f, halves=False, limit=Decimal(10**6)) for f in _MINUTES}
    for count, spent in (("late", "late_minutes"), ("early", "early_minutes")):
        if counts[count] is None and (minutes[spent] or ZERO) > 0:
            raise FieldError(
                spent, "only minutes given: the policy charges per occurrence (add the 次数 column)"
            )
    workdays = got["workdays"]
    for fld in ("present_days", "absent_days", "leave_days"):
        if workdays is not None and (got[fld] or ZERO) > workdays:
            raise FieldError(fld, f"{got[fld]} is more than the {workdays} working days")
    row["workdays"] = workdays
    row["present_days"] = got["present_days"]
    for fld in _SIGNINS:
        row[fld] = _amount(v, fld, halves=False, limit=Decimal(MAX_COUNT))
    row["late"] = int((counts["late"] or ZERO) + (counts["late_serious"] or ZERO))
    row["early"] = int(counts["early"] or ZERO)
    if counts["missed"] is not None:
        row["missed"] = int(counts["missed"])
    else:
        row["missed"] = int((counts["missed_in"] or ZERO) + (counts["missed_out"] or ZERO))
    row["absent_days"] = got["absent_days"] or ZERO
    row["leave_days"] = got["leave_days"] or ZERO
    extras = {f: int(m) for f, m in minutes.items() if m is not None}
    return row, extras


# ------------------------------------------------------------------ to the engine


def _slots(days: Decimal, n: int) -> tuple[int, int]:
    """(whole days, sign-ins of the half day) for ``days`` (whole or .5) of ``n`` sign-ins."""
    whole = int(days)
    half = (n + 1) // 2 if days - whole else 0
    return whole, half


def attendance_row(row: Mapping[str, Any], schedule: Schedule | None) -> dict[str, Any]:
    """The engine's ``attendance`` row; sign-in totals the file leaves out are derived.

    Derived as the punch path counts them: expected = every sign-in of the
    working days not excused by leave; missed = 缺卡 plus every sign-in of a
    旷工 day or half day.  Without a schedule there is no number of daily
    sign-ins, so what the file does not say stays empty (the engine's default).
    """
    out = {f: row.get(f) for f in ("person", "month", "workdays", "present_days", *_SIGNINS)}
    if schedule is None:
        return out
    n = len(schedule.signins)
    if out["expected_signins"] is None and out["workdays"] is not None:
        whole, half = _slots(Decimal(row.get("leave_days") or 0), n)
        out["expected_signins"] = Decimal(out["workdays"]) * n - whole * n - half
    if out["missed_signins"] is None:
        whole, half = _slots(Decimal(row.get("absent_days") or 0), n)
        out["missed_signins"] = Decimal(int(row.get("missed") or 0) + whole * n + half)
    return out


def ledger_rows(
    row: Mapping[str, Any], schedule: Schedule | None, on: date, note: str = ""
) -> list[dict[str, Any]]:
    """Records ``{date, subject, item, count, note}`` for the counts, dated ``on``.

    ``on`` is a day of the month the person served: the engine reads these
    counts per month, as it reads the punch path's per-day records.
    """
    if schedule is None:
        return []
    n = len(schedule.signins)
    whole, half = _slots(Decimal(row.get("absent_days") or 0), n)
    per_day = n if schedule.absent_unit == "signin" else 1
    month = row.get("month", "")
    late, early, missed = (int(row.get(f) or 0) for f in ("late", "early", "missed"))
    charges = (
        (schedule.late_item, late, f"迟到 {late} 次"),
        (schedule.early_item, early, f"早退 {early} 次"),
        (schedule.missed_item, missed, f"缺卡 {missed} 次"),
        (schedule.missed_item, half, f"半天旷工（{half} 次签到）"),
        (schedule.absent_item, whole * per_day, f"旷工 {whole} 天"),
    )
    return [
        {
            "date": on,
            "subject": row["person"],
            "item": item,
            "count": count,
            "note": f"考勤汇总 {month}：{what}{note}",
        }
        for item, count, what in charges
        if item is not None and count > 0
    ]
