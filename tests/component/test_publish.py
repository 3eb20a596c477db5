"""The publish step after a real run (pull, GX validation, dbt build): what the published file holds, that a
reader keeps its snapshot while a new one is swapped in, and that a failed publish leaves the old file."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import duckdb
import pytest

from smartcity.pipeline import STEPS, RunPlan, plan_run, run_publish
from smartcity.publication.publish import PublishError
from tests.component.landing import HEADER, make_landing, query, settings_for

FEBRUARY = HEADER + (
    "AAA,A1,2024-02,40,300000,in_progress,BUDGET,,2024-03-05T10:00:00+07:00\n"
    "BBB,B1,2024-02,80,1500000,in_progress,,,2024-03-05T10:00:00+07:00\n"
)
MARCH = HEADER + (
    "AAA,A1,2024-03,100,900000,completed,,,2024-04-05T10:00:00+07:00\n"
    "AAA,A2,2024-03,10,10000,in_progress,,,2024-04-05T10:00:00+07:00\n"
    "ZZZ,A1,2024-03,10,0,in_progress,,,2024-04-05T10:00:00+07:00\n"
)
REQUIRED_TABLES = {
    ("marts", "city_progress_monthly"),
    ("marts", "program_summary_monthly"),
    ("marts", "dim_cities"),
    ("dq", "quarantine"),
    ("dq", "validation_runs"),
    ("dq", "rejected_files"),
    ("meta", "publication"),
}
TABLES = "select table_schema, table_name from information_schema.tables"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("publish")
    landing = make_landing(
        base / "landing",
        {"2024-02": {"city.csv": FEBRUARY}, "2024-03": {"city.csv": MARCH, "scan.xlsx": b"\x00garbage" * 50}},
    )
    settings = settings_for(landing, base / "out" / "warehouse.duckdb")
    plan = plan_run(settings, "run-1")
    assert plan.months == ["2024-02", "2024-03"]
    for step in STEPS[:-1]:
        step(settings, plan)
    path = run_publish(settings, plan)
    return {"settings": settings, "plan": plan, "path": path, "base": base}


def _other_process_reads(warehouse, sql: str):
    """A query from a separate process: DuckDB caches open databases per process, so a second connection in
    this process would share the first reader's (old) database instead of opening the file afresh."""
    code = (
        "import duckdb, sys, json\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print(json.dumps(con.execute(sys.argv[2]).fetchall(), default=str))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(warehouse), sql], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_published_file_holds_marts_and_dq_tables_but_no_raw_or_validated_rows(published):
    settings = published["settings"]
    assert published["path"] == str(settings.warehouse)
    tables = set(query(settings.warehouse, TABLES))
    assert REQUIRED_TABLES <= tables
    # Raw rows, validated rows, the registry copy, the pipeline's own tables and the dbt staging and
    # intermediate models stay in the build database.
    schemas = {schema for schema, _ in tables}
    private = {"raw", "validated", "registry", "pipeline", "staging", "intermediate"}
    assert not schemas & private
    assert private <= {r[0] for r in query(settings.pipeline_db, TABLES)}  # they do exist there

    assert query(
        settings.warehouse, "select run_id, report_month, months_processed from meta.publication"
    ) == [("run-1", date(2024, 3, 1), ["2024-02", "2024-03"])]
    months = query(settings.warehouse, "select distinct month from marts.city_progress_monthly order by 1")
    assert months == [(date(2024, 2, 1),), (date(2024, 3, 1),)]
    assert query(settings.warehouse, "select row_number, reason_code from dq.quarantine") == [
        (3, "UNKNOWN_CITY")
    ]
    assert query(settings.warehouse, "select source_file from dq.rejected_files") == [
        ("submissions/2024-03/scan.xlsx",)
    ]
    # The published dq tables are a copy of the build database's, row for row.
    for table in ("dq.quarantine", "dq.validation_runs", "dq.rejected_files"):
        sql = f"select * from {table} order by all"  # noqa: S608 (fixed names)
        assert query(settings.warehouse, sql) == query(settings.pipeline_db, sql)
    assert query(settings.pipeline_db, "select month, run_id from pipeline.processed_months order by 1") == [
        (date(2024, 2, 1), "run-1"),
        (date(2024, 3, 1), "run-1"),
    ]


def test_publishing_again_while_a_reader_is_open_succeeds_and_the_reader_keeps_its_snapshot(published):
    settings, plan = published["settings"], published["plan"]
    reader = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        assert reader.execute("select run_id from meta.publication").fetchall() == [("run-1",)]
        run_publish(settings, RunPlan(**{**plan.as_dict(), "run_id": "run-2"}))
        # The open reader still reads its snapshot, completely.
        assert reader.execute("select run_id from meta.publication").fetchall() == [("run-1",)]
        assert reader.execute("select count(*) from marts.city_progress_monthly").fetchone()[0] > 0
        # A new reader sees the new warehouse.
        assert (
            _other_process_reads(settings.warehouse, "select run_id from meta.publication") == '[["run-2"]]'
        )
    finally:
        reader.close()
    assert query(settings.warehouse, "select run_id from meta.publication") == [("run-2",)]


def test_a_failed_publish_raises_and_leaves_the_previous_warehouse_in_place(published):
    settings, plan = published["settings"], published["plan"]
    previous = settings.warehouse.read_bytes()
    previous_run = query(settings.warehouse, "select run_id from meta.publication")
    saved = published["base"] / "build.saved"
    os.replace(settings.pipeline_db, saved)
    try:
        settings.pipeline_db.write_bytes(b"this is not a DuckDB database\n" * 500)
        with pytest.raises(PublishError) as error:
            run_publish(settings, RunPlan(**{**plan.as_dict(), "run_id": "run-broken"}))
        assert str(settings.warehouse) in str(error.value)
        assert settings.warehouse.read_bytes() == previous
        assert query(settings.warehouse, "select run_id from meta.publication") == previous_run
        assert not [p for p in settings.warehouse.parent.iterdir() if ".partial" in p.name]
    finally:
        os.replace(saved, settings.pipeline_db)
    # The failed run did not mark its months as processed.
    runs = {r[0] for r in query(settings.pipeline_db, "select run_id from pipeline.processed_months")}
    assert "run-broken" not in runs


def test_no_partial_file_is_left_behind(published):
    base = published["base"]
    leftovers = [p for p in base.rglob("*") if ".partial" in p.name]
    assert leftovers == []
    assert sorted(p.name for p in published["settings"].warehouse.parent.iterdir()) == [
        "warehouse.duckdb",
        "warehouse.duckdb.state",
        "warehouse_parquet",
    ]


def test_the_published_file_has_no_write_permission(published):
    """Read-only by construction: a BI tool that forgets read_only=True cannot take it for writing."""
    import stat

    mode = stat.S_IMODE(published["settings"].warehouse.stat().st_mode)
    assert mode & 0o222 == 0 and mode & 0o444 == 0o444
