"""The pipeline's own state: the build database beside the published warehouse.

It holds the register of received files, the raw rows, the validation outcome of every row,
the dq tables and the dbt models. Only the pipeline opens it (one writer at a time); BI tools
read the published snapshot instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from smartcity.config import DUCKDB_MEMORY_LIMIT, Settings
from smartcity.errors import StorageError, first_line, storage_advice

log = logging.getLogger(__name__)

SCHEMA_SQL = """
create schema if not exists pipeline;
create schema if not exists raw;
create schema if not exists registry;
create schema if not exists validated;
create schema if not exists audit;


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

-- Every run that swapped (or was about to swap) a new warehouse in, written just before the swap: a run
-- killed between the swap and its record in pipeline.publications published a warehouse the state still
-- knows (publication/guard.py).
create table if not exists pipeline.publication_attempts (
    run_id varchar not null,
    attempted_at timestamptz not null
);

-- The parameters of the dbt build under way (one row, written just before it): the models read them from
-- here rather than from --vars, so dbt's partial parsing stays on from one run to the next.
create table if not exists pipeline.run_parameters (
    report_month date not null,
    rebuild_from date not null
);

-- What the registry tables were last loaded from (one row): the registry files' checksums and the code that
-- read them (ingestion/registry.py: registry_identity). A run with the same identity keeps the tables as
-- they are, since loading them again would give the same rows.
create table if not exists pipeline.registry_loaded (
    identity varchar not null,
    loaded_at timestamptz not null
);

-- The registry the last dbt build that passed read (one row: the identity of pipeline.registry_loaded then).
-- While the registry tables are still those, a month's build leaves the nodes that read only the registry,
-- the seeds and the project as they are (transformation/dbt.py: month_selection).
create table if not exists pipeline.registry_built (
    identity varchar not null,
    built_at timestamptz not null
);

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

create table if not exists audit.validation_runs (
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

create table if not exists audit.quarantine (
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

-- Warnings for analysts (flagged, kept, never quarantined), replaced per landing month like audit.quarantine.
-- A project-level warning (PROJECT_SILENT) has no source row: source_file and row_number are NULL.
create table if not exists audit.warnings (
    run_id varchar not null,
    month date not null,
    source_file varchar,
    row_number integer,
    city_code varchar not null,
    project_code varchar not null,
    warning_code varchar not null,
    detail varchar not null
);

-- Every file received that gave no row (unreadable, over a cap, empty: file_id set, kept for ever), and every
-- entry of the landing area not taken at the last pull (a folder that is not a month, a hidden or temporary
-- file, a link leaving the landing area, a file still being written...: no file_id, replaced at each pull).
create table if not exists audit.rejected_files (
    run_id varchar not null,
    source_file varchar not null,
    reason varchar not null,
    file_id varchar,
    received_month date,
    stored_path varchar,
    reason_code varchar
);
-- Added after the first release: state folders made before it get the changes here.
alter table audit.rejected_files add column if not exists reason_code varchar;
alter table audit.rejected_files alter column file_id drop not null;
alter table audit.rejected_files alter column received_month drop not null;
alter table audit.rejected_files alter column stored_path drop not null;
"""


# What each step of each run did (run_records.py): one row per step, written when the step ends.
RUNS_TABLE = """
create table if not exists pipeline.runs (
    run_id varchar not null,
    step varchar not null,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    outcome varchar not null,
    months varchar[] not null,
    counts json,
    reason varchar,
    paths json
)
"""


class StateError(StorageError):
    """The build database cannot be opened, read or written; the message names it and what to do."""


# How DuckDB reports a file that is not (or no longer) a whole database: garbage or a zero-length file,
# a truncated one, a block whose checksum does not match.
_DAMAGED = ("not a valid duckdb database file", "could not read enough bytes", "corrupt database file")


def explain_state_error(db_path: Path, error: BaseException, opening: bool = False) -> StateError | None:
    """A StateError saying what to do when `error` is the build database's fault; None otherwise. Once the
    file is open, a storage fault counts only when DuckDB names the file (it may be writing another one)."""
    text, detail = str(error), first_line(error)
    if any(marker in text.lower() for marker in _DAMAGED):
        # Never replaced or repaired here: it holds the register of everything received and published.
        return StateError(
            f"the pipeline's state database {db_path} is damaged ({detail}); it was left as it is: restore "
            "it from a backup, or move it (and any .wal beside it) aside and run again with "
            "SMARTCITY_REPLACE_WAREHOUSE=yes to rebuild the state from the landing area, which processes "
            "every month again and restarts the history of restatements"
        )
    advice = storage_advice(error, db_path.parent)
    if advice and (opening or str(db_path) in text):
        return StateError(
            f"cannot write the pipeline's state database {db_path} ({detail}): {advice}, or point "
            "SMARTCITY_WAREHOUSE elsewhere, and run again; what was received and published so far is kept"
        )
    return None


def ensure_state(settings: Settings) -> None:
    """Create the state folder and the build database's tables (idempotent)."""
    try:
        settings.received_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        advice = storage_advice(error, settings.state_dir.parent)
        if advice is None:
            raise
        raise StateError(
            f"cannot create the pipeline's state folder {settings.state_dir} ({error.strerror}): {advice}, "
            "or point SMARTCITY_WAREHOUSE elsewhere, and run again"
        ) from error
    with connect(settings.pipeline_db) as con:
        _move_audit_tables(con)
        con.execute(SCHEMA_SQL)
        # pipeline.runs had another shape in state folders made before the runs were recorded, and was never
        # written: it is made again in the shape of the step records.
        columns = {
            name
            for (name,) in con.execute(
                "select column_name from duckdb_columns() "
                "where schema_name = 'pipeline' and table_name = 'runs'"
            ).fetchall()
        }
        if columns and "step" not in columns:
            con.execute("drop table pipeline.runs")
        con.execute(RUNS_TABLE)


# What the validation writes about rows and files lived in the dq schema before dbt became its one owner (it
# now builds dq from these): a state folder made then has them moved to audit once, with their rows.
AUDIT_TABLES = ("validation_runs", "quarantine", "warnings", "rejected_files")


def _move_audit_tables(con: duckdb.DuckDBPyConnection) -> None:
    tables = {
        (schema, table)
        for schema, table in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    }
    for table in AUDIT_TABLES:
        if ("dq", table) in tables and ("audit", table) not in tables:
            con.execute("create schema if not exists audit")
            # Fixed names from AUDIT_TABLES, never from input.
            con.execute(f"create table audit.{table} as from dq.{table}")  # noqa: S608
            con.execute(f"drop table dq.{table}")


def _explained(db_path: Path, error: BaseException, opening: bool = False) -> BaseException:
    if isinstance(error, duckdb.Error | OSError):
        return explain_state_error(db_path, error, opening) or error
    return error


def open_database(db_path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """DuckDB on a file the pipeline writes or builds from, with its memory bounded (DUCKDB_MEMORY_LIMIT): the
    one way the pipeline opens one, so no connection takes DuckDB's default of most of the machine."""
    return duckdb.connect(str(db_path), read_only=read_only, config={"memory_limit": DUCKDB_MEMORY_LIMIT})


@contextmanager
def connect(db_path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a DuckDB file. A damaged, unwritable or full build database (found on opening it or
    by any statement in the block) raises a StateError naming it and what to do, not a bare DuckDB error."""
    try:
        con = open_database(db_path, read_only=read_only)
    except (duckdb.Error, OSError) as error:
        explained = _explained(db_path, error, opening=True)
        if explained is error:
            raise
        raise explained from error
    try:
        yield con
    except BaseException as error:
        try:
            con.close()
        except duckdb.Error:
            pass  # the first error is the one to report
        explained = _explained(db_path, error)
        if explained is error:
            raise
        raise explained from error
    try:
        con.close()  # may checkpoint, i.e. write
    except duckdb.Error as error:
        explained = _explained(db_path, error)
        if explained is error:
            raise
        raise explained from error


def verify_state(db_path: Path) -> None:
    """Read every table of the build database through, so that a damaged file stops the run before anything
    is written to it (DuckDB finds a damaged block only when it reads it). A StateError says what to do."""
    if not db_path.exists():
        return
    with connect(db_path, read_only=True) as con:
        for schema, table in con.execute("select schema_name, table_name from duckdb_tables()").fetchall():
            # Names come from the file's own catalog; hashing each whole row reads every column.
            con.execute(f'select bit_xor(hash(t)) from "{schema}"."{table}" as t').fetchall()  # noqa: S608


# Great Expectations keeps its config and definitions in the state folder (gx/) and rewrites them in place
# whenever the pipeline validates. A run killed during such a rewrite leaves a cut file, and every later run
# then fails inside GX. All of them are derived: the pipeline rebuilds them from the suites in git each time
# (validation/suites.py), so a cut one is thrown away. Results and Data Docs (gx/uncommitted) are kept.
GX_DEFINITION_STORES = ("checkpoints", "expectations", "validation_definitions")


def discard_damaged_gx_files(state_dir: Path) -> list[Path]:
    """Remove GX's config (a cut YAML may still parse, so it is always written afresh, with the variables file
    GX writes beside it) and any definition a killed run cut off; returns the definitions removed."""
    gx = state_dir / "gx"
    (gx / "great_expectations.yml").unlink(missing_ok=True)
    (gx / "uncommitted" / "config_variables.yml").unlink(missing_ok=True)  # only GX's instance id
    damaged = []
    for store in GX_DEFINITION_STORES:
        for path in sorted((gx / store).glob("*.json")):
            try:
                json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                damaged.append(path)
    for path in damaged:
        log.warning(
            "%s was cut off (a run was killed while writing it): removed, it is rebuilt from git", path
        )
        path.unlink()
    return damaged


def one_row(cursor: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """The row of a query that gives exactly one (an aggregate, a one-row table), typed as such: DuckDB's
    fetchone() may give None, which for these queries means a damaged or incomplete database."""
    row = cursor.fetchone()
    if row is None:
        raise StorageError("a query that gives one row gave none: the database is damaged or incomplete")
    return row
