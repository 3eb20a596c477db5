"""The rows the pipeline has accepted, as read-only snapshots for `smartcity check` and the deadline watch.

DuckDB allows one writer XOR any number of readers per file, across processes: a check that opened the build
database, even read-only, at the moment the monthly run opens it to write would make that run fail (and the
other way round). So the validate step also writes each landing month's accepted rows to
`<state>/accepted/<YYYY-MM>.parquet` (written under a temporary name, then renamed into place), and readers
outside the monthly run read those files instead: no lock is ever shared with the run.

A snapshot holds the columns of `validated.submissions` plus `source_file` (the landing path) and `sha256`
(of the file), so that a reader can leave out the rows of a file it is checking again. A month whose rows were
all quarantined has an empty snapshot: its presence says the month was validated.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from smartcity.config import Settings

log = logging.getLogger(__name__)

FOLDER_NAME = "accepted"
COLUMNS = (
    "file_id, row_number, received_month, arrived_at, city_code, project_code, report_month, progress_pct, "
    "spend_to_date_thb, status, obstacles, remarks, submitted_at_given, submitted_at"
)


def history_dir(settings: Settings) -> Path:
    return settings.state_dir / FOLDER_NAME


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_month(con: duckdb.DuckDBPyConnection, folder: Path, month: date) -> Path:
    """Write (or replace) the snapshot of one landing month from the build database `con` is on."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{month:%Y-%m}.parquet"
    partial = folder / f".{month:%Y-%m}.parquet.partial"
    # The month is a date we format ourselves; paths are ours: nothing here comes from input.
    con.execute(
        f"copy (select {', '.join('accepted.' + c.strip() for c in COLUMNS.split(','))}, "  # noqa: S608
        "files.landing_path as source_file, files.sha256 "
        "from validated.submissions as accepted "
        "inner join raw.received_files as files on accepted.file_id = files.file_id "
        f"where accepted.received_month = date '{month:%Y-%m-%d}' "
        "order by accepted.file_id, accepted.row_number) "
        f"to {_literal(partial)} (format parquet, compression zstd)"
    )
    os.replace(partial, target)
    return target


def export_missing_months(con: duckdb.DuckDBPyConnection, folder: Path) -> list[date]:
    """Snapshots for every validated landing month that has none yet (state folders made before snapshots
    existed get them at their next run)."""
    validated = [
        month
        for (month,) in con.execute(
            "select distinct month from audit.validation_runs where suite = 'submission_rows' order by 1"
        ).fetchall()
    ]
    missing = [m for m in validated if not (folder / f"{m:%Y-%m}.parquet").exists()]
    for month in missing:
        export_month(con, folder, month)
    if missing:
        log.info("accepted-row snapshots written for %d earlier month(s) in %s", len(missing), folder)
    return missing


@dataclass(frozen=True)
class History:
    """What a reader compared against: the snapshot folder and the landing months it held."""

    folder: Path
    months: list[date]

    @property
    def glob(self) -> str:
        return str(self.folder / "*.parquet")


def open_history(folder: Path) -> History | None:
    """The snapshots in `folder`, or None when the pipeline has written none there (no state yet)."""
    if not folder.is_dir():
        return None
    months = []
    for path in sorted(folder.glob("*.parquet")):
        try:
            months.append(date(int(path.stem[:4]), int(path.stem[5:7]), 1))
        except ValueError:
            continue
    return History(folder, months) if months else None
