"""The dbt exposures say what each consumer reads: the monthly report's is checked against the tables its code
queries, so lineage in dbt docs (and `dbt ls --select +exposure:monthly_report`) stays true."""

from __future__ import annotations

import re

import yaml

from smartcity.config import DBT_PROJECT_DIR, REPO_ROOT

READS = re.compile(r"\b(?:from|join)\s+(marts|dq|bi|history)\.([a-z_]+)\b", re.IGNORECASE)


def _model(schema: str, table: str) -> str:
    # bi models are named bi_<table> and published as bi.<table> (an alias); the others by their table name.
    return f"bi_{table}" if schema == "bi" else table


def _exposure(name: str) -> set[str]:
    document = yaml.safe_load((DBT_PROJECT_DIR / "models" / "exposures.yml").read_text(encoding="utf-8"))
    (exposure,) = [e for e in document["exposures"] if e["name"] == name]
    return {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in exposure["depends_on"]}


def test_the_monthly_report_exposure_lists_exactly_what_the_report_reads():
    code = "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted((REPO_ROOT / "include" / "smartcity" / "reporting").rglob("*.py"))
    )
    read = {_model(schema.lower(), table) for schema, table in READS.findall(code)}
    assert read, "the report reads the warehouse"
    assert _exposure("monthly_report") == read


def test_the_run_summary_exposure_lists_what_smartcity_run_prints_from():
    code = (REPO_ROOT / "include" / "smartcity" / "summary.py").read_text(encoding="utf-8")
    read = {_model(schema.lower(), table) for schema, table in READS.findall(code)}
    assert _exposure("run_summary") == read
