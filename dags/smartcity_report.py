"""
### Smart City monthly report

Builds the analysts' monthly HTML report (Thai and English) whenever the monthly pipeline publishes the
warehouse: it is scheduled on the asset that `smartcity_monthly`'s `publish` task emits, and writes
`<warehouse>.state/reports/monthly/<YYYY-MM>/report.html` for the latest published month, reading the
published warehouse read-only like any BI tool. The work lives in `include/smartcity/reporting/`.

For another month: `smartcity report --month YYYY-MM`, or trigger this DAG with the `month` parameter.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, Param, dag, get_current_context, task

from smartcity.alerts import notify_failure

# The same asset as WAREHOUSE_ASSET in smartcity_monthly.py (same name and URI: one asset for Airflow); it is
# declared here rather than imported so this file does not import the other DAG file.
WAREHOUSE_ASSET = Asset(name="smartcity_warehouse", uri="smartcity://warehouse")


@dag(
    dag_id="smartcity_report",
    schedule=[WAREHOUSE_ASSET],
    start_date=pendulum.datetime(2023, 5, 1, tz="Asia/Bangkok"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "retries": 1,
        "retry_delay": timedelta(seconds=30),
        "on_failure_callback": notify_failure,
    },
    params={
        "month": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            description="Report month, YYYY-MM (CE). Empty: the latest published month.",
        )
    },
    tags=["smartcity", "report"],
    doc_md=__doc__,
)
def smartcity_report():
    @task
    def build_monthly_report() -> str:
        from smartcity.config import load_settings, parse_month_setting
        from smartcity.reporting.report import build_report

        month = get_current_context()["params"].get("month")
        return str(build_report(load_settings(), parse_month_setting(month, "month") if month else None))

    build_monthly_report()


smartcity_report()
