"""The pipeline's own state: the build database beside the published warehouse.

It holds the register of received files, the raw rows, the validation outcome of every row,
the dq tables and the dbt models. Only the pipeline opens it (one writer at a time); BI tools
read the published snapshot instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from smartcity.config import Settings

SCHEMA_SQL = """
create schema if not exists pipeline;
create schema if not exists raw;
create schema if not exists registry;
create schema if not exists validated;
create schema if not exists dq;

-- One row per pipeline run and month it processed.
create table if not exists pipeline.runs (
    run_id varchar not null,
    month date not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null
);

-- Every successful publication, oldest first.
create table if not exists pipeline.publications (
    run_id varchar not null,
    published_at timestamptz not null,
    report_month date not null,
    months_processed varchar[] not null,
    fingerprint varchar
);
-- Added after the first release: state folders made before it get the column here.
alter table pipeline.publications add column if not exists fingerprint varchar;

-- A month is processed once a run that covered it has published the warehouse.
create table if not exists pipeline.processed_months (
    month date primary key,
    run_id varchar not null,
    published_at timestamptz not null
);

-- Every file ever received, identified by its landing path and checksum (a changed file is a new one).
create table if not exists raw.received_files (
    file_id varchar primary key,
    landing_path varchar not null,
    received_month date not null,
    sha256 varchar not null,
    size_bytes bigint not null,
    stored_path varchar not null,
    arrived_at timestamptz not null,
    run_id varchar not null,
    file_format varchar,
    encoding varchar,
    rows_read integer,
    unreadable_reason varchar
);

-- The rows of every readable file, values exactly as sent (text), traceable to file and row.
create table if not exists raw.submission_rows (
    file_id varchar not null,
    row_number integer not null,
    city_code varchar,
    project_code varchar,
    report_month varchar,
    progress_pct varchar,
    spend_to_date_thb varchar,
    status varchar,
    obstacles varchar,
    remarks varchar,
    submitted_at varchar,
    raw_record varchar not null,
    primary key (file_id, row_number)
);

-- Rows that passed every check, normalised and typed.
create table if not exists validated.submissions (
    file_id varchar not null,
    row_number integer not null,
    received_month date not null,
    arrived_at timestamptz not null,
    city_code varchar not null,
    project_code varchar not null,
    report_month date not null,
    progress_pct double not null,
    spend_to_date_thb decimal(18, 2),
    status varchar not null,
    obstacles varchar[] not null,
    remarks varchar,
    -- submitted_at as the city gave it (NULL when absent), and as used: the arrival time when absent.
    submitted_at_given timestamptz,
    submitted_at timestamptz not null,
    primary key (file_id, row_number)
);

create table if not exists dq.validation_runs (
    run_id varchar not null,
    month date not null,
    suite varchar not null,
    success boolean not null,
    evaluated_rows bigint not null,
    failed_rows bigint not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    expectations integer,
    failed_expectations integer
);

create table if not exists dq.quarantine (
    run_id varchar not null,
    source_file varchar not null,
    row_number integer not null,
    city_code varchar,
    project_code varchar,
    reason_code varchar not null,
    detail varchar not null,
    raw_record varchar not null,
    file_id varchar not null,
    received_month date not null
);

-- Warnings for analysts (flagged, kept, never quarantined), replaced per landing month like dq.quarantine.
-- A project-level warning (PROJECT_SILENT) has no source row: source_file and row_number are NULL.
create table if not exists dq.warnings (
    run_id varchar not null,
    month date not null,
    source_file varchar,
    row_number integer,
    city_code varchar not null,
    project_code varchar not null,
    warning_code varchar not null,
    detail varchar not null
);

create table if not exists dq.rejected_files (
    run_id varchar not null,
    source_file varchar not null,
    reason varchar not null,
    file_id varchar not null,
    received_month date not null,
    stored_path varchar not null
);
"""


def ensure_state(settings: Settings) -> None:
    """Create the state folder and the build database's tables (idempotent)."""
    settings.received_dir.mkdir(parents=True, exist_ok=True)
    with connect(settings.pipeline_db) as con:
        con.execute(SCHEMA_SQL)


@contextmanager
def connect(db_path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(db_path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def processed_months(settings: Settings) -> set:
    if not settings.pipeline_db.exists():
        return set()
    with connect(settings.pipeline_db, read_only=True) as con:
        return {row[0] for row in con.execute("select month from pipeline.processed_months").fetchall()}
