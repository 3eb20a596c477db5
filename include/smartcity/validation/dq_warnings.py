"""Warnings for data-quality analysts: flagged, kept, never quarantined.

After a landing month's rows are split, its accepted rows are compared in DuckDB with the accepted history
(the flags below), one line is added per project of a certified city (has it reported lately?), and the
`submission_warnings` suite checks the flags. Every failing line becomes a row of `dq.warnings`; no row's
outcome changes. Rerunning a month replaces its warnings.

- PROGRESS_DECREASED / SPEND_DECREASED: lower than the project's accepted row for its latest earlier
  report_month (the current one for that month: the supersession order of dbt's int_submissions_current).
- SPEND_ABOVE_BUDGET: spend_to_date_thb above the project's budget_thb in the registry.
- PROJECT_SILENT: a project of a city certified in the month (current registry: status certified,
  status_since on or before the month's last day) with no accepted row for the month or the one before,
  unless its last report says completed or cancelled. One warning per project and month, no source row.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, date, datetime

import duckdb
import pandas as pd

from smartcity.validation.dq_tables import describe, insert_frame, record_run
from smartcity.validation.suites import SuiteResult, SuiteRunner

log = logging.getLogger(__name__)
SUITE = "submission_warnings"

# $month is the landing month processed; its accepted rows are already in validated.submissions.
WARNING_LINES = """
with history as (
    select
        project_code, report_month, progress_pct, spend_to_date_thb, status,
        submitted_at, arrived_at, file_id, row_number
    from validated.submissions
    where received_month <= $month
),

month_rows as (
    select accepted.*, files.landing_path as source_file
    from validated.submissions as accepted
    inner join raw.received_files as files on accepted.file_id = files.file_id
    where accepted.received_month = $month
),

-- "The current row" of a project and report month below follows the supersession order of dbt's
-- int_submissions_current. It is picked among the few rows of the months needed, after hash aggregates
-- found those months: a window or an ASOF join over the whole history would sort millions of rows for
-- every landing month.
previous_months as (
    select
        month_rows.file_id,
        month_rows.row_number,
        month_rows.project_code,
        max(history.report_month) as report_month
    from month_rows
    inner join history
        on
            month_rows.project_code = history.project_code
            and history.report_month < month_rows.report_month
    group by month_rows.file_id, month_rows.row_number, month_rows.project_code
),

previous as (
    select
        previous_months.file_id,
        previous_months.row_number,
        history.report_month,
        history.progress_pct,
        history.spend_to_date_thb
    from previous_months
    inner join history
        on
            previous_months.project_code = history.project_code
            and previous_months.report_month = history.report_month
    -- the few report months needed, as a filter first: a join would hash the whole history
    where history.report_month in (select distinct report_month from previous_months)
    qualify row_number() over (
        partition by previous_months.file_id, previous_months.row_number
        order by
            history.submitted_at desc, history.arrived_at desc, history.file_id desc,
            history.row_number desc
    ) = 1
),

row_lines as (
    select
        'row' as line,
        month_rows.source_file,
        month_rows.row_number,
        month_rows.city_code,
        month_rows.project_code,
        strftime(month_rows.report_month, '%Y-%m') as report_month,
        month_rows.progress_pct,
        cast(month_rows.spend_to_date_thb as double) as spend_to_date_thb,
        cast(projects.budget_thb as double) as budget_thb,
        strftime(previous.report_month, '%Y-%m') as previous_report_month,
        previous.progress_pct as previous_progress_pct,
        cast(previous.spend_to_date_thb as double) as previous_spend_thb,
        cast(null as varchar) as silent_months,
        cast(null as varchar) as last_report_month,
        month_rows.progress_pct >= previous.progress_pct as progress_not_decreased,
        month_rows.spend_to_date_thb >= previous.spend_to_date_thb as spend_not_decreased,
        month_rows.spend_to_date_thb <= projects.budget_thb as spend_within_budget,
        cast(null as boolean) as reported_recently
    from month_rows
    left join previous
        on month_rows.file_id = previous.file_id and month_rows.row_number = previous.row_number
    left join registry.projects as projects on month_rows.project_code = projects.project_code
),

last_months as (
    select
        project_code,
        max(report_month) as report_month
    from history
    where report_month <= $month
    group by project_code
),

last_reports as (
    select
        last_months.project_code,
        last_months.report_month,
        history.status
    from last_months
    inner join history
        on
            last_months.project_code = history.project_code
            and last_months.report_month = history.report_month
    where history.report_month in (select distinct report_month from last_months)
    qualify row_number() over (
        partition by last_months.project_code
        order by
            history.submitted_at desc, history.arrived_at desc, history.file_id desc,
            history.row_number desc
    ) = 1
),

project_lines as (
    select
        'project' as line,
        cast(null as varchar) as source_file,
        cast(null as integer) as row_number,
        projects.city_code,
        projects.project_code,
        strftime($month, '%Y-%m') as report_month,
        strftime($month - interval 1 month, '%Y-%m') || ' or ' || strftime($month, '%Y-%m') as silent_months,
        coalesce(strftime(last_reports.report_month, '%Y-%m'), 'none') as last_report_month,
        coalesce(last_reports.report_month >= $month - interval 1 month, false) as reported_recently
    from registry.projects as projects
    inner join registry.cities as cities on projects.city_code = cities.city_code
    left join last_reports on projects.project_code = last_reports.project_code
    where
        cities.status = 'certified'
        and cities.status_since <= last_day($month)
        and coalesce(last_reports.status, '') not in ('completed', 'cancelled')
)

select * from row_lines
union all by name
select * from project_lines
order by line desc, source_file, row_number, city_code, project_code
"""


def warning_lines(con: duckdb.DuckDBPyConnection, month: date) -> pd.DataFrame:
    """One line per accepted row of the month and per project of a certified city, with the flags."""
    lines = con.execute(WARNING_LINES, {"month": month}).df()
    return lines.astype({"row_number": "Int64"})


def find_warnings(
    con: duckdb.DuckDBPyConnection, runner: SuiteRunner, month: date, run_name: str
) -> tuple[pd.DataFrame, SuiteResult]:
    """The warnings of landing month `month`: its accepted rows (already in validated.submissions) against the
    accepted history, checked by the `submission_warnings` suite. One line per warning (columns of
    dq.warnings but run_id and month); writes nothing. Both the monthly run (`flag_warnings`) and
    `smartcity check` (validation/preflight.py) call this, so they flag the same rows the same way."""
    lines = warning_lines(con, month)
    result = runner.run(SUITE, lines, run_name=run_name)
    flagged = [
        (index, failure.meta)
        for failure in result.failures
        if failure.meta.get("severity") == "warning"
        for index in failure.failed_index
    ]
    warnings = pd.DataFrame(
        {
            "source_file": pd.Series([lines.at[i, "source_file"] for i, _ in flagged], dtype=object),
            "row_number": pd.array([lines.at[i, "row_number"] for i, _ in flagged], dtype="Int64"),
            "city_code": pd.Series([lines.at[i, "city_code"] for i, _ in flagged], dtype=object),
            "project_code": pd.Series([lines.at[i, "project_code"] for i, _ in flagged], dtype=object),
            "warning_code": pd.Series([meta["warning_code"] for _, meta in flagged], dtype=object),
            "detail": pd.Series([describe(meta, lines.loc[i], month) for i, meta in flagged], dtype=object),
        }
    )
    return warnings, result


def flag_warnings(con: duckdb.DuckDBPyConnection, runner: SuiteRunner, month: date, run_id: str) -> Counter:
    """Check the month's warning lines, replace its rows of audit.warnings; returns the count per code."""
    started_at = datetime.now(UTC)
    found, result = find_warnings(con, runner, month, run_name=f"{run_id}__{month:%Y-%m}")
    warnings = found.assign(run_id=run_id, month=month)
    con.execute("delete from audit.warnings where month = ?", [month])
    insert_frame(con, "audit.warnings", warnings)
    record_run(con, result, run_id, month, started_at)
    return Counter(warnings["warning_code"])
