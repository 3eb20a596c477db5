"""A warehouse BI tools understand, on the shipped sample's published warehouse:

- every published table and every column carries a description (DuckDB comments, which BI tools show);
- the city-level fact tables of the `bi` schema carry the city's Thai and English names beside city_code;
- no column of the `bi` schema has a type common BI drivers cannot map (lists, structs, maps, unions);
- the programme's budget-weighted progress is where an analyst looks for it, and the naive mean of the cities'
  progress (what a BI tool averages by default) is not it.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

pytestmark = pytest.mark.e2e

PUBLISHED = ("marts", "dq", "history", "bi", "meta")
UNMAPPABLE = ("[]", "STRUCT", "MAP", "UNION")


@pytest.fixture(scope="module")
def con(sample_run):
    connection = duckdb.connect(str(sample_run.warehouse), read_only=True)
    yield connection
    connection.close()


def test_every_published_table_and_column_has_a_description(con):
    tables = con.execute(
        "select schema_name, table_name, comment from duckdb_tables() where not internal"
    ).fetchall()
    assert {schema for schema, _, _ in tables} == set(PUBLISHED)
    assert [(s, t) for s, t, comment in tables if not (comment or "").strip()] == []
    columns = con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns() where not internal"
    ).fetchall()
    assert len(columns) > 200
    assert [f"{s}.{t}.{c}" for s, t, c, comment in columns if not (comment or "").strip()] == []
    # The descriptions are the project's own (dbt YAML), not placeholders.
    (comment,) = con.execute(
        "select comment from duckdb_columns() where schema_name = 'bi' "
        "and table_name = 'city_progress_monthly' and column_name = 'program_progress_pct'"
    ).fetchone()
    assert "budget-weighted" in comment


def test_city_facts_for_bi_carry_thai_and_english_names_beside_the_code(con):
    for table in ("city_progress_monthly", "city_index_monthly", "city_quality_monthly", "quarantine"):
        names = {
            column
            for (column,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = 'bi' and table_name = ?",
                [table],
            ).fetchall()
        }
        assert {"city_code", "city_name_th", "city_name_en"} <= names, table
    missing = con.execute(
        "select count(*) from bi.city_progress_monthly where city_name_th is null or city_name_en is null"
    ).fetchone()[0]
    assert missing == 0
    assert (
        con.execute(
            "select city_name_th, city_name_en from bi.city_progress_monthly "
            "where city_code = 'SAMYAN' limit 1"
        ).fetchone()
        == con.execute("select name_th, name_en from marts.dim_cities where city_code = 'SAMYAN'").fetchone()
    )


def test_no_bi_column_has_a_type_bi_drivers_cannot_map(con):
    types = con.execute(
        "select table_name, column_name, data_type from duckdb_columns() where schema_name = 'bi'"
    ).fetchall()
    assert [t for t in types if any(marker in t[2] for marker in UNMAPPABLE)] == []
    # Every list of the marts has its text form in bi.
    assert (
        con.execute("select count(*) from bi.city_index_monthly where imputed_pillars is null").fetchone()[0]
        == con.execute(
            "select count(*) from marts.city_index_monthly where imputed_pillars is null"
        ).fetchone()[0]
    )
    assert (
        con.execute("select dimension_codes from bi.proposal_screening limit 1").fetchone()[0].count(",") >= 0
    )


def test_the_programme_figure_is_budget_weighted_and_not_the_mean_of_the_cities(con):
    march = date(2024, 3, 1)
    program = con.execute(
        "select progress_pct from marts.program_summary_monthly where month = ?", [march]
    ).fetchone()[0]
    beside, naive, weighted = con.execute(
        """
        select max(program_progress_pct), avg(progress_pct),
            sum(progress_pct * budget_thb) / sum(budget_thb) filter (where progress_pct is not null)
        from bi.city_progress_monthly where month = ?
        """,
        [march],
    ).fetchone()
    assert round(program, 2) == 27.57  # the programme's reported headline
    assert beside == pytest.approx(program)
    assert float(weighted) == pytest.approx(program)
    assert round(naive, 2) == 30.08 and abs(naive - program) > 1  # what a plain average would wrongly show
    # And in every month, the figure beside each city is the programme's.
    assert (
        con.execute(
            """
        select count(*) from bi.city_progress_monthly c join marts.program_summary_monthly p using (month)
        where c.program_progress_pct is distinct from p.progress_pct
        """
        ).fetchone()[0]
        == 0
    )


def test_late_and_no_report_are_told_apart(con):
    statuses = dict(
        con.execute("select reporting_status, count(*) from bi.city_quality_monthly group by all").fetchall()
    )
    assert set(statuses) <= {"on_time", "late", "no_report"} and statuses.get("on_time", 0) > 0
    # Consistent with dq: not on time with an accepted report of the month = late; without one = no report.
    assert (
        con.execute(
            """
        select count(*) from bi.city_quality_monthly
        where (reporting_status = 'on_time') <> on_time
            or (reporting_status = 'late') <> (not on_time and first_submitted_at is not null)
        """
        ).fetchone()[0]
        == 0
    )
