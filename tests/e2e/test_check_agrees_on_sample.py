"""`smartcity check` agrees with the pipeline row for row on every file of the shipped sample: each month's
files, checked together against the state of the shared sample run (tests/e2e/conftest.py), get exactly the
pipeline's reason code and detail for every quarantined row, its warnings (row warnings, and PROJECT_SILENT
for the cities in the files), its refused files with their reasons, and EXPECTED_OUTCOMES.json's outcome for
every row (accepted or superseded rows are accepted by the check)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from smartcity.config import SAMPLE_LANDING
from smartcity.validation.preflight import check_files
from tests.component.landing import query

pytestmark = pytest.mark.e2e

MANIFEST = json.loads((SAMPLE_LANDING / "EXPECTED_OUTCOMES.json").read_text(encoding="utf-8"))
MONTHS = [date(2023, m, 1) for m in range(4, 13)] + [date(2024, m, 1) for m in range(1, 4)]


@pytest.fixture(scope="module")
def checked(sample_run):
    settings = sample_run.settings
    results = {}
    for month in MONTHS:
        folder = SAMPLE_LANDING / "submissions" / f"{month:%Y-%m}"
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        results[month] = check_files(settings, files, month=month)
    return settings, results


def test_every_quarantined_row_gets_the_pipelines_reason_and_detail(checked):
    settings, results = checked
    pipeline = {
        (source, row): (reason, detail)
        for source, row, reason, detail in query(
            settings.pipeline_db, "select source_file, row_number, reason_code, detail from dq.quarantine"
        )
    }
    found = {
        (q.source_file, q.row_number): (q.reason_code, q.detail)
        for result in results.values()
        for q in result.quarantined
    }
    assert found == pipeline
    assert {reason for reason, _ in found.values()} == set(MANIFEST["totals"]["quarantined_by_reason"])


def test_every_warning_is_the_pipelines(checked):
    settings, results = checked
    for month, result in results.items():
        cities = {c for c in result.rows["city_code"].dropna()}
        pipeline = sorted(
            (
                (source, row, city, project, code, detail)
                for source, row, city, project, code, detail in query(
                    settings.pipeline_db,
                    "select source_file, row_number, city_code, project_code, warning_code, detail "
                    "from dq.warnings where month = ?",
                    [month],
                )
                if source is not None or city in cities
            ),
            key=str,
        )
        found = sorted(
            (
                (w.source_file, w.row_number, w.city_code, w.project_code, w.warning_code, w.detail)
                for w in result.warnings
            ),
            key=str,
        )
        assert found == pipeline, month
    codes = {w.warning_code for result in results.values() for w in result.warnings}
    every = {code for (code,) in query(settings.pipeline_db, "select distinct warning_code from dq.warnings")}
    assert codes == every  # every kind of warning the sample raises, the check raises too


def test_every_row_has_its_expected_outcome_and_refused_files_their_reason(checked):
    settings, results = checked
    expected = {
        (path, row["row"]): row.get("reason_code") if row["outcome"] == "quarantined" else None
        for path, entry in MANIFEST["files"].items()
        for row in entry["rows"]
    }
    found = {
        (row.source_file, int(row.row_number)): row.reason_code
        for result in results.values()
        for row in result.rows.itertuples()
    }
    assert found == expected
    rejected = dict(query(settings.pipeline_db, "select source_file, reason from dq.rejected_files"))
    refused = {f.source_file: f.refused for result in results.values() for f in result.refused_files}
    assert refused == rejected and sorted(refused) == sorted(MANIFEST["rejected_files"])
