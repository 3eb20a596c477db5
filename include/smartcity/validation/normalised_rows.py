"""Turn raw submission rows (text as sent) into typed rows plus the flags the checks look at.

A value that cannot be parsed keeps its text and gets an `<column>_error` message instead of a
typed value; the suite turns those into reason codes. Nothing here decides a row's fate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from smartcity.normalize import (
    ParseError,
    clean_text,
    normalize_code,
    parse_money,
    parse_month,
    parse_obstacles,
    parse_percent,
    parse_timestamp,
)

RAW_ROWS_OF_MONTH = """
select f.file_id, f.landing_path as source_file, f.received_month, f.arrived_at, r.row_number,
       r.city_code, r.project_code, r.report_month, r.progress_pct, r.spend_to_date_thb,
       r.status, r.obstacles, r.remarks, r.submitted_at, r.raw_record
from raw.submission_rows r
join raw.received_files f using (file_id)
where f.received_month = ?
order by f.arrived_at, f.landing_path, r.row_number
"""


def _parsed(text: str | None, parse: Callable[[str], Any]) -> tuple[Any, str | None]:
    if text is None:
        return None, None
    try:
        return parse(text), None
    except ParseError as error:
        return None, str(error)


def _status_text(text: str | None) -> str | None:
    """Lower-case and underscore the status; the allowed set is checked by the suite, not here."""
    if text is None:
        return None
    return "_".join(text.strip().lower().replace("-", " ").split())


def normalise(raw: pd.DataFrame) -> pd.DataFrame:
    """One typed row per raw row, same index, with `_text` (as sent) and `_error` columns."""
    records = []
    for row in raw.itertuples(index=False):
        month_text = clean_text(row.report_month)
        progress_text = clean_text(row.progress_pct)
        spend_text = clean_text(row.spend_to_date_thb)
        submitted_text = clean_text(row.submitted_at)
        report_month, month_error = _parsed(month_text, parse_month)
        progress, progress_error = _parsed(progress_text, parse_percent)
        spend, spend_error = _parsed(spend_text, parse_money)
        obstacles_text = clean_text(row.obstacles)
        obstacles, obstacles_error = _parsed(obstacles_text, parse_obstacles)
        submitted_at, submitted_error = _parsed(submitted_text, parse_timestamp)
        records.append(
            {
                "city_code": normalize_code(row.city_code),
                "project_code": normalize_code(row.project_code),
                "report_month_text": month_text,
                "report_month": report_month,
                "report_month_error": month_error,
                "progress_pct_text": progress_text,
                "progress_pct": float(progress) if progress is not None else None,
                "progress_pct_error": progress_error,
                "spend_to_date_thb_text": spend_text,
                "spend_to_date_thb": spend,
                "spend_to_date_thb_error": spend_error,
                "status": _status_text(clean_text(row.status)),
                "obstacles_text": obstacles_text,
                "obstacles": list(obstacles) if obstacles is not None else [],
                "obstacles_error": obstacles_error,
                "remarks": row.remarks,
                "submitted_at_text": submitted_text,
                "submitted_at_given": submitted_at,
                "submitted_at_error": submitted_error,
            }
        )
    typed = pd.DataFrame.from_records(records, index=raw.index) if records else _empty(raw.index)
    return pd.concat(
        [raw[["file_id", "source_file", "received_month", "arrived_at", "row_number", "raw_record"]], typed],
        axis=1,
    )


def _empty(index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "city_code", "project_code", "report_month_text", "report_month", "report_month_error",
            "progress_pct_text", "progress_pct", "progress_pct_error", "spend_to_date_thb",
            "spend_to_date_thb_text", "spend_to_date_thb_error", "status", "obstacles_text", "obstacles",
            "obstacles_error", "remarks", "submitted_at_text", "submitted_at_given", "submitted_at_error",
        ],
        index=index,
    )  # fmt: skip


def add_registry_flags(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> pd.DataFrame:
    """Registry membership as boolean columns, computed by a join (far cheaper than a set check in GX)."""
    codes = rows[["city_code", "project_code"]].reset_index(names="row_key")
    con.register("row_codes", codes)
    flags = con.execute(
        """
        select c.row_key,
               exists (select 1 from registry.cities k where k.city_code = c.city_code) as city_in_registry,
               p.project_code is not null as project_in_registry,
               coalesce(p.city_code = c.city_code, false) as project_of_city
        from row_codes c
        left join registry.projects p on p.project_code = c.project_code
        """
    ).df()
    con.unregister("row_codes")
    flags = flags.set_index("row_key").reindex(rows.index)
    return rows.assign(
        city_in_registry=flags["city_in_registry"].astype(bool),
        project_in_registry=flags["project_in_registry"].astype(bool),
        project_of_city=flags["project_of_city"].astype(bool),
    )


def add_month_flag(rows: pd.DataFrame, month: date) -> pd.DataFrame:
    """FUTURE_MONTH: a report month later than the month being processed."""
    return rows.assign(
        month_not_future=[m is None or m <= month for m in rows["report_month"]],
    )


def _given(value: Any) -> Any:
    """A missing value as None: pandas holds NaN/NaT where DuckDB gives None, and NaT != None."""
    return None if value is None or pd.isna(value) else value


def status_or_default(status: Any, progress: Any) -> str | None:
    """The status as sent, or, when absent, derived from progress: 0 not started, 100 completed,
    otherwise in progress (docs/data-contract.md)."""
    if isinstance(status, str):
        return status
    if _given(progress) is None:
        return None
    if progress <= 0:
        return "not_started"
    return "completed" if progress >= 100 else "in_progress"


def _compared(row: Mapping[str, Any], column: str, value_column: str | None = None) -> Any:
    """A value for comparison. One that could not be parsed counts as the text sent, never as 'no
    value' (else a bad row and a good row without that value would look identical)."""
    if _given(row.get(f"{column}_error")) is not None:
        return ("unparsed", row.get(f"{column}_text"))
    value = row[value_column or column]
    return tuple(value) if isinstance(value, list | tuple) else _given(value)


def identity(row: Mapping[str, Any]) -> tuple:
    """What makes two rows 'identical' for DUPLICATE: every value as given, normalised. A missing
    status compares as the status derived from progress, as it is stored for accepted rows."""
    return (
        _given(row["city_code"]),
        _given(row["project_code"]),
        _compared(row, "report_month"),
        _compared(row, "progress_pct"),
        _compared(row, "spend_to_date_thb"),
        status_or_default(_given(row["status"]), _given(row["progress_pct"])),
        _compared(row, "obstacles"),
        clean_text(row["remarks"]),
        _compared(row, "submitted_at", value_column="submitted_at_given"),
    )


def add_duplicate_flag(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, before: date) -> pd.DataFrame:
    """A row identical to one already received: accepted from an earlier month, or earlier in this batch."""
    seen = {identity(accepted) for accepted in _accepted_rows(con, rows, before)}
    flags = []
    for row in rows.to_dict("records"):  # far faster than iterrows on large months
        key = identity(row)
        flags.append(key in seen)
        seen.add(key)
    return rows.assign(is_duplicate=flags)


def _accepted_rows(
    con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, before: date
) -> Iterator[dict[str, Any]]:
    projects = sorted({code for code in rows["project_code"] if isinstance(code, str) and code})
    if not projects:
        return
    result = con.execute(
        """
        select city_code, project_code, report_month, progress_pct, spend_to_date_thb, status,
               obstacles, remarks, submitted_at_given
        from validated.submissions where received_month < ? and list_contains(?, project_code)
        """,
        [before, projects],
    )
    columns = [d[0] for d in result.description]
    for values in result.fetchall():
        yield dict(zip(columns, values, strict=True))
