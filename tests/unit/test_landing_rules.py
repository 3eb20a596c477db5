"""The rules on landing names (contract section 2): month folders read like row months, temporary and hidden
names, the range a folder's month must lie in."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity.ingestion.sources import rules
from smartcity.parsing import parse_month


@pytest.mark.parametrize(
    ("name", "month"),
    [
        ("2024-03", date(2024, 3, 1)),
        ("2567-03", date(2024, 3, 1)),  # Buddhist Era, as many Thai offices write it
        ("2400-01", date(1857, 1, 1)),  # BE from 2400 on; the range check refuses it afterwards
        ("2399-12", date(2399, 12, 1)),  # CE below 2400: far future, refused by the range check
        ("2021-12", date(2021, 12, 1)),
    ],
)
def test_a_month_folder_is_read_like_a_rows_month(name, month):
    assert rules.folder_month(name) == month


@given(st.integers(1990, 2100), st.integers(1, 12), st.booleans())
def test_folder_months_agree_with_the_row_month_parser(year, month, buddhist_era):
    written = f"{year + 543 if buddhist_era else year}-{month:02d}"
    assert rules.folder_month(written) == parse_month(written)


@pytest.mark.parametrize("name", ["2024-3", "2024-03-extra", "2024-13", "2024-00", "March 2024", "24-03", ""])
def test_other_folder_names_are_not_months(name):
    assert rules.folder_month(name) is None


def test_a_folder_that_is_not_a_month_is_listed_with_a_hint_when_it_almost_is():
    almost = rules.not_a_month_folder("submissions/2024-3/")
    assert almost.reason_code == "NOT_A_MONTH_FOLDER"
    assert "2024-03" in almost.reason and "YYYY-MM" in almost.reason
    other = rules.not_a_month_folder("submissions/old stuff/")
    assert "'old stuff'" in other.reason


def test_a_month_before_2000_or_after_the_current_month_is_out_of_range():
    now = date(2026, 12, 1)
    assert rules.month_out_of_range("submissions/2024-03/", date(2024, 3, 1), now) is None
    assert rules.month_out_of_range("submissions/2026-12/", date(2026, 12, 1), now) is None
    future = rules.month_out_of_range("submissions/2610-01/", date(2067, 1, 1), now)
    assert future is not None and future.reason_code == "MONTH_OUT_OF_RANGE"
    assert "2067-01" in future.reason and "not begun" in future.reason
    past = rules.month_out_of_range("submissions/1999-12/", date(1999, 12, 1), now)
    assert past is not None and "before 2000" in past.reason


@pytest.mark.parametrize(
    "name",
    ["~$city_a.xlsx", "city_a.csv.part", "city_a.csv.partial", "city_a.xlsx.filepart", "x.tmp", "x.TMP",
     "city.csv.crdownload", ".~lock.city_a.xlsx#", "city_a.csv~"],
)  # fmt: skip
def test_temporary_names_are_not_taken(name):
    problem = rules.name_problem(f"submissions/2024-03/{name}", date(2024, 3, 1))
    assert problem is not None and problem.reason_code == "TEMPORARY_FILE"
    assert problem.month == date(2024, 3, 1)


def test_hidden_files_are_not_taken_and_ordinary_names_are():
    hidden = rules.name_problem("submissions/2024-03/.city_a.csv", date(2024, 3, 1))
    assert hidden is not None and hidden.reason_code == "HIDDEN_FILE"
    for name in ("city_a.csv", "เมือง ก.xlsx", "report..final.csv", "a.json"):
        assert rules.name_problem(f"submissions/2024-03/{name}", date(2024, 3, 1)) is None
