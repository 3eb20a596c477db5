"""Which report month a DAG run processes, from how it was started (its parameter, its schedule).

Airflow 3's cron timetables give a run no data interval, so the month is derived here, explicitly: the DAG
file only hands over what Airflow knows (the `month` parameter, the run type, the logical date).
"""

from __future__ import annotations

from datetime import date, datetime

import pendulum

# Run types whose logical date is a schedule slot: the slot on the 20th of a month processes the month before.
SCHEDULED_RUN_TYPES = ("scheduled", "backfill")


def month_of_parameter(value: str | None) -> date | None:
    """The `month` parameter (`YYYY-MM`, checked by the DAG's Param pattern) as its first day."""
    if not value:
        return None
    return date(int(value[:4]), int(value[5:7]), 1)


def report_month_of_run(
    month_parameter: str | None, run_type: object, logical_date: datetime | None
) -> date | None:
    """The month a run processes: its `month` parameter when given; else, for a scheduled or backfill run,
    the month before its logical date in Bangkok (the run of 20 April processes March, whose deadline, the
    15th of April, has passed); else None (the plan then takes SMARTCITY_MONTH or the latest month
    of the landing area)."""
    asked = month_of_parameter(month_parameter)
    if asked is not None:
        return asked
    # The Task SDK's DagRunType prints as "DagRunType.BACKFILL" (its member name), the core one as "backfill":
    # compare the enum's value.
    kind = getattr(run_type, "value", run_type)
    if kind not in SCHEDULED_RUN_TYPES or logical_date is None:
        return None
    slot = pendulum.instance(logical_date).in_timezone("Asia/Bangkok")
    before = slot.start_of("month").subtract(days=1)
    return date(before.year, before.month, 1)
