"""`make run` on the shipped sample landing area reproduces the programme's March 2024 headline
(Post Today, 23 April 2024) through the real Airflow DAG, although the sample carries every format variant,
late rows, corrections, bad rows and two files the pipeline must reject (see its EXPECTED_OUTCOMES.json)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
import pytest

from smartcity.config import SAMPLE_LANDING

pytestmark = pytest.mark.e2e
TOTALS = json.loads((SAMPLE_LANDING / "EXPECTED_OUTCOMES.json").read_text(encoding="utf-8"))["totals"]


@pytest.fixture(scope="module")
def sample(sample_run):
    return sample_run.stdout, sample_run.warehouse


def test_the_summary_prints_the_reported_headline(sample):
    stdout, warehouse = sample
    assert "Smart City programme, 2024-03" in stdout
    assert "certified cities          : 30" in stdout
    assert "overall progress          : 27.57 %" in stdout
    assert "investment value          : 6,842.97 million baht" in stdout
    assert "1. Mae Moh Livable City (MAE_MOH): 96.67 %" in stdout
    assert f"warehouse                 : {warehouse}" in stdout
    assert "main obstacles            : BUDGET (" in stdout
    assert stdout.index("BUDGET (") < stdout.index("> POLICY (") < stdout.index("> PERSONNEL (")


def test_the_summary_counts_the_rows_and_files_of_the_sample(sample):
    """The sample is not clean: its bad rows are quarantined and its two broken files rejected, the numbers
    being those of EXPECTED_OUTCOMES.json (accepted rows in the summary include superseded ones)."""
    stdout, _ = sample
    assert TOTALS["quarantined"] > 0 and TOTALS["files_rejected"] == 2
    assert f"rows accepted             : {TOTALS['accepted'] + TOTALS['superseded']:,}   (this run" in stdout
    assert f"rows quarantined          : {TOTALS['quarantined']:,}   (this run" in stdout
    assert f"files rejected            : {TOTALS['files_rejected']:,}   (this run" in stdout


def test_the_published_marts_hold_the_headline(sample):
    _, warehouse = sample
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        progress, investment, cities = con.execute(
            "select progress_pct, investment_value_thb, certified_cities from marts.program_summary_monthly "
            "where month = date '2024-03-01'"
        ).fetchone()
        top = con.execute(
            "select city_code, round(progress_pct, 2), rank_progress from marts.city_progress_monthly "
            "where month = date '2024-03-01' order by rank_progress limit 4"
        ).fetchall()
        months = con.execute("select count(*) from marts.program_summary_monthly").fetchone()[0]
    finally:
        con.close()
    assert round(progress, 2) == 27.57
    assert investment == Decimal("6842970000.00")
    assert cities == 30
    assert top[:3] == [("MAE_MOH", 96.67, 1), ("KHLONG_PHADUNG", 89.38, 2), ("SAMYAN", 85.03, 3)]
    assert top[3][1] < 85.03
    assert months == 12


def test_make_run_ends_with_the_full_paths_of_the_report_data_docs_and_dbt_docs(sample):
    stdout, warehouse = sample
    state = warehouse.with_name(warehouse.name + ".state")
    expected = {
        "monthly report": state / "reports" / "monthly" / "2024-03" / "report.html",
        "Data Docs": state / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html",
        "dbt docs": state / "reports" / "dbt-docs" / "index.html",
    }
    for name, path in expected.items():
        assert f"  {name:<26}: {path}\n" in stdout, name
        assert path.is_file()
    # Progress lines that carry a Data Docs address are never cut (they were at 220 characters): each address
    # opens an existing page.
    pages = re.findall(r"Data Docs: (file://\S+)", stdout)
    assert pages
    for page in pages:
        assert Path(unquote(urlparse(page).path)).is_file(), page
