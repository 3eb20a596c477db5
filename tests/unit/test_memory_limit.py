"""DuckDB's memory is bounded on every connection the pipeline writes through (its own and dbt's): by default
DuckDB would take up to 80 % of the machine for its cache during a national backfill."""

from __future__ import annotations

from pathlib import Path

import duckdb
import yaml

from smartcity.config import DBT_PROJECT_DIR, DUCKDB_MEMORY_LIMIT
from smartcity.state import connect, open_database


def _as_duckdb_shows(limit: str) -> str:
    with duckdb.connect(config={"memory_limit": limit}) as con:
        return con.execute("select current_setting('memory_limit')").fetchone()[0]


def test_the_pipeline_s_connections_have_the_memory_limit(tmp_path: Path):
    with duckdb.connect() as default:
        unbounded = default.execute("select current_setting('memory_limit')").fetchone()[0]
    assert _as_duckdb_shows(DUCKDB_MEMORY_LIMIT) != unbounded
    bounded = _as_duckdb_shows(DUCKDB_MEMORY_LIMIT)
    with connect(tmp_path / "build.duckdb") as con:  # the steps' connections
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == bounded
    with open_database(tmp_path / "published.duckdb") as con:  # publication's own (publish.py)
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == bounded


def test_dbt_s_connection_has_the_same_memory_limit():
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    output = profile["smartcity"]["outputs"][profile["smartcity"]["target"]]
    assert output["settings"]["memory_limit"] == DUCKDB_MEMORY_LIMIT
