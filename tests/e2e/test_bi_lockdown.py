"""A BI user cannot touch the server's files: the published sample warehouse opened exactly as the documented
BI connection opens it (Superset's bootstrap and the README: SQLAlchemy with duckdb-engine, `read_only`,
`enable_external_access = false`, `lock_configuration = true`). Every published table reads; reading a file
outside the warehouse, writing one, attaching a database, installing or loading an extension, and changing a
setting all fail with DuckDB's permission or lock error.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def bootstrap_connect_args() -> dict:
    """The connect_args Superset's bootstrap registers (deploy/superset/bootstrap.py imports Superset only
    inside main(), so the module loads here)."""
    spec = importlib.util.spec_from_file_location("superset_bootstrap", REPO / "deploy/superset/bootstrap.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.READ_ONLY_EXTRA["engine_params"]["connect_args"]


def test_the_readme_documents_the_same_connection_as_the_bootstrap():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    documented = re.search(r'`(\{"connect_args": \{"read_only": true.*?\}\}\})`', readme)
    assert documented, "README: no engine parameters for SQLAlchemy/Superset"
    assert json.loads(documented.group(1))["connect_args"] == bootstrap_connect_args()
    threat_model = (REPO / "docs/threat-model.md").read_text(encoding="utf-8")
    for setting in ("read_only", "enable_external_access = false", "lock_configuration = true"):
        assert setting in threat_model


@pytest.fixture(scope="module")
def bi(sample_run, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.csv").write_text("secret\nxyzzy\n", encoding="utf-8")
    engine = create_engine(
        f"duckdb:///{sample_run.warehouse}", connect_args=bootstrap_connect_args(), poolclass=NullPool
    )
    yield engine, outside
    engine.dispose()


def test_every_published_table_reads(bi):
    engine, _ = bi
    with engine.connect() as conn:
        tables = conn.execute(
            text("select schema_name, table_name from duckdb_tables() where not internal order by all")
        ).all()
        assert {schema for schema, _ in tables} >= {"marts", "dq", "history", "meta"}
        for schema, table in tables:
            rows = conn.execute(text(f'select * from "{schema}"."{table}"')).all()  # noqa: S608 (catalog names)
            assert rows or (schema, table) in {("dq", "rejected_files"), ("dq", "warnings")}, (schema, table)


@pytest.mark.parametrize(
    "statement, refusal",
    [
        ("select * from read_csv('{outside}/secret.csv')", "file system operations are disabled"),
        ("select * from read_text('{outside}/secret.csv')", "file system operations are disabled"),
        ("select * from read_text('/proc/self/environ')", "file system operations are disabled"),
        ("select * from glob('{outside}/*')", "file system operations are disabled"),
        ("copy (select 'x' as y) to '{outside}/written.csv'", "file system operations are disabled"),
        ("copy marts.dim_cities to '{outside}/written.parquet'", "file system operations are disabled"),
        ("attach '{outside}/other.duckdb' as other", "file system operations are disabled"),
        ("install httpfs", "file system operations are disabled"),
        ("load httpfs", "Loading external extensions is disabled"),
        ("load '{outside}/evil.duckdb_extension'", "Loading external extensions is disabled"),
        ("set enable_external_access = true", "the configuration has been locked"),
        ("reset lock_configuration", "the configuration has been locked"),
        ("set memory_limit = '100GB'", "the configuration has been locked"),
    ],
)
def test_no_file_outside_the_warehouse_can_be_touched(bi, statement, refusal):
    engine, outside = bi
    with engine.connect() as conn, pytest.raises(DBAPIError) as raised:
        conn.execute(text(statement.format(outside=outside)))
    assert refusal in str(raised.value.orig)
    assert sorted(p.name for p in outside.iterdir()) == ["secret.csv"]  # nothing written
