"""The Parquet copy the publish step writes beside the warehouse: one file per table of `marts` and `dq`,
the same rows as the published DuckDB file, replaced as a whole set on every publication, and left as it was
when a publication fails.

The build database is made by hand (the real state schema, plus a few marts tables of the real shapes), so
these tests exercise the publish step alone, on a real DuckDB, in seconds."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from smartcity.publication import publish as publication
from smartcity.publication.publish import PARQUET_SCHEMAS, PublishError, parquet_dir, publish
from smartcity.state import connect, ensure_state
from tests.component.landing import query, settings_for

MONTHS = [date(2024, 2, 1), date(2024, 3, 1)]


def _build(settings, months: list[date]) -> None:
    """A build database holding marts and dq tables (with decimals, lists and timestamps) for `months`,
    and a private table that must never be exported."""
    ensure_state(settings)
    with connect(settings.pipeline_db) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists history")
        con.execute("create schema if not exists dq")
        con.execute(
            "create or replace table marts.program_summary_monthly as "
            "select month::date as month, 2 as certified_cities, 10.5 * i as progress_pct, "
            "(3000000 * i)::decimal(18, 2) as investment_value_thb "
            "from unnest(?) with ordinality as t(month, i)",
            [months],
        )
        con.execute(
            "create or replace table marts.city_progress_monthly as "
            "select c.city_code, m.month::date as month, (1000000 * i)::decimal(18, 2) as budget_thb "
            "from unnest(?) with ordinality as m(month, i), (values ('AAA'), ('BBB')) as c(city_code)",
            [months],
        )
        con.execute(
            "create or replace table marts.city_index_monthly as "
            "select city_code, month, 50.0 as index_score, ['schedule'] as imputed_pillars "
            "from marts.city_progress_monthly"
        )
        con.execute(
            "create or replace table dq.city_quality_monthly as "
            "select city_code, month, 3 as rows_received, true as on_time from marts.city_progress_monthly"
        )
        # As dbt builds it: a view over what the validate step wrote (published as a table).
        con.execute("create or replace view dq.quarantine as from audit.quarantine")
        con.execute(
            "create or replace table history.program_summary_history as from marts.program_summary_monthly"
        )


def _published_tables(settings) -> dict[tuple[str, str], int]:
    tables = query(
        settings.warehouse,
        "select schema_name, table_name, estimated_size from duckdb_tables() "
        "where list_contains(?, schema_name)",
        [list(PARQUET_SCHEMAS)],
    )
    return {(schema, table): rows for schema, table, rows in tables}


def _parquet_files(settings) -> dict[tuple[str, str], int]:
    folder = parquet_dir(settings.warehouse)
    con = duckdb.connect()
    try:
        return {
            (path.parent.name, path.stem): con.execute(
                "select count(*) from read_parquet(?)", [str(path)]
            ).fetchone()[0]
            for path in sorted(folder.glob("*/*.parquet"))
        }
    finally:
        con.close()


@pytest.fixture
def settings(tmp_path):
    settings = settings_for(tmp_path / "landing", tmp_path / "out" / "warehouse.duckdb")
    _build(settings, MONTHS)
    return settings


def test_every_published_marts_and_dq_table_is_exported_with_the_same_rows(settings):
    publish(settings, "run-1", MONTHS, MONTHS[-1])
    folder = settings.warehouse.parent / "warehouse_parquet"
    assert parquet_dir(settings.warehouse) == folder and folder.is_dir()

    published = _published_tables(settings)
    exported = _parquet_files(settings)
    assert set(exported) == set(published)  # every table, nothing else (no history, meta, raw or pipeline)
    assert ("marts", "city_progress_monthly") in exported and ("dq", "quarantine") in exported
    for (schema, table), rows in exported.items():
        sql = f'select count(*) from "{schema}"."{table}"'  # noqa: S608 (names from the catalog)
        assert rows == query(settings.warehouse, sql)[0][0], (schema, table)
    assert exported[("marts", "city_progress_monthly")] == 4

    # Values and types survive: decimals stay decimals, lists stay lists.
    con = duckdb.connect()
    try:
        budget, pillars = con.execute(
            "select sum(budget_thb), any_value(imputed_pillars) from read_parquet(?) join read_parquet(?) "
            "using (city_code, month)",
            [
                str(folder / "marts" / "city_progress_monthly.parquet"),
                str(folder / "marts" / "city_index_monthly.parquet"),
            ],
        ).fetchone()
    finally:
        con.close()
    assert budget == Decimal("6000000.00") and pillars == ["schedule"]
    # No staging folder is left beside the warehouse.
    assert sorted(p.name for p in settings.warehouse.parent.iterdir()) == [
        "warehouse.duckdb",
        "warehouse.duckdb.state",
        "warehouse_parquet",
    ]


def test_publishing_again_replaces_the_whole_set(settings):
    publish(settings, "run-1", MONTHS, MONTHS[-1])
    folder = parquet_dir(settings.warehouse)
    stale = folder / "marts" / "a_table_dropped_since.parquet"
    stale.write_bytes(b"from an older publication")
    before = os.stat(folder).st_ino

    three_months = [date(2024, 1, 1), *MONTHS]
    _build(settings, three_months)
    publish(settings, "run-2", three_months, three_months[-1])

    exported = _parquet_files(settings)
    assert exported[("marts", "city_progress_monthly")] == 6
    assert exported[("marts", "program_summary_monthly")] == 3
    assert exported == _published_tables(settings)
    assert not stale.exists()  # the previous set was replaced as a whole, not file by file
    assert os.stat(folder).st_ino != before
    assert [p.name for p in settings.warehouse.parent.iterdir() if p.name.startswith(".")] == []


def test_a_failed_export_leaves_the_previous_set_and_the_previous_warehouse(settings, monkeypatch):
    publish(settings, "run-1", MONTHS, MONTHS[-1])
    folder = parquet_dir(settings.warehouse)
    previous = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*.parquet")}
    previous_warehouse = settings.warehouse.read_bytes()

    real_export = publication._export_parquet

    def export_then_fail(con, tables, target):
        real_export(con, tables[:2], target)  # some files are written, then the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publication, "_export_parquet", export_then_fail)
    _build(settings, [date(2024, 1, 1), *MONTHS])
    with pytest.raises(PublishError) as error:
        publish(settings, "run-2", MONTHS, MONTHS[-1])
    assert "No space left on device" in str(error.value)
    assert {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*.parquet")} == previous
    assert settings.warehouse.read_bytes() == previous_warehouse
    assert sorted(p.name for p in settings.warehouse.parent.iterdir()) == [
        "warehouse.duckdb",
        "warehouse.duckdb.state",
        "warehouse_parquet",
    ]


@pytest.mark.parametrize("atomic_exchange", [True, False], ids=["renameat2-exchange", "two-renames"])
def test_the_folder_swap_works_with_and_without_an_atomic_exchange(settings, monkeypatch, atomic_exchange):
    if not atomic_exchange:
        monkeypatch.setattr(publication, "_exchange", lambda first, second: False)
    publish(settings, "run-1", MONTHS, MONTHS[-1])
    _build(settings, [date(2024, 1, 1), *MONTHS])
    publish(settings, "run-2", MONTHS, MONTHS[-1])
    assert _parquet_files(settings)[("marts", "program_summary_monthly")] == 3
    assert [p.name for p in settings.warehouse.parent.iterdir() if p.name.startswith(".")] == []
