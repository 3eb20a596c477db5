"""
### Smart City monthly pipeline

Pulls the month's submissions from the landing area, checks them with Great Expectations,
builds the marts with dbt and publishes the DuckDB warehouse BI tools read.

**Write, audit, publish.** plan → (nothing new: stop) → pull → audit_registry → validate →
transform → audit_marts → publish. The two audits are the critical Great Expectations suites
(the registry as loaded, the marts as built): a failure stops the run and the previous warehouse
stays published. (They are two tasks, not one task group: a group holding both would come before
validate and after transform at once, which Airflow refuses as a cycle.) Each step is idempotent
for its months and leaves a record in `pipeline.runs`.

**Which month.** `params.month` (`YYYY-MM`) when given (manual runs, `make run`); else, for
scheduled and backfill runs, the month before the run's logical date (the cron timetable gives no
data interval, so include/smartcity/schedule.py derives it); else `SMARTCITY_MONTH`; else the latest
month of the landing area. The run processes that month and every earlier landing month not yet
processed (or holding a file not received before).

The work lives in `include/smartcity` (airflow_tasks.py, pipeline.py); this file only wires it.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, Param, dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from smartcity.airflow_tasks import has_work, plan, step
from smartcity.alerts import notify_failure

WAREHOUSE_ASSET = Asset(name="smartcity_warehouse", uri="smartcity://warehouse")
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


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
        "on_failure_callback": notify_failure,  # the webhook or e-mail notifier (smartcity/alerts.py)
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
    @task(task_id="plan", retries=0)
    def plan_task() -> dict:
        return plan(get_current_context())

    @task.short_circuit
    def anything_new(run_plan: dict) -> bool:
        return has_work(run_plan)

    @task
    def pull(run_plan: dict) -> dict:
        return step("pull", run_plan)

    @task
    def validate(run_plan: dict) -> dict:
        return step("validate", run_plan)

    @task
    def transform(run_plan: dict) -> None:
        step("transform", run_plan)

    @task(outlets=[WAREHOUSE_ASSET])
    def publish(run_plan: dict) -> str:
        return step("publish", run_plan)

    @task(doc_md="The critical registry suite on the registry as loaded; a failure stops the run.")
    def audit_registry(run_plan: dict) -> None:
        step("audit_registry", run_plan)

    @task(doc_md="The critical marts suite on the marts as built; a failure keeps the previous warehouse.")
    def audit_marts(run_plan: dict) -> None:
        step("audit_marts", run_plan)

    planned = plan_task()
    (
        anything_new(planned)
        >> pull(planned)
        >> audit_registry(planned)
        >> validate(planned)
        >> transform(planned)
        >> audit_marts(planned)
        >> publish(planned)
    )


smartcity_monthly()
