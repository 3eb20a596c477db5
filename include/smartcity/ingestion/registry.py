"""The registry of cities, projects and plan assessments: read, normalised, checked, loaded.

The registry is reference data every figure depends on, so a broken registry stops the run
(before anything is published) with a message listing each fault by file, row and column.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from smartcity import contract
from smartcity.errors import PermanentError
from smartcity.ingestion.pull import sha256_of
from smartcity.ingestion.sources import REGISTRY_FILES, LandingArea, LandingFile
from smartcity.normalize import normalize_code
from smartcity.parsing import ParseError, clean_text, parse_date, parse_decimal, parse_month
from smartcity.readers import UnreadableFile, read_registry_csv

log = logging.getLogger(__name__)

CODE = re.compile(r"^[A-Z0-9_-]{2,40}$")
PROVINCE = re.compile(r"^TH-\d{2}$")
# A contact e-mail address, loosely: one @, no spaces, a dot in the domain (the alert only shows it).
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
DIMENSIONS = contract.DIMENSION_CODES
OPERATOR_TYPES = contract.OPERATOR_TYPES
CITY_STATUSES = contract.CITY_STATUSES
MAX_LISTED_FAULTS = 25
MAX_AMOUNT_THB = contract.MAX_AMOUNT_THB  # budgets, as a submission's spend
REQUIRED_COLUMNS = {
    "cities.csv": ("city_code", "province_code", "peer_group", "status", "status_since"),
    "projects.csv": (
        "project_code",
        "city_code",
        "dimension_code",
        "budget_thb",
        "planned_start",
        "planned_end",
    ),
    "plan_assessments.csv": ("city_code", "component", "score"),
}


class RegistryError(PermanentError):
    """The registry cannot be used; `faults` name each problem and where it is."""

    def __init__(self, faults: list[str]) -> None:
        self.faults = faults
        shown = "\n  - ".join(faults[:MAX_LISTED_FAULTS])
        more = f"\n  (and {len(faults) - MAX_LISTED_FAULTS} more)" if len(faults) > MAX_LISTED_FAULTS else ""
        super().__init__(f"the registry is broken, nothing was published:\n  - {shown}{more}")


@dataclass
class _Sheet:
    """One registry file being normalised; collects faults instead of stopping at the first."""

    name: str
    faults: list[str] = field(default_factory=list)

    def value(
        self, row: dict, row_number: int, column: str, parse: Callable[[Any], Any], required: bool = True
    ):
        text = clean_text(row.get(column))
        if text is None:
            if required:
                self.faults.append(f"{self.name} row {row_number}: '{column}' is empty; it is required")
            return None
        try:
            return parse(text)
        except ParseError as error:
            self.faults.append(f"{self.name} row {row_number}, column '{column}': {error}")
            return None

    def check(self, condition: bool, row_number: int, message: str) -> None:
        if not condition:
            self.faults.append(f"{self.name} row {row_number}: {message}")


def _check_unique(sheet: _Sheet, frame: pd.DataFrame, column: str) -> None:
    repeated = frame[column].notna() & frame[column].duplicated(keep="first")
    for index in frame.index[repeated]:
        sheet.check(False, int(index) + 1, f"{column} {frame[column][index]!r} appears more than once")


def _one_of(allowed: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in allowed:
            raise ParseError(f"{text!r} is not one of {', '.join(allowed)}")
        return value

    return parse


def _code(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = normalize_code(text) or ""
        if not pattern.match(value):
            raise ParseError(f"{text!r} is not a valid {what}")
        return value

    return parse


def _email(text: str) -> str:
    value = text.strip()
    if len(value) > 254 or not EMAIL.match(value):
        raise ParseError(f"{text!r} is not an e-mail address (name@domain)")
    return value


def _read(landing_file: LandingFile | None, name: str, required: bool) -> list[dict]:
    if landing_file is None:
        if required:
            raise RegistryError([f"registry/{name} is missing from the landing area"])
        return []
    try:
        rows = read_registry_csv(landing_file.local_path)
    except UnreadableFile as error:
        raise RegistryError([f"registry/{name}: {error.reason}"]) from None
    header = set(rows[0]) if rows else set()
    missing = [column for column in REQUIRED_COLUMNS[name] if rows and column not in header]
    if missing:
        # Once for the file, not once per row: the header is what lacks them.
        raise RegistryError(
            [
                f"registry/{name} has no column {', '.join(repr(c) for c in missing)} (its header names "
                f"{', '.join(sorted(header)) or 'nothing'}); add the column"
            ]
        )
    return rows


def normalise_cities(rows: list[dict]) -> tuple[pd.DataFrame, list[str]]:
    sheet = _Sheet("registry/cities.csv")
    records = []
    for number, row in enumerate(rows, start=1):
        records.append(
            {
                "city_code": sheet.value(
                    row, number, "city_code", _code(CODE, "city code ([A-Z0-9_-]{2,40})")
                ),
                "name_th": clean_text(row.get("name_th")),
                "name_en": clean_text(row.get("name_en")),
                "province_code": sheet.value(
                    row, number, "province_code", _code(PROVINCE, "province code (TH-nn)")
                ),
                "operator_name": clean_text(row.get("operator_name")),
                "operator_type": sheet.value(
                    row, number, "operator_type", _one_of(OPERATOR_TYPES), required=False
                ),
                "city_type": sheet.value(
                    row, number, "city_type", _one_of(("livable", "new")), required=False
                ),
                "peer_group": sheet.value(row, number, "peer_group", _one_of(("city", "province"))),
                "status": sheet.value(row, number, "status", _one_of(CITY_STATUSES)),
                "status_since": sheet.value(row, number, "status_since", parse_date),
                # Optional: whom the deadline watch names when the city has not reported.
                "contact_name": clean_text(row.get("contact_name")),
                "contact_email": sheet.value(row, number, "contact_email", _email, required=False),
            }
        )
    frame = pd.DataFrame(records, columns=[*_CITY_TYPES, "contact_name", "contact_email"])
    _check_unique(sheet, frame, "city_code")
    return frame, sheet.faults


def normalise_projects(rows: list[dict], city_codes: set[str]) -> tuple[pd.DataFrame, list[str]]:
    sheet = _Sheet("registry/projects.csv")
    records = []
    for number, row in enumerate(rows, start=1):
        record = {
            "project_code": sheet.value(row, number, "project_code", _code(CODE, "project code")),
            "city_code": sheet.value(row, number, "city_code", normalize_code),
            "dimension_code": sheet.value(
                row,
                number,
                "dimension_code",
                _code(re.compile("^(ENV|ENE|MOB|ECO|LIV|PEO|GOV)$"), "dimension code"),
            ),
            "name_th": clean_text(row.get("name_th")),
            "name_en": clean_text(row.get("name_en")),
            "budget_thb": sheet.value(row, number, "budget_thb", parse_decimal),
            "planned_start": sheet.value(row, number, "planned_start", parse_month),
            "planned_end": sheet.value(row, number, "planned_end", parse_month),
            "funding_source": sheet.value(
                row, number, "funding_source", _one_of(("public", "private", "ppp")), required=False
            ),
        }
        if record["city_code"] is not None:
            sheet.check(
                record["city_code"] in city_codes,
                number,
                f"city_code {record['city_code']!r} is not in cities.csv",
            )
        if record["budget_thb"] is not None:
            sheet.check(record["budget_thb"] >= 0, number, "budget_thb must be >= 0")
            sheet.check(record["budget_thb"] < MAX_AMOUNT_THB, number, "budget_thb must be below 10^15 baht")
            record["budget_thb"] = round(record["budget_thb"], 2)
        if record["planned_start"] and record["planned_end"]:
            sheet.check(
                record["planned_start"] <= record["planned_end"], number, "planned_start is after planned_end"
            )
        records.append(record)
    frame = pd.DataFrame(records, columns=list(_PROJECT_TYPES))
    _check_unique(sheet, frame, "project_code")
    return frame, sheet.faults


def normalise_plan_assessments(rows: list[dict], city_codes: set[str]) -> tuple[pd.DataFrame, list[str]]:
    sheet = _Sheet("registry/plan_assessments.csv")
    records = []
    for number, row in enumerate(rows, start=1):
        record = {
            "city_code": sheet.value(row, number, "city_code", normalize_code),
            "component": sheet.value(row, number, "component", parse_decimal),
            "score": sheet.value(row, number, "score", parse_decimal),
            "assessed_on": sheet.value(row, number, "assessed_on", parse_date, required=False),
        }
        if record["city_code"] is not None:
            sheet.check(
                record["city_code"] in city_codes,
                number,
                f"city_code {record['city_code']!r} is not in cities.csv",
            )
        if record["component"] is not None:
            sheet.check(record["component"] in range(1, 6), number, "component must be 1 to 5")
            record["component"] = int(record["component"])
        if record["score"] is not None:
            sheet.check(0 <= record["score"] <= 100, number, "score must be within 0-100")
            record["score"] = float(record["score"])
        records.append(record)
    return pd.DataFrame(records, columns=list(_ASSESSMENT_TYPES)), sheet.faults


_CITY_TYPES = {
    "city_code": "varchar",
    "name_th": "varchar",
    "name_en": "varchar",
    "province_code": "varchar",
    "operator_name": "varchar",
    "operator_type": "varchar",
    "city_type": "varchar",
    "peer_group": "varchar",
    "status": "varchar",
    "status_since": "date",
}
# Contacts are kept apart from registry.cities, which dbt snapshots into the published history: a person's
# name and address reach the deadline watch's alert, not every BI user.
_CONTACT_TYPES = {"city_code": "varchar", "contact_name": "varchar", "contact_email": "varchar"}
_PROJECT_TYPES = {
    "project_code": "varchar",
    "city_code": "varchar",
    "dimension_code": "varchar",
    "name_th": "varchar",
    "name_en": "varchar",
    "budget_thb": "decimal(18, 2)",
    "planned_start": "date",
    "planned_end": "date",
    "funding_source": "varchar",
}
_ASSESSMENT_TYPES = {"city_code": "varchar", "component": "integer", "score": "double", "assessed_on": "date"}


def _replace_table(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, types: dict[str, str]
) -> None:
    columns = ", ".join(f"cast({name} as {sql_type}) as {name}" for name, sql_type in types.items())
    con.register("registry_frame", frame)
    con.execute(f"create or replace table {table} as select {columns} from registry_frame")  # noqa: S608 (fixed names)
    con.unregister("registry_frame")


def _remember_removed(
    con: duckdb.DuckDBPyConnection, table: str, key: str, kept: pd.DataFrame, removed_from: date | None
) -> None:
    """Keep the last registry row of every city or project that left the registry (table `removed_<table>`,
    with the month it left from), before the current registry replaces the old one; forget it when it comes
    back. What was published about it stays as it was; its rows from `removed_from` on are quarantined."""
    removed = f"registry.removed_{table}"
    current = f"registry.{table}"
    ((exists,),) = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'registry' and table_name = ?", [table]
    ).fetchall()
    if not exists:
        return
    # Fixed names only (noqa S608 below): the table and key come from this module, never from input.
    con.execute(
        f"create table if not exists {removed} as select *, cast(null as date) as removed_from "  # noqa: S608
        f"from {current} where false"
    )
    columns = (
        "select column_name, data_type from duckdb_columns() "
        "where schema_name = 'registry' and table_name = ?"
    )
    have = {name for name, _ in con.execute(columns, [f"removed_{table}"]).fetchall()}
    for name, sql_type in con.execute(columns, [table]).fetchall():
        if name not in have:  # a column the registry gained since: the kept rows get it too
            con.execute(f'alter table {removed} add column "{name}" {sql_type}')
    con.register("kept_codes", kept[[key]].dropna())
    try:
        if removed_from is not None:
            con.execute(
                f"insert into {removed} by name "  # noqa: S608
                f"select *, ? as removed_from from {current} "
                f"where {key} not in (select {key} from kept_codes) "
                f"and {key} not in (select {key} from {removed})",
                [removed_from],
            ).fetchall()
        con.execute(
            f"delete from {removed} where {key} in (select {key} from kept_codes)"  # noqa: S608
        ).fetchall()
    finally:
        con.unregister("kept_codes")


def _ensure_removed_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The tables of cities and projects that left the registry exist from the first load (dbt reads them)."""
    for table in ("cities", "projects"):
        con.execute(
            f"create table if not exists registry.removed_{table} as "  # noqa: S608
            f"select *, cast(null as date) as removed_from from registry.{table} where false"
        )


# The pipeline's package: the registry's reading, parsers and ranges are spread over it (readers/, parsing/).
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


@cache
def _code_digest() -> str:
    """A checksum of the pipeline's Python code: a new release may read the same files differently."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE_DIR)).encode())
        digest.update(sha256_of(path).encode())
    return digest.hexdigest()


def registry_identity(files: dict[str, LandingFile | None]) -> str:
    """What the registry tables are made of: each registry file's checksum (or its absence) and the code."""
    digest = hashlib.sha256(_code_digest().encode())
    for name in REGISTRY_FILES:
        landing_file = files[name]
        digest.update(f"{name}:{sha256_of(landing_file.local_path) if landing_file else '-'}\n".encode())
    return digest.hexdigest()


def loaded_identity(con: duckdb.DuckDBPyConnection) -> str | None:
    """The identity of the registry tables as loaded (None before the first load)."""
    row = con.execute("select max(identity) from pipeline.registry_loaded").fetchone()
    return row[0] if row else None


def _loaded_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {
        table: con.execute(f"select count(*) from registry.{table}").fetchone()[0]  # noqa: S608 (fixed names)
        for table in ("cities", "projects", "plan_assessments")
    }


def load_registry(
    con: duckdb.DuckDBPyConnection, landing: LandingArea, removed_from: date | None = None
) -> dict[str, int]:
    """Read, check and load the registry; raise RegistryError listing every fault.

    A city or project that was in the registry before and is not any more left the programme from
    `removed_from` (the first month not yet published; None before any publication, when there is nothing
    published to keep): its last registry row is kept aside so the months already published keep their
    figures, and its rows from then on are quarantined as unknown.

    The same files read by the same code give the same tables, and nobody left the registry since (the kept
    rows follow the files alone): then the tables stay as they are and nothing is read (registry_identity;
    at national scale the reading is most of a month's pull).
    """
    # Each file fetched once: the checksums and the rows come from the same bytes, even from a remote landing
    # area whose files change between two requests.
    files = {name: landing.registry_file(name) for name in REGISTRY_FILES}
    identity = registry_identity(files)
    if loaded_identity(con) == identity:
        counts = _loaded_counts(con)
        log.info(
            "registry unchanged since it was loaded (same files, same code): %(cities)d cities, "
            "%(projects)d projects, %(plan_assessments)d plan assessments",
            counts,
        )
        _warn_left(con)
        return counts
    cities, faults = normalise_cities(_read(files["cities.csv"], "cities.csv", required=True))
    city_codes = set(cities["city_code"].dropna())
    projects, project_faults = normalise_projects(
        _read(files["projects.csv"], "projects.csv", required=True), city_codes
    )
    assessments, assessment_faults = normalise_plan_assessments(
        _read(files["plan_assessments.csv"], "plan_assessments.csv", required=False), city_codes
    )
    faults += project_faults + assessment_faults
    if faults:
        raise RegistryError(faults)
    con.begin()
    _remember_removed(con, "cities", "city_code", cities, removed_from)
    _remember_removed(con, "projects", "project_code", projects, removed_from)
    _replace_table(con, "registry.cities", cities, _CITY_TYPES)
    contacts = cities[cities["contact_name"].notna() | cities["contact_email"].notna()]
    _replace_table(con, "registry.city_contacts", contacts, _CONTACT_TYPES)
    _replace_table(con, "registry.projects", projects, _PROJECT_TYPES)
    _replace_table(con, "registry.plan_assessments", assessments, _ASSESSMENT_TYPES)
    _ensure_removed_tables(con)
    con.execute("delete from pipeline.registry_loaded")
    con.execute("insert into pipeline.registry_loaded values (?, ?)", [identity, datetime.now(UTC)])
    con.commit()
    counts = {"cities": len(cities), "projects": len(projects), "plan_assessments": len(assessments)}
    log.info(
        "registry loaded: %(cities)d cities, %(projects)d projects, %(plan_assessments)d plan assessments",
        counts,
    )
    _warn_left(con)
    return counts


def _warn_left(con: duckdb.DuckDBPyConnection) -> None:
    """Every run says which cities have left the registry, loaded again or not."""
    left = con.execute("select list(city_code order by city_code) from registry.removed_cities").fetchone()[0]
    if left:
        log.warning(
            "registry: %d cit%s left the registry (%s): the months already published keep their figures, "
            "and their rows from the month each left are quarantined as UNKNOWN_CITY",
            len(left),
            "y" if len(left) == 1 else "ies",
            ", ".join(left),
        )
