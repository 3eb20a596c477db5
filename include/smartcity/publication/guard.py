"""What publication may replace: only a warehouse this pipeline published, its history in the state.

Publication swaps a new file in over SMARTCITY_WAREHOUSE. A typo in that setting (the registry CSV, BI tool's
own database) must not destroy the file it names, and a lost state folder must not silently replace a
published history (its restatements and publication log) with a new one. Checked when a run starts, before
anything is written, and again just before the swap.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from smartcity.config import ConfigError, Settings
from smartcity.state import connect, one_row


class WarehouseRefused(ConfigError):
    """SMARTCITY_WAREHOUSE names a file publication must not replace; the message says what to do."""


def state_publications(pipeline_db: Path) -> set[str]:
    """The runs the state knows as publishing: those it recorded, and those that were about to swap a
    warehouse in (a run killed between the swap and its record published a warehouse the state still knows).
    A damaged state database raises StateError, saying what to do."""
    if not pipeline_db.exists():
        return set()
    with connect(pipeline_db, read_only=True) as con:
        tables = {
            (schema, table)
            for schema, table in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        }
        runs: set[str] = set()
        for table in ("publications", "publication_attempts"):
            if ("pipeline", table) in tables:
                runs |= {row[0] for row in con.execute(f"select run_id from pipeline.{table}").fetchall()}  # noqa: S608
        return runs


def published_runs(warehouse: Path) -> list[str] | None:
    """The runs in a published warehouse's publication log, oldest first; None when the file is not a
    warehouse this pipeline published (not DuckDB, no log, or unreadable)."""
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        log_table = one_row(
            con.execute(
                "select count(*) from duckdb_tables() "
                "where schema_name = 'meta' and table_name = 'publication_log'"
            )
        )[0]
        if not log_table:
            return None
        return [row[0] for row in con.execute("select run_id from meta.publication_log").fetchall()]
    except duckdb.Error:
        return None
    finally:
        con.close()


def check_warehouse_path(settings: Settings, landing_root: Path | None) -> None:
    """Raise WarehouseRefused when publishing to SMARTCITY_WAREHOUSE would destroy something it should not."""
    warehouse = settings.warehouse
    if landing_root is not None:
        for path, what in ((warehouse, "the warehouse"), (settings.state_dir, "its state folder")):
            if path.resolve().is_relative_to(landing_root):
                raise WarehouseRefused(
                    f"SMARTCITY_WAREHOUSE={warehouse}: {what} would lie inside the landing area "
                    f"{landing_root}, which the pipeline only reads; put the warehouse outside it, e.g. "
                    "data/warehouse.duckdb"
                )
    if not warehouse.exists() and not warehouse.is_symlink():
        return
    if not warehouse.is_file():
        raise WarehouseRefused(
            f"SMARTCITY_WAREHOUSE={warehouse} exists and is not a file; point it at a DuckDB file path"
        )
    ours = state_publications(settings.pipeline_db)
    runs = published_runs(warehouse)
    if runs is None:
        if ours:
            return  # our own warehouse, damaged: the state publishes it again (plan_run's republish)
        raise WarehouseRefused(
            f"SMARTCITY_WAREHOUSE={warehouse} names an existing file that is not a warehouse this pipeline "
            "published, and publishing would replace it; point SMARTCITY_WAREHOUSE at a new path (e.g. "
            "data/warehouse.duckdb), or move the file away if it may go"
        )
    if runs and runs[-1] in ours:
        return
    if settings.replace_warehouse:
        return
    last = f", the last by run {runs[-1]!r}" if runs else ""
    raise WarehouseRefused(
        f"SMARTCITY_WAREHOUSE={warehouse} holds a published history ({len(runs)} publication(s){last}) that "
        f"the pipeline's state {settings.state_dir} does not know: the state folder was lost, replaced or "
        "restored from an older backup. Restore the state folder that published it; or, to start a new "
        "history and replace the warehouse, run again with SMARTCITY_REPLACE_WAREHOUSE=yes"
    )
