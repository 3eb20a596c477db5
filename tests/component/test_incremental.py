"""An incremental month gives the same tables as a full rebuild (real dbt, no Airflow).

January is published first; February then arrives with a late correction of January, so the incremental
run must rebuild from January on; March then arrives on time, so its run rebuilds March alone and keeps
January and February as built. Last, a delayed file lands in February's folder: BBB's February report, sent
before February's deadline, so BBB leaves February's missing submissions (a row an incremental run must
delete, not only replace). A second warehouse processes every file in one full build.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest

from smartcity.config import load_settings
from smartcity.pipeline import (
    earliest_month_changed,
    plan_run,
    run_audit_marts,
    run_audit_registry,
    run_publish,
    run_pull,
    run_transform,
    run_validate,
)
from tests.component.landing import HEADER, make_landing, query

SUBMISSIONS = {
    "2024-01": {
        "january.csv": HEADER
        + "AAA,A1,2024-01,50,100000,in_progress,BUDGET,,2024-02-05T10:00:00+07:00\n"
        # A report of a month before the first landing month: the state of A2 until it reports again.
        + "AAA,A2,2023-12,2,0,in_progress,,,2024-02-05T10:00:00+07:00\n"
        + "BBB,B1,2024-01,80,500000,in_progress,,,2024-02-05T10:00:00+07:00\n"
    },
    "2024-02": {
        "february.csv": HEADER
        + "AAA,A1,2024-02,60,200000,in_progress,,,2024-03-05T10:00:00+07:00\n"
        + "AAA,A2,2024-02,5,0,in_progress,POLICY,,2024-03-05T10:00:00+07:00\n"
        + "BBB,B1,2024-01,90,500000,in_progress,,late,2024-03-06T10:00:00+07:00\n"
    },
    "2024-03": {
        "march.csv": HEADER
        + "AAA,A2,2024-03,25,900000,in_progress,,,2024-04-05T10:00:00+07:00\n"
        + "BBB,B1,2024-03,100,1900000,completed,,,2024-04-05T10:00:00+07:00\n"
    },
}
# Sent on 10 March (before February's deadline, 15 March), received after March was published.
DELAYED = (
    "2024-02",
    "february-delayed.csv",
    HEADER + "BBB,B1,2024-02,85,700000,in_progress,,,2024-03-10T10:00:00+07:00\n",
)
TABLES = [
    "marts.city_progress_monthly",
    "marts.program_summary_monthly",
    "marts.investment_by_dimension_monthly",
    "marts.obstacle_ranking_monthly",
    "marts.city_index_monthly",
    "marts.index_sensitivity",
    "marts.index_pillar_correlations",
    "marts.index_weight_audit",
    "marts.index_uncertainty",
    "marts.city_index_changes",
    "marts.index_dimension_leaders",
    "dq.city_quality_monthly",
    "dq.missing_submissions",
    "bi.city_progress_monthly",
    "bi.city_quality_monthly",
    "bi.city_index_monthly",
    # Built from the registry alone: the months after January keep them as January built them.
    "marts.dim_cities",
    "marts.dim_projects",
    "marts.proposal_screening",
]


def steps(settings, month=None):
    plan = plan_run(settings, "run", requested_month=month)
    run_pull(settings, plan)
    run_audit_registry(settings, plan)
    run_validate(settings, plan)
    rebuild_from = earliest_month_changed(settings, plan)
    for step in (run_transform, run_audit_marts, run_publish):
        step(settings, plan)
    return rebuild_from


def published(settings) -> dict[str, list[tuple]]:
    # first_submitted_at and the run ids differ between runs by design; every figure must not.
    return {
        table: query(
            settings.warehouse,
            f"select * exclude (first_submitted_at) from {table} order by all"  # noqa: S608 (fixed names)
            if table.endswith(".city_quality_monthly")
            else f"select * from {table} order by all",  # noqa: S608 (fixed names)
        )
        for table in TABLES
    }


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    base = tmp_path_factory.mktemp("incremental")
    from datetime import date

    incremental_landing = make_landing(base / "a", {"2024-01": SUBMISSIONS["2024-01"]})
    incremental = load_settings(
        {"SMARTCITY_LANDING": str(incremental_landing), "SMARTCITY_WAREHOUSE": str(base / "a.duckdb")}
    )
    steps(incremental, date(2024, 1, 1))
    docs_generated_at = docs_page(incremental).stat().st_mtime_ns
    rebuilds_from = []
    for month in ("2024-02", "2024-03"):
        ((name, text),) = SUBMISSIONS[month].items()
        (incremental_landing / "submissions" / month).mkdir()
        (incremental_landing / "submissions" / month / name).write_text(text, encoding="utf-8")
        rebuilds_from.append(steps(incremental))
    missing_before_delayed = missing(incremental)
    month, name, text = DELAYED
    (incremental_landing / "submissions" / month / name).write_text(text, encoding="utf-8")
    rebuilds_from.append(steps(incremental))
    full_landing = make_landing(base / "b", SUBMISSIONS)
    (full_landing / "submissions" / month / name).write_text(text, encoding="utf-8")
    full = load_settings(
        {"SMARTCITY_LANDING": str(full_landing), "SMARTCITY_WAREHOUSE": str(base / "b.duckdb")}
    )
    steps(full)
    return (
        published(incremental),
        published(full),
        rebuilds_from,
        incremental,
        full,
        missing_before_delayed,
        docs_generated_at,
    )


def docs_page(settings):
    return settings.reports_dir / "dbt-docs" / "index.html"


def missing(settings) -> list[tuple]:
    return query(settings.warehouse, "select city_code, month from dq.missing_submissions order by all")


def test_the_late_row_makes_the_incremental_run_start_in_january_and_march_starts_in_march(builds):
    from datetime import date

    # The delayed file's run validates February's folder again, whose late January row starts it in January.
    assert builds[2] == [date(2024, 1, 1), date(2024, 3, 1), date(2024, 1, 1)]


def test_a_delayed_report_sent_in_time_takes_the_city_off_the_missing_list(builds):
    incremental, full, _, settings, _, missing_before, _ = builds
    february = date(2024, 2, 1)
    assert ("BBB", february) in missing_before
    assert ("BBB", february) not in missing(settings)
    assert incremental["dq.missing_submissions"] == full["dq.missing_submissions"]


def test_an_incremental_month_equals_a_full_rebuild(builds):
    incremental, full = builds[0], builds[1]
    for table in TABLES:
        assert incremental[table] == full[table], table
    assert len(full["marts.city_progress_monthly"]) == 6


# The incremental models every roll-up reads, compared in the build databases (they are not published).
INCREMENTAL_STATE = [
    "intermediate.int_submissions_current",
    "intermediate.int_city_first_reports",
    "intermediate.int_city_reporting_monthly",
    "intermediate.int_projects_state_as_of_month",
    "intermediate.int_projects_planned_progress",
    "intermediate.int_projects_state_as_of_month",
]


def test_the_incremental_state_equals_a_full_rebuild(builds):
    incremental, full = builds[3], builds[4]
    for table in INCREMENTAL_STATE:
        sql = f"select * from {table} order by all"  # noqa: S608 (fixed names)
        rows = query(full.pipeline_db, sql)
        assert query(incremental.pipeline_db, sql) == rows, table
        assert rows, table
    # A2's report of December 2023, before the first landing month, is its state until February.
    assert query(
        incremental.pipeline_db,
        "select month, state_report_month, progress_pct from intermediate.int_projects_state_as_of_month "
        "where project_code = 'A2' order by month",
    ) == [
        (date(2024, 1, 1), date(2023, 12, 1), 2.0),
        (date(2024, 2, 1), date(2024, 2, 1), 5.0),
        (date(2024, 3, 1), date(2024, 3, 1), 25.0),
    ]
    # The late correction of January, received in February, superseded January's row.
    assert query(
        incremental.pipeline_db,
        "select progress_pct, is_superseded from intermediate.int_submissions_current "
        "where project_code = 'B1' and report_month = date '2024-01-01' order by all",
    ) == [(80.0, True), (90.0, False)]


def test_the_incremental_run_really_was_incremental(builds):
    settings = builds[3]
    log = (settings.state_dir / "dbt_logs" / "dbt.log").read_text(encoding="utf-8", errors="replace")
    # The last dbt command that ran models (the docs generation, when it runs, comes after it).
    last_build = next(s for s in reversed(log.split("Running with dbt")) if "Finished running" in s)
    assert "--full-refresh" not in last_build
    for model in (
        "intermediate.int_submissions_current",
        "intermediate.int_projects_state_as_of_month",
        "intermediate.int_projects_state_as_of_month",
        "intermediate.int_city_first_reports",
        "intermediate.int_city_reporting_monthly",
        "marts.city_progress_monthly",
        "marts.obstacle_ranking_monthly",
        "dq.city_quality_monthly",
        "dq.missing_submissions",
        "bi.city_progress_monthly",
        "bi.city_quality_monthly",
        "bi.city_index_monthly",
    ):
        assert f"created sql incremental model {model} " in last_build, model


def test_a_new_month_does_not_make_dbt_parse_the_project_again(builds):
    """The months reach the models through pipeline.run_parameters, not --vars: the last run's parse was
    partial and read no file again (a month passed as a variable makes dbt parse every file each run)."""
    settings = builds[3]
    perf = json.loads((settings.state_dir / "dbt_target" / "perf_info.json").read_text(encoding="utf-8"))
    assert perf["is_partial_parse_enabled"] and perf["path_count"] > 100
    assert perf["parsed_path_count"] == 0
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        assert con.execute("select * from pipeline.run_parameters").fetchall() == [
            (date(2024, 3, 1), date(2024, 1, 1))
        ]


def test_the_dbt_docs_are_generated_again_only_when_the_project_changed(builds):
    """The months after the first changed no model: their runs kept the page the first run generated. A
    different build fingerprint (a changed model, registry or index setting) generates it again."""
    from smartcity.transformation.dbt import dbt_docs

    settings, generated_at = builds[3], builds[6]
    page = docs_page(settings)
    assert page.stat().st_mtime_ns == generated_at
    log = (settings.state_dir / "dbt_logs" / "dbt.log").read_text(encoding="utf-8", errors="replace")
    assert "Catalog written" not in log.split("Running with dbt")[-1]  # the last run's last dbt command
    assert dbt_docs(settings, fingerprint="a changed project") == page
    assert page.stat().st_mtime_ns != generated_at
    assert "<html" in page.read_text(encoding="utf-8")[:2000].lower()
    assert (page.parent / ".generated-for").read_text().startswith("a changed project dbt ")


def test_the_big_tables_tests_read_the_rebuilt_months_and_still_catch_what_is_in_them(builds, tmp_path):
    """The uniqueness test of int_projects_state_as_of_month reads only the months from rebuild_from on (the
    earlier ones were tested when written): a duplicate in February is not read when March is rebuilt, one in
    March is, and a full rebuild reads both. A row without a month is read in every case (not_null fails)."""
    import shutil

    from smartcity.transformation.dbt import run_dbt

    settings = builds[3]
    copy = load_settings(
        {"SMARTCITY_LANDING": settings.landing, "SMARTCITY_WAREHOUSE": str(tmp_path / "c.duckdb")}
    )
    shutil.copytree(settings.state_dir, copy.state_dir)
    with duckdb.connect(str(copy.pipeline_db)) as con:
        for month in ("2024-02-01", "2024-03-01"):
            con.execute(
                "insert into intermediate.int_projects_state_as_of_month "
                "select * from intermediate.int_projects_state_as_of_month where month = ? limit 1",
                [month],
            )
        con.execute(
            "insert into intermediate.int_projects_state_as_of_month "
            "select * replace (null as month) from intermediate.int_projects_state_as_of_month limit 1"
        )

    def failures(rebuild_from: date) -> dict[str, int]:
        with duckdb.connect(str(copy.pipeline_db)) as con:
            con.execute("update pipeline.run_parameters set rebuild_from = ?", [rebuild_from])
        selected = [
            "unique_combination_int_projects_state_as_of_month_project_code__month",
            "not_null_int_projects_state_as_of_month_month",
        ]
        result = run_dbt(copy, ["test", "--select", *selected])
        return {r.node.name.split("_int_")[0]: r.failures for r in result.result.results}

    assert failures(date(2024, 3, 1)) == {"unique_combination": 1, "not_null": 1}
    assert failures(date(1900, 1, 1)) == {"unique_combination": 2, "not_null": 1}


def test_the_marts_audit_checks_the_months_the_build_rewrote(builds):
    """March's run rebuilt March alone: its audit checked March's lines of the marts, no earlier month's. The
    delayed file's run rebuilt every month from January: its audit checked them all."""
    from smartcity.validation.critical import marts_lines

    settings = builds[3]
    audits = query(
        settings.pipeline_db,
        "select cast(json_extract(counts, '$.lines') as integer) from pipeline.runs "
        "where step = 'audit_marts' order by started_at",
    )
    with duckdb.connect(str(settings.pipeline_db), read_only=True) as con:
        lines = marts_lines(con)  # the last build's months: January on
    per_month = lines.groupby(lines["month"].dt.strftime("%Y-%m")).size().to_dict()
    assert set(per_month) == {"2024-01", "2024-02", "2024-03"}
    assert [count for (count,) in audits] == [
        per_month["2024-01"],
        per_month["2024-01"] + per_month["2024-02"],
        per_month["2024-03"],
        len(lines),
    ]


def test_a_model_that_gives_rows_of_an_earlier_month_fails_the_build(builds, tmp_path):
    """replace_months keeps the months before rebuild_from: a model whose incremental run still gives such a
    month (here int_city_first_reports without its filter) would add a second copy of those rows. The build
    stops with the model's name instead."""
    import shutil

    from smartcity.config import DBT_PROJECT_DIR
    from smartcity.transformation.dbt import run_dbt

    settings = builds[3]
    copy = load_settings(
        {"SMARTCITY_LANDING": settings.landing, "SMARTCITY_WAREHOUSE": str(tmp_path / "c.duckdb")}
    )
    shutil.copytree(settings.state_dir, copy.state_dir)
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    model = project / "models" / "intermediate" / "int_city_first_reports.sql"
    text = model.read_text(encoding="utf-8")
    unfiltered = "where report_month >= {{ rebuild_from() }}"
    assert unfiltered in text
    model.write_text(text.replace(unfiltered, "where true"), encoding="utf-8")
    with duckdb.connect(str(copy.pipeline_db)) as con:
        con.execute("update pipeline.run_parameters set rebuild_from = date '2024-03-01'")
        before = con.execute("select count(*) from intermediate.int_city_first_reports").fetchone()

    result = run_dbt(copy, ["build", "--select", "int_city_first_reports"], project_dir=project)
    assert not result.success
    (failed,) = [r for r in result.result.results if str(r.status) == "error"]
    assert (
        "int_city_first_reports: the incremental run gave rows of a month before rebuild_from"
        in failed.message
    )
    with duckdb.connect(str(copy.pipeline_db), read_only=True) as con:
        assert con.execute("select count(*) from intermediate.int_city_first_reports").fetchone() == before
