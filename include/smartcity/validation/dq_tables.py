"""Writing what a suite found into the dq tables: the run record, and a detail a person can act on."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pandas as pd

from smartcity.validation.suites import SuiteResult


def is_missing(value: Any) -> bool:
    return value is None or (not isinstance(value, list | tuple) and bool(pd.isna(value)))


def describe(meta: Mapping[str, Any], values: Mapping[str, Any], month: date) -> str:
    """`problem` filled in with the row's values, then how to fix it: '<problem>. Fix: <fix>'."""
    filled = {key: ("" if is_missing(value) else value) for key, value in values.items()}
    filled["processed_month"] = month.strftime("%Y-%m")
    if isinstance(values.get("report_month"), date):
        filled["report_month"] = values["report_month"].strftime("%Y-%m")
    try:
        problem = meta["problem"].format_map(filled)
    except (KeyError, ValueError, IndexError):
        problem = meta["problem"]
    return f"{problem}. Fix: {meta['fix']}"


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("frame_to_insert", frame)
    con.execute(f"insert into {table} by name select * from frame_to_insert")  # noqa: S608 (fixed names)
    con.unregister("frame_to_insert")


def record_run(
    con: duckdb.DuckDBPyConnection,
    result: SuiteResult,
    run_id: str,
    month: date,
    started_at: datetime,
    failed_rows: int | None = None,
) -> None:
    """One row of audit.validation_runs for a suite run, replacing the suite's earlier run for the month."""
    con.execute("delete from audit.validation_runs where month = ? and suite = ?", [month, result.suite])
    con.execute(
        "insert into audit.validation_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            month,
            result.suite,
            result.success,
            result.evaluated_rows,
            result.failed_rows if failed_rows is None else failed_rows,
            started_at,
            datetime.now(UTC),
            result.expectations,
            len(result.failures),
        ],
    )
