"""Turn raw submission rows (text as sent) into typed rows plus the flags the checks look at.

A value that cannot be parsed keeps its text and gets an `<column>_error` message instead of a
typed value; the suite turns those into reason codes. Nothing here decides a row's fate.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from smartcity.normalize import normalize_code, parse_obstacles
from smartcity.parsing import ParseError, clean_text, parse_money, parse_month, parse_percent, parse_timestamp

# A submitted_at later than the file's arrival by more than this cannot be true: the row is quarantined as
# OUT_OF_RANGE, so a typo (2099, or 2067 for 2024) can never outrank the real corrections that follow it.
# A day covers clocks set wrong by hours and time zones mixed up.
SUBMITTED_AT_TOLERANCE = timedelta(hours=24)

RAW_ROWS_OF_MONTH = """
select f.file_id, f.landing_path as source_file, f.received_month, f.arrived_at, r.row_number,
       r.city_code, r.project_code, r.report_month, r.progress_pct, r.spend_to_date_thb,
       r.status, r.obstacles, r.remarks, r.submitted_at, r.raw_record
from raw.submission_rows r
join raw.received_files f using (file_id)
where f.received_month = ?
order by f.arrived_at, f.landing_path, r.row_number
"""


Parsed = tuple[str | None, Any, str | None]  # (text as sent, typed value or None, error message or None)


def _parsed(value: Any, parse: Callable[[str], Any]) -> Parsed:
    text = clean_text(value)
    if text is None:
        return None, None, None
    try:
        return text, parse(text), None
    except ParseError as error:
        return text, None, str(error)


def _status_text(text: str | None) -> str | None:
    """Lower-case and underscore the status; the allowed set is checked by the suite, not here."""
    if text is None:
        return None
    return "_".join(text.strip().lower().replace("-", " ").split())


def _per_distinct(raw: pd.Series, convert: Callable[[Any], Any], outputs: int = 1) -> list[np.ndarray]:
    """`convert` applied once per distinct value, then spread over the rows: a month's 78,500 rows hold a
    handful of months, statuses and obstacle lists, so parsing each distinct value once is most of the
    speed-up over parsing row by row (the parsers stay the single definition of what a value means).
    With `outputs` > 1, `convert` returns that many values and one column comes back for each."""
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    columns = [np.empty(len(uniques) + 1, dtype=object) for _ in range(outputs)]
    distinct = [*np.asarray(uniques, dtype=object).tolist(), None]  # code -1 (missing) picks the last
    for position, value in enumerate(distinct):
        converted = convert(value)
        for column, item in zip(columns, converted if outputs > 1 else (converted,), strict=True):
            column[position] = item
    return [column[codes] for column in columns]


def _typed_column(
    raw: pd.Series, parse: Callable[[str], Any], name: str, value_name: str | None = None, then=None
) -> dict[str, np.ndarray]:
    """`<name>_text`, the value (after `then`, if given) and `<name>_error`, once per distinct value."""

    def convert(value: Any) -> Parsed:
        text, parsed, error = _parsed(value, parse)
        return text, then(parsed) if then else parsed, error

    texts, values, errors = _per_distinct(raw, convert, outputs=3)
    return {f"{name}_text": texts, value_name or name: values, f"{name}_error": errors}


# The same codes come back every month (78,500 projects nationally): remembered across months.
_code = functools.lru_cache(maxsize=1 << 18)(normalize_code)


def as_float(value: Any) -> float | None:
    """A percentage as stored (DOUBLE): -0 is 0. Only accepted rows are converted, after the range check
    ran on the exact value (100.00000000000000001 is out of range, though its nearest double is 100)."""
    return None if _given(value) is None else float(value) + 0.0


def _as_list(codes: tuple[str, ...] | None) -> list[str]:
    return list(codes) if codes is not None else []


def normalise(raw: pd.DataFrame) -> pd.DataFrame:
    """One typed row per raw row, same index, with `_text` (as sent) and `_error` columns."""
    if raw.empty:
        typed = _empty(raw.index)
    else:
        (city_codes,) = _per_distinct(raw["city_code"], _code)
        (project_codes,) = _per_distinct(raw["project_code"], _code)
        (statuses,) = _per_distinct(raw["status"], lambda value: _status_text(clean_text(value)))
        columns = {
            "city_code": city_codes,
            "project_code": project_codes,
            **_typed_column(raw["report_month"], parse_month, "report_month"),
            # Kept exact (Decimal) for the range check; as_float converts accepted rows.
            **_typed_column(raw["progress_pct"], parse_percent, "progress_pct"),
            **_typed_column(raw["spend_to_date_thb"], parse_money, "spend_to_date_thb"),
            "status": statuses,
            **_typed_column(raw["obstacles"], parse_obstacles, "obstacles", then=_as_list),
            "remarks": raw["remarks"].to_numpy(),
            **_typed_column(raw["submitted_at"], parse_timestamp, "submitted_at", "submitted_at_given"),
        }
        typed = pd.DataFrame(columns, index=raw.index)[_COLUMNS]
    return pd.concat(
        [raw[["file_id", "source_file", "received_month", "arrived_at", "row_number", "raw_record"]], typed],
        axis=1,
    )


_COLUMNS = [
    "city_code", "project_code", "report_month_text", "report_month", "report_month_error",
    "progress_pct_text", "progress_pct", "progress_pct_error", "spend_to_date_thb_text",
    "spend_to_date_thb", "spend_to_date_thb_error", "status", "obstacles_text", "obstacles",
    "obstacles_error", "remarks", "submitted_at_text", "submitted_at_given", "submitted_at_error",
]  # fmt: skip


def _empty(index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(columns=_COLUMNS, index=index)


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


def add_submitted_at_flag(rows: pd.DataFrame) -> pd.DataFrame:
    """OUT_OF_RANGE: a submitted_at later than its file's arrival (beyond SUBMITTED_AT_TOLERANCE)."""
    latest = pd.to_datetime(rows["arrived_at"], utc=True) + SUBMITTED_AT_TOLERANCE
    given = pd.to_datetime(rows["submitted_at_given"], utc=True)
    return rows.assign(
        submitted_at_not_after_arrival=(given.isna() | (given <= latest)).to_numpy(),
        latest_submitted_at=latest.dt.tz_convert("Asia/Bangkok").dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
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


def _compared_percent(row: Mapping[str, Any]) -> Any:
    """progress_pct as it is stored for accepted rows (a double), so a new row and an accepted one compare
    alike (the exact Decimal 50.1 is not the double 50.1)."""
    value = _compared(row, "progress_pct")
    return value if isinstance(value, tuple) or value is None else as_float(value)


def identity(row: Mapping[str, Any]) -> tuple:
    """What makes two rows 'identical' for DUPLICATE: every value as given, normalised. A missing
    status compares as the status derived from progress, as it is stored for accepted rows."""
    return (
        _given(row["city_code"]),
        _given(row["project_code"]),
        _compared(row, "report_month"),
        _compared_percent(row),
        _compared(row, "spend_to_date_thb"),
        status_or_default(_given(row["status"]), _given(row["progress_pct"])),
        _compared(row, "obstacles"),
        clean_text(row["remarks"]),
        _compared(row, "submitted_at", value_column="submitted_at_given"),
    )


def add_duplicate_flag(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, before: date) -> pd.DataFrame:
    """A row identical to one already received: accepted from an earlier month, or earlier in this batch.

    Identical rows share their project and report month, so DuckDB first narrows the month to the rows
    that share both with another row of the batch or with an accepted row from an earlier month (at
    national scale, against millions of accepted rows, that is a hash join); `identity` then compares
    only those, in arrival order.
    """
    candidates = _duplicate_candidates(con, rows, before)
    flags = pd.Series(False, index=rows.index)
    if not candidates:
        return rows.assign(is_duplicate=flags)
    chosen = rows.iloc[candidates]
    seen = {identity(accepted) for accepted in _accepted_rows(con, chosen, before)}
    for index, row in zip(chosen.index, chosen.to_dict("records"), strict=True):
        key = identity(row)
        flags[index] = key in seen
        seen.add(key)
    return rows.assign(is_duplicate=flags)


def _duplicate_candidates(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, before: date) -> list[int]:
    keys = pd.DataFrame(
        {
            "position": range(len(rows)),
            "project_code": rows["project_code"].to_numpy(),
            # The report month as compared: its value, or the text sent when it could not be read.
            "report_month": pd.to_datetime(rows["report_month"]),
            "unparsed_month": rows["report_month_text"].where(rows["report_month_error"].notna()),
        }
    )
    con.register("row_keys", keys)
    try:
        found = con.execute(
            """
            select position from row_keys
            qualify count(*) over (partition by project_code, report_month, unparsed_month) > 1
            union
            select position from row_keys
            where exists (
                select 1 from validated.submissions as accepted
                where accepted.received_month < $before
                    and accepted.project_code = row_keys.project_code
                    and accepted.report_month = cast(row_keys.report_month as date)
            )
            order by position
            """,
            {"before": before},
        ).fetchall()
    finally:
        con.unregister("row_keys")
    return [position for (position,) in found]


def _accepted_rows(
    con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, before: date
) -> Iterator[dict[str, Any]]:
    pairs = pd.DataFrame(
        {
            "project_code": rows["project_code"].to_numpy(),
            "report_month": pd.to_datetime(rows["report_month"]),
        }
    ).dropna()
    if pairs.empty:
        return
    con.register("candidate_pairs", pairs.drop_duplicates())
    try:
        result = con.execute(
            """
            select city_code, project_code, report_month, progress_pct, spend_to_date_thb, status,
                   obstacles, remarks, submitted_at_given
            from validated.submissions
            where received_month < ?
                and (project_code, report_month) in (
                    select (project_code, cast(report_month as date)) from candidate_pairs
                )
            """,
            [before],
        )
        columns = [d[0] for d in result.description]
        rows_found = result.fetchall()
    finally:
        con.unregister("candidate_pairs")
    for values in rows_found:
        yield dict(zip(columns, values, strict=True))
