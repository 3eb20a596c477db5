"""Nothing lost (contract section 3), on the shipped sample landing area.

The pipeline's steps run without Airflow (as in the component tests) over every month of the sample, into a
fresh warehouse. Then, from the build database: every row of every file ends in exactly one of accepted,
superseded or quarantined, and in the one `include/sample_landing/EXPECTED_OUTCOMES.json` gives (reason codes
included); the unreadable and the unsupported file are listed in dq.rejected_files and kept; the landing area
is byte for byte what it was; and a second plan finds nothing new.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from smartcity.config import SAMPLE_LANDING
from smartcity.pipeline import plan_run
from tests.component.landing import query, snapshot

pytestmark = pytest.mark.e2e

MANIFEST = json.loads((SAMPLE_LANDING / "EXPECTED_OUTCOMES.json").read_text(encoding="utf-8"))
EXPECTED = {
    (path, row["row"]): (row["outcome"], row.get("reason_code"))
    for path, entry in MANIFEST["files"].items()
    for row in entry["rows"]
}
MONTHS = [f"2023-{m:02d}" for m in range(4, 13)] + [f"2024-{m:02d}" for m in range(1, 4)]

# Where each raw row ended: quarantined (with its reason), or validated and then superseded or not.
OUTCOMES = """
select f.landing_path, r.row_number,
       (select count(*) from validated.submissions v
        where v.file_id = r.file_id and v.row_number = r.row_number) as validated,
       (select count(*) from dq.quarantine q
        where q.file_id = r.file_id and q.row_number = r.row_number) as quarantined,
       (select min(q.reason_code) from dq.quarantine q
        where q.file_id = r.file_id and q.row_number = r.row_number) as reason_code,
       (select bool_or(c.is_superseded) from intermediate.int_submissions_current c
        where c.file_id = r.file_id and c.source_row_number = r.row_number) as is_superseded
from raw.submission_rows r
join raw.received_files f using (file_id)
"""


@pytest.fixture(scope="module")
def processed(sample_run):
    """The shared run of the sample through the Airflow DAG (tests/e2e/conftest.py)."""
    settings = sample_run.settings
    months = [
        m
        for (m,) in query(
            settings.pipeline_db, "select strftime(month, '%Y-%m') from pipeline.processed_months order by 1"
        )
    ]
    rows = query(settings.pipeline_db, OUTCOMES)
    return {"settings": settings, "months": months, "landing_before": sample_run.landing_before, "rows": rows}


def _outcome(validated: int, quarantined: int, reason: str | None, superseded: bool | None):
    if quarantined:
        return ("quarantined", reason)
    if validated:
        return ("superseded" if superseded else "accepted", None)
    return ("lost", None)


def test_the_run_covers_every_month_of_the_sample(processed):
    assert processed["months"] == MONTHS


def test_every_file_is_received_once(processed):
    received = query(processed["settings"].pipeline_db, "select landing_path from raw.received_files")
    paths = [path for (path,) in received]
    assert len(paths) == len(set(paths))
    assert sorted(paths) == sorted(MANIFEST["files"])


def test_every_row_is_in_exactly_one_place(processed):
    misplaced = [
        (path, row, validated, quarantined)
        for path, row, validated, quarantined, _, _ in processed["rows"]
        if validated + quarantined != 1
    ]
    assert misplaced == []
    db = processed["settings"].pipeline_db
    orphans = query(
        db,
        """
        select (select count(*) from validated.submissions anti join raw.submission_rows
                using (file_id, row_number)),
               (select count(*) from dq.quarantine anti join raw.submission_rows using (file_id, row_number))
        """,
    )
    assert orphans == [(0, 0)]
    current, validated = query(
        db,
        "select (select count(*) from intermediate.int_submissions_current), "
        "(select count(*) from validated.submissions)",
    )[0]
    assert current == validated


def _counts_by_file(processed) -> dict[str, Counter]:
    found: dict[str, Counter] = {}
    for path, _, validated, quarantined, reason, superseded in processed["rows"]:
        found.setdefault(path, Counter())[_outcome(validated, quarantined, reason, superseded)[0]] += 1
    return found


def test_rows_received_equal_accepted_plus_superseded_plus_quarantined_in_every_file(processed):
    received = dict(
        query(processed["settings"].pipeline_db, "select landing_path, rows_read from raw.received_files")
    )
    found = _counts_by_file(processed)
    unbalanced = []
    for path, entry in MANIFEST["files"].items():
        counts = found.get(path, Counter())
        total = counts["accepted"] + counts["superseded"] + counts["quarantined"]
        if not (received[path] or 0) == total == len(entry["rows"]) or counts["lost"]:
            unbalanced.append(f"{path}: read {received[path]}, manifest {len(entry['rows'])}, found {counts}")
    assert unbalanced == [], "\n".join(unbalanced)


def test_every_file_has_the_expected_number_of_rows_of_each_outcome(processed):
    found = _counts_by_file(processed)
    wrong = []
    for path, entry in MANIFEST["files"].items():
        expected = Counter(row["outcome"] for row in entry["rows"])
        if found.get(path, Counter()) != expected:
            wrong.append(f"{path}: expected {dict(expected)}, pipeline {dict(found.get(path, Counter()))}")
    assert wrong == [], "\n".join(wrong)


def test_each_row_has_its_expected_outcome(processed):
    found = {
        (path, row): _outcome(validated, quarantined, reason, superseded)
        for path, row, validated, quarantined, reason, superseded in processed["rows"]
    }
    assert set(found) == set(EXPECTED)
    wrong = [
        f"{path} row {row}: expected {EXPECTED[(path, row)]}, pipeline {found[(path, row)]}"
        for path, row in sorted(EXPECTED)
        if found[(path, row)] != EXPECTED[(path, row)]
    ]
    assert wrong == [], "\n".join(wrong)


def test_quarantined_rows_keep_their_evidence(processed):
    rows = query(
        processed["settings"].pipeline_db, "select reason_code, detail, raw_record from dq.quarantine"
    )
    assert rows and all(detail and json.loads(raw) for _, detail, raw in rows)
    assert {code for code, _, _ in rows} == set(MANIFEST["totals"]["quarantined_by_reason"])


def test_unreadable_and_unsupported_files_are_rejected_and_kept(processed):
    rejected = query(
        processed["settings"].pipeline_db, "select source_file, reason, stored_path from dq.rejected_files"
    )
    assert sorted(path for path, _, _ in rejected) == sorted(MANIFEST["rejected_files"])
    suffixes = {Path(path).suffix for path, _, _ in rejected}
    assert suffixes == {".xlsx", ".pdf"}
    for path, reason, stored in rejected:
        assert reason, path
        assert Path(stored).read_bytes() == (SAMPLE_LANDING / path).read_bytes(), path


def test_every_received_file_is_kept_as_received(processed):
    received = query(
        processed["settings"].pipeline_db, "select landing_path, sha256, stored_path from raw.received_files"
    )
    for path, sha256, stored in received:
        assert hashlib.sha256(Path(stored).read_bytes()).hexdigest() == sha256, path
        assert hashlib.sha256((SAMPLE_LANDING / path).read_bytes()).hexdigest() == sha256, path


def test_the_landing_area_is_unchanged(processed):
    assert snapshot(SAMPLE_LANDING) == processed["landing_before"]


def test_a_second_plan_finds_nothing_new(processed):
    again = plan_run(processed["settings"], "accounting-2")
    assert again.months == []
    assert not again.has_work
