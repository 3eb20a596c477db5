"""The pull commits its files in batches (ingestion/pull.py, PullBatches): however the files fall into
batches, the same rows are loaded, and a pull killed with a batch open loses that batch only, which the next
pull loads again, each file exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from smartcity.ingestion import pull
from smartcity.pipeline import plan_run, run_pull
from tests.component.landing import HEADER, make_landing, query, settings_for

ROWS = "\n".join(
    f"AAA,A{n % 2 + 1},2024-03,{n},{n * 1000},in_progress,,,2024-04-05T10:00:00+07:00" for n in range(40)
)
THAI = "รหัสเมือง;รหัสโครงการ;เดือนที่รายงาน;ความก้าวหน้าสะสม\nBBB;B1;มี.ค. 67;๔๕\n"
FILES = {
    "a.csv": HEADER + ROWS + "\n",
    "b.json": json.dumps([{"city_code": "BBB", "project_code": "B1", "progress_pct": 12.5}]),
    "c.csv": THAI.encode("cp874"),
    "d.csv": HEADER + "AAA,A1,2024-03,50,,,,,\n",
}
TABLES = (
    "select landing_path, sha256, file_format, encoding, rows_read, unreadable_reason "
    "from raw.received_files order by all",
    "select * exclude (file_id) from raw.submission_rows order by all",
)
DRIVER = """
import sys
from smartcity.config import load_settings
from smartcity.pipeline import plan_run, run_pull
settings = load_settings()
run_pull(settings, plan_run(settings, sys.argv[1]))
"""


def _landing(base: Path) -> Path:
    return make_landing(base / "landing", {"2024-02": {"z.csv": HEADER}, "2024-03": FILES})


def _tables(settings) -> list[list[tuple]]:
    return [query(settings.pipeline_db, sql) for sql in TABLES]


def test_the_rows_loaded_do_not_depend_on_the_batches(tmp_path, monkeypatch):
    whole = settings_for(_landing(tmp_path / "whole"), tmp_path / "whole.duckdb")
    run_pull(whole, plan_run(whole, "run-1"))
    monkeypatch.setattr(pull, "BATCH_ROWS", 1)  # a commit after every file with a row
    batched = settings_for(_landing(tmp_path / "batched"), tmp_path / "batched.duckdb")
    run_pull(batched, plan_run(batched, "run-1"))
    assert _tables(batched) == _tables(whole)
    assert len(_tables(whole)[0]) == 5 and len(_tables(whole)[1]) == 43


def test_a_pull_killed_with_a_batch_open_is_completed_by_the_next_one(tmp_path):
    landing = _landing(tmp_path)
    settings = settings_for(landing, tmp_path / "w.duckdb")
    environment = dict(
        os.environ,
        SMARTCITY_LANDING=str(landing),
        SMARTCITY_WAREHOUSE=str(settings.warehouse),
        SMARTCITY_FAILPOINT="pull.file_loaded@3",
    )
    killed = subprocess.run(
        [sys.executable, "-c", DRIVER, "killed"],
        env=environment,
        capture_output=True,
        text=True,
        start_new_session=True,  # the failpoint kills this session's process group, not pytest
        timeout=600,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert query(settings.pipeline_db, "select count(*) from raw.received_files") == [(0,)]
    run_pull(settings, plan_run(settings, "rerun"))
    reference = settings_for(_landing(tmp_path / "reference"), tmp_path / "reference.duckdb")
    run_pull(reference, plan_run(reference, "rerun"))
    assert _tables(settings) == _tables(reference)
