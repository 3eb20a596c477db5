"""The pull step on real files: exactly-once ingestion, write-once copies, rejected files and
registry faults."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from smartcity.ingestion.registry import RegistryError
from smartcity.pipeline import plan_run, run_pull
from tests.component.landing import (
    CITIES,
    HEADER,
    PROJECTS,
    make_landing,
    pull_counts,
    query,
    settings_for,
    snapshot,
)

CITY_A = (
    HEADER
    + "AAA,A1,2024-03,50,400000,in_progress,BUDGET,,2024-04-05T10:00:00+07:00\n"
    + "AAA,A2,2024-03,10,10000,in_progress,,,2024-04-05T10:00:00+07:00\n"
)
CITY_B = [{"city_code": "BBB", "project_code": "B1", "report_month": "มี.ค. 67", "progress_pct": "80%"}]
COUNT_ROWS = "select count(*) from raw.submission_rows"
COUNT_FILES = "select count(*) from raw.received_files"


def _landing(base: Path, extra: dict[str, str | bytes] | None = None) -> Path:
    files: dict[str, str | bytes] = {
        "city_a.csv": CITY_A,
        "city_b.json": json.dumps(CITY_B, ensure_ascii=False),
        **(extra or {}),
    }
    return make_landing(base / "landing", {"2024-03": files})


def _pull(settings, run_id: str) -> dict:
    return run_pull(settings, plan_run(settings, run_id))


def test_pulling_a_month_twice_ingests_nothing_the_second_time(tmp_path):
    settings = settings_for(_landing(tmp_path), tmp_path / "w.duckdb")
    first = _pull(settings, "run-1")
    assert first == pull_counts(2, 3, 0)
    rows = query(settings.pipeline_db, "select file_id, row_number from raw.submission_rows order by all")
    files = query(settings.pipeline_db, "select * from raw.received_files order by file_id")
    assert len(rows) == 3 and len(files) == 2

    second = _pull(settings, "run-2")
    assert second == pull_counts(0, 0, 0)
    assert (
        query(settings.pipeline_db, "select file_id, row_number from raw.submission_rows order by all")
        == rows
    )
    assert query(settings.pipeline_db, "select * from raw.received_files order by file_id") == files
    assert len(list(settings.received_dir.rglob("*"))) == 1 + 2  # the month folder and two copies


def test_a_file_changed_under_the_same_name_is_a_new_submission(tmp_path):
    landing = _landing(tmp_path)
    settings = settings_for(landing, tmp_path / "w.duckdb")
    _pull(settings, "run-1")
    target = landing / "submissions" / "2024-03" / "city_a.csv"
    old_bytes = target.read_bytes()
    new_bytes = old_bytes.replace(b"AAA,A2,2024-03,10,", b"AAA,A2,2024-03,15,")
    assert new_bytes != old_bytes
    target.write_bytes(new_bytes)

    assert _pull(settings, "run-2") == pull_counts(1, 2, 0)
    versions = query(
        settings.pipeline_db,
        "select file_id, stored_path, run_id from raw.received_files "
        "where landing_path = 'submissions/2024-03/city_a.csv' order by run_id",
    )
    assert [v[2] for v in versions] == ["run-1", "run-2"]
    assert versions[0][0] != versions[1][0]
    assert [Path(v[1]).read_bytes() for v in versions] == [old_bytes, new_bytes]
    per_file = query(
        settings.pipeline_db,
        "select f.run_id, count(*), max(r.progress_pct) from raw.submission_rows r "
        "join raw.received_files f using (file_id) where f.landing_path like '%city_a.csv' "
        "group by all order by 1",
    )
    assert per_file == [("run-1", 2, "50"), ("run-2", 2, "50")]
    assert query(
        settings.pipeline_db,
        "select r.progress_pct from raw.submission_rows r join raw.received_files f using (file_id) "
        "where f.run_id = 'run-2' and r.project_code = 'A2'",
    ) == [("15",)]


def test_received_copies_are_byte_identical_and_the_landing_area_is_untouched(tmp_path):
    landing = _landing(tmp_path, {"broken.xlsx": os.urandom(3000), "notes.txt": "please call me\n"})
    before = snapshot(landing)
    times = {p: p.stat().st_mtime_ns for p in landing.rglob("*")}
    settings = settings_for(landing, tmp_path / "w.duckdb")
    _pull(settings, "run-1")
    _pull(settings, "run-2")

    assert snapshot(landing) == before
    assert {p: p.stat().st_mtime_ns for p in landing.rglob("*")} == times
    stored = query(
        settings.pipeline_db, "select landing_path, stored_path, sha256, size_bytes from raw.received_files"
    )
    assert sorted(s[0] for s in stored) == sorted(k for k in before if k.startswith("submissions/"))
    for landing_path, stored_path, _sha256, size in stored:
        copy = Path(stored_path)
        assert copy.is_relative_to(settings.received_dir)
        assert copy.read_bytes() == before[landing_path]
        assert size == len(before[landing_path])
    assert not list(settings.state_dir.rglob("*.partial"))


def test_unreadable_and_unsupported_files_are_rejected_and_the_others_are_loaded(tmp_path):
    junk = os.urandom(4096)
    landing = _landing(tmp_path, {"broken.xlsx": junk, "notes.txt": "see attached\n"})
    settings = settings_for(landing, tmp_path / "w.duckdb")

    assert _pull(settings, "run-1") == pull_counts(4, 3, 2)
    rejected = dict(query(settings.pipeline_db, "select source_file, reason from audit.rejected_files"))
    assert set(rejected) == {"submissions/2024-03/broken.xlsx", "submissions/2024-03/notes.txt"}
    xlsx_reason = rejected["submissions/2024-03/broken.xlsx"]
    assert "XLSX" in xlsx_reason and ".csv" in xlsx_reason  # what is wrong and what to send instead
    txt_reason = rejected["submissions/2024-03/notes.txt"]
    assert ".txt" in txt_reason and ".csv" in txt_reason and ".json" in txt_reason
    for reason in rejected.values():
        assert "Traceback" not in reason and len(reason) < 300

    # The readable files' rows are all there; the rejected files are kept as received, with no rows.
    assert query(
        settings.pipeline_db,
        "select f.landing_path, count(r.row_number) from raw.received_files f "
        "left join raw.submission_rows r using (file_id) group by all order by 1",
    ) == [
        ("submissions/2024-03/broken.xlsx", 0),
        ("submissions/2024-03/city_a.csv", 2),
        ("submissions/2024-03/city_b.json", 1),
        ("submissions/2024-03/notes.txt", 0),
    ]
    stored = dict(query(settings.pipeline_db, "select source_file, stored_path from audit.rejected_files"))
    assert Path(stored["submissions/2024-03/broken.xlsx"]).read_bytes() == junk

    # Pulled again, a rejected file is not rejected a second time.
    assert _pull(settings, "run-2")["files_new"] == 0
    assert query(settings.pipeline_db, "select count(*) from audit.rejected_files") == [(2,)]


REGISTRY_CITIES = CITIES + (
    "CCC,เมืองซี,City C,Bangkok,Operator C,local_government,livable,city,certified,2021-05-01\n"
    "AAA,เมืองเอ,City A again,TH-11,Operator A,local_government,livable,city,certified,2021-05-01\n"
)
REGISTRY_PROJECTS = PROJECTS + (
    "Z1,ZZZ,ENV,z1,Z1,1000,2024-01,2024-06,public\nA3,AAA,ENV,a3,A3,1000,2024-06,2024-01,public\n"
)


def test_registry_faults_are_listed_together_by_file_row_and_column(tmp_path):
    landing = make_landing(
        tmp_path / "landing",
        {"2024-03": {"city_a.csv": CITY_A}},
        cities=REGISTRY_CITIES,
        projects=REGISTRY_PROJECTS,
    )
    settings = settings_for(landing, tmp_path / "w.duckdb")
    with pytest.raises(RegistryError) as raised:
        _pull(settings, "run-1")
    error = raised.value
    # Rows are data rows (1 = the first row under the header), as in the quarantine.
    expected = [
        ("registry/cities.csv", "row 3", "province_code", "Bangkok"),
        ("registry/cities.csv", "row 4", "city_code", "'AAA'"),
        ("registry/projects.csv", "row 4", "city_code", "'ZZZ'"),
        ("registry/projects.csv", "row 5", "planned_start", "planned_end"),
    ]
    assert len(error.faults) == len(expected), error.faults
    for parts in expected:
        matching = [fault for fault in error.faults if all(part in fault for part in parts)]
        assert len(matching) == 1, (parts, error.faults)
        assert matching[0] in str(error)
    # The registry is checked before anything is pulled.
    assert query(settings.pipeline_db, COUNT_FILES) == [(0,)]
    assert query(settings.pipeline_db, COUNT_ROWS) == [(0,)]
