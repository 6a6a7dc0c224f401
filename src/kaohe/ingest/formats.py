"""Per-kind presets and row converters: which headers mean what, and how to type a row.

Column lists for vendor exports are partly unconfirmed (see the ingest spec),
so every preset is just a default mapping: a saved mapping replaces it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kaohe.ingest.fields import (
    PERSON,
    Context,
    FieldError,
    Preset,
    Skip,
)
from kaohe.ingest.fields import call_field as _call
from kaohe.ingest.fields import pin_field as _pin
from kaohe.ingest.normalize import (
    is_blank,
    normalize_pin,
    parse_day,
    parse_flag,
    parse_number,
    parse_when,
    parse_whole,
    text,
)
from kaohe.ingest.summary import SUMMARY_PRESETS, summary_row

# ------------------------------------------------------------------ punches

PUNCH_PRESETS = (
    Preset(
        "dingtalk",
        {
            "person": ("工号",),
            "date": ("考勤日期",),
            "time": ("打卡时间",),
            "result": ("打卡结果",),
            "scheduled": ("考勤时间",),
            "group": ("考勤组",),
        },
        ("person", "date", "time"),
    ),
    Preset(
        "zkteco_pc",
        {
            "person": ("考勤号码", "登记号码"),
            "time": ("日期时间", "签到时间", "打卡时间"),
            "machine": ("机器号",),
            "verify": ("比对方式", "验证方式"),
        },
        ("person", "time"),
    ),
    Preset(
        "terminal",
        {
            "person": PERSON,
            "date": ("日期", "考勤日期"),
            "time": ("认证时间", "打卡时间", "刷卡时间", "识别时间", "时间", "time"),
        },
        ("person", "time"),
    ),
)


def punch_row(v: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        person = normalize_pin(v.get("person"), ctx.pin_width)
    except ValueError as exc:
        raise FieldError("person", str(exc)) from None
    if is_blank(v.get("time")):
        if not is_blank(v.get("result")):
            raise Skip(f"no punch ({text(v['result'])[:40]})")
        raise FieldError("time", "punch time is empty")
    try:
        when = parse_when(v.get("time"), v.get("date"))
    except ValueError as exc:
        raise FieldError("time", str(exc)) from None
    extras = {
        k: text(v[k])[:200]
        for k in ("result", "scheduled", "machine", "verify", "meta")
        if not is_blank(v.get(k))
    }
    return {"person": person, "time": when}, extras


# ------------------------------------------------------------------ leave

LEAVE_PRESETS = (
    Preset(
        "leave",
        {
            "person": PERSON,
            "type": ("请假类型", "假期类型", "假别", "请假类别", "类型", "type"),
            "start": ("开始时间", "开始日期", "请假开始时间", "起始日期", "start"),
            "end": ("结束时间", "结束日期", "请假结束时间", "截止日期", "end"),
            "days": ("天数", "请假天数", "时长", "请假时长", "时长(天)", "days"),
            "approved": ("审批结果", "审批状态", "是否批准", "状态", "approved"),
        },
        ("person", "type"),
    ),
)


def leave_row(v: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    row: dict[str, Any] = {"person": _pin(v, "person", ctx)}
    kind = text(v.get("type")) if not is_blank(v.get("type")) else ""
    if not kind:
        raise FieldError("type", "leave type is empty")
    row["type"] = kind[:60]
    for fld in ("start", "end"):
        row[fld] = None if is_blank(v.get(fld)) else _call(fld, parse_day, v[fld])
    if row["start"] and row["end"] and row["end"] < row["start"]:
        raise FieldError("end", "ends before it starts")
    if not is_blank(v.get("days")):
        days = _call("days", parse_number, v["days"])
        if days < 0:
            raise FieldError("days", "negative days")
        row["days"] = days
    else:
        row["days"] = None
    row["approved"] = (
        True if is_blank(v.get("approved")) else _call("approved", parse_flag, v["approved"])
    )
    return row, {}


# ------------------------------------------------------------------ ratings

LEVELS = {"非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "非常不满意": 1}
RATING_PRESETS = (
    Preset(
        "haochaping",
        {
            "date": ("评价时间", "评价日期", "date"),
            "window": ("窗口", "窗口编号", "窗口名称", "window"),
            "person": ("被评价人工号", "被评价人(工号)", "被评价人", "工号", "person"),
            "level": ("评价等级", "评价结果", "满意度", "星级", "评分", "stars"),
            "default": ("是否默认评价", "默认评价", "default"),
            "verified": ("是否属实", "核实结果", "核实情况", "verified"),
            "appeal": ("申诉复核结果", "复核结果"),
            "case": ("办件编号", "业务编号", "受理编号"),
            "channel": ("评价渠道", "渠道"),
            "rating_id": ("评价编号",),
        },
        ("date", "level"),
    ),
)
_APPEAL_EXCLUDES = re.compile(r"误评|恶意|不予计|撤销|剔除|无效")


def stars_of(value: object) -> int:
    """Five text levels (非常满意 … 非常不满意), ``5星``/★★★ or a number 1–5."""
    raw = text(value)
    if raw in LEVELS:
        return LEVELS[raw]
    if raw and set(raw) <= {"★", "☆"}:
        stars = raw.count("★")
    else:
        stars = parse_whole(re.sub(r"\s*(星|分)$", "", raw))
    if not 1 <= stars <= 5:
        raise ValueError(f"{raw[:20]!r} is not a level (非常满意…非常不满意) or 1–5 stars")
    return stars


def rating_row(v: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    row: dict[str, Any] = {"date": _call("date", parse_day, v.get("date"))}
    row["window"] = None if is_blank(v.get("window")) else text(v["window"])[:100]
    row["person"] = None if is_blank(v.get("person")) else _pin(v, "person", ctx)
    row["stars"] = _call("level", stars_of, v.get("level"))
    verified = (
        False if is_blank(v.get("verified")) else _call("verified", parse_flag, v["verified"])
    )
    appeal = "" if is_blank(v.get("appeal")) else text(v["appeal"])[:200]
    if appeal and _APPEAL_EXCLUDES.search(appeal):
        verified = False
    row["verified"] = verified
    row["already_deducted"] = False
    row["default"] = (
        False if is_blank(v.get("default")) else _call("default", parse_flag, v["default"])
    )
    extras = {
        k: text(v[k])[:200]
        for k in ("case", "channel", "rating_id", "appeal")
        if not is_blank(v.get(k))
    }
    return row, extras


# ------------------------------------------------------------------ cards

CARD_PRESETS = (
    Preset(
        "esupervision",
        {
            "case": ("办件编号", "业务编号", "受理编号", "案件编号", "case"),
            "matter": ("事项名称", "事项"),
            "person": ("承办人工号", "经办人工号", "办理人工号", "工号", "person"),
            "window": ("窗口", "窗口名称", "window"),
            "stage": ("环节", "办理环节", "环节名称", "阶段", "stage"),
            "colour": (
                "牌类型",
                "亮牌类型",
                "亮灯类型",
                "预警类型",
                "预警级别",
                "颜色",
                "类型",
                "colour",
            ),
            "issued": ("亮牌时间", "发牌时间", "预警时间", "产生时间", "时间", "issued"),
            "reason": ("原因", "亮牌原因", "预警原因", "reason"),
            "status": ("状态", "处理状态", "status"),
        },
        ("case", "colour", "issued"),
    ),
)


def colour_of(value: object) -> str:
    raw = text(value).lower()
    if "红" in raw or raw == "red":
        return "red"
    if "黄" in raw or raw == "yellow":
        return "yellow"
    raise ValueError(f"not a red or yellow card: {raw[:20]!r}")


def card_row(v: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    if is_blank(v.get("case")):
        raise FieldError("case", "case number is empty")
    colour = _call("colour", colour_of, v.get("colour"))
    day = _call("issued", parse_day, v.get("issued"))
    if not is_blank(v.get("person")):
        subject = _pin(v, "person", ctx)
    elif not is_blank(v.get("window")):
        subject = text(v["window"])[:100]
    else:
        raise FieldError("person", "neither a handler nor a window")
    row = {
        "date": day,
        "subject": subject,
        "item": f"{colour}_card",
        "count": 1,
        "note": None if is_blank(v.get("reason")) else text(v["reason"])[:200],
    }
    extras = {
        "case": text(v["case"])[:100],
        "stage": "" if is_blank(v.get("stage")) else text(v["stage"])[:100],
        "colour": colour,
    }
    for k in ("matter", "status"):
        if not is_blank(v.get(k)):
            extras[k] = text(v[k])[:200]
    return row, extras


# ------------------------------------------------------------------ votes

VOTE_LEVELS = ("非常满意", "满意", "一般", "不满意")
VOTE_SYNONYMS = {"基本满意": "一般"}
VOTE_PRESETS = (
    Preset(
        "ballots",
        {
            "group": ("测评组", "投票组", "组别", "测评类别", "group"),
            "voter": ("投票人", "测评人", "评议人", "投票人编号", "选票编号", "voter"),
            "subject": ("被测评对象", "测评对象", "被评议人", "被测评人", "对象", "subject"),
            "level": ("测评等次", "测评结果", "评价", "等次", "满意度", "level"),
        },
        ("voter", "subject", "level"),
    ),
)


def vote_row(v: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    group = v.get("group")
    if is_blank(group):
        group = ctx.defaults.get("group")
    if is_blank(group):
        raise FieldError("group", "group is empty")
    row: dict[str, Any] = {"group": text(group)[:100]}
    for fld in ("voter", "subject"):
        if is_blank(v.get(fld)):
            raise FieldError(fld, f"{fld} is empty")
        row[fld] = _pin(v, fld, ctx) if fld == "subject" else text(v[fld])[:100]
    level = text(v.get("level")) if not is_blank(v.get("level")) else ""
    level = VOTE_SYNONYMS.get(level, level)
    if level not in VOTE_LEVELS:
        raise FieldError("level", f"{level[:20]!r} is not one of {', '.join(VOTE_LEVELS)}")
    row["level"] = level
    return row, {}


# ------------------------------------------------------------------ scores

SCORE_PRESETS = (
    Preset(
        "scores",
        {
            "source": ("来源", "数据来源", "考核项目", "指标", "source"),
            "subject": ("考核对象", "被考核对象", "对象", "工号", "窗口", "单位", "subject"),
            "value": ("得分", "分值", "分数", "成绩", "value"),
            "rank": ("排名", "名次", "rank"),
        },
        ("subject",),
    ),
)


def score_row(v: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    source = v.get("source")
    if is_blank(source):
        source = ctx.defaults.get("source")
    if is_blank(source):
        raise FieldError("source", "source is empty (add a column or a default)")
    if is_blank(v.get("subject")):
        raise FieldError("subject", "subject is empty")
    row: dict[str, Any] = {"source": text(source)[:100], "subject": _pin(v, "subject", ctx)}
    row["value"] = None if is_blank(v.get("value")) else _call("value", parse_number, v["value"])
    row["rank"] = None if is_blank(v.get("rank")) else _call("rank", parse_whole, v["rank"])
    if row["value"] is None and row["rank"] is None:
        raise FieldError("value", "neither a value nor a rank")
    if row["rank"] is not None and row["rank"] < 1:
        raise FieldError("rank", "rank must be 1 or more")
    return row, {}


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    presets: tuple[Preset, ...]
    convert: Callable[[Mapping[str, Any], Context], tuple[dict[str, Any], dict[str, Any]]]
    person_fields: tuple[str, ...]


KINDS: dict[str, Kind] = {
    "punches": Kind("punches", "punches", PUNCH_PRESETS, punch_row, ("person",)),
    "leave": Kind("leave", "leave", LEAVE_PRESETS, leave_row, ("person",)),
    "ratings": Kind("ratings", "ratings", RATING_PRESETS, rating_row, ("person",)),
    "cards": Kind("cards", "records", CARD_PRESETS, card_row, ()),
    "votes": Kind("votes", "votes", VOTE_PRESETS, vote_row, ()),
    "scores": Kind("scores", "scores", SCORE_PRESETS, score_row, ()),
    "attendance": Kind("attendance", "attendance", SUMMARY_PRESETS, summary_row, ("person",)),
}
