"""The Thai data conventions of contract.md section 2, value by value, plus fuzzing of every parser."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity.normalize import (
    OBSTACLE_CODES,
    STATUS_CODES,
    SUBMISSION_COLUMNS,
    THAI_HEADER_ALIASES,
    canonical_header,
    normalize_code,
    parse_obstacles,
    parse_status,
)
from smartcity.parsing import (
    THAI_MONTH_ABBREVIATIONS,
    THAI_MONTH_NAMES,
    WHITESPACE,
    ParseError,
    clean_text,
    dates,
    numeric,
    parse_date,
    parse_decimal,
    parse_money,
    parse_month,
    parse_percent,
    parse_timestamp,
    thai_to_ascii_digits,
)

THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
PARSERS = (parse_month, parse_date, parse_timestamp, parse_decimal, parse_percent, parse_money, parse_status)

# ------------------------------------------------------------------------------------------------ text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (float("nan"), None),
        ("", None),
        ("   ", None),
        ("\u00a0\u200b\ufeff", None),
        ("\ufeff CITY_A \u00a0", "CITY_A"),
        ("\u200bเชียงใหม่\u2060", "เชียงใหม่"),
        ("a  b", "a  b"),
        (12, "12"),
        (45.5, "45.5"),
    ],
)
def test_clean_text(value: object, expected: str | None) -> None:
    assert clean_text(value) == expected


def test_clean_text_treats_pandas_missing_values_as_none() -> None:
    pd = pytest.importorskip("pandas")
    assert clean_text(pd.NA) is None
    assert clean_text(pd.NaT) is None


def test_thai_digits_become_ascii() -> None:
    assert thai_to_ascii_digits("๐๑๒๓๔๕๖๗๘๙") == "0123456789"
    assert thai_to_ascii_digits("ปี ๒๕๖๗") == "ปี 2567"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(" cm-01 ", "CM-01"), ("khon_kaen๑", "KHON_KAEN1"), ("", None), (None, None)],
)
def test_normalize_code(value: str | None, expected: str | None) -> None:
    assert normalize_code(value) == expected


# ----------------------------------------------------------------------------------------------- months


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03", date(2024, 3, 1)),
        ("2024-3", date(2024, 3, 1)),
        ("2024-03-15", date(2024, 3, 1)),
        ("2024/03", date(2024, 3, 1)),
        ("03/2024", date(2024, 3, 1)),
        ("3/2024", date(2024, 3, 1)),
        ("15/03/2024", date(2024, 3, 1)),
        ("2024-03-31T23:30:00Z", date(2024, 3, 1)),
        ("2024-04-01T00:30:00+07:00", date(2024, 4, 1)),  # the month as written, not the UTC month
        ("2024-03-05 10:00", date(2024, 3, 1)),
        # Buddhist Era: 4 digits >= 2400, and every 2-digit year
        ("2567-03", date(2024, 3, 1)),
        ("03/2567", date(2024, 3, 1)),
        ("3/67", date(2024, 3, 1)),
        ("15/03/2567", date(2024, 3, 1)),
        ("2533-01", date(1990, 1, 1)),
        ("2643-12", date(2100, 12, 1)),
        # Thai month names
        ("มีนาคม 2567", date(2024, 3, 1)),
        ("มีนาคม 2024", date(2024, 3, 1)),
        ("มี.ค. 67", date(2024, 3, 1)),
        ("มี.ค 67", date(2024, 3, 1)),
        ("มี.ค.67", date(2024, 3, 1)),
        ("มีค 67", date(2024, 3, 1)),
        ("มี. ค. 67", date(2024, 3, 1)),
        ("เดือนมีนาคม 2567", date(2024, 3, 1)),
        ("เดือน มีนาคม 2567", date(2024, 3, 1)),
        ("มีนาคม พ.ศ. 2567", date(2024, 3, 1)),
        ("มีนาคม พ.ศ.2567", date(2024, 3, 1)),
        ("มีนาคม ปี 67", date(2024, 3, 1)),
        ("มีนาคม ค.ศ. 2024", date(2024, 3, 1)),
        ("มีนา 67", date(2024, 3, 1)),
        ("กรกฏาคม 2567", date(2024, 7, 1)),  # the common misspelling of กรกฎาคม
        ("5 มีนาคม 2567", date(2024, 3, 1)),
        # Thai digits and stray whitespace
        ("๒๕๖๗-๐๓", date(2024, 3, 1)),
        ("มี.ค. ๖๗", date(2024, 3, 1)),
        ("\u00a0 2024-03 \u200b", date(2024, 3, 1)),
    ],
)
def test_parse_month(value: str, expected: date) -> None:
    assert parse_month(value) == expected


@pytest.mark.parametrize("number", range(1, 13))
def test_every_thai_month_name_and_abbreviation(number: int) -> None:
    name = THAI_MONTH_NAMES[number - 1]
    abbreviation = THAI_MONTH_ABBREVIATIONS[number - 1]
    expected = date(2024, number, 1)
    assert parse_month(f"{name} 2567") == expected
    assert parse_month(f"เดือน{name} พ.ศ. 2567") == expected
    assert parse_month(f"{abbreviation} 67") == expected
    assert parse_month(f"{abbreviation}2567") == expected
    assert parse_month(f"{abbreviation.replace('.', '')} 67") == expected
    assert parse_month(f"{abbreviation.rstrip('.')} 67") == expected
    assert parse_month(f"{abbreviation.replace('.', '. ')} 67") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("13/2024", "month 13 does not exist"),
        ("2024-00", "month 0 does not exist"),
        ("03/24", "1981 CE, outside 1990–2100"),  # a 2-digit year is BE: 2524 = 1981
        ("2024-03-32", "day 32 does not exist in March 2024"),
        ("2567-02-30", "day 30 does not exist in February 2024"),
        ("2101-01", "outside 1990–2100"),
        ("2644-01", "2101 CE"),
        ("1989-12", "outside"),
        ("มีนาคม พ.ศ. 2024", "1481 CE"),  # an explicit BE era is believed
        ("มีนาคม ค.ศ. 2567", "2567 CE"),
        ("มีนาคม 567", "should have 4 digits"),
        ("มีนาคม", "needs a year"),
        ("เดือนมีนาคม", "needs a year"),
        ("มีนาคมม 2567", "not a Thai month name"),
        ("March 2024", "expected a month like"),
        ("2024", "expected a month like"),
        ("", "it is empty"),
        ("   ", "it is empty"),
        (None, "it is empty"),
    ],
)
def test_parse_month_rejects_with_a_helpful_message(value: str | None, message: str) -> None:
    with pytest.raises(ParseError, match="is not a month") as error:
        parse_month(value)
    assert message in str(error.value)


def test_the_example_message_of_the_brief() -> None:
    with pytest.raises(ParseError) as error:
        parse_month("13/2024")
    assert str(error.value) == "'13/2024' is not a month: month 13 does not exist"


def test_a_long_bad_value_is_shortened_in_the_message() -> None:
    with pytest.raises(ParseError) as error:
        parse_month("x" * 10_000)
    assert len(str(error.value)) < 120


# ------------------------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", date(2024, 3, 5)),
        ("05/03/2024", date(2024, 3, 5)),
        ("5/3/2567", date(2024, 3, 5)),
        ("05/03/67", date(2024, 3, 5)),
        ("2024/03/05", date(2024, 3, 5)),
        ("2567/03/05", date(2024, 3, 5)),
        ("5 มีนาคม 2567", date(2024, 3, 5)),
        ("5 มี.ค. 67", date(2024, 3, 5)),
        ("วันที่ 5 มีนาคม พ.ศ. 2567", date(2024, 3, 5)),
        ("๕ มี.ค. ๖๗", date(2024, 3, 5)),
        ("29/02/2567", date(2024, 2, 29)),
        ("2024-03-05T23:30:00-05:00", date(2024, 3, 5)),  # the date as written
    ],
)
def test_parse_date(value: str, expected: date) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("31/02/2567", "day 31 does not exist in February 2024"),
        ("29/02/2566", "day 29 does not exist in February 2023"),
        ("05/13/2024", "month 13 does not exist"),
        ("2024-03", "expected a date like"),
        ("มีนาคม 2567", "expected a date like"),
        ("5 Mar 2024", "expected a date like"),
        ("01/01/1989", "outside 1990–2100"),
    ],
)
def test_parse_date_rejects_with_a_helpful_message(value: str, message: str) -> None:
    with pytest.raises(ParseError, match="is not a date") as error:
        parse_date(value)
    assert message in str(error.value)


# ------------------------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05T14:30:00+07:00", datetime(2024, 3, 5, 7, 30, tzinfo=UTC)),
        ("2024-03-05T14:30:00Z", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("2024-03-05 14:30:00z", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("2024-03-05T14:30", datetime(2024, 3, 5, 7, 30, tzinfo=UTC)),  # naive = Bangkok
        ("2024-03-05 14:30:15.25", datetime(2024, 3, 5, 7, 30, 15, 250000, tzinfo=UTC)),
        ("2024-03-05T14:30:15.123456789+0700", datetime(2024, 3, 5, 7, 30, 15, 123456, tzinfo=UTC)),
        ("2024-03-05T09:00:00-05:00", datetime(2024, 3, 5, 14, 0, tzinfo=UTC)),
        ("2024-03-05T09:00+05:30", datetime(2024, 3, 5, 3, 30, tzinfo=UTC)),
        ("2024-03-05", datetime(2024, 3, 4, 17, 0, tzinfo=UTC)),  # a date alone is Bangkok midnight
        ("2567-03-05T14:30:00", datetime(2024, 3, 5, 7, 30, tzinfo=UTC)),
        ("05/03/2567 14:30", datetime(2024, 3, 5, 7, 30, tzinfo=UTC)),
        ("๒๕๖๗-๐๓-๐๕T๑๔:๓๐:๐๐", datetime(2024, 3, 5, 7, 30, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(value: str, expected: datetime) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-03-05T24:00", "is not a time of day"),
        ("2024-03-05T14:60", "is not a time of day"),
        ("2024-03-05T14:30+25:00", "is not a UTC offset"),
        ("2024-02-30T10:00", "day 30 does not exist"),
        ("2100-12-31T23:00:00-05:00", None),  # fine: the range check is on the written year
        ("2644-01-01T00:00", "2101 CE"),
        ("yesterday", "expected a timestamp like"),
    ],
)
def test_parse_timestamp_rejects_with_a_helpful_message(value: str, message: str | None) -> None:
    if message is None:
        assert parse_timestamp(value).year == 2101
        return
    with pytest.raises(ParseError, match="is not a timestamp") as error:
        parse_timestamp(value)
    assert message in str(error.value)


# -------------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("45.5", Decimal("45.5")),
        ("45.50", Decimal("45.50")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("12,500", Decimal("12500")),
        ("1 234 567", Decimal("1234567")),
        ("1\u2009234", Decimal("1234")),
        ("1\u00a0234.5", Decimal("1234.5")),
        ("1'234'567", Decimal("1234567")),
        ("+5", Decimal("5")),
        ("-5.25", Decimal("-5.25")),
        ("\u22125", Decimal("-5")),
        ("45.5%", Decimal("45.5")),
        ("45.5 %", Decimal("45.5")),
        ("%45.5", Decimal("45.5")),
        ("฿1,234.50", Decimal("1234.50")),
        ("1,234 บาท", Decimal("1234")),
        ("THB 1,234", Decimal("1234")),
        ("1234 thb", Decimal("1234")),
        ("-฿100", Decimal("-100")),
        ("฿-100", Decimal("-100")),
        ("1,500.-", Decimal("1500")),
        ("1e6", Decimal("1000000")),
        ("2.5E-3", Decimal("0.0025")),
        (".5", Decimal("0.5")),
        ("5.", Decimal("5")),
        ("๑,๒๓๔.๕", Decimal("1234.5")),
        ("๔๕ %", Decimal("45")),
        ("  42\u200b ", Decimal("42")),
    ],
)
def test_parse_decimal(value: str, expected: Decimal) -> None:
    assert parse_decimal(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12,5", "a comma is only read as a thousands separator"),
        ("45,5 %", "a comma is only read as a thousands separator"),
        ("1,23,456", "a comma is only read as a thousands separator"),
        ("1.234.567", "more than one decimal point"),
        ("1.2.3", "more than one decimal point"),
        ("NaN", "not a finite number"),
        ("inf", "not a finite number"),
        ("-Infinity", "not a finite number"),
        ("12abc", "characters that are not part of a number"),
        ("สิบ", "characters that are not part of a number"),
        ("1 234,5", "a comma is only read as a thousands separator"),
        ("1 234 5", "not a well-formed number"),
        ("+-5", "two signs"),
        ("45 %%", "not a well-formed number"),
        ("%45%", "several unit marks"),
        ("1e30", "is not a real figure"),
        ("", "it is empty"),
        (None, "it is empty"),
    ],
)
def test_parse_decimal_rejects_with_a_helpful_message(value: str | None, message: str) -> None:
    with pytest.raises(ParseError, match="is not a number") as error:
        parse_decimal(value)
    assert message in str(error.value)


def test_parse_percent_takes_a_percent_sign_but_not_money() -> None:
    assert parse_percent("45.5 %") == Decimal("45.5")
    assert parse_percent("๑๐๐%") == Decimal("100")
    assert parse_percent("120") == Decimal("120")  # the 0-100 range is validation's business
    with pytest.raises(ParseError, match="is not a percentage: a currency mark is not allowed"):
        parse_percent("฿45")


def test_parse_money_rounds_half_up_to_satang() -> None:
    assert parse_money("1,234.565") == Decimal("1234.57")
    assert parse_money("1,234.564") == Decimal("1234.56")
    assert parse_money("-0.005") == Decimal("-0.01")
    assert parse_money("฿ 1,000") == Decimal("1000.00")
    assert str(parse_money("1e6")) == "1000000.00"
    assert parse_money("-1") == Decimal("-1.00")  # the >= 0 range is validation's business
    with pytest.raises(ParseError, match="is not an amount of money: a percentage is not allowed"):
        parse_money("45 %")


# ---------------------------------------------------------------------------------------------- codes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("", ()),
        ("  ", ()),
        ("-", ()),
        ("BUDGET", ("BUDGET",)),
        ("budget; Policy", ("BUDGET", "POLICY")),
        ("BUDGET,POLICY,,PERSONNEL", ("BUDGET", "POLICY", "PERSONNEL")),
        ("POLICY；BUDGET，legal", ("POLICY", "BUDGET", "LEGAL")),
        ("BUDGET; budget ;POLICY;BUDGET", ("BUDGET", "POLICY")),
        (";", ()),
    ],
)
def test_parse_obstacles(value: str | None, expected: tuple[str, ...]) -> None:
    assert parse_obstacles(value) == expected


def test_parse_obstacles_names_the_unknown_code() -> None:
    with pytest.raises(ParseError, match="'MONEY' is not an obstacle code") as error:
        parse_obstacles("BUDGET; money")
    assert "BUDGET, POLICY, PERSONNEL" in str(error.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("in_progress", "in_progress"),
        (" In Progress ", "in_progress"),
        ("in-progress", "in_progress"),
        ("NOT STARTED", "not_started"),
        ("Completed", "completed"),
    ],
)
def test_parse_status(value: str, expected: str) -> None:
    assert parse_status(value) == expected


@pytest.mark.parametrize("value", ["done", "", None, "in progress!"])
def test_parse_status_rejects(value: str | None) -> None:
    with pytest.raises(ParseError, match="is not a status"):
        parse_status(value)


def test_code_lists_follow_the_contract() -> None:
    assert OBSTACLE_CODES == ("BUDGET", "POLICY", "PERSONNEL", "PROCUREMENT", "TECHNICAL", "LEGAL", "OTHER")
    assert STATUS_CODES == ("not_started", "in_progress", "completed", "suspended", "cancelled")
    assert SUBMISSION_COLUMNS[0] == "city_code" and SUBMISSION_COLUMNS[-1] == "submitted_at"
    assert len(SUBMISSION_COLUMNS) == 9
    assert sorted(THAI_HEADER_ALIASES.values()) == sorted(SUBMISSION_COLUMNS)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("city_code", "city_code"),
        ("\ufeffcity_code", "city_code"),
        (" City Code ", "city_code"),
        ("Report-Month", "report_month"),
        ("SUBMITTED AT", "submitted_at"),
        ("รหัสเมือง", "city_code"),
        (" รหัสโครงการ\u00a0", "project_code"),
        ("เดือนที่รายงาน", "report_month"),
        ("ความก้าวหน้าสะสม", "progress_pct"),
        ("ความก้าวหน้าสะสม (%)", "progress_pct"),
        ("เบิกจ่ายสะสม (บาท)", "spend_to_date_thb"),
        ("progress_pct (%)", "progress_pct"),
        ("สถานะ", "status"),
        ("ปัญหาอุปสรรค", "obstacles"),
        ("หมายเหตุ", "remarks"),
        ("วันที่ส่ง", "submitted_at"),
        ("Contact Person", "contact_person"),
        ("ผู้ประสานงาน", "ผู้ประสานงาน"),
        ("", ""),
    ],
)
def test_canonical_header(name: str, expected: str) -> None:
    assert canonical_header(name) == expected


# ------------------------------------------------------------------------------------ property tests

# Fragments of valid values, so that the fuzzing reaches past the first regular expression.
NEAR_MISS = st.lists(
    st.sampled_from(
        list("0123456789๐๑๒๓๔๕๖๗๘๙-/.,:;'%+ eETZ฿\u00a0\u2009\u200b")
        + ["มีนาคม", "มี.ค.", "พ.ศ.", "ค.ศ.", "เดือน", "บาท", "THB", "NaN", "inf", "ปี", "วันที่", "2567", "67"]
    ),
    max_size=25,
).map("".join)


@given(st.text() | NEAR_MISS)
def test_parsers_raise_only_parse_error(text: str) -> None:
    for parse in (*PARSERS, parse_obstacles):
        try:
            parse(text)
        except ParseError as error:
            assert str(error)


MONTHS = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)).map(lambda d: d.replace(day=1))


@given(MONTHS)
def test_month_round_trips_iso(month: date) -> None:
    assert parse_month(f"{month:%Y-%m}") == month


@given(MONTHS, st.booleans())
def test_month_round_trips_buddhist_era(month: date, thai_digits: bool) -> None:
    text = f"{month.month:02d}/{month.year + 543}"
    assert parse_month(text.translate(THAI_DIGITS) if thai_digits else text) == month


@given(MONTHS)
def test_month_round_trips_thai_name(month: date) -> None:
    assert parse_month(f"{THAI_MONTH_NAMES[month.month - 1]} {month.year + 543}") == month


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2056, 12, 31)),  # 2-digit BE years end at 2599
    st.sampled_from(["", " "]),
)
def test_month_round_trips_thai_abbreviation_and_short_year(day: date, space: str) -> None:
    text = f"{THAI_MONTH_ABBREVIATIONS[day.month - 1]}{space}{(day.year + 543) % 100:02d}"
    assert parse_month(text) == day.replace(day=1)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_date_round_trips_thai_style(day: date) -> None:
    assert parse_date(f"{day.day}/{day.month}/{day.year + 543}") == day
    assert parse_date(f"{day.day} {THAI_MONTH_NAMES[day.month - 1]} {day.year + 543}") == day


@given(
    st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2100, 12, 30)),
    st.integers(min_value=-12 * 4, max_value=14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q))),
)
def test_timestamp_round_trips_iso(moment: datetime, zone: timezone) -> None:
    aware = moment.replace(tzinfo=zone)
    assert parse_timestamp(aware.isoformat()) == aware


@given(
    st.decimals(min_value=-(10**15), max_value=10**15, places=4, allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["", "%", " %"]),
)
def test_decimal_round_trips_formatting(
    number: Decimal, grouped: bool, thai_digits: bool, suffix: str
) -> None:
    text = f"{number:,f}" if grouped else f"{number:f}"
    if thai_digits:
        text = text.translate(THAI_DIGITS)
    parsed = parse_decimal(text + suffix)
    assert parsed == number
    assert math.isfinite(parsed)


# --------------------------------------------------------------------------------- fast paths = general
# parse_timestamp/percent/money take a shortcut for the canonical spellings; it must give exactly what the
# general parser gives (same value, same type, same exponent, same time zone), or the same error.

_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=18)
NEAR_CANONICAL_NUMBERS = st.one_of(
    st.builds(lambda whole, fraction: f"{whole}.{fraction}", _DIGITS, _DIGITS),
    _DIGITS,
    st.from_regex(r"\A[0-9.]{1,20}\Z"),
)
NEAR_CANONICAL_TIMESTAMPS = st.builds(
    lambda y, mo, d, sep, h, mi, s, zone: f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}{zone}",
    st.integers(1980, 2110),
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from(["T", " "]),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
    st.sampled_from(["", "Z", "+07:00"]),
)


def _outcome(parse, value):
    try:
        result = parse(value)
    except ParseError as error:
        return ("error", str(error))
    return ("value", type(result), result, str(result), getattr(result, "tzinfo", None))


@given(NEAR_CANONICAL_TIMESTAMPS)
def test_the_timestamp_fast_path_gives_what_the_general_parser_gives(text: str) -> None:
    assert _outcome(parse_timestamp, text) == _outcome(dates._timestamp_general, text)


@given(NEAR_CANONICAL_NUMBERS)
def test_the_percent_fast_path_gives_what_the_general_parser_gives(text: str) -> None:
    assert _outcome(parse_percent, text) == _outcome(numeric._percent_general, text)


@given(NEAR_CANONICAL_NUMBERS)
def test_the_money_fast_path_gives_what_the_general_parser_gives(text: str) -> None:
    assert _outcome(parse_money, text) == _outcome(numeric._money_general, text)


def test_the_fast_paths_are_taken_for_canonical_spellings() -> None:
    """Guards the speed: the benchmark's rows are canonical and must not fall to the general parsers."""
    assert dates._canonical_timestamp("2024-04-05T10:00:00+07:00") is not None
    assert numeric._CANONICAL_AMOUNT.fullmatch("1234567.89")
    assert numeric._CANONICAL_PERCENT.fullmatch("45.25")


def test_the_whitespace_stripped_is_every_character_python_calls_whitespace() -> None:
    import sys

    every = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert WHITESPACE == every


def test_cleaning_a_long_run_of_inner_spaces_takes_linear_time() -> None:
    """A hostile cell of spaces between two letters: a regex anchored at the end took quadratic time."""
    import time

    started = time.perf_counter()
    assert clean_text(" a" + " " * 200_000 + "b ") == "a" + " " * 200_000 + "b"
    assert time.perf_counter() - started < 10  # a hang guard: linear is milliseconds, quadratic hours


# --- Rules the mutation run (make mutation) found unstated: explicit eras, time zones, what a refusal says.


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("มี.ค. ค.ศ. 24", date(2024, 3, 1)),  # a 2-digit year marked CE is 20xx, not BE
        ("มีนาคม ค.ศ. 2024", date(2024, 3, 1)),
        ("มี.ค. พ.ศ. 67", date(2024, 3, 1)),
        ("มีนาคม พ.ศ. 2567", date(2024, 3, 1)),
    ],
)
def test_an_explicit_era_decides_how_the_year_is_read(text, month):
    assert parse_month(text) == month
    assert parse_date("5 " + text) == month.replace(day=5)


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2024-03-05 14:30 UTC", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("2024-03-05 14:30 GMT", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("2024-03-05 14:30+07", datetime(2024, 3, 5, 7, 30, tzinfo=UTC)),
        ("2024-03-05 14:30+14:00", datetime(2024, 3, 5, 0, 30, tzinfo=UTC)),
        ("2024-03-05 14:30-05:59", datetime(2024, 3, 5, 20, 29, tzinfo=UTC)),
        ("2024-03-05 14:30:59", datetime(2024, 3, 5, 7, 30, 59, tzinfo=UTC)),  # Bangkok when no zone
    ],
)
def test_time_zones_as_written(text, instant):
    parsed = parse_timestamp(text)
    assert parsed == instant and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2024-03-05 14:30+15:00", "+15:00 is not a UTC offset"),
        ("2024-03-05 14:30+0560", "+0560 is not a UTC offset"),
        ("2024-03-05 14:30:60", "14:30:60 is not a time of day"),
        ("2024-03-05 24:00", "is not a time of day"),
        ("yesterday", "expected a timestamp like 2024-03-05T14:30:00+07:00 or 2024-03-05 14:30"),
    ],
)
def test_a_refused_timestamp_names_the_value_and_the_reason(text, reason):
    with pytest.raises(ParseError) as refused:
        parse_timestamp(text)
    assert str(refused.value).startswith(f"{text!r} is not a timestamp: ")
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_money, "1.2.3", "'1.2.3' is not an amount of money: it has more than one decimal point"),
        (
            parse_money,
            "1,23",
            "'1,23' is not an amount of money: a comma is only read as a thousands separator",
        ),
        (parse_money, "--5", "'--5' is not an amount of money: it has two signs"),
        (
            parse_money,
            "12x",
            "'12x' is not an amount of money: it contains characters that are not part of a",
        ),
        (parse_money, "nan", "'nan' is not an amount of money: it is not a finite number"),
        (parse_money, "1e999999", "'1e999999' is not an amount of money: its size"),
        (parse_percent, "%50%", "'%50%' is not a percentage: it mixes several unit marks"),
        (parse_percent, "50 บาท", "'50 บาท' is not a percentage: a currency mark is not allowed here"),
        (parse_decimal, "abc", "'abc' is not a number: it contains characters that are not part of a number"),
        (parse_month, "soon", "'soon' is not a month: expected a month like 2024-03, 03/2567, มีนาคม 2567 or"),
        (parse_month, "มีนาคม", "'มีนาคม' is not a month: a month name needs a year (มีนาคม 2567, มี.ค. 67)"),
        (
            parse_date,
            "soon",
            "'soon' is not a date: expected a date like 2024-03-05, 05/03/2567 or 5 มี.ค. 67",
        ),
        (parse_status, "done", "'done' is not a status: use one of not_started, in_progress, completed, "),
        (parse_status, "", "'' is not a status: it is empty"),
        (parse_obstacles, "RAIN", "'RAIN' is not a list of obstacles: 'RAIN' is not an obstacle code"),
    ],
)
def test_a_refused_value_names_the_value_and_says_why(parse, text, message):
    with pytest.raises(ParseError) as refused:
        parse(text)
    assert str(refused.value).startswith(message)


def test_a_long_refused_value_is_shown_cut_short():
    with pytest.raises(ParseError) as refused:
        parse_money("x" * 300)
    shown = str(refused.value).split(" is not", 1)[0]
    assert shown == repr("x" * 40)[:-1] + "…'"
    assert str(refused.value).endswith("it is too long")
    with pytest.raises(ParseError) as exact:
        parse_money("1" * 40)  # 40 characters are shown in full, 41 are cut
    assert str(exact.value).startswith(repr("1" * 40) + " is not")
    with pytest.raises(ParseError) as cut:
        parse_money("1" * 41)
    assert str(cut.value).startswith(repr("1" * 40)[:-1] + "…' is not")


def test_limits_of_what_is_read():
    assert parse_timestamp("05/03/2567 14:30:59") == datetime(2024, 3, 5, 7, 30, 59, tzinfo=UTC)
    assert parse_decimal("0" * 99 + "1") == Decimal(1)  # 100 characters are read, 101 are too long
    with pytest.raises(ParseError, match="it is too long"):
        parse_decimal("0" * 100 + "1")
    assert parse_decimal("1e24") == Decimal("1e24")  # beyond 10^±24 a figure is a typo
    with pytest.raises(ParseError, match=r"its size \(1.0e\+25\) is not a real figure"):
        parse_decimal("1e25")
    with pytest.raises(ParseError, match="it mixes several unit marks"):
        parse_percent("฿50%")


def test_a_year_out_of_range_says_which_years_are_read():
    with pytest.raises(ParseError) as refused:
        parse_month("2300-01")
    assert str(refused.value).endswith(
        "year 2300 is 2300 CE, outside 1990–2100 (Buddhist-Era years are 2533–2643)"
    )


def test_an_unknown_header_is_kept_with_its_unit():
    assert canonical_header("เบิกจ่ายสะสม (บาท)") == "spend_to_date_thb"
    assert canonical_header("Foo (บาท)") == "foo_(บาท)"


def test_a_currency_mark_in_any_case_is_money_not_a_percentage():
    for text in ("1,500 THB", "1,500 thb", "THB 1,500", "1,500 บาท", "฿1,500", "1,500.-"):
        assert parse_money(text) == Decimal("1500.00")
    for text in ("50 thb", "50 THB", "฿50"):
        with pytest.raises(ParseError, match="a currency mark is not allowed here"):
            parse_percent(text)
