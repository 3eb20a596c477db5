"""The publish step: a consistent snapshot of the build database, swapped in atomically.

DuckDB allows one writer or many readers per file, so BI tools never read the build database.
The published file is written under a temporary name beside the warehouse, then renamed over it
(`os.replace`): a reader sees the old warehouse or the new one, never half of either, and a
failed run leaves the previous warehouse in place.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from smartcity.config import Settings
from smartcity.errors import PipelineError

log = logging.getLogger(__name__)

# What BI tools see: the marts, the data-quality tables and the history of published figures.
# Raw rows, staging and intermediate models stay private to the build database.
PUBLISHED_SCHEMAS = ("marts", "dq", "history")


class PublishError(PipelineError):
    """The warehouse could not be written; the previous one is still in place."""


def _quoted_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def publish(settings: Settings, run_id: str, months: list[date], report_month: date) -> Path:
    warehouse = settings.warehouse
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    partial = warehouse.with_name(f".{warehouse.name}.partial")
    try:
        partial.unlink(missing_ok=True)
        con = duckdb.connect(str(partial))
        try:
            con.execute(f"attach {_quoted_path(settings.pipeline_db)} as source_db (read_only)")
            tables = con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where database_name = 'source_db' and list_contains(?, schema_name) order by all",
                [list(PUBLISHED_SCHEMAS)],
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
            # Every earlier publication too, so a restatement in history.* can be matched to its run.
            con.execute(
                "create table meta.publication_log as "
                "from source_db.pipeline.publications union all by name from meta.publication"
            )
            con.execute("detach source_db")
            con.execute("checkpoint")
        finally:
            con.close()
        os.replace(partial, warehouse)
    except (OSError, duckdb.Error) as error:
        partial.unlink(missing_ok=True)
        raise PublishError(
            f"could not publish {warehouse}: {error}; the previous warehouse is unchanged"
        ) from error
    log.info("published %d tables to %s", len(tables), warehouse)
    return warehouse
