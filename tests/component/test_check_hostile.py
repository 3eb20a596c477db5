"""Hostile files through `smartcity check` (a real process): refused with the very reason the pull step
records in dq.rejected_files for the same files, under the same caps, exit status 1, never a traceback.
The files come from the corpus of tests/unit/test_hostile_input.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from smartcity.pipeline import plan_run, run_pull
from tests.component.landing import HEADER, make_landing, query, settings_for
from tests.unit.test_hostile_input import ROW, SHEET, sheet_xml, with_part, workbook

SMARTCITY = str(Path(sys.executable).with_name("smartcity"))
MONTH = "2024-03"


def hostile_files() -> dict[str, bytes]:
    chunk = b"<row/>" * (1 << 17)
    bomb = with_part(workbook([["x"]]), SHEET, sheet_xml(chunk for _ in range((200 << 20) // len(chunk))))
    deep = b'[{"city_code": ' + b"[" * 50 + b"1" + b"]" * 50 + b"}]"
    return {
        "nul.csv": (HEADER + "AAA,A1\x00,2024-03,50,,,,,\n").encode(),
        "bomb.xlsx": bomb,
        "deep.json": deep,
        "too_many_rows.csv": (HEADER + ROW * 12).encode(),
        "utf16.csv": "city_code\nAAA\n".encode("utf-16"),
        "report.pdf": b"%PDF-1.4 not a submission",
    }


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    root = make_landing(base / "landing", {MONTH: hostile_files()})
    settings = settings_for(root, base / "warehouse.duckdb")
    settings = type(settings)(**{**settings.__dict__, "max_rows_per_file": 10})
    run_pull(settings, plan_run(settings, "hostile-1"))
    rejected = dict(query(settings.pipeline_db, "select source_file, reason from audit.rejected_files"))
    return root, settings, rejected


def test_the_pipeline_rejects_every_hostile_file(landing):
    _, _, rejected = landing
    assert sorted(rejected) == sorted(f"submissions/{MONTH}/{name}" for name in hostile_files())


@pytest.mark.parametrize("name", sorted(hostile_files()))
def test_check_refuses_each_with_the_pipelines_reason_and_no_traceback(landing, tmp_path, name):
    root, settings, rejected = landing
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCITY_")}
    env.update(
        SMARTCITY_LANDING=str(root),
        SMARTCITY_WAREHOUSE=str(tmp_path / "warehouse.duckdb"),
        SMARTCITY_MAX_ROWS_PER_FILE="10",
    )
    done = subprocess.run(
        [SMARTCITY, "check", str(root / "submissions" / MONTH / name)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert rejected[f"submissions/{MONTH}/{name}"] in done.stdout
    assert "The whole file would be rejected" in done.stdout
    assert "FAIL: 1 file(s) would be rejected whole" in done.stdout
