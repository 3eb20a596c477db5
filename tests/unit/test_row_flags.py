"""The row flags the `submission_rows` suite turns into reason codes (validation/normalised_rows.py), stated
as the contract's rules on rows built so that each rule matters: what makes two rows identical (DUPLICATE), a
report month later than the month processed (FUTURE_MONTH), a submitted_at later than its file's arrival
(OUT_OF_RANGE), and the status a row without one takes from its progress."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from smartcity.validation.normalised_rows import (
    SUBMITTED_AT_TOLERANCE,
    add_month_flag,
    add_submitted_at_flag,
    as_float,
    identity,
    status_or_default,
)

BANGKOK = ZoneInfo("Asia/Bangkok")
ROW = {
    "city_code": "AAA",
    "project_code": "A1",
    "report_month": date(2024, 3, 1),
    "report_month_error": None,
    "report_month_text": "2024-03",
    "progress_pct": Decimal("50"),
    "progress_pct_error": None,
    "progress_pct_text": "50",
    "spend_to_date_thb": Decimal("1000.00"),
    "spend_to_date_thb_error": None,
    "spend_to_date_thb_text": "1,000",
    "status": "in_progress",
    "obstacles": ["BUDGET", "POLICY"],
    "obstacles_error": None,
    "obstacles_text": "BUDGET;POLICY",
    "remarks": "ok",
    "submitted_at_given": datetime(2024, 4, 1, 10, 0, tzinfo=BANGKOK),
    "submitted_at_error": None,
    "submitted_at_text": "2024-04-01 10:00",
}


@pytest.mark.parametrize(
    ("column", "other"),
    [
        ("city_code", "BBB"),
        ("project_code", "A2"),
        ("report_month", date(2024, 2, 1)),
        ("progress_pct", Decimal("50.5")),
        ("spend_to_date_thb", Decimal("1000.01")),
        ("status", "completed"),
        ("obstacles", ["BUDGET"]),
        ("remarks", "sent again after the audit"),
        ("remarks", None),
        ("submitted_at_given", datetime(2024, 4, 1, 10, 1, tzinfo=BANGKOK)),
    ],
)
def test_rows_that_differ_in_any_value_are_not_identical(column, other):
    assert identity({**ROW, column: other}) != identity(ROW)


def test_the_same_row_sent_again_is_identical():
    again = {**ROW, "obstacles": list(ROW["obstacles"]), "remarks": "ok"}
    assert identity(again) == identity(ROW)
    # The same instant written in another time zone is the same submitted_at.
    utc = {**ROW, "submitted_at_given": datetime(2024, 4, 1, 3, 0, tzinfo=ZoneInfo("UTC"))}
    assert identity(utc) == identity(ROW)


def test_an_unreadable_value_compares_as_the_text_sent():
    """Two rows with different unreadable months are not identical, nor is one equal to a row without it."""
    bad = {**ROW, "report_month": None, "report_month_error": "not a month", "report_month_text": "2024-13"}
    worse = {**bad, "report_month_text": "2024-14"}
    missing = {**ROW, "report_month": None, "report_month_text": None}
    assert identity(bad) != identity(worse)
    assert identity(bad) != identity(missing)
    assert identity(bad) == identity(dict(bad))


def test_a_new_row_compares_with_an_accepted_row_as_stored():
    """Accepted rows come back from the warehouse with progress as a double and missing values as None; a new
    row has the exact Decimal and pandas' NaN/NaT. The same row sent again is still identical."""
    stored = {**ROW, "progress_pct": 50.1, "submitted_at_given": None, "remarks": None}
    sent = {**ROW, "progress_pct": Decimal("50.1"), "submitted_at_given": pd.NaT, "remarks": float("nan")}
    assert identity(sent) == identity(stored)
    assert identity({**sent, "progress_pct": Decimal("50.2")}) != identity(stored)
    assert identity({**sent, "progress_pct": None}) == identity({**stored, "progress_pct": float("nan")})


def test_unreadable_values_sent_differently_are_different_rows():
    def unreadable(column: str, text: str) -> dict:
        value = "submitted_at_given" if column == "submitted_at" else column
        return {**ROW, value: None, f"{column}_error": "unreadable", f"{column}_text": text}

    for column in ("submitted_at", "progress_pct", "spend_to_date_thb", "obstacles"):
        assert identity(unreadable(column, "x1")) != identity(unreadable(column, "x2"))
        assert identity(unreadable(column, "x1")) == identity(unreadable(column, "x1"))
        assert identity(unreadable(column, "x1")) != identity(
            {**ROW, column: None, "submitted_at_given": None}
        )


@pytest.mark.parametrize(
    ("exact", "stored"),
    [
        (Decimal("50.1"), 50.1),
        (Decimal("100"), 100.0),
        (Decimal("-0"), 0.0),
        (None, None),
        (float("nan"), None),
    ],
)
def test_a_percentage_is_stored_as_the_nearest_double(exact, stored):
    value = as_float(exact)
    assert value == stored
    if stored is not None:
        assert str(value) == str(stored)  # -0.0 is stored as 0.0


def test_a_row_without_status_is_identical_to_one_with_the_status_its_progress_gives():
    assert identity({**ROW, "status": None}) == identity(ROW)  # 50 % -> in_progress
    assert identity({**ROW, "status": None, "progress_pct": Decimal("100")}) == identity(
        {**ROW, "status": "completed", "progress_pct": Decimal("100")}
    )


@pytest.mark.parametrize(
    ("progress", "status"),
    [
        (Decimal("0"), "not_started"),
        (Decimal("0.01"), "in_progress"),
        (Decimal("99.99"), "in_progress"),
        (Decimal("100"), "completed"),
        (None, None),
    ],
)
def test_a_missing_status_comes_from_progress(progress, status):
    assert status_or_default(None, progress) == status
    assert status_or_default("suspended", progress) == "suspended"


def test_future_month_is_a_month_after_the_one_processed():
    rows = pd.DataFrame({"report_month": [date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1), None]})
    flags = add_month_flag(rows, date(2024, 3, 1))["month_not_future"].tolist()
    assert flags == [True, True, False, True]


def test_submitted_at_may_pass_the_arrival_by_a_day_and_no_more():
    arrived = datetime(2024, 4, 10, 9, 0, tzinfo=BANGKOK)
    assert SUBMITTED_AT_TOLERANCE == timedelta(hours=24)
    utc = ZoneInfo("UTC")
    given = [  # Bangkok and UTC mixed, as rows of one file can be
        None,
        arrived,
        (arrived + timedelta(hours=24)).astimezone(utc),
        arrived + timedelta(hours=24, seconds=1),
        datetime(2099, 1, 1, tzinfo=utc),
    ]
    rows = pd.DataFrame({"arrived_at": [arrived] * len(given), "submitted_at_given": given})
    flagged = add_submitted_at_flag(rows)
    assert flagged["submitted_at_not_after_arrival"].tolist() == [True, True, True, False, False]
    assert flagged["latest_submitted_at"].tolist() == ["2024-04-11 09:00"] * len(given)
