"""The validate step for one landing month: every raw row ends accepted or quarantined.

Rows are normalised, flagged against the registry and earlier rows, checked by the
`submission_rows` suite, and split: accepted rows go to `validated.submissions`, the others to
`audit.quarantine` (published as dq.quarantine) with the first reason code (contract order) and a detail
saying what to fix.
The accepted rows are then checked for warnings (`dq_warnings`), which change no outcome.
Rerunning a month replaces that month's outcome, so the step is idempotent.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pandas as pd

from smartcity.validation.dq_tables import describe, insert_frame, record_run
from smartcity.validation.dq_warnings import flag_warnings
from smartcity.validation.normalised_rows import (
    RAW_ROWS_OF_MONTH,
    add_duplicate_flag,
    add_month_flag,
    add_registry_flags,
    add_submitted_at_flag,
    as_float,
    normalise,
    status_or_default,
)
from smartcity.validation.suites import SuiteResult, SuiteRunner, load_suite_definition

log = logging.getLogger(__name__)
SUITE = "submission_rows"


@dataclass
class MonthValidation:
    month: date
    rows_received: int
    rows_accepted: int
    rows_quarantined: int
    reasons: Counter = field(default_factory=Counter)
    warnings: Counter = field(default_factory=Counter)


def first_reasons(result: SuiteResult, reason_order: list[str]) -> dict[Any, tuple[str, dict[str, Any]]]:
    """For each failing row, the failure whose reason comes first in the contract's order."""
    rank = {code: position for position, code in enumerate(reason_order)}
    chosen: dict[Any, tuple[str, dict[str, Any]]] = {}
    for failure in result.failures:
        if failure.meta.get("severity") != "error":
            continue
        code = failure.meta["reason_code"]
        for index in failure.failed_index:
            if index not in chosen or rank[code] < rank[chosen[index][0]]:
                chosen[index] = (code, failure.meta)
    return chosen


@dataclass
class RowVerdicts:
    """What the row rules decided for a batch of raw rows: the one function behind both the monthly run
    (`validate_month`) and `smartcity check` (validation/preflight.py), so that both give every row the same
    reason code and detail."""

    rows: pd.DataFrame  # the normalised rows with their flags, indexed like the raw rows
    result: SuiteResult
    reasons: dict[Any, tuple[str, dict[str, Any]]]  # row index -> (first reason code, its expectation's meta)
    details: dict[Any, str]  # row index -> detail: '<problem>. Fix: <fix>'

    @property
    def quarantined(self) -> pd.DataFrame:
        return self.rows.loc[list(self.reasons)] if self.reasons else self.rows.iloc[0:0]

    @property
    def accepted(self) -> pd.DataFrame:
        return self.rows.drop(index=list(self.reasons))


def judge_rows(
    con: duckdb.DuckDBPyConnection,
    runner: SuiteRunner,
    raw: pd.DataFrame,
    month: date,
    run_name: str,
    compare_before: date | None = None,
) -> RowVerdicts:
    """Normalise raw rows (columns of RAW_ROWS_OF_MONTH) of landing month `month`, flag them against the
    registry (`registry.*` on `con`) and the rows already accepted (`validated.submissions` received before
    `compare_before`, default `month`), run the `submission_rows` suite and pick each failing row's first
    reason (contract order) with its detail. Writes nothing."""
    rows = normalise(raw)
    rows = add_registry_flags(con, rows)
    rows = add_month_flag(rows, month)
    rows = add_submitted_at_flag(rows)
    rows = add_duplicate_flag(con, rows, before=compare_before or month)
    result = runner.run(SUITE, rows, run_name=run_name)
    reasons = first_reasons(result, load_suite_definition(SUITE)["meta"]["reason_order"])
    details = {index: describe(meta, rows.loc[index], month) for index, (_, meta) in reasons.items()}
    return RowVerdicts(rows=rows, result=result, reasons=reasons, details=details)


def validate_month(
    con: duckdb.DuckDBPyConnection, runner: SuiteRunner, month: date, run_id: str
) -> MonthValidation:
    started_at = datetime.now(UTC)
    raw = con.execute(RAW_ROWS_OF_MONTH, [month]).df()
    verdicts = judge_rows(con, runner, raw, month, run_name=f"{run_id}__{month:%Y-%m}")
    rows, result, reasons = verdicts.rows, verdicts.result, verdicts.reasons

    quarantined = verdicts.quarantined
    quarantine_frame = pd.DataFrame(
        {
            "run_id": run_id,
            "source_file": quarantined["source_file"],
            "row_number": quarantined["row_number"],
            "city_code": quarantined["city_code"],
            "project_code": quarantined["project_code"],
            "reason_code": [reasons[i][0] for i in quarantined.index],
            "detail": [verdicts.details[i] for i in quarantined.index],
            "raw_record": quarantined["raw_record"],
            "file_id": quarantined["file_id"],
            "received_month": month,
        }
    )
    accepted_frame = accepted_frame_of(verdicts.accepted)

    con.begin()
    try:
        con.execute("delete from validated.submissions where received_month = ?", [month])
        con.execute("delete from audit.quarantine where received_month = ?", [month])
        insert_accepted(con, accepted_frame)
        insert_frame(con, "audit.quarantine", quarantine_frame)
        record_run(con, result, run_id, month, started_at, failed_rows=len(reasons))
        # Warnings look at the rows just accepted, beside the accepted history: same transaction.
        warnings = flag_warnings(con, runner, month, run_id)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    outcome = MonthValidation(
        month=month,
        rows_received=len(rows),
        rows_accepted=len(accepted_frame),
        rows_quarantined=len(quarantine_frame),
        reasons=Counter(code for code, _ in reasons.values()),
        warnings=warnings,
    )
    log.info(
        "validate %s: %d rows received, %d accepted, %d quarantined %s, %d warnings %s",
        f"{month:%Y-%m}",
        outcome.rows_received,
        outcome.rows_accepted,
        outcome.rows_quarantined,
        json.dumps(dict(sorted(outcome.reasons.items()))) if outcome.reasons else "",
        outcome.warnings.total(),
        json.dumps(dict(sorted(outcome.warnings.items()))) if outcome.warnings else "",
    )
    return outcome


def accepted_frame_of(accepted: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file_id": accepted["file_id"],
            "row_number": accepted["row_number"],
            "received_month": accepted["received_month"],
            "arrived_at": accepted["arrived_at"],
            "city_code": accepted["city_code"],
            "project_code": accepted["project_code"],
            "report_month": accepted["report_month"],
            "progress_pct": accepted["progress_pct"].map(as_float).astype("float64"),
            # As text, cast by the insert to DECIMAL(18,2): from Decimal objects DuckDB would infer a
            # narrower DECIMAL from the first values it samples and fail on a larger amount further down.
            "spend_to_date_thb": _as_text(accepted["spend_to_date_thb"]),
            "status": _statuses(accepted),
            "obstacles": accepted["obstacles"],
            "remarks": accepted["remarks"],
            "submitted_at_given": accepted["submitted_at_given"],
        }
    )


def _as_text(values: pd.Series) -> pd.Series:
    text = values.astype(object).map(str, na_action="ignore")
    return text.where(values.notna(), None)


def _statuses(accepted: pd.DataFrame) -> pd.Series:
    """The status as sent; where there is none, the one derived from progress (status_or_default)."""
    statuses = accepted["status"].astype(object)
    missing = statuses.isna()
    if missing.any():
        statuses[missing] = [status_or_default(None, p) for p in accepted.loc[missing, "progress_pct"]]
    return statuses


def insert_accepted(con: duckdb.DuckDBPyConnection, accepted: pd.DataFrame) -> None:
    """The accepted rows, with submitted_at as used: as given, or the file's arrival time when absent."""
    if accepted.empty:
        return
    con.register("accepted_rows", accepted)
    try:
        con.execute(
            "insert into validated.submissions by name "
            "select *, coalesce(submitted_at_given, arrived_at) as submitted_at from accepted_rows"
        )
    finally:
        con.unregister("accepted_rows")
