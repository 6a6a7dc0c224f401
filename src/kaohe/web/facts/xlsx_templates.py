"""Downloadable XLSX templates, one per import kind: Chinese headers and an example row.

The headers are names the ingest presets recognise, so a filled-in template
imports without a saved mapping (a test round-trips every one).
"""

from __future__ import annotations

import io
from typing import Final

import xlsxwriter

from kaohe.web.facts.models import ImportKind

TEMPLATES: Final[dict[str, tuple[tuple[str, ...], tuple[object, ...], str]]] = {
    ImportKind.PUNCHES: (
        ("工号", "姓名", "打卡时间", "设备名称"),
        ("1001", "张三", "2024-04-01 08:25:00", "大厅1号机"),
        "每次打卡一行；工号请设为文本格式，以免丢失前导零。",
    ),
    ImportKind.LEAVE: (
        ("工号", "姓名", "请假类型", "开始日期", "结束日期", "天数", "审批结果"),
        ("1001", "张三", "事假", "2024-04-08", "2024-04-09", 2, "同意"),
        "天数可为整天或半天（0.5）；未批准的请假填“不同意”。",
    ),
    ImportKind.RATINGS: (
        (
            "评价编号",
            "办件编号",
            "评价时间",
            "窗口编号",
            "被评价人工号",
            "评价渠道",
            "评价等级",
            "是否默认评价",
            "是否属实",
        ),
        (
            "PJ20240401001",
            "BJ0001",
            "2024-04-01 10:12",
            "A1",
            "1001",
            "评价器",
            "非常满意",
            "否",
            "否",
        ),
        "评价等级：非常满意、满意、基本满意、不满意、非常不满意，或 1–5 星。",
    ),
    ImportKind.CARDS: (
        ("办件编号", "事项名称", "窗口", "承办人工号", "环节", "亮牌类型", "亮牌时间", "亮牌原因"),
        ("BJ0002", "营业执照变更", "A1", "1001", "受理", "黄牌", "2024-04-02 15:00", "即将超期"),
        "同一办件同一环节的红牌取代黄牌。",
    ),
    ImportKind.ATTENDANCE: (
        (
            "工号",
            "姓名",
            "月份",
            "应出勤天数",
            "实际出勤天数",
            "迟到次数",
            "早退次数",
            "缺卡次数",
            "旷工天数",
            "请假天数",
        ),
        ("1001", "张三", "2024-04", 21, 19.5, 1, 0, 2, 0.5, 1),
        "每人每月一行；次数为整数，天数可为整天或半天（0.5）。同一人同月已有考勤汇总时，"
        "以汇总为准，该月打卡不再计分；更正汇总须先撤销原导入批次。",
    ),
    ImportKind.VOTES: (
        ("测评组", "投票人", "被测评对象", "测评等次"),
        ("服务对象", "票001", "A1", "满意"),
        "测评等次：非常满意、满意、一般、不满意；考核期在上传页面填写。",
    ),
    ImportKind.SCORES: (
        ("来源", "考核对象", "得分", "排名"),
        ("12345热线", "A1", 98.5, 1),
        "考核对象填窗口编号、工号或单位代码；考核期在上传页面填写。",
    ),
}


def template_xlsx(kind: str) -> bytes:
    """The template workbook for ``kind``: header, one example row, a note sheet."""
    headers, example, note = TEMPLATES[kind]
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    text = book.add_format({"num_format": "@"})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    sheet = book.add_worksheet(str(ImportKind(kind).label))
    for col, name in enumerate(headers):
        sheet.write_string(0, col, name, bold)
        sheet.set_column(col, col, max(12, len(name) * 2 + 2), text)
    for col, value in enumerate(example):
        if isinstance(value, str):
            sheet.write_string(1, col, value, text)
        else:
            sheet.write_number(1, col, float(value))  # type: ignore[arg-type]
    sheet.freeze_panes(1, 0)
    notes = book.add_worksheet("说明")
    notes.write_string(0, 0, note)
    notes.write_string(1, 0, "第一行是表头，请勿修改；示例行可删除或覆盖。")
    book.close()
    return buf.getvalue()
