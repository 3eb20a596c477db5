"""The publish step: a consistent snapshot of the build database, swapped in atomically.

DuckDB allows one writer or many readers per file, so BI tools never read the build database.
The published file is written under a temporary name beside the warehouse, then renamed over it
(`os.replace`): a reader sees the old warehouse or the new one, never half of either, and a
failed run leaves the previous warehouse in place.

The same snapshot's `marts` and `dq` tables are also exported as Parquet, for tools that read files
rather than DuckDB: `<warehouse folder>/<warehouse stem>_parquet/<schema>/<table>.parquet`. The set is
written into a hidden sibling folder first and then swapped in as a whole (an atomic exchange of the two
folders where the system has one, Linux's `renameat2(RENAME_EXCHANGE)`; otherwise two renames), so a reader
never finds tables of two publications side by side, and a failed export leaves the previous set.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import shutil
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from smartcity.config import Settings
from smartcity.errors import PipelineError, StorageError, first_line, storage_advice
from smartcity.failpoints import failpoint
from smartcity.publication.guard import check_warehouse_path
from smartcity.state import connect, open_database

log = logging.getLogger(__name__)
_READ_ONLY = 0o444

# What BI tools see: the marts, the data-quality tables, the history of published figures and the BI-ready
# tables (names beside codes, no list types). Raw rows, staging and intermediate models stay private.
PUBLISHED_SCHEMAS = ("marts", "dq", "history", "bi")
# What is also exported as Parquet, one file per table.
PARQUET_SCHEMAS = ("marts", "dq")


# What this publication adds: the files received since the last publication (by this run, or by a run killed
# before it could publish), whatever months were validated again; so a summary never counts again the rows of
# a month validated a second time for a late file, and a rerun after a crash says what a clean run says.
RUN_COUNTS = """
alter table meta.publication add column files_received integer;
alter table meta.publication add column rows_accepted bigint;
alter table meta.publication add column rows_quarantined bigint;
alter table meta.publication add column files_rejected integer;
alter table meta.publication add column landing_entries_not_taken integer;
create temporary table new_files as
select file_id from source_db.raw.received_files
where run_id not in (select run_id from source_db.pipeline.publications);
update meta.publication set
    files_received = (select count(*) from new_files),
    rows_accepted = (select count(*) from source_db.validated.submissions where file_id in (from new_files)),
    rows_quarantined = (select count(*) from source_db.audit.quarantine where file_id in (from new_files)),
    files_rejected = (select count(*) from source_db.audit.rejected_files where file_id in (from new_files)),
    landing_entries_not_taken = (select count(*) from source_db.audit.rejected_files where file_id is null);
drop table new_files;
"""


class PublishError(PipelineError):
    """The warehouse could not be written; the previous one is still in place."""


class PublishStorageError(PublishError, StorageError):
    """The warehouse's folder is full or not writable: retrying will not help until someone fixes it."""


def _publish_error(error: BaseException, failed: str, kept: str, where: Path) -> PublishError:
    """`<failed> (<error>): <what to do>; <kept>` for a storage fault, else `<failed>: <error>; <kept>`."""
    advice = storage_advice(error, where)
    if advice is None:
        return PublishError(f"{failed}: {error}; {kept}")
    return PublishStorageError(f"{failed} ({first_line(error)}): {advice}, and run again; {kept}")


def published_warehouse_problem(warehouse: Path) -> str | None:
    """Why the published warehouse cannot be read as a whole (missing, garbage, truncated, a damaged block),
    or None when it can. Every table is read through, as DuckDB finds a damaged block only when it reads it;
    the published tables are aggregates, so this is quick."""
    if not warehouse.exists():
        return "it does not exist"
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            con.execute("select run_id from meta.publication").fetchall()
            tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
            for schema, table in tables:
                # Names come from the file's own catalog; hashing each whole row reads every column.
                con.execute(f'select bit_xor(hash(t)) from "{schema}"."{table}" as t').fetchall()  # noqa: S608
        finally:
            con.close()
    except duckdb.Error as error:
        return first_line(error)
    return None


# What a publication added (counted since the previous one), in meta.publication and its log.
COUNT_DESCRIPTIONS = {
    "files_received": "Files received since the previous publication.",
    "rows_accepted": "Their data rows accepted.",
    "rows_quarantined": "Their data rows quarantined (dq.quarantine).",
    "files_rejected": "Of those files, the ones that gave no row (dq.rejected_files).",
    "landing_entries_not_taken": "Landing entries not taken at this run's pull (dq.rejected_files).",
}

# The tables publication itself writes, described like every other published table.
META_DESCRIPTIONS = {
    "publication": (
        "The run that published this file.",
        {
            "run_id": "The pipeline run that published this file.",
            "published_at": "When it was published (UTC).",
            "report_month": "The last month the figures cover (first day, CE).",
            "months_processed": "The months this run processed (YYYY-MM; a list).",
            **COUNT_DESCRIPTIONS,
        },
    ),
    "publication_log": (
        "Every publication of this warehouse, oldest first: match a restatement in history.* to its run.",
        {
            "run_id": "The pipeline run that published.",
            "published_at": "When it was published (UTC).",
            "report_month": "The last month the figures covered (first day, CE).",
            "months_processed": "The months that run processed (YYYY-MM; a list).",
            "fingerprint": "What the run was built from (registry, models, settings): a new one rebuilds.",
            **COUNT_DESCRIPTIONS,
        },
    ),
}


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _copy_comments(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]]) -> None:
    """The table, view and column comments of the build database (dbt's persist_docs) onto the published
    copies, which `create table as` leaves without; then the meta tables' own."""
    published = {(schema, table) for schema, table in tables}
    for schema, table, comment in con.execute(
        "select schema_name, table_name, comment from duckdb_tables() "
        "where database_name = 'source_db' and comment is not null "
        "union all select schema_name, view_name, comment from duckdb_views() "
        "where database_name = 'source_db' and comment is not null"
    ).fetchall():
        if (schema, table) in published:
            con.execute(f'comment on table "{schema}"."{table}" is {_sql_text(comment)}')
    for schema, table, column, comment in con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        "where database_name = 'source_db' and comment is not null"
    ).fetchall():
        if (schema, table) in published:
            con.execute(f'comment on column "{schema}"."{table}"."{column}" is {_sql_text(comment)}')
    for table, (comment, columns) in META_DESCRIPTIONS.items():
        con.execute(f'comment on table meta."{table}" is {_sql_text(comment)}')
        for column, text in columns.items():
            con.execute(f'comment on column meta."{table}"."{column}" is {_sql_text(text)}')


def _quoted_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def parquet_dir(warehouse: Path) -> Path:
    """The folder of the Parquet copy of a warehouse: `data/warehouse.duckdb` -> `data/warehouse_parquet`."""
    return warehouse.with_name(f"{warehouse.stem}_parquet")


def _export_parquet(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]], folder: Path) -> int:
    """Every table of PARQUET_SCHEMAS of the database `con` is on, as `<folder>/<schema>/<table>.parquet`."""
    exported = 0
    for schema in PARQUET_SCHEMAS:
        (folder / schema).mkdir(parents=True, exist_ok=True)
    for schema, table in tables:
        if schema not in PARQUET_SCHEMAS:
            continue
        target = folder / schema / f"{table}.parquet"
        # Names come from the build database's own catalog, never from input.
        con.execute(f'copy "{schema}"."{table}" to {_quoted_path(target)} (format parquet, compression zstd)')
        exported += 1
    return exported


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(first: Path, second: Path) -> bool:
    """Atomically swap two paths (Linux `renameat2` with RENAME_EXCHANGE). False where the system or the
    file system has no such call; an OSError for any other failure."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _swap_in_folder(staged: Path, final: Path) -> None:
    """Put the folder `staged` in the place of `final` as a whole; `staged` is gone afterwards."""
    if not final.exists():
        os.replace(staged, final)  # renaming onto a free name is atomic
        return
    if _exchange(staged, final):
        shutil.rmtree(staged)  # it now holds the previous set
        return
    # No atomic exchange here: move the previous set aside, then the new one in (a reader may briefly find
    # no folder, never a mixed one).
    previous = final.with_name(f".{final.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    os.replace(final, previous)
    try:
        os.replace(staged, final)
    except OSError:
        os.replace(previous, final)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def _record_attempt(settings: Settings, run_id: str) -> None:
    """The state remembers this run before it swaps its warehouse in (guard.py): killed right after the swap,
    it still knows the warehouse as its own."""
    with connect(settings.pipeline_db) as con:
        con.execute("insert into pipeline.publication_attempts values (?, ?)", [run_id, datetime.now(UTC)])


def publish(settings: Settings, run_id: str, months: list[date], report_month: date) -> Path:
    warehouse = settings.warehouse
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    partial = warehouse.with_name(f".{warehouse.name}.partial")
    # DuckDB's write-ahead log beside the snapshot: left behind when a run dies or the disk fills up mid-copy.
    partial_wal = partial.with_name(partial.name + ".wal")
    parquet = parquet_dir(warehouse)
    parquet_partial = parquet.with_name(f".{parquet.name}.partial")
    try:
        partial.unlink(missing_ok=True)
        partial_wal.unlink(missing_ok=True)
        shutil.rmtree(parquet_partial, ignore_errors=True)
        con = open_database(partial)
        try:
            con.execute(f"attach {_quoted_path(settings.pipeline_db)} as source_db (read_only)")
            # Tables, and the views dbt builds over what the Python steps wrote (dq.quarantine over
            # audit.quarantine, say): each is published as a table of what it holds now.
            tables = con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where database_name = 'source_db' and list_contains(?, schema_name) "
                "union select schema_name, view_name from duckdb_views() "
                "where database_name = 'source_db' and not internal and list_contains(?, schema_name) "
                "order by all",
                [list(PUBLISHED_SCHEMAS), list(PUBLISHED_SCHEMAS)],
            ).fetchall()
            for schema in PUBLISHED_SCHEMAS:
                con.execute(f'create schema if not exists "{schema}"')
            for schema, table in tables:
                # Names come from the build database's own catalog, never from input.
                source = f'source_db."{schema}"."{table}"'
                con.execute(f'create table "{schema}"."{table}" as from {source}')
            con.execute("create schema if not exists meta")
            con.execute(
                "create table meta.publication as select ? as run_id, ? as published_at, ? as report_month, "
                "? as months_processed",
                [run_id, datetime.now(UTC), report_month, [m.strftime("%Y-%m") for m in months]],
            )
            con.execute(RUN_COUNTS)
            # Every earlier publication too, so a restatement in history.* can be matched to its run.
            con.execute(
                "create table meta.publication_log as "
                "from source_db.pipeline.publications union all by name from meta.publication"
            )
            _copy_comments(con, tables)
            con.execute("detach source_db")
            con.execute("checkpoint")
            # The Parquet copy is exported from the snapshot itself, so both hold the same publication.
            exported = _export_parquet(con, tables, parquet_partial)
        finally:
            con.close()
        # Read-only by construction: no write bit for anyone. A BI tool that forgets DuckDB's read_only flag
        # gets an error instead of a write lock (or a change) on the published figures; publication itself
        # never writes this file again, it replaces it.
        os.chmod(partial, _READ_ONLY)
        failpoint("publish.after_copy")
        # Checked again at the last moment: a file put at the warehouse's path since the run started.
        check_warehouse_path(settings, None)
        _record_attempt(settings, run_id)
        os.replace(partial, warehouse)
        failpoint("publish.after_replace")
    except (OSError, duckdb.Error) as error:
        for leftover in (partial, partial_wal):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass  # e.g. a read-only folder: the next run removes it, and the error below says why
        shutil.rmtree(parquet_partial, ignore_errors=True)
        raise _publish_error(
            error,
            f"could not publish {warehouse}",
            "the previous warehouse is unchanged, and so is its Parquet copy",
            warehouse.parent,
        ) from error
    try:
        _swap_in_folder(parquet_partial, parquet)
    except OSError as error:
        shutil.rmtree(parquet_partial, ignore_errors=True)
        raise _publish_error(
            error,
            f"published {warehouse}, but could not swap in its Parquet copy {parquet}",
            "the previous Parquet files are unchanged",
            parquet.parent,
        ) from error
    log.info("published %d tables to %s and %d as Parquet to %s", len(tables), warehouse, exported, parquet)
    return warehouse
