"""Turn the raw text a city sends into clean Python values.

Cities type their submissions by hand in Thai spreadsheets: Buddhist-Era years, Thai digits, Thai month
names, thousands separators, stray non-breaking spaces. Every such value passes through this module, so the
rest of the pipeline only ever sees `date`, `datetime` (UTC), `Decimal` and canonical codes. A value that
cannot be read raises `ParseError` with a message a submitter can act on; no input raises anything else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from smartcity import contract

BANGKOK = ZoneInfo("Asia/Bangkok")
MIN_YEAR = 1990
MAX_YEAR = 2100
BE_OFFSET = 543

# The contract's vocabulary lives in smartcity.contract; the names below are kept for the modules that read
# them from here.
OBSTACLE_CODES = contract.OBSTACLE_CODES
STATUS_CODES = contract.STATUS_CODES
SUBMISSION_COLUMNS = contract.SUBMISSION_COLUMNS
THAI_HEADER_ALIASES: Mapping[str, str] = contract.THAI_HEADER_ALIASES

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

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# Every character for which str.isspace() (and so regex \s) holds, plus the zero-width ones: stripped by
# str.strip, which is linear, where a regex anchored at the end is quadratic on a long run of inner spaces.
# tests/unit/test_normalize.py checks the list against isspace() over all of Unicode.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_EDGE_JUNK = WHITESPACE + ZERO_WIDTH
_DROP_ZERO_WIDTH = dict.fromkeys(map(ord, ZERO_WIDTH))
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_SHOWN_LENGTH = 40
_MAX_LENGTH = 100


class ParseError(ValueError):
    """A submitted value could not be read; the message names the value and why, for the quarantine detail."""


class _Reason(Exception):
    """Internal: why a value failed, before the public function prefixes the value and what it should be."""


class _NoMatch(_Reason):
    """Internal: the value matches no accepted spelling at all; the public function says what was expected."""


def _is_missing(value: object) -> bool:
    """None, float NaN, pandas NA/NaT: the forms 'no value' takes when data went through pandas or Excel."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):  # pandas.NA (and array-likes) refuse to be a bool: treat as no value
        return True


def clean_text(value: object) -> str | None:
    """Text without invisible edge characters (spaces, NBSP, zero-width, BOM); None when nothing is left."""
    if _is_missing(value):
        return None
    text = str(value).strip(_EDGE_JUNK)
    return text or None


def thai_to_ascii_digits(s: str) -> str:
    """Thai digits ๐–๙ to 0–9: Python's int() reads them but DuckDB's cast does not, so convert early."""
    return s.translate(_THAI_DIGITS)


def normalize_code(value: object) -> str | None:
    """A city or project code in its canonical spelling; the pattern itself is checked by validation."""
    text = clean_text(value)
    return None if text is None else thai_to_ascii_digits(text).upper()


def _show(value: object) -> str:
    """The offending value for an error message, shortened so a fuzzed megabyte does not end up in a log."""
    text = str(value)
    if len(text) > _SHOWN_LENGTH:
        text = text[:_SHOWN_LENGTH] + "…"
    return repr(text)


def _prepare(value: object) -> str:
    """Common first step of every parser: trimmed, ASCII digits, no zero-width characters inside."""
    text = clean_text(value)
    if text is None:
        raise _Reason("it is empty")
    if len(text) > _MAX_LENGTH:  # no date or number is this long; also bounds the regexes' work
        raise _Reason("it is too long")
    return thai_to_ascii_digits(text).translate(_DROP_ZERO_WIDTH)


# --------------------------------------------------------------------------------------------------- dates

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


# Fast paths: the spellings almost every row uses (machine-written ISO timestamps, plain numbers) are
# recognised by one anchored regex and converted directly, to the very value the general parser gives
# (tests/unit/test_normalize.py proves it); anything else, and any conversion that fails, goes the
# general way. At national scale this is the difference between seconds and minutes per month.
_CANONICAL_TIMESTAMP = re.compile(
    r"(?:199[0-9]|20[0-9]{2})-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|\+07:00)?"
)
_CANONICAL_PERCENT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,6})?")
_CANONICAL_AMOUNT = re.compile(r"[0-9]{1,16}(?:\.[0-9]{1,2})?")


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


# ------------------------------------------------------------------------------------------------- numbers

_NUMBER = re.compile(
    r"^(?P<sign>[+-]?)\s*(?P<pre>฿|THB|%)?\s*(?P<sign2>[+-]?)\s*"
    r"(?P<body>[0-9.][0-9.,'’\s]*?)(?P<exp>[eE][+-]?[0-9]+)?"
    r"\s*(?P<post>%|฿|บาท|THB|\.-)?$",
    re.IGNORECASE,
)
_PLAIN = re.compile(r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_GROUPED = re.compile(r"^[0-9]{1,3}(?P<sep>[,'’\s])[0-9]{3}(?:(?P=sep)[0-9]{3})*(?:\.[0-9]*)?$")
_SEPARATORS = re.compile(r"[,'’\s]")
_CURRENCY_MARKS = ("฿", "THB", "บาท", ".-")
_MAX_ADJUSTED_EXPONENT = 24  # 10^±25 of anything is a typo; bounding it keeps Decimal arithmetic exact
_MONEY_CONTEXT = Context(prec=60)
_SATANG = Decimal("0.01")


def _number_fault(text: str) -> str:
    """Why text is not a number, as specifically as can be said cheaply."""
    bare = text
    for mark in (*_CURRENCY_MARKS, "%"):
        bare = re.sub(re.escape(mark), "", bare, flags=re.IGNORECASE)
    if bare.strip().strip("+-").lower() in ("nan", "inf", "infinity"):
        return "it is not a finite number"
    if re.search(r"[^0-9.,'’\s+eE-]", bare):
        return "it contains characters that are not part of a number"
    if bare.count(".") > 1:
        return "it has more than one decimal point (write 1,234.5: ',' for thousands, '.' for decimals)"
    if "," in bare:
        return "a comma is only read as a thousands separator between groups of 3 digits (1,234.5)"
    return "it is not a well-formed number"


def _number_core(text: str, *, percent_ok: bool, currency_ok: bool) -> Decimal:
    m = _NUMBER.match(text.replace("\u2212", "-"))
    if m is None:
        raise _Reason(_number_fault(text))
    marks = [mark.upper() for mark in (m["pre"], m["post"]) if mark]
    if marks.count("%") > 1 or ("%" in marks and len(marks) > 1):
        raise _Reason("it mixes several unit marks")
    if "%" in marks and not percent_ok:
        raise _Reason("a percentage is not allowed here")
    if not currency_ok and any(mark != "%" for mark in marks):
        raise _Reason("a currency mark is not allowed here")
    if m["sign"] and m["sign2"]:
        raise _Reason("it has two signs")
    body = m["body"].strip()
    if _GROUPED.match(body) and not m["exp"]:
        body = _SEPARATORS.sub("", body)
    elif not _PLAIN.match(body):
        raise _Reason(_number_fault(text))
    try:
        number = Decimal((m["sign"] or m["sign2"]) + body + (m["exp"] or ""))
    except InvalidOperation:
        raise _Reason("its exponent is too large") from None
    if number and abs(number.adjusted()) > _MAX_ADJUSTED_EXPONENT:
        raise _Reason(f"its size ({number:.1e}) is not a real figure")
    return number


def parse_decimal(value: str | None) -> Decimal:
    """An exact number from Thai-style text: Thai digits, 1,234.5 or '1 234', signs, '%', ฿/บาท/THB, 1e6."""
    try:
        return _number_core(_prepare(value), percent_ok=True, currency_ok=True)
    except _Reason as reason:
        raise ParseError(f"{_show(value)} is not a number: {reason}") from None


def parse_percent(value: str | None) -> Decimal:
    """A percentage figure (0–100 scale, '%' optional); the range itself is validation's business."""
    if isinstance(value, str) and _CANONICAL_PERCENT.fullmatch(value):
        return Decimal(value)
    return _percent_general(value)


def _percent_general(value: str | None) -> Decimal:
    try:
        return _number_core(_prepare(value), percent_ok=True, currency_ok=False)
    except _Reason as reason:
        raise ParseError(f"{_show(value)} is not a percentage: {reason}") from None


def parse_money(value: str | None) -> Decimal:
    """An amount in baht rounded half-up to satang, the precision of the published DECIMAL columns."""
    if isinstance(value, str) and _CANONICAL_AMOUNT.fullmatch(value):
        return _to_satang(Decimal(value))
    return _money_general(value)


def _money_general(value: str | None) -> Decimal:
    try:
        number = _number_core(_prepare(value), percent_ok=False, currency_ok=True)
    except _Reason as reason:
        raise ParseError(f"{_show(value)} is not an amount of money: {reason}") from None
    return _to_satang(number)


def _to_satang(number: Decimal) -> Decimal:
    return number.quantize(_SATANG, rounding=ROUND_HALF_UP, context=_MONEY_CONTEXT)


# ------------------------------------------------------------------------------------------------- codes

_LIST_SEPARATORS = re.compile(r"[;,；，、]")


def parse_obstacles(value: str | None) -> tuple[str, ...]:
    """The obstacle codes of a row, deduplicated in the order written; '' or a lone dash means none."""
    text = clean_text(value)
    if text is None or re.fullmatch(r"[-–—]+", text):
        return ()
    codes: list[str] = []
    for part in _LIST_SEPARATORS.split(text):
        code = clean_text(part)
        if code is None:
            continue
        code = code.upper()
        if code not in OBSTACLE_CODES:
            raise ParseError(
                f"{_show(value)} is not a list of obstacles: {code!r} is not an obstacle code "
                f"(use {', '.join(OBSTACLE_CODES)}, separated by ';' or ',')"
            )
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def parse_status(value: str | None) -> str:
    """A project status code; 'In Progress' and 'in-progress' are the same status typed differently."""
    text = clean_text(value)
    code = re.sub(r"[\s-]+", "_", text.lower()) if text else ""
    if code not in STATUS_CODES:
        reason = "it is empty" if not text else f"use one of {', '.join(STATUS_CODES)}"
        raise ParseError(f"{_show(value)} is not a status: {reason}")
    return code


def canonical_header(name: str) -> str:
    """The contract's column name for a header as typed (Thai alias, 'Report Month'); unknown ones cleaned."""
    text = clean_text(name) or ""
    for candidate in (text, re.sub(r"\s*\([^()]*\)$", "", text)):
        if candidate in THAI_HEADER_ALIASES:
            return THAI_HEADER_ALIASES[candidate]
    cleaned = re.sub(r"[\s-]+", "_", text.lower())
    unit_less = re.sub(r"_*\([^()]*\)$", "", cleaned)
    return unit_less if unit_less in SUBMISSION_COLUMNS else cleaned


__all__ = [
    "BANGKOK",
    "OBSTACLE_CODES",
    "STATUS_CODES",
    "SUBMISSION_COLUMNS",
    "THAI_HEADER_ALIASES",
    "THAI_MONTH_ABBREVIATIONS",
    "THAI_MONTH_NAMES",
    "ParseError",
    "canonical_header",
    "clean_text",
    "normalize_code",
    "parse_date",
    "parse_decimal",
    "parse_money",
    "parse_month",
    "parse_obstacles",
    "parse_percent",
    "parse_status",
    "parse_timestamp",
    "thai_to_ascii_digits",
]
