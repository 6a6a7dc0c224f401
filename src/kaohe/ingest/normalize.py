"""Cell values as the engine wants them: employee numbers, dates, times, numbers.

Excel mangles identifiers (``1001.0``, ``1.001E+3``, lost leading zeros) and
dates come as text in half a dozen shapes, as serial numbers, with weekday
suffixes or as epoch milliseconds. Each function raises ``ValueError`` with a
message fit for a row-level error; none raises anything else.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation

try:
    from zoneinfo import ZoneInfo

    LOCAL_TZ: tzinfo = ZoneInfo("Asia/Shanghai")
except Exception:  # pragma: no cover - no tz database: China has had no DST since 1991
    LOCAL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

EXCEL_EPOCH = datetime(1899, 12, 30)
# Serials from 1982 to 2100: a bare number outside this is not a plausible date.
SERIAL_MIN, SERIAL_MAX = 30000.0, 73051.0
EPOCH_MS_MIN, EPOCH_MS_MAX = 10**11, 10**14
MAX_TEXT = 200

_WEEKDAY = re.compile(r"\s*[\(（]?\s*(星期|周|礼拜)[一二三四五六日天]\s*[\)）]?\s*")
_CN_DATE = re.compile(r"(\d{2,4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_DATE = re.compile(r"^(\d{4}|\d{2})[-/.](\d{1,2})[-/.](\d{1,2})$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$")
_NEXT_DAY = ("次日", "第二天", "翌日")


def is_blank(value: object) -> bool:
    """Empty cells come as None, '' or whitespace depending on the container."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def text(value: object) -> str:
    """A cell as trimmed text; whole floats lose their ``.0`` (Excel made them floats)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def normalize_pin(value: object, width: int | None = None) -> str:
    """An employee number as text, undoing what Excel did to it.

    ``1001.0`` and ``1.001E+3`` become ``1001``; with ``width`` a numeric PIN
    regains its leading zeros (``123`` → ``00123``), so the same person matches
    whichever export he came from. Non-numeric PINs are kept as given.
    """
    if is_blank(value):
        raise ValueError("employee number is empty")
    if isinstance(value, bool):
        raise ValueError(f"not an employee number: {value!r}")
    if isinstance(value, (int, float, Decimal)):
        raw = str(value)
    else:
        raw = str(value).strip().replace("\u3000", "").strip()
    if len(raw) > MAX_TEXT:
        raise ValueError("employee number is too long")
    if "\n" in raw or "\r" in raw or "\t" in raw:
        raise ValueError(f"not an employee number: {raw[:40]!r}")
    pin = raw
    if re.fullmatch(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?", raw) and not re.fullmatch(r"\d+", raw):
        try:
            number = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the regex admits only numbers
            raise ValueError(f"not an employee number: {raw!r}") from None
        if number < 0 or number != number.to_integral_value() or abs(number) >= Decimal(10) ** 30:
            raise ValueError(f"not an employee number: {raw!r}")
        pin = str(int(number))
    if width and pin.isdigit() and len(pin) < width:
        pin = pin.zfill(width)
    return pin


def _serial(number: float) -> datetime:
    if not (SERIAL_MIN <= number <= SERIAL_MAX):
        raise ValueError(f"number {number!r} is not a plausible date")
    moment = EXCEL_EPOCH + timedelta(days=number)
    # Serial fractions are binary floats: round to the nearest second.
    return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)


def _epoch_ms(number: int) -> datetime:
    utc = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=number)
    return utc.astimezone(LOCAL_TZ).replace(tzinfo=None)


def _number(value: object) -> float | None:
    """A numeric cell (or numeric text) as a float, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
        number = float(value.strip())
    else:
        return None
    return number if math.isfinite(number) else None


def _year(text_year: str) -> int:
    year = int(text_year)
    return 2000 + year if len(text_year) == 2 else year


def _parse_date_text(raw: str) -> date:
    m = _CN_DATE.fullmatch(raw)
    if m:
        return date(_year(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DATE.match(raw) or _COMPACT_DATE.match(raw)
    if m:
        return date(_year(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError(f"not a date: {raw[:40]!r}")


def _parse_time_text(raw: str) -> time:
    raw = raw.replace("：", ":").strip()
    m = _TIME.match(raw)
    if not m:
        raise ValueError(f"not a time: {raw[:40]!r}")
    frac = (m.group(4) or "0").ljust(6, "0")
    return time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), int(frac))


def strip_weekday(raw: str) -> str:
    """``2026-02-07 星期六`` → ``2026-02-07`` (DingTalk appends the weekday)."""
    return _WEEKDAY.sub(" ", raw).strip()


def parse_day(value: object) -> date:
    """A calendar date from any cell: date, datetime, Excel serial or text."""
    try:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if is_blank(value):
            raise ValueError("date is empty")
        number = _number(value)
        if number is not None and not (isinstance(value, str) and len(value.strip()) == 8):
            if number >= EPOCH_MS_MIN and number < EPOCH_MS_MAX and number.is_integer():
                return _epoch_ms(int(number)).date()
            return _serial(number).date()
        raw = strip_weekday(str(value).strip())
        if len(raw) > MAX_TEXT:
            raise ValueError("date text is too long")
        head = raw.replace("T", " ").split(" ")[0]
        return _parse_date_text(head)
    except OverflowError:
        raise ValueError(f"not a date: {value!r}") from None


def parse_clock(value: object) -> tuple[time, bool]:
    """A time of day and whether it is marked as the next day (``次日 00:30``)."""
    if isinstance(value, datetime):
        return value.time(), False
    if isinstance(value, time):
        return value, False
    if is_blank(value):
        raise ValueError("time is empty")
    number = _number(value)
    if number is not None and not isinstance(value, str):
        if 0 <= number < 1:
            seconds = round(number * 86400)
            if seconds >= 86400:
                seconds = 86399
            return time(seconds // 3600, seconds // 60 % 60, seconds % 60), False
        raise ValueError(f"not a time: {value!r}")
    raw = str(value).strip()
    if len(raw) > MAX_TEXT:
        raise ValueError("time text is too long")
    next_day = False
    for marker in _NEXT_DAY:
        if raw.startswith(marker):
            raw, next_day = raw[len(marker) :].strip(), True
    return _parse_time_text(raw), next_day


def parse_when(value: object, day: object = None) -> datetime:
    """A local date and time, Asia/Shanghai attached.

    ``value`` may be a full timestamp in any supported shape, an Excel serial,
    epoch milliseconds, or — with ``day`` given (separate date and time
    columns) — only a time of day, possibly marked ``次日``.
    """
    try:
        return _parse_when(value, day).replace(tzinfo=LOCAL_TZ)
    except OverflowError:
        raise ValueError(f"not a date and time: {value!r}") from None


def _parse_when(value: object, day: object) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(LOCAL_TZ).replace(tzinfo=None)
        if day is not None and not is_blank(day) and value.date() == date(1899, 12, 30):
            return datetime.combine(parse_day(day), value.time())
        return value
    if is_blank(value):
        raise ValueError("date and time is empty")
    number = _number(value)
    if number is not None and not isinstance(value, str):
        if 0 <= number < 1 and day is not None and not is_blank(day):
            clock, _ = parse_clock(number)
            return datetime.combine(parse_day(day), clock)
        if EPOCH_MS_MIN <= number < EPOCH_MS_MAX and number.is_integer():
            return _epoch_ms(int(number))
        return _serial(number)
    if isinstance(value, date):
        if day is not None and not is_blank(day):
            raise ValueError(f"expected a time of day, got the date {value.isoformat()}")
        return datetime.combine(value, time())
    if isinstance(value, time):
        if day is None or is_blank(day):
            raise ValueError("a time of day needs a date column")
        return datetime.combine(parse_day(day), value)
    raw = strip_weekday(str(value).strip().replace("T", " ").replace("：", ":"))
    if len(raw) > MAX_TEXT:
        raise ValueError("date and time text is too long")
    if re.fullmatch(r"\d{12,14}", raw) and EPOCH_MS_MIN <= int(raw) < EPOCH_MS_MAX:
        return _epoch_ms(int(raw))
    parts = raw.split()
    if (
        day is not None
        and not is_blank(day)
        and ((len(parts) == 1 and ":" in raw) or any(raw.startswith(m) for m in _NEXT_DAY))
    ):
        clock, next_day = parse_clock(raw)
        moment = datetime.combine(parse_day(day), clock)
        return moment + timedelta(days=1) if next_day else moment
    m = _CN_DATE.match(raw)
    if m:
        rest = raw[m.end() :].strip()
        d = _parse_date_text(m.group(0))
        return datetime.combine(d, _parse_time_text(rest) if rest else time())
    if len(parts) == 1:
        return datetime.combine(_parse_date_text(parts[0]), time())
    if len(parts) == 2:
        return datetime.combine(_parse_date_text(parts[0]), _parse_time_text(parts[1]))
    raise ValueError(f"not a date and time: {raw[:40]!r}")


def parse_number(value: object) -> Decimal:
    """A finite decimal with at most four places (the engine's scale)."""
    if isinstance(value, bool) or is_blank(value):
        raise ValueError(f"not a number: {value!r}")
    raw = text(value).replace(",", "").replace("，", "")
    if len(raw) > 40:
        raise ValueError("number is too long")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"not a number: {raw[:40]!r}") from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
        raise ValueError(f"number out of range: {raw[:40]!r}")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        number = number.quantize(Decimal("0.0001"))
    return number


def parse_whole(value: object) -> int:
    number = parse_number(value)
    if number != number.to_integral_value():
        raise ValueError(f"not a whole number: {value!r}")
    return int(number)


_TRUE = {
    "是",
    "y",
    "yes",
    "true",
    "1",
    "t",
    "√",
    "通过",
    "已通过",
    "同意",
    "已同意",
    "审批通过",
    "属实",
}
_FALSE = {
    "否",
    "n",
    "no",
    "false",
    "0",
    "f",
    "",
    "×",
    "不通过",
    "未通过",
    "驳回",
    "拒绝",
    "已拒绝",
    "撤销",
    "已撤销",
    "不属实",
}


def parse_flag(value: object) -> bool:
    """Yes/no in the many ways Chinese exports write it (是/否, 通过/驳回, 1/0)."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    raw = text(value).lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"not yes/no: {raw[:40]!r}")
