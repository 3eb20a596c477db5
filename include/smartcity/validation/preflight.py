"""`smartcity check`: what the monthly run would make of files a city is about to send, without sending them.

The files go through the pipeline's own code: `read_submission` (the pull step's reader, caps and messages),
`judge_rows` (normalisation, registry and duplicate flags, the `submission_rows` suite, first reason and
detail) and `find_warnings` (the `submission_warnings` suite), on an in-memory DuckDB database laid out like
the build database. Nothing is written anywhere but to that in-memory database and a temporary folder for
Great Expectations' results (removed at the end): not the landing area, not the state, not the warehouse.

What the rows are compared with:
- the registry: the landing area's (`SMARTCITY_LANDING`, read through the same loader and checks as the pull
  step), or the published warehouse's (`marts.dim_cities`, `marts.dim_projects`);
- the rows already accepted (for DUPLICATE, PROGRESS_DECREASED, SPEND_DECREASED, PROJECT_SILENT): the
  pipeline's snapshots of accepted rows (validation/accepted_history.py), read-only and without opening the
  build database, so a check never blocks a running pipeline. The rows of landing months before the checked
  month count, and those of the checked month from files other than the ones checked (a file checked again
  after it was received is not compared with itself). Without snapshots (no state yet), the files are
  compared only with each other.

One module on purpose (over 500 lines): one command's path from top to bottom (the month, the registry, the
history, the check), each section serving only `check_files`, which reads best in a single file.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from smartcity.config import ConfigError, Settings
from smartcity.ingestion.pull import file_identity, read_submission, sha256_of, storable_text
from smartcity.normalize import SUBMISSION_COLUMNS, normalize_code
from smartcity.parsing import BANGKOK
from smartcity.readers import ReadLimits
from smartcity.reporting.rejections import rejection_lines
from smartcity.state import SCHEMA_SQL
from smartcity.validation.accepted_history import History, history_dir, open_history

log = logging.getLogger(__name__)

MONTH_FOLDER = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
REGISTRY_SOURCES = ("landing", "warehouse")
_RAW_COLUMNS = ["file_id", "source_file", "received_month", "arrived_at", "row_number"]


@dataclass(frozen=True)
class CheckedFile:
    path: Path
    source_file: str  # as the pipeline would name it: submissions/<YYYY-MM>/<name>, or the file name
    sha256: str
    file_id: str
    rows: int = 0
    refused: str | None = None  # why the whole file would be rejected (dq.rejected_files' reason)


@dataclass(frozen=True)
class Quarantined:
    source_file: str
    row_number: int
    city_code: str | None
    project_code: str | None
    reason_code: str
    column: str | None  # the column the failing check looks at (for the Thai fix)
    detail: str  # '<problem>. Fix: <fix>', as dq.quarantine holds it


@dataclass(frozen=True)
class Flagged:
    source_file: str | None  # None for PROJECT_SILENT (no source row)
    row_number: int | None
    city_code: str
    project_code: str
    warning_code: str
    detail: str


@dataclass
class CheckResult:
    month: date
    month_source: str  # how the month was chosen
    registry: str  # which registry, in words
    history: str  # what the rows were compared with, in words
    history_months: list[date]
    files: list[CheckedFile]
    quarantined: list[Quarantined] = field(default_factory=list)
    warnings: list[Flagged] = field(default_factory=list)
    # Every row read: source_file, row_number, city_code, project_code, report_month, submitted_at (as used,
    # accepted rows only), accepted (bool), reason_code.
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    report_lines: dict[str, list[list[Any]]] = field(default_factory=dict)  # the rejection reports' lines
    # The registry's cities: city_code, name_th, name_en, status, status_since, contact_name, contact_email.
    cities: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def rows_read(self) -> int:
        return len(self.rows)

    @property
    def refused_files(self) -> list[CheckedFile]:
        return [f for f in self.files if f.refused is not None]

    @property
    def all_accepted(self) -> bool:
        return not self.quarantined and not self.refused_files


# ------------------------------------------------------------------------------------------ the month


def folder_month(path: Path) -> date | None:
    """The month of the landing folder a file sits in (`.../submissions/<YYYY-MM>/<file>`), if it does."""
    parent = path.absolute().parent
    match = MONTH_FOLDER.match(parent.name)
    if match and parent.parent.name == "submissions":
        return date(int(match.group(1)), int(match.group(2)), 1)
    return None


def source_name(path: Path) -> str:
    """The name the pipeline would record: the landing path for a file in a month folder, else its name."""
    month = folder_month(path)
    return f"submissions/{month:%Y-%m}/{path.name}" if month else path.name


def choose_month(paths: list[Path], requested: date | None, now: datetime | None = None) -> tuple[date, str]:
    """--month; else the month folder the files sit in; else the current month in Bangkok."""
    if requested is not None:
        return requested, "--month"
    folders = {folder_month(p) for p in paths} or {None}
    if len(folders) > 1:
        shown = ", ".join(sorted(f"{m:%Y-%m}" if m else "(no month folder)" for m in folders))
        raise ConfigError(
            f"the files sit in different month folders ({shown}): check each month's files separately, "
            "or give the month with --month YYYY-MM"
        )
    (folder,) = folders
    if folder is not None:
        return folder, "the files' folder submissions/<YYYY-MM>/"
    today = (now or datetime.now(UTC)).astimezone(BANGKOK)
    return date(today.year, today.month, 1), "the current month in Bangkok"


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


# ------------------------------------------------------------------------------------------ the registry


def _load_registry(con: duckdb.DuckDBPyConnection, settings: Settings, source: str, cache: Path) -> str:
    if source == "landing":
        from smartcity.ingestion.registry import load_registry
        from smartcity.ingestion.sources import open_landing

        landing = open_landing(settings.landing, cache)  # remote files are cached in a temporary folder
        counts = load_registry(con, landing)
        where = f"the landing area {landing.description}"
    else:
        counts = _registry_from_warehouse(con, settings.warehouse)
        where = f"the published warehouse {settings.warehouse}"
    (certified,) = con.execute("select count(*) from registry.cities where status = 'certified'").fetchall()[
        0
    ]
    return f"{where}: {counts['cities']} cities ({certified} certified), {counts['projects']} projects"


def _cities(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    contacts = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'registry' and table_name = 'city_contacts'"
    ).fetchall()[0][0]
    if not contacts:
        con.execute(
            "create table registry.city_contacts "
            "(city_code varchar, contact_name varchar, contact_email varchar)"
        )
    return con.execute(
        "select c.city_code, c.name_th, c.name_en, c.status, c.status_since, k.contact_name, k.contact_email "
        "from registry.cities c left join registry.city_contacts k using (city_code) order by c.city_code"
    ).df()


def _registry_from_warehouse(con: duckdb.DuckDBPyConnection, warehouse: Path) -> dict[str, int]:
    from smartcity.publication.publish import published_warehouse_problem

    problem = published_warehouse_problem(warehouse)
    if problem is not None:
        raise ConfigError(
            f"--registry warehouse: the published warehouse {warehouse} cannot be read ({problem}); "
            "set SMARTCITY_WAREHOUSE, or use the landing area's registry (--registry landing)"
        )
    quoted = "'" + str(warehouse).replace("'", "''") + "'"
    con.execute(f"attach {quoted} as published (read_only)")
    try:
        con.execute(
            "create or replace table registry.cities as select city_code, name_th, name_en, province_code, "
            "operator_name, operator_type, city_type, peer_group, status, status_since "
            "from published.marts.dim_cities"
        )
        con.execute(
            "create or replace table registry.projects as select project_code, city_code, dimension_code, "
            "name_th, name_en, budget_thb, planned_start, planned_end, funding_source "
            "from published.marts.dim_projects"
        )
    finally:
        con.execute("detach published")
    cities, projects = con.execute(
        "select (select count(*) from registry.cities), (select count(*) from registry.projects)"
    ).fetchall()[0]
    return {"cities": cities, "projects": projects}


# ------------------------------------------------------------------------------------------ the history

_HISTORY_ROWS = """
insert into validated.submissions by name
select
    file_id, row_number, received_month, arrived_at, city_code, project_code, report_month, progress_pct,
    spend_to_date_thb, status, obstacles, remarks, submitted_at_given, submitted_at
from read_parquet($glob, union_by_name = true)
where
    (received_month < $month or (received_month = $month and not list_contains($shas, sha256)))
    and (list_contains($cities, city_code) or list_contains($projects, project_code))
"""


def _load_history(
    con: duckdb.DuckDBPyConnection,
    history: History,
    month: date,
    files: list[CheckedFile],
    cities: list[str],
    projects: list[str],
) -> tuple[int, int]:
    """Copy the accepted rows the checked rows can be compared with into `validated.submissions`: landing
    months before `month`, and `month` itself from other files; only of the cities and projects the files
    name. Returns (rows from earlier months, rows of the month from other files)."""
    glob = "'" + history.glob.replace("'", "''") + "'"  # our own folder, quoted as a SQL string
    con.execute(
        _HISTORY_ROWS.replace("$glob", glob),
        {"month": month, "shas": [f.sha256 for f in files], "cities": cities, "projects": projects},
    )
    earlier, same_month = con.execute(
        "select count(*) filter (where received_month < $month), "
        "count(*) filter (where received_month = $month) from validated.submissions",
        {"month": month},
    ).fetchall()[0]
    return earlier, same_month


def _history_words(history: History | None, folder: Path, month: date, earlier: int, same: int) -> str:
    if history is None:
        return (
            f"no accepted rows: the pipeline's state ({folder}) has none yet, so the files were compared "
            "only with each other (DUPLICATE, PROGRESS_DECREASED, SPEND_DECREASED and PROJECT_SILENT "
            "see only these files)"
        )
    before = [m for m in history.months if m < month]
    span = f"landing months {before[0]:%Y-%m} to {before[-1]:%Y-%m}" if before else "no earlier landing month"
    words = f"{earlier:,} rows of these cities the pipeline accepted from {span}"
    if same:
        words += f", and {same:,} accepted from other files of {month:%Y-%m}"
    return f"{words} (its state: {folder})"


# ------------------------------------------------------------------------------------------ the check


def _raw_frame(files: list[tuple[CheckedFile, Any]], month: date, now: datetime) -> pd.DataFrame:
    """The rows of the readable files as RAW_ROWS_OF_MONTH gives them to the validate step: in arrival order
    (the order given), each file arriving a microsecond after the one before."""
    frames = []
    for position, (checked, table) in enumerate(files):
        frame = pd.DataFrame(
            {
                "file_id": checked.file_id,
                "source_file": checked.source_file,
                "received_month": month,
                "arrived_at": now + timedelta(microseconds=position),
                "row_number": pd.Series([row.row_number for row in table.rows], dtype="int64"),
                **{
                    column: pd.Series([row.values.get(column) for row in table.rows], dtype=object)
                    for column in SUBMISSION_COLUMNS
                },
                "raw_record": pd.Series([row.raw_record for row in table.rows], dtype=object),
            }
        )
        frames.append(frame)
    columns = [*_RAW_COLUMNS, *SUBMISSION_COLUMNS, "raw_record"]
    if not frames:
        return pd.DataFrame(columns=columns)
    raw = pd.concat(frames, ignore_index=True)[columns]
    raw["arrived_at"] = pd.to_datetime(raw["arrived_at"], utc=True)
    return raw


def check_files(
    settings: Settings,
    paths: list[Path],
    month: date | None = None,
    registry_source: str = "landing",
    now: datetime | None = None,
    require_files: bool = True,
) -> CheckResult:
    """Check submission files as the monthly run would validate them in landing month `month` (default:
    `choose_month`). Raises ConfigError for a usage or configuration mistake. `require_files=False` (the
    deadline watch, on a month with no file) accepts an empty list."""
    if not paths and require_files:
        raise ConfigError("give at least one file to check")
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"{path} is not a file: give the path of a .csv, .xlsx or .json submission")
    if registry_source not in REGISTRY_SOURCES:
        raise ConfigError(f"--registry must be one of {', '.join(REGISTRY_SOURCES)}")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    month, month_source = choose_month(paths, month, now)
    limits = ReadLimits.of(settings)

    readable: list[tuple[CheckedFile, Any]] = []
    files: list[CheckedFile] = []
    seen: dict[str, Path] = {}
    for path in paths:
        sha256 = sha256_of(path)
        name = storable_text(source_name(path))
        if (twin := seen.setdefault(file_identity(name, sha256), path)) is not path:
            raise ConfigError(
                f"{path} and {twin} are the same submission (same name and content): give it once"
            )
        outcome = read_submission(path, limits)
        table, reason = outcome.table, outcome.reason
        checked = CheckedFile(
            path=path,
            source_file=name,
            sha256=sha256,
            file_id=file_identity(name, sha256),
            rows=len(table.rows) if table else 0,
            refused=reason,
        )
        files.append(checked)
        if table is not None:
            readable.append((checked, table))

    with tempfile.TemporaryDirectory(prefix="smartcity-check-") as scratch:
        con = duckdb.connect(":memory:")
        try:
            con.execute(SCHEMA_SQL)
            registry = _load_registry(con, settings, registry_source, Path(scratch) / "incoming")
            raw = _raw_frame(readable, month, now)
            cities = sorted({c for v in raw["city_code"] if (c := normalize_code(v))})
            projects = sorted({p for v in raw["project_code"] if (p := normalize_code(v))})
            folder = history_dir(settings)
            history = open_history(folder)
            earlier = same = 0
            if history is not None:
                earlier, same = _load_history(con, history, month, files, cities, projects)
            result = CheckResult(
                month=month,
                month_source=month_source,
                registry=registry,
                history=_history_words(history, folder, month, earlier, same),
                history_months=history.months if history else [],
                files=files,
                cities=_cities(con),
            )
            if not raw.empty:
                _judge(con, Path(scratch), raw, month, files, cities, result)
            else:
                result.rows = pd.DataFrame(
                    columns=["source_file", "row_number", "city_code", "project_code", "report_month",
                             "submitted_at", "accepted", "reason_code"]
                )  # fmt: skip
        finally:
            con.close()
    return result


def _judge(
    con: duckdb.DuckDBPyConnection,
    scratch: Path,
    raw: pd.DataFrame,
    month: date,
    files: list[CheckedFile],
    cities: list[str],
    result: CheckResult,
) -> None:
    from smartcity.validation.dq_warnings import find_warnings
    from smartcity.validation.submissions import (
        accepted_frame_of,
        insert_accepted,
        judge_rows,
    )
    from smartcity.validation.suites import SuiteRunner

    runner = SuiteRunner(scratch / "gx", defer_docs=True)  # results in the temporary folder, never the state
    run_name = f"check__{month:%Y-%m}"
    verdicts = judge_rows(con, runner, raw, month, run_name, compare_before=_next_month(month))
    column_of = {id(failure.meta): failure.column for failure in verdicts.result.failures}

    # Lay the outcome out as the validate step does, in memory: what the warnings and the reports read.
    _register_files(con, files, month, raw)
    accepted = accepted_frame_of(verdicts.accepted)
    insert_accepted(con, accepted)
    quarantined = verdicts.quarantined
    quarantine = pd.DataFrame(
        {
            "run_id": "check",
            "source_file": quarantined["source_file"],
            "row_number": quarantined["row_number"],
            "city_code": quarantined["city_code"],
            "project_code": quarantined["project_code"],
            "reason_code": [verdicts.reasons[i][0] for i in quarantined.index],
            "detail": [verdicts.details[i] for i in quarantined.index],
            "raw_record": quarantined["raw_record"],
            "file_id": quarantined["file_id"],
            "received_month": month,
        }
    )
    from smartcity.validation.dq_tables import insert_frame

    insert_frame(con, "audit.quarantine", quarantine)
    result.report_lines = rejection_lines(con, month)
    result.quarantined = [
        Quarantined(
            source_file=row["source_file"],
            row_number=int(row["row_number"]),
            city_code=_text(row["city_code"]),
            project_code=_text(row["project_code"]),
            reason_code=verdicts.reasons[index][0],
            column=column_of.get(id(verdicts.reasons[index][1])),
            detail=verdicts.details[index],
        )
        for index, row in quarantined.iterrows()
    ]

    found, _ = find_warnings(con, runner, month, run_name)
    checked_names = {f.source_file for f in files}
    checked_cities = set(cities)
    result.warnings = [
        Flagged(
            source_file=_text(row["source_file"]),
            row_number=None if pd.isna(row["row_number"]) else int(row["row_number"]),
            city_code=row["city_code"],
            project_code=row["project_code"],
            warning_code=row["warning_code"],
            detail=row["detail"],
        )
        for _, row in found.iterrows()
        if (row["source_file"] in checked_names)
        or (_text(row["source_file"]) is None and row["city_code"] in checked_cities)
    ]
    result.rows = _row_outcomes(con, verdicts, files)


def _register_files(con: duckdb.DuckDBPyConnection, files: list[CheckedFile], month: date, raw) -> None:
    """raw.received_files and raw.submission_rows for the checked files, as the pull step would have them."""
    arrived = raw.groupby("file_id")["arrived_at"].first()
    for checked in files:
        con.execute(
            "insert into raw.received_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                checked.file_id,
                checked.source_file,
                month,
                checked.sha256,
                checked.path.stat().st_size,
                str(checked.path),
                arrived.get(checked.file_id, datetime.now(UTC)),
                "check",
                checked.path.suffix.lower().lstrip("."),
                None,
                checked.rows,
                checked.refused,
            ],
        )
    sent = raw[["file_id", "row_number", *SUBMISSION_COLUMNS, "raw_record"]]
    con.register("sent_rows", sent)
    try:
        con.execute("insert into raw.submission_rows by name select * from sent_rows")
    finally:
        con.unregister("sent_rows")


def _row_outcomes(con: duckdb.DuckDBPyConnection, verdicts, files: list[CheckedFile]) -> pd.DataFrame:
    rows = verdicts.rows
    outcome = pd.DataFrame(
        {
            "file_id": rows["file_id"],
            "source_file": rows["source_file"],
            "row_number": rows["row_number"].astype("int64"),
            "city_code": rows["city_code"],
            "project_code": rows["project_code"],
            "report_month": rows["report_month"],
            "accepted": [index not in verdicts.reasons for index in rows.index],
            "reason_code": [verdicts.reasons[i][0] if i in verdicts.reasons else None for i in rows.index],
        }
    )
    used = con.execute(
        "select file_id, row_number, submitted_at from validated.submissions where list_contains(?, file_id)",
        [[f.file_id for f in files]],
    ).df()
    outcome = outcome.merge(used, on=["file_id", "row_number"], how="left")
    reasons = outcome["reason_code"].astype(object)
    outcome["reason_code"] = reasons.where(reasons.notna(), None)  # None, not NaN, for an accepted row
    return outcome.drop(columns=["file_id"])


def _text(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
