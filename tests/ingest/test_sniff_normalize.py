from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from kaohe.ingest.normalize import (
    LOCAL_TZ,
    normalize_pin,
    parse_clock,
    parse_day,
    parse_flag,
    parse_number,
    parse_when,
)
from kaohe.ingest.sniff import DecodeError, decode, sniff


def test_sniff_by_content_not_name() -> None:
    assert sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest") == "xls"
    assert sniff(b"PK\x03\x04rest") == "xlsx"
    assert sniff(b"  <html><table>") == "html"
    assert sniff("\ufeff<table><tr><td>工号</td></tr></table>".encode()) == "html"
    assert sniff(b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>') == "xml"
    assert sniff(b"MIME-Version: 1.0\r\nContent-Type: multipart/related") == "mht"
    assert sniff("工号\t时间\n".encode()) == "text"


def test_decode_utf8_first_then_gb18030() -> None:
    assert decode("工号,姓名".encode()) == ("工号,姓名", "utf-8")
    assert decode("\ufeff工号".encode()) == ("工号", "utf-8-sig")
    assert decode("工号,姓名".encode("gbk")) == ("工号,姓名", "gb18030")
    # Valid UTF-8 would also decode as GB18030 (to nonsense): UTF-8 must win.
    data = "张三 打卡".encode()
    assert data.decode("gb18030") != "张三 打卡"
    assert decode(data)[0] == "张三 打卡"


def test_decode_rejects_garbage() -> None:
    with pytest.raises(DecodeError):
        decode(b"\x81\x20\xff\xff")


@pytest.mark.parametrize(
    ("value", "width", "expected"),
    [
        (1001.0, None, "1001"),
        ("1001.0", None, "1001"),
        ("1.001E+3", None, "1001"),
        (123, 5, "00123"),
        ("123", 5, "00123"),
        ("00123", 5, "00123"),
        ("  42 ", None, "42"),
        ("A-001", 6, "A-001"),
    ],
)
def test_pin_normalisation(value: object, width: int | None, expected: str) -> None:
    assert normalize_pin(value, width) == expected


@pytest.mark.parametrize("bad", [None, "", "  ", "12.5", "-3", True])
def test_bad_pins(bad: object) -> None:
    with pytest.raises(ValueError):
        normalize_pin(bad)


def test_dates_and_times_in_every_shape() -> None:
    expect = datetime(2026, 2, 7, 8, 5, tzinfo=LOCAL_TZ)
    assert parse_when("2026-02-07 08:05:00") == expect
    assert parse_when("2026/2/7 8:05") == expect
    assert parse_when("2026年2月7日 08:05") == expect
    assert parse_when(46060 + (8 * 60 + 5) / 1440) == expect  # Excel serial
    assert parse_when("08:05", "26-02-07 星期六") == expect  # DingTalk
    assert parse_when(datetime(2026, 2, 7, 8, 5)) == expect
    assert parse_when(1770422700000) == expect  # 2026-02-07T00:05Z = 08:05 in Shanghai
    assert parse_when("次日 00:30", "2026-02-06") == datetime(2026, 2, 7, 0, 30, tzinfo=LOCAL_TZ)
    assert parse_day("2026-02-07（星期六）") == date(2026, 2, 7)
    assert parse_day(46060) == date(2026, 2, 7)
    assert parse_clock(0.5) == (time(12), False)


@pytest.mark.parametrize("bad", ["", "2026-13-01 08:00", "08:61", "hello", 5.0, "2026-02-07 25:00"])
def test_bad_times(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_when(bad)


def test_flags_and_numbers() -> None:
    assert parse_flag("是") and parse_flag("审批通过") and not parse_flag("否")
    assert parse_number("1,234.5") == Decimal("1234.5")
    with pytest.raises(ValueError):
        parse_flag("maybe")
    with pytest.raises(ValueError):
        parse_number("inf")
