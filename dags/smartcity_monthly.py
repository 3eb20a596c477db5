"""
### Smart City monthly pipeline

Pulls the month's submissions from the landing area, checks them with Great Expectations,
builds the marts with dbt and publishes the DuckDB warehouse BI tools read.

**Which month.** `params.month` (`YYYY-MM`) when given (manual runs, `make run`); else
`SMARTCITY_MONTH`; else, for scheduled and backfill runs, the month before the run's logical date
(the cron timetable gives no data interval, so the month is derived explicitly); else the latest
month of the landing area. The run processes that month and every earlier landing month not yet
processed (or holding a file not received before).

**Steps.** plan → pull → validate → transform → publish, each idempotent for its months; a run with
nothing new skips the work. The work itself lives in `include/smartcity`; this file only wires it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pendulum
from airflow.sdk import Asset, Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from airflow.timetables.trigger import CronTriggerTimetable

from smartcity.alerts import notify_failure

WAREHOUSE_ASSET = Asset(name="smartcity_warehouse", uri="smartcity://warehouse")
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


@contextmanager
def _fail_fast_on_permanent_errors() -> Iterator[None]:
    """Retries are for transient faults; a broken registry or a failing dbt test fails at once."""
    from smartcity.errors import PermanentError

    try:
        yield
    except PermanentError as error:
        raise AirflowFailException(f"{type(error).__name__}: {error}") from error


def _requested_month(context) -> date | None:
    """The month this run was asked for, or, for scheduled and backfill runs, the month before the logical
    date."""
    value = context["params"].get("month")
    if value:
        return date(int(value[:4]), int(value[5:7]), 1)
    # Compare the enum's value: the Task SDK's DagRunType prints as "DagRunType.BACKFILL" (member name),
    # the core one as "backfill"; both carry the values "scheduled" and "backfill".
    run_type = context["dag_run"].run_type
    if getattr(run_type, "value", run_type) in ("scheduled", "backfill"):
        logical = pendulum.instance(context["logical_date"]).in_timezone("Asia/Bangkok")
        previous = logical.start_of("month").subtract(days=1)
        return date(previous.year, previous.month, 1)
    return None


@dag(
    dag_id="smartcity_monthly",
    # The 20th at 06:00 Bangkok time: after the reporting deadline (the 15th of the following month).
    schedule=CronTriggerTimetable("0 6 20 * *", timezone="Asia/Bangkok"),
    start_date=pendulum.datetime(2023, 5, 1, tz="Asia/Bangkok"),
    catchup=False,
    max_active_runs=1,  # one writer of the build database at a time
    default_args={
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "on_failure_callback": notify_failure,  # webhook, e-mail or a log warning (smartcity/alerts.py)
    },
    params={
        "month": Param(
            None,
            type=["null", "string"],
            pattern=MONTH_PATTERN,
            description="Report month to process, YYYY-MM (CE). Empty: derived from the schedule.",
        )
    },
    tags=["smartcity", "monthly"],
    doc_md=__doc__,
)
def smartcity_monthly():
    @task(retries=0)
    def plan() -> dict:
        from smartcity.config import load_settings
        from smartcity.pipeline import plan_run

        context = get_current_context()
        with _fail_fast_on_permanent_errors():
            return plan_run(load_settings(), context["run_id"], _requested_month(context)).as_dict()

    @task
    def pull(run_plan: dict) -> dict:
        from smartcity.config import load_settings
        from smartcity.pipeline import RunPlan, run_pull

        work = RunPlan.from_dict(run_plan)
        if not work.has_work:
            raise AirflowSkipException("nothing new: no month to process and nothing to rebuild")
        with _fail_fast_on_permanent_errors():
            return run_pull(load_settings(), work)

    @task
    def validate(run_plan: dict) -> dict:
        from smartcity.config import load_settings
        from smartcity.pipeline import RunPlan, run_validate

        with _fail_fast_on_permanent_errors():
            return run_validate(load_settings(), RunPlan.from_dict(run_plan))

    @task
    def transform(run_plan: dict) -> None:
        from smartcity.config import load_settings
        from smartcity.pipeline import RunPlan, run_transform

        with _fail_fast_on_permanent_errors():
            run_transform(load_settings(), RunPlan.from_dict(run_plan))

    @task(outlets=[WAREHOUSE_ASSET])
    def publish(run_plan: dict) -> str:
        from smartcity.config import load_settings
        from smartcity.pipeline import RunPlan, run_publish

        with _fail_fast_on_permanent_errors():
            return run_publish(load_settings(), RunPlan.from_dict(run_plan))

    planned = plan()
    pulled = pull(planned)
    validated = validate(planned)
    transformed = transform(planned)
    published = publish(planned)
    pulled >> validated >> transformed >> published


smartcity_monthly()
