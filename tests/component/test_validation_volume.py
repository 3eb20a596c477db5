"""Validation on a month of thousands of rows: what only shows at volume (type inference over many rows,
duplicates found among thousands of accepted rows from earlier months)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from smartcity.pipeline import plan_run, run_pull, run_validate
from tests.component.landing import CITIES, HEADER, make_landing, query, settings_for
from tests.component.landing import PROJECTS as PROJECTS_HEADER

PROJECTS = 3000
BIG_AMOUNT = "9876543210123.45"  # needs DECIMAL(15,2): far wider than the small amounts before it


def _projects() -> str:
    header = PROJECTS_HEADER.splitlines(keepends=True)[0]
    return header + "".join(
        f"P{i:04d},AAA,ENV,p,P,99999999999999,2023-01,2025-12,public\n" for i in range(PROJECTS)
    )


def _month(month: str, spend_of, submitted: str) -> str:
    return HEADER + "".join(
        f"AAA,P{i:04d},{month},10,{spend_of(i)},in_progress,,,{submitted}\n" for i in range(PROJECTS)
    )


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    base = tmp_path_factory.mktemp("volume")
    january = _month("2024-01", lambda i: BIG_AMOUNT if i == PROJECTS - 1 else f"{i % 7}.25", "2024-02-05")
    # February resends January's first 100 rows unchanged (duplicates) beside its own month.
    resent = "".join(january.splitlines(keepends=True)[1:101])
    february = _month("2024-02", lambda i: f"{i}.50", "2024-03-05") + resent
    landing = make_landing(
        base / "landing",
        {"2024-01": {"january.csv": january}, "2024-02": {"february.csv": february}},
        cities=CITIES,
        projects=_projects(),
    )
    settings = settings_for(landing, base / "w.duckdb")
    plan = plan_run(settings, "run-1")
    run_pull(settings, plan)
    return settings, run_validate(settings, plan)


def test_a_large_amount_after_thousands_of_small_ones_is_kept_exactly(validated):
    settings, _ = validated
    ((amount,),) = query(
        settings.pipeline_db,
        "select spend_to_date_thb from validated.submissions where project_code = ? and report_month = ?",
        [f"P{PROJECTS - 1:04d}", date(2024, 1, 1)],
    )
    assert amount == Decimal(BIG_AMOUNT)


def test_rows_resent_unchanged_a_month_later_are_duplicates_and_nothing_else_is(validated):
    settings, outcome = validated
    assert outcome["rows_received"] == 2 * PROJECTS + 100
    assert outcome["rows_accepted"] == 2 * PROJECTS
    reasons = query(
        settings.pipeline_db,
        "select reason_code, count(*), min(row_number), max(row_number) from audit.quarantine group by 1",
    )
    assert reasons == [("DUPLICATE", 100, PROJECTS + 1, PROJECTS + 100)]
