"""The one place where the SMARTCITY_* settings are read, validated and given their defaults.

Every other module receives a `Settings` object; nothing else reads the environment.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from smartcity.errors import PermanentError
from smartcity.index.pillars import PILLARS as INDEX_PILLARS

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_LANDING = REPO_ROOT / "include" / "sample_landing"
DEFAULT_WAREHOUSE = REPO_ROOT / "data" / "warehouse.duckdb"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
# DuckDB's memory for the pipeline's own connections and dbt's (profiles.yml): by default DuckDB takes up to
# 80 % of the machine, and a national backfill would hold gigabytes of cache it does not need. Past this limit
# DuckDB spills to a temporary folder beside the database. With Python's share on top, a run stays within
# 2 GiB (make bench measures it).
DUCKDB_MEMORY_LIMIT = "1GB"

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WHOLE_NUMBER = re.compile(r"^(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?:_[0-9]{3})+)$")

# Caps on one received file (docs/data-contract.md, "Limits"). A national month is ~78,500 rows: about 12 MB
# as CSV and 29 MB as JSON (the sample's 157 and 364 bytes a row). 200,000 rows leave room for 2.5 times that
# in one file, and 100 MB holds them in any format (JSON: ~75 MB). A file is read in memory, so these caps
# are what bound the memory a hostile file can take.
DEFAULT_MAX_FILE_MB = 100
DEFAULT_MAX_ROWS_PER_FILE = 200_000
MAX_FILE_MB_RANGE = (1, 1024)
MAX_ROWS_PER_FILE_RANGE = (1, 1_000_000)
# Index weights are relative; a million to one already means "only this pillar". Bounding them keeps their
# sum finite (1e308 + 1e308 is infinity) and every weight a real number by the time dbt divides by the sum.
MAX_INDEX_WEIGHT = 1_000_000
_YES = ("1", "true", "yes", "on")
_NO = ("", "0", "false", "no", "off")


class ConfigError(PermanentError, ValueError):
    """A setting a user gave is wrong; the message names the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    landing: str
    warehouse: Path
    month: date | None
    index_weights: dict[str, float] | None
    max_file_mb: int = DEFAULT_MAX_FILE_MB
    max_rows_per_file: int = DEFAULT_MAX_ROWS_PER_FILE
    # SMARTCITY_REPLACE_WAREHOUSE: publish over a warehouse whose history the state does not hold (a lost or
    # new state folder), starting a new history. Off by default: the published history is not thrown away.
    replace_warehouse: bool = False

    @property
    def state_dir(self) -> Path:
        """The pipeline's own state, derived from the warehouse path so two warehouses never share it."""
        return self.warehouse.with_name(self.warehouse.name + ".state")

    @property
    def pipeline_db(self) -> Path:
        """The build database: raw tables, validation results and dbt models. Never opened by BI tools."""
        return self.state_dir / "build.duckdb"

    @property
    def received_dir(self) -> Path:
        """Write-once copies of every file received, named by checksum."""
        return self.state_dir / "received"

    @property
    def reports_dir(self) -> Path:
        return self.state_dir / "reports"

    def as_env(self) -> dict[str, str]:
        """The settings as environment variables, to hand them to a child process (Airflow, dbt)."""
        env = {
            "SMARTCITY_LANDING": self.landing,
            "SMARTCITY_WAREHOUSE": str(self.warehouse),
            "SMARTCITY_MAX_FILE_MB": str(self.max_file_mb),
            "SMARTCITY_MAX_ROWS_PER_FILE": str(self.max_rows_per_file),
        }
        if self.month is not None:
            env["SMARTCITY_MONTH"] = self.month.strftime("%Y-%m")
        if self.index_weights is not None:
            env["SMARTCITY_INDEX_WEIGHTS"] = json.dumps(self.index_weights)
        if self.replace_warehouse:
            env["SMARTCITY_REPLACE_WAREHOUSE"] = "yes"
        return env


def parse_month_setting(value: str, variable: str = "SMARTCITY_MONTH", latest: date | None = None) -> date:
    """A month written YYYY-MM (CE), not after `latest` (the current month when not given)."""
    match = _MONTH.match(value.strip())
    if match and int(match.group(1)) >= 2400:
        raise ConfigError(
            f"{variable}={value!r} has a Buddhist-Era year: write the month as YYYY-MM in the CE calendar, "
            f"{int(match.group(1)) - 543}-{match.group(2)}"
        )
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1990 <= int(match.group(1)) <= 2100:
        raise ConfigError(
            f"{variable}={value!r} is not a month: write it as YYYY-MM in the CE calendar, e.g. 2024-03"
        )
    month = date(int(match.group(1)), int(match.group(2)), 1)
    latest = latest or current_month()
    if month > latest:
        raise ConfigError(
            f"{variable}={value!r} is a month that has not begun yet (it is now {latest:%Y-%m}); give a "
            "month up to the current one"
        )
    return month


def current_month() -> date:
    """The month now in Bangkok, where every submitter's calendar is."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Bangkok")).date().replace(day=1)


def parse_index_weights(value: str) -> dict[str, float]:
    try:
        weights = json.loads(value, parse_constant=_not_a_number)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"SMARTCITY_INDEX_WEIGHTS is not valid JSON ({error.msg}); example: '{{\"progress\": 1}}'"
        ) from None
    if not isinstance(weights, dict) or not weights:
        raise ConfigError(
            "SMARTCITY_INDEX_WEIGHTS must be a JSON object of pillar weights, e.g. '{\"progress\": 1}'"
        )
    unknown = sorted(set(weights) - set(INDEX_PILLARS))
    if unknown:
        raise ConfigError(
            f"SMARTCITY_INDEX_WEIGHTS names unknown pillars {unknown}; the pillars are {list(INDEX_PILLARS)}"
        )
    parsed: dict[str, float] = {}
    for pillar, weight in weights.items():
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
            or not 0 <= weight <= MAX_INDEX_WEIGHT
        ):
            raise ConfigError(
                f"SMARTCITY_INDEX_WEIGHTS: the weight of {pillar!r} must be a number from 0 to "
                f'{MAX_INDEX_WEIGHT:,}, not {weight!r} (weights are relative: {{"progress": 2, '
                f'"coverage": 1}} gives progress twice coverage\'s weight)'
            )
        parsed[pillar] = float(weight)
    if sum(parsed.values()) <= 0:
        raise ConfigError("SMARTCITY_INDEX_WEIGHTS: at least one pillar needs a weight above 0")
    # Pillars not named get weight 0 (contract section 1).
    return {pillar: parsed.get(pillar, 0.0) for pillar in INDEX_PILLARS}


def _not_a_number(constant: str) -> float:
    raise ConfigError(
        f"SMARTCITY_INDEX_WEIGHTS: {constant} is not a weight; give each pillar a finite number >= 0"
    )


def parse_flag(value: str, variable: str) -> bool:
    text = value.strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ConfigError(f"{variable}={value!r} must be yes or no (1/0, true/false)")


def parse_cap(value: str, variable: str, bounds: tuple[int, int], default: int, unit: str) -> int:
    """A cap on a file: a whole number within `bounds` (`200000`, `200,000`, `200_000`); blank = default."""
    text = value.strip()
    if not text:
        return default
    low, high = bounds
    number = int(re.sub("[,_]", "", text)) if _WHOLE_NUMBER.match(text) else None
    if number is None or not low <= number <= high:
        raise ConfigError(
            f"{variable}={value!r} must be a whole number of {unit} from {low:,} to {high:,}; "
            f"the default is {default}"
        )
    return number


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    landing = (env.get("SMARTCITY_LANDING") or "").strip() or str(SAMPLE_LANDING)
    warehouse_value = (env.get("SMARTCITY_WAREHOUSE") or "").strip()
    warehouse = Path(warehouse_value).expanduser() if warehouse_value else DEFAULT_WAREHOUSE
    if warehouse.suffix == "" or warehouse.is_dir():
        raise ConfigError(
            f"SMARTCITY_WAREHOUSE={warehouse_value!r} must be the path of a DuckDB file, "
            "e.g. data/warehouse.duckdb"
        )
    month_value = (env.get("SMARTCITY_MONTH") or "").strip()
    weights_value = (env.get("SMARTCITY_INDEX_WEIGHTS") or "").strip()
    return Settings(
        landing=landing,
        warehouse=warehouse.resolve(),
        month=parse_month_setting(month_value) if month_value else None,
        index_weights=parse_index_weights(weights_value) if weights_value else None,
        max_file_mb=parse_cap(
            env.get("SMARTCITY_MAX_FILE_MB") or "",
            "SMARTCITY_MAX_FILE_MB",
            MAX_FILE_MB_RANGE,
            DEFAULT_MAX_FILE_MB,
            "megabytes (1 MB = 1,048,576 bytes)",
        ),
        max_rows_per_file=parse_cap(
            env.get("SMARTCITY_MAX_ROWS_PER_FILE") or "",
            "SMARTCITY_MAX_ROWS_PER_FILE",
            MAX_ROWS_PER_FILE_RANGE,
            DEFAULT_MAX_ROWS_PER_FILE,
            "data rows",
        ),
        replace_warehouse=parse_flag(
            env.get("SMARTCITY_REPLACE_WAREHOUSE") or "", "SMARTCITY_REPLACE_WAREHOUSE"
        ),
    )
