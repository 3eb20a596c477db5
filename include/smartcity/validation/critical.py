"""Critical suites: checks that stop the run before anything is published.

- `registry` (expectations/registry.json) on the registry as loaded, in the pull step before any month.
- `marts` (expectations/marts.json) on the marts as built (the months the build rewrote), in the publish step
  before the copy.

Each suite run is recorded in dq.validation_runs (month = the run's report month), pass or fail. A failure
raises `CriticalCheckFailed`, naming the suite, each failing expectation and examples of what failed, and
the Data Docs page that lists every failing row; the previous warehouse stays published.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time

import duckdb
import pandas as pd

from smartcity.errors import PermanentError
from smartcity.validation.dq_tables import is_missing, record_run
from smartcity.validation.suites import SuiteResult, SuiteRunner, load_suite_definition, shown_columns

log = logging.getLogger(__name__)
MAX_EXAMPLES = 3

# One line per registry row; a column that does not apply to the file is NULL (GX skips NULLs).
REGISTRY_LINES = """
select
    'registry/cities.csv' as registry_file, city_code, cast(null as varchar) as project_code,
    province_code, status, peer_group,
    cast(null as double) as budget_thb, cast(null as date) as planned_start, cast(null as date) as planned_end
from registry.cities
union all
select
    'registry/projects.csv', null, project_code,
    null, null, null,
    cast(budget_thb as double), planned_start, planned_end
from registry.projects
"""

# One line per checked figure: every percentage (long form), and the programme's money beside the sum over
# its cities, compared here in DECIMAL (exact) so GX only checks the flag.
MARTS_LINES = """
with percentages as (
    unpivot (
        select 'city_progress_monthly' as mart, city_code as key, month, progress_pct, planned_progress_pct
        from marts.city_progress_monthly
    ) on progress_pct, planned_progress_pct into name measure value percentage
    union all by name
    unpivot (
        select
            'program_summary_monthly' as mart, 'programme' as key, month,
            progress_pct, planned_progress_pct, completed_projects_pct
        from marts.program_summary_monthly
    ) on progress_pct, planned_progress_pct, completed_projects_pct into name measure value percentage
    union all by name
    unpivot (
        select 'investment_by_dimension_monthly' as mart, dimension_code as key, month, progress_pct
        from marts.investment_by_dimension_monthly
    ) on progress_pct into name measure value percentage
),

cities as (
    select
        month,
        sum(budget_thb) as investment_value_thb,
        sum(spend_to_date_thb) as spend_to_date_thb
    from marts.city_progress_monthly
    group by month
),

totals as (
    select
        program.month,
        'investment_value_thb' as measure,
        program.investment_value_thb as programme_value,
        coalesce(cities.investment_value_thb, 0) as sum_over_cities
    from marts.program_summary_monthly as program
    left join cities on program.month = cities.month
    union all
    select
        program.month,
        'spend_to_date_thb',
        program.spend_to_date_thb,
        coalesce(cities.spend_to_date_thb, 0)
    from marts.program_summary_monthly as program
    left join cities on program.month = cities.month
)

select
    mart, key, month, measure, percentage,
    cast(null as boolean) as total_matches_cities,
    cast(null as double) as programme_value,
    cast(null as double) as sum_over_cities
from percentages
union all
select
    'program_summary_monthly', 'programme', month, measure, null,
    programme_value = sum_over_cities,
    cast(programme_value as double),
    cast(sum_over_cities as double)
from totals
"""


class CriticalCheckFailed(PermanentError):
    """A critical suite failed: the run stops before publishing, and the previous warehouse stays in place."""

    def __init__(self, suite: str, problems: list[str], docs_page: str | None) -> None:
        self.suite = suite
        self.problems = problems
        shown = "\n  - ".join(problems)
        where = f"\n  - every failing row: Data Docs {docs_page}" if docs_page else ""
        super().__init__(
            f"the critical suite '{suite}' failed, nothing was published (the previous warehouse is "
            f"unchanged):\n  - {shown}{where}"
        )


def registry_lines(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(REGISTRY_LINES).df()


def marts_lines(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The marts' lines of the months the last dbt build rewrote: an incremental build leaves the earlier
    months as the last publication, which passed this audit, had them (at national scale, 16,000 lines a
    month instead of a million). Every month after a full rebuild, or when no build has recorded any."""
    from smartcity.transformation.dbt import read_rebuild_from

    return con.execute(
        f"select * from ({MARTS_LINES}) where month >= ? order by all",  # noqa: S608 (a constant)
        [read_rebuild_from(con)],
    ).df()


def check_registry(
    con: duckdb.DuckDBPyConnection, runner: SuiteRunner, run_id: str, month: date
) -> SuiteResult:
    return run_critical_suite(con, runner, "registry", registry_lines(con), run_id, month)


def check_marts(con: duckdb.DuckDBPyConnection, runner: SuiteRunner, run_id: str, month: date) -> SuiteResult:
    return run_critical_suite(con, runner, "marts", marts_lines(con), run_id, month)


def run_critical_suite(
    con: duckdb.DuckDBPyConnection,
    runner: SuiteRunner,
    suite: str,
    lines: pd.DataFrame,
    run_id: str,
    month: date,
) -> SuiteResult:
    """Run `suite` on `lines`, record it, and raise CriticalCheckFailed when any expectation failed."""
    started_at = datetime.now(UTC)
    result = runner.run(suite, lines, run_name=f"{run_id}__{suite}")
    record_run(con, result, run_id, month, started_at)
    log.info(
        "critical suite %s: %s (%d lines, %d failing); Data Docs: %s",
        suite,
        "passed" if result.success else "FAILED",
        result.evaluated_rows,
        result.failed_rows,
        result.docs_page or result.docs_index,
    )
    if not result.success:
        raise CriticalCheckFailed(suite, failure_summaries(result, lines), result.docs_page)
    return result


def failure_summaries(result: SuiteResult, lines: pd.DataFrame) -> list[str]:
    """One sentence per failing expectation: what it checks, how many lines failed, a few examples."""
    shown = shown_columns(load_suite_definition(result.suite))
    summaries = []
    for failure in result.failures:
        examples = [
            ", ".join(
                f"{column}={_show(lines.at[index, column])}"
                for column in dict.fromkeys([*shown, *failure.columns])
                if not is_missing(lines.at[index, column])
            )
            for index in failure.failed_index[:MAX_EXAMPLES]
        ]
        more = len(failure.failed_index) - len(examples)
        summaries.append(
            f"{failure.expectation_type} on {', '.join(failure.columns)}: "
            f"{failure.meta.get('problem', 'failed')} ({len(failure.failed_index)} line(s)); "
            f"e.g. {'; '.join(examples) or '(no row examples)'}{f'; and {more} more' if more > 0 else ''}. "
            f"Fix: {failure.meta.get('fix', 'see the suite')}"
        )
    return summaries


def _show(value) -> str:
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return repr(value) if isinstance(value, str) else str(value)
