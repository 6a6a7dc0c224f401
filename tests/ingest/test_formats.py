"""One fixture per real format and per trap in the ingest spec."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kaohe.engine.inputs import build_table
from kaohe.ingest import ParseResult, load_mapping, parse_bytes, parse_file
from kaohe.ingest.normalize import LOCAL_TZ
from kaohe.ingest.reading import sheets_from_xls

from .helpers import csv_text, html_table, xlsx_bytes


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)  # type: ignore[misc]


def engine_ok(result: ParseResult) -> None:
    """Every valid row is accepted by the engine's own table builder."""
    frame = build_table(result.table, result.rows)
    assert frame.height == result.valid


def punches(result: ParseResult) -> list[tuple[str, datetime]]:
    return [(r["person"], r["time"]) for r in result.rows]


# ------------------------------------------------------------------ ZKTeco device file


DAT = (
    "   1001\t2026-02-05 08:01:02\t1\t0\t1\t0\n"
    "   1001\t2026-02-05 08:01:09\t1\t0\t1\t0\n"  # duplicate seconds apart: keep both
    "     12\t2026-02-05 17:59:00\t1\t1\t1\t0\n"
    "   1001\t2026-02-06 00:30:00\t15\t1\t1\t0\n"  # sign-out after midnight: keep
    "   9999\t2026-02-05 09:00:00\t1\t0\t1\t0\n"  # unknown PIN: keep, list as unmatched
    "   1002\tbroken\t1\t0\t1\t0\n"
)


def test_zkteco_attlog_dat(tmp_path: Path) -> None:
    path = tmp_path / "A1_attlog.dat"
    path.write_text(DAT, encoding="ascii")
    result = parse_file("punches", path, known_pins={"1001", "0012", "1002"}, pin_width=4)
    assert result.format == "zkteco_dat"
    assert result.source_rows == 6 and result.valid == 5
    assert punches(result) == [
        ("1001", at(2026, 2, 5, 8, 1, 2)),
        ("1001", at(2026, 2, 5, 8, 1, 9)),
        ("0012", at(2026, 2, 5, 17, 59)),
        ("1001", at(2026, 2, 6, 0, 30)),
        ("9999", at(2026, 2, 5, 9, 0)),
    ]
    assert result.unmatched == ["9999"]
    assert [(e.row, e.column) for e in result.errors] == [(6, "time")]
    assert result.extras[0] == {"meta": "1\t0\t1\t0"}  # opaque; never on/off duty
    engine_ok(result)


def test_dat_with_separate_date_and_time_fields() -> None:
    result = parse_bytes("punches", b"  7\t2026-02-05\t08:00:00\t1\t0\n")
    assert punches(result) == [("7", at(2026, 2, 5, 8))]


# ------------------------------------------------------------------ ZKTeco PC software

ZK_HEADER = ["部门", "姓名", "考勤号码", "日期时间", "机器号", "比对方式", "卡号"]
ZK_ROWS = [
    ["政务服务中心", "张三", 1001, datetime(2026, 2, 3, 8, 2), 1, "指纹", "12345678"],
    ["政务服务中心", "李四", "0012", "2026/2/3 8:15", 1, "面部", ""],
]


def test_zkteco_pc_xlsx() -> None:
    result = parse_bytes("punches", xlsx_bytes([ZK_HEADER, *ZK_ROWS]))
    assert (result.format, result.encoding, result.header_row) == ("zkteco_pc", None, 1)
    assert punches(result) == [("1001", at(2026, 2, 3, 8, 2)), ("0012", at(2026, 2, 3, 8, 15))]
    assert result.extras[0] == {"machine": "1", "verify": "指纹"}
    assert {"姓名", "部门", "卡号"} <= set(result.dropped_columns)
    engine_ok(result)


def test_fake_xls_html_in_gbk(tmp_path: Path) -> None:
    path = tmp_path / "考勤记录.xls"
    rows = [
        ["考勤记录表"],
        ZK_HEADER,
        ["中心", "张三", "1001", "2026-02-03 08:02:00", "1", "指纹", ""],
    ]
    path.write_bytes(html_table(rows, charset="gb2312").encode("gbk"))
    result = parse_file("punches", path)
    assert (result.format, result.container) == ("zkteco_pc", "html")
    assert (result.encoding, result.header_row) == ("gb18030", 2)
    assert punches(result) == [("1001", at(2026, 2, 3, 8, 2))]


def test_fake_xls_tab_separated_text(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    path.write_text(
        csv_text([ZK_HEADER, ["中心", "张三", "1001", "2026-02-03 08:02:00", "1", "", ""]], "\t"),
        encoding="utf-8",
    )
    result = parse_file("punches", path)
    assert (result.container, result.format, result.valid) == ("text", "zkteco_pc", 1)


def test_fake_xls_spreadsheetml() -> None:
    cells = "".join(f'<Cell><Data ss:Type="String">{h}</Data></Cell>' for h in ZK_HEADER[:4])
    data = "".join(
        f'<Cell><Data ss:Type="String">{v}</Data></Cell>'
        for v in ["中心", "张三", "1001", "2026-02-03 08:02:00"]
    )
    xml = (
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        f'<Worksheet ss:Name="考勤"><Table><Row ss:Index="2">{cells}</Row><Row>{data}</Row>'
        "</Table></Worksheet></Workbook>"
    )
    result = parse_bytes("punches", xml.encode())
    assert (result.container, result.header_row) == ("xml", 2)
    assert punches(result) == [("1001", at(2026, 2, 3, 8, 2))]
    assert [r["_row"] for r in result.rows] == [3]


def test_xml_entities_refused() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Workbook>&a;</Workbook>'
    result = parse_bytes("punches", bomb.encode())
    assert result.valid == 0 and "DOCTYPE" in result.errors[0].message


def test_fake_xls_mht() -> None:
    html = html_table([ZK_HEADER[:4], ["中心", "张三", "1001", "2026-02-03 08:02:00"]])
    mht = (
        'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="B"\r\n\r\n'
        '--B\r\nContent-Type: text/html; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + html + "\r\n--B--\r\n"
    )
    result = parse_bytes("punches", mht.encode())
    assert (result.container, result.valid) == ("mht", 1)


def test_legacy_biff_xls_unreadable_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    result = parse_file("punches", path)
    assert result.valid == 0
    assert result.errors[0].row is None
    assert "save as .xlsx" in result.errors[0].message


def test_xls_reader_path_via_calamine() -> None:
    # fastexcel (calamine) reads BIFF and XLSX through the same call: exercise it.
    sheets = sheets_from_xls(
        xlsx_bytes([ZK_HEADER[:4], ["中心", "张三", 1001, "2026-02-03 08:02"]])
    )
    assert sheets[0].rows[1][1][2] == "1001"


# ------------------------------------------------------------------ DingTalk

DT_HEADER = [
    "姓名",
    "考勤组",
    "部门",
    "工号",
    "职位",
    "UserId",
    "考勤日期",
    "考勤时间",
    "打卡时间",
    "打卡结果",
    "打卡地址",
    "打卡备注",
    "异常打卡原因",
    "打卡图片1",
    "打卡图片2",
    "打卡设备",
    "管理员修改备注",
]


def dt_row(pin: object, day: str, sched: str, clock: object, res: str) -> list[object]:
    return ["张三", "窗口组", "中心", pin, "科员", "u1", day, sched, clock, res,
            "某路1号", "", "", "http://img/1.jpg", "", "iPhone", ""]  # fmt: skip


def test_dingtalk_raw_records_xlsx() -> None:
    rows: list[list[object]] = [
        ["原始记录 统计日期:2026-02-01 至 2026-02-28"],
        ["报表生成时间:2026-03-01 09:00"],
        DT_HEADER,
        dt_row("01001", "26-02-07 星期六", "上班 08:30", "08:25", "正常"),
        dt_row("01001", "26-02-07 星期六", "下班 17:30", "次日 00:30", "正常"),
        dt_row("01001", "26-02-09 星期一", "上班 08:30", None, "缺卡"),
        dt_row("01001", "26-02-09 星期一", "下班 17:30", "2026-02-09 17:31", "正常"),
        ["合计", None, None, None],
    ]
    result = parse_bytes("punches", xlsx_bytes(rows, merge_title="A1:Q1"))
    assert (result.format, result.header_row) == ("dingtalk", 3)
    assert punches(result) == [
        ("01001", at(2026, 2, 7, 8, 25)),
        ("01001", at(2026, 2, 8, 0, 30)),
        ("01001", at(2026, 2, 9, 17, 31)),
    ]
    assert result.errors == []
    assert [(s.row, s.message[:8]) for s in result.skipped] == [(6, "no punch"), (8, "summary ")]
    assert result.extras[0]["result"] == "正常"
    for personal in ("打卡地址", "打卡图片1", "打卡设备", "姓名"):
        assert personal in result.dropped_columns
    assert all("打卡地址" not in str(e) and "iPhone" not in str(e) for e in result.extras)
    engine_ok(result)


# ------------------------------------------------------------------ encodings and PINs

GENERIC = [["工号", "姓名", "认证时间", "设备名称"], ["1001", "张三", "2026-02-03 08:00:00", "门1"]]


def test_gbk_csv(tmp_path: Path) -> None:
    path = tmp_path / "faces.csv"
    path.write_bytes(csv_text(GENERIC).encode("gbk"))
    result = parse_file("punches", path)
    assert (result.format, result.encoding, result.valid) == ("terminal", "gb18030", 1)


def test_utf8_bom_csv(tmp_path: Path) -> None:
    path = tmp_path / "faces.csv"
    path.write_bytes(csv_text(GENERIC).encode("utf-8-sig"))
    result = parse_file("punches", path)
    assert (result.encoding, result.valid, result.header_row) == ("utf-8-sig", 1, 1)


def test_lost_leading_zeros_and_float_pins() -> None:
    rows = [["工号", "时间"], [123, "2026-02-03 08:00"], ["1001.0", "2026-02-03 08:00"],
            [1.001e3, "2026-02-03 08:00"], ["00123", "2026-02-03 09:00"]]  # fmt: skip
    result = parse_bytes("punches", xlsx_bytes(rows), pin_width=5)
    assert [r["person"] for r in result.rows] == ["00123", "01001", "01001", "00123"]


def test_no_header_is_a_file_error() -> None:
    result = parse_bytes("punches", b"a,b\n1,2\n")
    assert result.valid == 0 and result.errors[0].row is None
    assert "no header row" in result.errors[0].message


def test_binary_garbage_is_a_file_error() -> None:
    result = parse_bytes("leave", bytes(range(256)) * 4)
    assert result.valid == 0 and result.errors and result.errors[0].row is None


# ------------------------------------------------------------------ saved mappings


def test_saved_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hik.yaml").write_text(
        "table: punches\ncolumns: {person: 人员ID, date: 日期, time: 时刻}\npin_width: 4\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("KAOHE_MAPPINGS_DIR", str(tmp_path))
    mapping = load_mapping("hik")
    rows = [["人员ID", "日期", "时刻", "住址"], [7, "2026/2/3", "8:01", "某街"]]
    result = parse_bytes("punches", xlsx_bytes(rows), mapping=mapping)
    assert result.format == "mapping:hik"
    assert punches(result) == [("0007", at(2026, 2, 3, 8, 1))]
    assert result.dropped_columns == ["住址"]
    wrong_kind = parse_bytes("leave", xlsx_bytes(rows), mapping=mapping)
    assert "is for punches" in wrong_kind.errors[0].message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("table: nope\ncolumns: {a: b}\n", "table must be"),
        ("table: punches\ncolumns: {person: 工号}\n", "required fields"),
        ("table: punches\ncolumns: {person: 工号, time: t, x: y}\n", "unknown field"),
        ("[1, 2\n", "not valid YAML"),
    ],
)
def test_bad_mappings(tmp_path: Path, text: str, message: str) -> None:
    from kaohe.ingest import MappingError

    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=message):
        load_mapping("m", tmp_path)
    with pytest.raises(MappingError, match="bad mapping name"):
        load_mapping("../m", tmp_path)


# ------------------------------------------------------------------ other kinds


def test_leave() -> None:
    rows = [
        ["工号", "姓名", "请假类型", "开始时间", "结束时间", "时长", "审批结果"],
        ["1001", "张三", "年假", "2026-02-03", "2026-02-04", "2", "通过"],
        ["1002", "李四", "病假", "2026-02-05 09:00", "2026-02-05 12:00", "0.5", "驳回"],
        ["1003", "王五", "事假", "2026-02-06", "2026-02-05", "1", "通过"],
        ["1004", "赵六", "", "2026-02-06", "", "1", ""],
    ]
    result = parse_bytes("leave", csv_text(rows).encode())
    assert [(r["person"], r["type"], r["days"], r["approved"]) for r in result.rows] == [
        ("1001", "年假", Decimal("2"), True),
        ("1002", "病假", Decimal("0.5"), False),
    ]
    assert result.rows[0]["start"] == date(2026, 2, 3)
    assert [(e.row, e.column) for e in result.errors] == [(4, "结束时间"), (5, "请假类型")]
    engine_ok(result)


def test_ratings_haochaping() -> None:
    rows = [
        ["评价编号", "办件编号", "窗口", "被评价人(工号)", "评价渠道", "评价时间", "评价等级",
         "是否默认评价", "评价人手机号", "申诉复核结果"],
        ["P1", "B1", "W01", "1001", "政务服务网", "2026-02-03 10:00", "非常满意", "否", "13800000000", ""],
        ["P2", "B2", "W01", "1001", "评价器", "2026-02-03 11:00", "基本满意", "是", "", ""],
        ["P3", "B2", "评价器", "1001", "评价器", "2026-02-03 11:05", "满意", "否", "", ""],
        ["P4", "B3", "W02", "1002", "12345", "2026-02-04", 1, "否", "", "误评，不予计分"],
        ["P5", "B4", "W02", "1002", "app", "2026-02-04", "一般般", "否", "", ""],
    ]  # fmt: skip
    rows[3][2] = "W01"
    result = parse_bytes("ratings", xlsx_bytes(rows))
    got = [(r["window"], r["person"], r["stars"], r["default"], r["verified"]) for r in result.rows]
    assert got == [
        ("W01", "1001", 5, False, False),
        ("W01", "1001", 3, True, False),
        ("W02", "1002", 1, False, False),
    ]
    assert [s.row for s in result.skipped] == [4]  # 一次一评: same case, same channel
    assert [(e.row, e.column) for e in result.errors] == [(6, "评价等级")]
    assert "评价人手机号" in result.dropped_columns
    assert result.extras[2]["appeal"].startswith("误评")
    engine_ok(result)


def test_cards_red_supersedes_yellow() -> None:
    rows = [
        ["办件编号", "事项名称", "窗口", "承办人工号", "环节", "亮牌类型", "亮牌时间", "原因"],
        ["C1", "营业执照", "W01", "1001", "受理", "黄牌", "2026-02-03 10:00", "即将超期"],
        ["C1", "营业执照", "W01", "1001", "受理", "红牌", "2026-02-05 10:00", "超期"],
        ["C1", "营业执照", "W01", "1001", "审批", "黄牌", "2026-02-06 10:00", "即将超期"],
        ["C1", "营业执照", "W01", "1001", "审批", "黄牌", "2026-02-06 10:01", "重复推送"],
        ["C2", "食品许可", "W02", "", "受理", "红灯", "2026-02-07", "拒不受理"],
        ["C3", "食品许可", "W02", "", "受理", "蓝牌", "2026-02-07", ""],
    ]
    result = parse_bytes("cards", xlsx_bytes(rows))
    assert result.table == "records"
    assert [(r["_row"], r["subject"], r["item"]) for r in result.rows] == [
        (3, "1001", "red_card"),
        (4, "1001", "yellow_card"),
        (6, "W02", "red_card"),
    ]
    assert sorted((s.row, s.message) for s in result.skipped) == [
        (2, "yellow card superseded by a red"),
        (5, "duplicate yellow card"),
    ]
    assert [(e.row, e.column) for e in result.errors] == [(7, "亮牌类型")]
    engine_ok(result)


def test_votes_ballots() -> None:
    rows = [
        ["测评组", "投票人", "被测评对象", "测评等次"],
        ["服务对象", "V001", "1001", "非常满意"],
        ["服务对象", "V002", "1001", "基本满意"],
        ["服务对象", "V003", "1001", "很好"],
    ]
    result = parse_bytes("votes", csv_text(rows).encode("utf-8-sig"))
    assert [r["level"] for r in result.rows] == ["非常满意", "一般"]
    assert [(e.row, e.column) for e in result.errors] == [(4, "测评等次")]
    engine_ok(result)


def test_scores_source_from_file_name(tmp_path: Path) -> None:
    path = tmp_path / "12345热线.csv"
    path.write_text(
        csv_text(
            [["考核对象", "得分", "排名"], ["W01", "98.5", "1"], ["W02", "", "2"], ["W03", "", ""]]
        ),
        encoding="utf-8",
    )
    result = parse_file("scores", path)
    assert [(r["source"], r["subject"], r["value"], r["rank"]) for r in result.rows] == [
        ("12345热线", "W01", Decimal("98.5"), 1),
        ("12345热线", "W02", None, 2),
    ]
    assert [e.row for e in result.errors] == [4]
    engine_ok(result)


def test_unknown_kind_and_missing_file(tmp_path: Path) -> None:
    assert "unknown kind" in parse_bytes("nope", b"").errors[0].message
    assert "cannot read" in parse_file("leave", tmp_path / "missing.csv").errors[0].message


def test_several_sheets_each_with_a_header() -> None:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "一月"
    first.append(["考勤号码", "日期时间"])
    first.append(["1001", "2026-01-05 08:00"])
    second = wb.create_sheet("二月")
    second.append(["说明：二月记录"])
    second.append(["考勤号码", "日期时间"])
    second.append(["1001", "bad"])
    wb.create_sheet("备注").append(["无关内容"])
    buf = io.BytesIO()
    wb.save(buf)
    result = parse_bytes("punches", buf.getvalue())
    assert result.valid == 1
    assert [(e.row, e.column) for e in result.errors] == [(3, "二月!日期时间")]


# ------------------------------------------------------------------ 考勤汇总: the month in the title

SUMMARY_HEAD = ["工号", "姓名", "应出勤天数", "实际出勤天数", "迟到次数", "旷工天数"]


def test_summary_month_from_the_title_row_when_no_column_names_it() -> None:
    data = xlsx_bytes(
        [["2024年4月 考勤月度汇总"], SUMMARY_HEAD, ["1001", "张三", 22, 21, 1, 1]],
        merge_title="A1:F1",
    )
    result = parse_bytes("attendance", data, file_defaults={"source": "export-2024-05"})
    assert result.errors == [] and [r["month"] for r in result.rows] == ["2024-04"]


def test_summary_month_column_and_given_month_win_over_the_title() -> None:
    with_column = xlsx_bytes(
        [["2024年4月 考勤月度汇总"], [*SUMMARY_HEAD, "月份"], ["1001", "张三", 22, 21, 1, 1, "2024-03"]]
    )
    assert parse_bytes("attendance", with_column).rows[0]["month"] == "2024-03"
    bare = xlsx_bytes([["2024年4月 考勤月度汇总"], SUMMARY_HEAD, ["1001", "张三", 22, 21, 1, 1]])
    given = parse_bytes("attendance", bare, file_defaults={"month": "2024-02"})
    assert given.rows[0]["month"] == "2024-02"


def test_summary_title_naming_two_months_is_no_guess() -> None:
    data = xlsx_bytes(
        [["2024年4月 考勤汇总  制表日期 2024-05-03"], SUMMARY_HEAD, ["1001", "张三", 22, 21, 1, 1]]
    )
    result = parse_bytes("attendance", data)
    assert result.rows == [] and [(e.row, e.column) for e in result.errors] == [(3, "月份")]
