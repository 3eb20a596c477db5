"""Months, dates and timestamps as Thai spreadsheets write them: Buddhist-Era years, Thai month names and
abbreviations, Thai digits; every time without an offset is Bangkok time, every instant returned is UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from smartcity.parsing.text import ParseError, _NoMatch, _prepare, _Reason, _show

BANGKOK = ZoneInfo("Asia/Bangkok")
MIN_YEAR = 1990
MAX_YEAR = 2100
BE_OFFSET = 543

# Month n is at index n - 1. Official full names and abbreviations, then the colloquial short forms.
THAI_MONTH_NAMES = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
THAI_MONTH_ABBREVIATIONS = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
_THAI_MONTH_SHORT = (
    "มกรา",
    "กุมภา",
    "มีนา",
    "เมษา",
    "พฤษภา",
    "มิถุนา",
    "กรกฎา",
    "สิงหา",
    "กันยา",
    "ตุลา",
    "พฤศจิกา",
    "ธันวา",
)
# Misspellings common enough in real Thai spreadsheets to be worth reading rather than rejecting.
_THAI_MONTH_MISSPELLINGS = {"กรกฏาคม": 7, "กรกฏา": 7, "กุมภาพันธ": 2, "พฤษจิกายน": 11}

_MONTH_BY_KEY: dict[str, int] = {
    re.sub(r"[.\s]", "", name): number
    for names in (THAI_MONTH_NAMES, THAI_MONTH_ABBREVIATIONS, _THAI_MONTH_SHORT)
    for number, name in enumerate(names, start=1)
} | _THAI_MONTH_MISSPELLINGS

_ERA = r"(?:ปี\s*)?(?:(?P<era>พ\s*\.?\s*ศ|ค\s*\.?\s*ศ)\s*\.?\s*)?"
_YEAR_MONTH = re.compile(r"^(?P<year>[0-9]{4})[-/.](?P<month>[0-9]{1,2})$")
_MONTH_YEAR = re.compile(r"^(?P<month>[0-9]{1,2})[-/.](?P<year>[0-9]{4}|[0-9]{2})$")
_YMD = re.compile(r"^(?P<year>[0-9]{4})(?P<sep>[-/.])(?P<month>[0-9]{1,2})(?P=sep)(?P<day>[0-9]{1,2})$")
_DMY = re.compile(
    r"^(?P<day>[0-9]{1,2})(?P<sep>[-/.])(?P<month>[0-9]{1,2})(?P=sep)(?P<year>[0-9]{4}|[0-9]{2})$"
)
_THAI = re.compile(  # [optional day] Thai month [optional era] year; the month part must contain Thai
    r"^(?:วันที่\s*)?(?:(?P<day>[0-9]{1,2})\s*)?(?P<month>[^0-9]*?[\u0e01-\u0e4f][^0-9]*?)\s*"
    rf"{_ERA}(?P<year>[0-9]+)$"
)
_TIME = re.compile(
    r"^(?P<date>.+?)(?:[Tt]|\s+)(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]+))?)?"
    r"\s*(?P<tz>[Zz]|UTC|GMT|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)
_MONTH_NAMES_EN = (
    "January February March April May June July August September October November December".split()
)


def _ce_year(text: str, era: str | None = None) -> int:
    """The CE year of a written year: 4 digits >= 2400 and all 2-digit years are BE; then range-checked."""
    era_key = re.sub(r"[\s.]", "", era) if era else None
    if len(text) == 2:
        year = 2000 + int(text) if era_key == "คศ" else 2500 + int(text) - BE_OFFSET
    elif len(text) == 4:
        year = int(text)
        if era_key == "พศ" or (era_key is None and year >= 2400):
            year -= BE_OFFSET
    else:
        raise _Reason(f"year {text} should have 4 digits (2024 or 2567) or 2 Buddhist-Era digits (67)")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Reason(
            f"year {text} is {year} CE, outside {MIN_YEAR}–{MAX_YEAR} "
            f"(Buddhist-Era years are {MIN_YEAR + BE_OFFSET}–{MAX_YEAR + BE_OFFSET})"
        )
    return year


def _month_number(text: str) -> int:
    number = int(text)
    if not 1 <= number <= 12:
        raise _Reason(f"month {number} does not exist")
    return number


def _month_key(text: str) -> str:
    return re.sub(r"[.\s]", "", text).removeprefix("เดือน")


def _thai_month_number(text: str) -> int:
    key = _month_key(text)
    if key not in _MONTH_BY_KEY:
        raise _Reason(f"{text.strip()!r} is not a Thai month name or abbreviation (มีนาคม, มี.ค.)")
    return _MONTH_BY_KEY[key]


def _make_date(year: int, month: int, day_text: str) -> date:
    day = int(day_text)
    try:
        return date(year, month, day)
    except ValueError:
        raise _Reason(f"day {day} does not exist in {_MONTH_NAMES_EN[month - 1]} {year}") from None


def _plain_date(text: str) -> date:
    """A date without a time of day, in any accepted spelling."""
    if m := _YMD.match(text):
        return _make_date(_ce_year(m["year"]), _month_number(m["month"]), m["day"])
    if m := _DMY.match(text):
        return _make_date(_ce_year(m["year"]), _month_number(m["month"]), m["day"])
    if (m := _THAI.match(text)) and m["day"]:
        return _make_date(_ce_year(m["year"], m["era"]), _thai_month_number(m["month"]), m["day"])
    raise _NoMatch


def _timestamp_core(text: str) -> tuple[date, datetime]:
    """The written date and the UTC instant: parse_month takes the month of what was written, not of UTC."""
    m = _TIME.match(text)
    if m is None:
        day = _plain_date(text)
        return day, datetime(day.year, day.month, day.day, tzinfo=BANGKOK).astimezone(UTC)
    day = _plain_date(m["date"])
    hour, minute, second = int(m["hour"]), int(m["minute"]), int(m["second"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _Reason(f"{m['hour']}:{m['minute']}:{m['second'] or '00'} is not a time of day")
    micro = int((m["fraction"] or "0")[:6].ljust(6, "0"))
    local = datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=_zone(m["tz"]))
    return day, local.astimezone(UTC)


def _zone(text: str | None) -> timezone | ZoneInfo:
    """No offset means Bangkok time: that is where every submitter's clock is."""
    if text is None:
        return BANGKOK
    if text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        raise _Reason(f"{text} is not a UTC offset")
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)


def _month_core(text: str) -> date:
    if m := _YEAR_MONTH.match(text):
        return date(_ce_year(m["year"]), _month_number(m["month"]), 1)
    if m := _MONTH_YEAR.match(text):
        return date(_ce_year(m["year"]), _month_number(m["month"]), 1)
    if (m := _THAI.match(text)) and not m["day"]:
        return date(_ce_year(m["year"], m["era"]), _thai_month_number(m["month"]), 1)
    if _month_key(text) in _MONTH_BY_KEY:
        raise _Reason("a month name needs a year (มีนาคม 2567, มี.ค. 67)")
    return _timestamp_core(text)[0].replace(day=1)


def parse_month(value: str | None) -> date:
    """First day (CE) of the month a value names: ISO, MM/YYYY, Thai month names, BE years, or a full date."""
    try:
        return _month_core(_prepare(value))
    except _NoMatch:
        reason = "expected a month like 2024-03, 03/2567, มีนาคม 2567 or มี.ค. 67"
    except _Reason as error:
        reason = str(error)
    raise ParseError(f"{_show(value)} is not a month: {reason}")


def parse_date(value: str | None) -> date:
    """A calendar date (CE) from ISO, DD/MM/YYYY, YYYY/MM/DD or Thai '5 มีนาคม 2567', BE years allowed.

    A timestamp is accepted too and gives the date as written (not its UTC date).
    """
    try:
        return _timestamp_core(_prepare(value))[0]
    except _NoMatch:
        reason = "expected a date like 2024-03-05, 05/03/2567 or 5 มี.ค. 67"
    except _Reason as error:
        reason = str(error)
    raise ParseError(f"{_show(value)} is not a date: {reason}")


# Fast path: the spelling almost every row uses (a machine-written ISO timestamp) is recognised by one
# anchored regex and converted directly, to the very value the general parser gives
# (tests/unit/test_normalize.py proves it); anything else, and any conversion that fails, goes the
# general way. At national scale this is the difference between seconds and minutes per month.
_CANONICAL_TIMESTAMP = re.compile(
    r"(?:199[0-9]|20[0-9]{2})-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|\+07:00)?"
)


def _canonical_timestamp(value: object) -> datetime | None:
    if not isinstance(value, str) or not _CANONICAL_TIMESTAMP.fullmatch(value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:  # e.g. 2024-02-30: the general parser says what is wrong
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=BANGKOK)).astimezone(UTC)


def parse_timestamp(value: str | None) -> datetime:
    """An aware UTC datetime; a value without offset is Bangkok time and a bare date is Bangkok midnight."""
    if (fast := _canonical_timestamp(value)) is not None:
        return fast
    return _timestamp_general(value)


def _timestamp_general(value: str | None) -> datetime:
    try:
        return _timestamp_core(_prepare(value))[1]
    except _NoMatch:
        reason = "expected a timestamp like 2024-03-05T14:30:00+07:00 or 2024-03-05 14:30"
    except _Reason as error:
        reason = str(error)
    raise ParseError(f"{_show(value)} is not a timestamp: {reason}")
