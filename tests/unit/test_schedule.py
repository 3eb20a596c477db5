"""Which month a DAG run processes (include/smartcity/schedule.py): the scheduled run of the 20th processes
the month before, in Bangkok time, and a `month` parameter always wins."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from smartcity.schedule import report_month_of_run


@pytest.mark.parametrize(
    ("logical_date", "month"),
    [
        (datetime(2024, 4, 19, 23, 0, tzinfo=UTC), date(2024, 3, 1)),  # 06:00 on the 20th in Bangkok
        (datetime(2024, 1, 19, 23, 0, tzinfo=UTC), date(2023, 12, 1)),  # across a year
        # The 1st of a month at 00:30 in Bangkok is still the last day of the month before in UTC: the
        # month is that of Bangkok's calendar, so this slot processes January, not December.
        (datetime(2024, 1, 31, 17, 30, tzinfo=UTC), date(2024, 1, 1)),
        (datetime(2024, 3, 1, 0, 0, tzinfo=UTC), date(2024, 2, 1)),
    ],
)
@pytest.mark.parametrize("run_type", ["scheduled", "backfill"])
def test_a_scheduled_or_backfill_run_processes_the_month_before_its_slot(logical_date, month, run_type):
    assert report_month_of_run(None, run_type, logical_date) == month


def test_the_month_parameter_wins_over_the_schedule():
    slot = datetime(2024, 4, 19, 23, 0, tzinfo=UTC)
    assert report_month_of_run("2023-11", "scheduled", slot) == date(2023, 11, 1)
    assert report_month_of_run("2023-11", "manual", None) == date(2023, 11, 1)


def test_a_manual_run_without_a_month_leaves_the_choice_to_the_plan():
    assert report_month_of_run(None, "manual", datetime(2024, 4, 19, tzinfo=UTC)) is None
    assert report_month_of_run("", "asset_triggered", None) is None


class _RunType:
    """The Task SDK's DagRunType is an enum whose value is the run type (its name prints differently)."""

    value = "backfill"


def test_the_task_sdks_run_type_enum_is_read_by_its_value():
    assert report_month_of_run(None, _RunType(), datetime(2024, 4, 19, 23, 0, tzinfo=UTC)) == date(2024, 3, 1)
