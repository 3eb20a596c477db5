"""
### Smart City deadline watch

After the reporting deadline of a month (the 15th of the following month, 23:59:59 Bangkok time), lists every
city certified in the month with nothing accepted for it: no file at all, every row quarantined, or rows
that do not report the month in time. The list goes to `dq.missing_submissions` in the watch's own DuckDB
file (`<warehouse>.state/deadline_watch.duckdb`) and through the pipeline's alert channel (webhook or e-mail,
Airflow notifiers), with each city's contact where the registry has one.

**Which month.** `params.month` (`YYYY-MM`) when given; else the latest month whose deadline has passed at the
run's logical date (the cron timetable gives no data interval): the run on the 16th at 00:30 checks the month
before.

**No race with the monthly run.** The watch never opens the build database: it reads the landing area and
runs the same check code as `smartcity check` against the snapshots of accepted rows the monthly run writes.
The work lives in `include/smartcity/deadline_watch.py`; this file only wires it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from smartcity.alerts import notify_failure


def _watched_month(context) -> date:
    from smartcity.deadline_watch import month_due

    value = context["params"].get("month")
    if value:
        return date(int(value[:4]), int(value[5:7]), 1)
    return month_due(pendulum.instance(context["logical_date"]))


@dag(
    dag_id="smartcity_deadline",
    # The 16th at 00:30 Bangkok time: just after the deadline of the month before.
    schedule=CronTriggerTimetable("30 0 16 * *", timezone="Asia/Bangkok"),
    start_date=pendulum.datetime(2023, 5, 1, tz="Asia/Bangkok"),
    catchup=False,
    max_active_runs=1,  # one writer of the watch's own file
    default_args={
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": notify_failure,
    },
    params={
        "month": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            description="Month to watch, YYYY-MM (CE). Empty: the latest month whose deadline has passed.",
        )
    },
    tags=["smartcity", "deadline"],
    doc_md=__doc__,
)
def smartcity_deadline():
    @task
    def find_missing_submissions() -> dict:
        from smartcity.config import load_settings
        from smartcity.deadline_watch import find_missing, store

        settings = load_settings()
        watch = find_missing(settings, _watched_month(get_current_context()))
        store(settings, watch)
        return watch.as_dict()

    @task
    def send_alert(watch: dict) -> None:
        from smartcity.alerts import PreparedNotifier
        from smartcity.deadline_watch import watch_alert

        PreparedNotifier(watch_alert(watch)).notify(get_current_context())

    send_alert(find_missing_submissions())


smartcity_deadline()
