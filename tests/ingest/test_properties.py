"""Random and malformed cells into every importer: no traceback, ever.

Every non-blank data row must end up exactly once as a valid row, a row-level
error or a deliberate skip; valid rows must be accepted by the engine.
"""

from __future__ import annotations

import string
from datetime import date, datetime, time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaohe.engine import load_policy
from kaohe.engine.inputs import build_table
from kaohe.ingest import KINDS, parse_bytes
from kaohe.ingest.summary import attendance_row, ledger_rows

from .helpers import csv_text, html_table, xlsx_bytes

HEADERS = {
    "punches": ["工号", "姓名", "打卡时间"],
    "leave": ["工号", "请假类型", "开始时间", "结束时间", "时长", "审批结果"],
    "ratings": ["办件编号", "评价渠道", "窗口", "被评价人", "评价时间", "评价等级", "是否默认评价"],
    "cards": ["办件编号", "承办人工号", "环节", "亮牌类型", "亮牌时间"],
    "votes": ["测评组", "投票人", "被测评对象", "测评等次"],
    "scores": ["来源", "考核对象", "得分", "排名"],
    "attendance": ["工号", "月份", "应出勤天数", "迟到次数", "早退次数", "缺卡次数", "旷工天数"],
}

# Printable text openpyxl can store (no control characters) and CSV can round-trip.
FRAGMENTS = [
    *(string.ascii_letters + string.digits + " -/:.,年月日星期六次日１★\u3000"),
    *["非常满意", "满意", "红牌", "黄牌", "是", "否", "通过", "张三", '"', "\n"],
]
safe_text = st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join)
plausible = st.sampled_from(
    ["1001", "1001.0", "1.001E+3", "2026-02-03 08:00", "2026/2/3 8:05", "26-02-07 星期六",
     "次日 00:30", "非常满意", "3", "0", "-1", "1e400", "nan", "inf", "红牌", "黄灯", "是", "通过",
     "合计", "", " "]
)  # fmt: skip
cell = st.one_of(
    st.none(),
    safe_text,
    plausible,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)),
    st.booleans(),
)
GUANGDE = load_policy("guangde-2023")
DAY = date(2024, 4, 1)
grid = st.lists(st.lists(cell, min_size=0, max_size=8), min_size=0, max_size=12)


def check(kind: str, data: bytes) -> None:
    result = parse_bytes(kind, data)
    accounted = (
        result.valid
        + len({e.row for e in result.errors if e.row is not None})
        + len(
            [
                s
                for s in result.skipped
                if not s.message.startswith(("summary", "duplicate", "yellow"))
            ]
        )
    )
    assert accounted == result.source_rows or any(e.row is None for e in result.errors)
    if kind != "attendance":
        build_table(result.table, result.rows)
        return
    # A summary row is the attendance table plus counts: both halves must suit the engine.
    schedule = GUANGDE.schedule
    build_table("attendance", [attendance_row(r, schedule) for r in result.rows])
    build_table("records", [rec for r in result.rows for rec in ledger_rows(r, schedule, DAY)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(KINDS)), rows=grid)
def test_random_cells_in_xlsx(kind: str, rows: list[list[object]]) -> None:
    cleaned = [[c.replace(tzinfo=None) if isinstance(c, datetime) else c for c in r] for r in rows]
    check(kind, xlsx_bytes([HEADERS[kind], *cleaned]))


@settings(max_examples=80, deadline=None)
@given(
    kind=st.sampled_from(sorted(KINDS)),
    rows=grid,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_random_cells_in_csv(kind: str, rows: list[list[object]], encoding: str) -> None:
    text = csv_text([HEADERS[kind], *rows])
    check(kind, text.encode(encoding))


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(sorted(KINDS)), rows=grid)
def test_random_cells_in_html(kind: str, rows: list[list[object]]) -> None:
    check(kind, html_table([HEADERS[kind], *rows]).encode())


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(sorted(KINDS)), data=st.binary(max_size=400))
def test_random_bytes(kind: str, data: bytes) -> None:
    check(kind, data)


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from(sorted(KINDS)),
    prefix=st.sampled_from(
        [
            b"",
            b"PK\x03\x04",
            b"\xd0\xcf\x11\xe0",
            b"<",
            b"<?xml ",
            b"\xef\xbb\xbf",
            b"MIME-Version: 1.0\n",
        ]
    ),
    data=st.binary(max_size=200),
)
def test_malformed_containers(kind: str, prefix: bytes, data: bytes) -> None:
    check(kind, prefix + data)


@settings(max_examples=100, deadline=None)
@given(
    pin=st.one_of(safe_text, st.integers(min_value=-5, max_value=10**12)),
    when=st.one_of(safe_text, plausible, st.times().map(time.isoformat)),
    rest=st.lists(safe_text, max_size=4),
)
def test_random_attlog_lines(pin: object, when: str, rest: list[str]) -> None:
    line = "\t".join([f"{pin!s:>9}", f"2026-02-03 {when}", *rest])
    check("punches", (line + "\n").encode())
