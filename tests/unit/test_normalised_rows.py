"""Raw submission rows (every cell as text) to typed rows (validation/normalised_rows.py `normalise`): each
value as sent beside its typed value, or beside the reason it could not be read; nothing decided or dropped.
The expected values are the contract's (BE years, Thai formats, codes in upper case), worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd

from smartcity.validation.normalised_rows import normalise

COLUMNS = [
    "city_code", "project_code", "report_month", "progress_pct", "spend_to_date_thb", "status", "obstacles",
    "remarks", "submitted_at",
]  # fmt: skip
THAI = [
    " aaa ",
    "a1",
    "มี.ค. 67",
    "45.5%",
    "1,500",
    "In Progress",
    "budget; policy",
    "  รอ งบ ",
    "2024-04-02 09:00",
]
ROWS = [
    # Thai conventions throughout, sent twice (values are parsed once per distinct value, then spread).
    THAI,
    list(THAI),
    # Unreadable values keep their text and say why.
    ["BBB", "B1", "2024-13", "abc", "12x", "on-hold", "RAIN", "x", "yesterday"],
    # Empty cells.
    ["CCC", None, None, None, None, None, None, None, None],
    # Thai digits, a CE month with a day, 100 %.
    ["ccc", "C2", "2024-02-29", "๑๐๐", "๒,๐๐๐.๕", "completed", "", "", "2024-03-01T08:00:00+07:00"],
]


def _raw(rows: list[list[str | None]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS, index=[100 + n for n in range(len(rows))], dtype=object)
    frame.insert(0, "file_id", "f1")
    frame.insert(1, "source_file", "submissions/2024-03/a.csv")
    frame.insert(2, "received_month", date(2024, 3, 1))
    frame.insert(3, "arrived_at", datetime(2024, 4, 10, 2, 0, tzinfo=UTC))
    frame.insert(4, "row_number", range(1, len(rows) + 1))
    frame.insert(5, "raw_record", "{}")
    return frame


def _value(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    return value


def _row(frame: pd.DataFrame, label: int) -> dict:
    return {column: _value(value) for column, value in frame.loc[label].items()}


def test_each_value_is_typed_beside_the_text_sent():
    typed = normalise(_raw(ROWS))
    assert list(typed.index) == [100, 101, 102, 103, 104]
    first = _row(typed, 100)
    assert first["city_code"] == "AAA" and first["project_code"] == "A1"
    assert (first["report_month_text"], first["report_month"]) == ("มี.ค. 67", date(2024, 3, 1))
    assert (first["progress_pct_text"], first["progress_pct"]) == ("45.5%", Decimal("45.5"))
    assert (first["spend_to_date_thb_text"], first["spend_to_date_thb"]) == ("1,500", Decimal("1500"))
    assert first["status"] == "in_progress"
    assert (first["obstacles_text"], first["obstacles"]) == ("budget; policy", ["BUDGET", "POLICY"])
    assert first["submitted_at_given"] == datetime(2024, 4, 2, 2, 0, tzinfo=UTC)  # 09:00 in Bangkok
    assert first["submitted_at_text"] == "2024-04-02 09:00"
    assert all(first[f"{column}_error"] is None for column in ("report_month", "progress_pct", "obstacles"))
    assert first["spend_to_date_thb_error"] is None and first["submitted_at_error"] is None
    # The row sent twice is typed the same; the file's own columns pass through.
    second = _row(typed, 101)
    assert {k: v for k, v in second.items() if k != "row_number"} == {
        k: v for k, v in first.items() if k != "row_number"
    }
    assert (first["row_number"], second["row_number"]) == (1, 2)
    assert first["file_id"] == "f1" and first["received_month"] == date(2024, 3, 1)


def test_remarks_are_kept_as_sent():
    typed = normalise(_raw(ROWS))
    assert typed.loc[100, "remarks"] == "  รอ งบ "


def test_an_unreadable_value_keeps_its_text_and_a_reason():
    bad = _row(normalise(_raw(ROWS)), 102)
    for column, text in [
        ("report_month", "2024-13"),
        ("progress_pct", "abc"),
        ("spend_to_date_thb", "12x"),
        ("obstacles", "RAIN"),
    ]:
        assert bad[f"{column}_text"] == text
        assert text in bad[f"{column}_error"]
    assert bad["report_month"] is None and bad["progress_pct"] is None and bad["spend_to_date_thb"] is None
    assert bad["obstacles"] == []
    assert bad["submitted_at_text"] == "yesterday" and "yesterday" in bad["submitted_at_error"]
    assert bad["submitted_at_given"] is None
    assert bad["status"] == "on_hold"  # normalised only; whether it is allowed is the suite's business


def test_empty_cells_are_missing_not_errors():
    empty = _row(normalise(_raw(ROWS)), 103)
    assert empty["city_code"] == "CCC" and empty["project_code"] is None
    for column in ("report_month", "progress_pct", "spend_to_date_thb", "obstacles", "submitted_at"):
        assert empty[f"{column}_text"] is None and empty[f"{column}_error"] is None
    assert empty["report_month"] is None and empty["progress_pct"] is None
    assert empty["status"] is None and empty["obstacles"] == [] and empty["submitted_at_given"] is None


def test_thai_digits_and_full_dates():
    row = _row(normalise(_raw(ROWS)), 104)
    assert row["city_code"] == "CCC" and row["project_code"] == "C2"
    assert row["report_month"] == date(2024, 2, 1)
    assert row["progress_pct"] == Decimal("100")
    assert row["spend_to_date_thb"] == Decimal("2000.5")
    assert row["status"] == "completed"
    assert row["obstacles"] == []
    assert row["submitted_at_given"] == datetime(2024, 3, 1, 1, 0, tzinfo=UTC)


def test_no_rows_give_the_same_columns():
    typed = normalise(_raw(ROWS).iloc[0:0])
    assert typed.empty
    assert list(typed.columns) == list(normalise(_raw(ROWS)).columns)
