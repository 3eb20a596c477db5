"""What a local landing area gives the pipeline (contract section 2), on real folders: month folders in either
era, everything not taken listed with its reason, links that leave the landing area, special files, files
still being written, files the pipeline may not read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from smartcity.ingestion.sources import LandingError, open_landing
from smartcity.ingestion.sources.local import LocalFolder
from tests.component.landing import HEADER, make_landing, settled

ROW = "AAA,A1,2024-03,10,1000,in_progress,,,2024-04-05T10:00:00+07:00\n"
MARCH = date(2024, 3, 1)


def reasons(area) -> dict[str, str]:
    return {entry.path: entry.reason_code for entry in area.not_taken()}


def test_a_buddhist_era_month_folder_is_the_same_month_as_its_ce_spelling(tmp_path):
    landing = make_landing(
        tmp_path / "landing", {"2567-03": {"be.csv": HEADER + ROW}, "2024-03": {"ce.csv": HEADER + ROW}}
    )
    area = open_landing(str(landing))
    assert area.submission_months() == [MARCH]
    assert [f.relative_path for f in area.submission_files(MARCH)] == [
        "submissions/2024-03/ce.csv",
        "submissions/2567-03/be.csv",
    ]
    assert area.not_taken() == []


def test_everything_under_submissions_that_is_not_taken_is_listed_with_its_reason(tmp_path):
    landing = make_landing(
        tmp_path / "landing",
        {
            "2024-03": {
                "good.csv": HEADER + ROW,
                ".hidden.csv": HEADER + ROW,
                "~$good.xlsx": b"lock",
                "upload.csv.part": HEADER,
                "scratch.tmp": "",
            },
            "2024-3": {"a.csv": HEADER + ROW},
            "2024-03-extra": {"a.csv": HEADER + ROW},
            "2610-01": {"a.csv": HEADER + ROW},  # BE 2610 is 2067 CE: not begun
            "1999-12": {"a.csv": HEADER + ROW},
        },
    )
    (landing / "submissions" / "loose.csv").write_text(HEADER + ROW, encoding="utf-8")
    (landing / "submissions" / "2024-03" / "older").mkdir()
    (landing / "submissions" / "2024-03" / "older" / "a.csv").write_text(HEADER + ROW, encoding="utf-8")
    os.mkfifo(landing / "submissions" / "2024-03" / "pipe.csv")
    settled(landing)
    area = open_landing(str(landing))
    assert [f.relative_path for f in area.submission_files(MARCH)] == ["submissions/2024-03/good.csv"]
    assert reasons(area) == {
        "submissions/1999-12/": "MONTH_OUT_OF_RANGE",
        "submissions/2024-03/.hidden.csv": "HIDDEN_FILE",
        "submissions/2024-03/older/": "NESTED_FOLDER",
        "submissions/2024-03/pipe.csv": "NOT_A_REGULAR_FILE",
        "submissions/2024-03/scratch.tmp": "TEMPORARY_FILE",
        "submissions/2024-03/upload.csv.part": "TEMPORARY_FILE",
        "submissions/2024-03/~$good.xlsx": "TEMPORARY_FILE",
        "submissions/2024-03-extra/": "NOT_A_MONTH_FOLDER",
        "submissions/2024-3/": "NOT_A_MONTH_FOLDER",
        "submissions/2610-01/": "MONTH_OUT_OF_RANGE",
        "submissions/loose.csv": "OUTSIDE_MONTH_FOLDER",
    }
    # Each reason says what to do, and a file inside a month folder carries that month.
    by_path = {entry.path: entry for entry in area.not_taken()}
    assert "not begun" in by_path["submissions/2610-01/"].reason
    assert by_path["submissions/2024-03/pipe.csv"].month == MARCH
    assert "move it into" in by_path["submissions/loose.csv"].reason


def test_a_link_that_leaves_the_landing_area_is_not_followed(tmp_path):
    secret = tmp_path / "outside" / "shadow"
    secret.parent.mkdir()
    secret.write_text("root:$6$secret:19000:0:99999:7:::\n", encoding="utf-8")
    landing = make_landing(tmp_path / "landing", {"2024-03": {"good.csv": HEADER + ROW}})
    month = landing / "submissions" / "2024-03"
    (month / "shadow.csv").symlink_to(secret)
    (month / "nothing.csv").symlink_to(month / "deleted.csv")
    (month / "inside.csv").symlink_to(month / "good.csv")  # a link within the landing area is followed
    (landing / "submissions" / "2024-04").symlink_to(secret.parent, target_is_directory=True)
    area = open_landing(str(landing))
    assert [f.relative_path for f in area.submission_files(MARCH)] == [
        "submissions/2024-03/good.csv",
        "submissions/2024-03/inside.csv",
    ]
    assert reasons(area) == {
        "submissions/2024-03/nothing.csv": "NOT_A_REGULAR_FILE",
        "submissions/2024-03/shadow.csv": "LINK_OUTSIDE_LANDING",
        "submissions/2024-04": "LINK_OUTSIDE_LANDING",
    }


def test_a_registry_file_linked_from_outside_stops_the_run_without_reading_it(tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret\n", encoding="utf-8")
    landing = make_landing(tmp_path / "landing", {"2024-03": {}})
    (landing / "registry" / "projects.csv").unlink()
    (landing / "registry" / "projects.csv").symlink_to(secret)
    area = open_landing(str(landing))
    with pytest.raises(LandingError) as error:
        area.registry_file("projects.csv")
    assert "outside the landing area" in str(error.value) and "secret" not in str(error.value)


def test_a_file_still_being_written_is_left_for_the_next_run(tmp_path):
    landing = make_landing(tmp_path / "landing", {"2024-03": {"done.csv": HEADER + ROW}})
    growing = landing / "submissions" / "2024-03" / "growing.csv"
    growing.write_text(HEADER, encoding="utf-8")
    stop = threading.Event()

    def upload() -> None:  # an upload writing a row every 0.2 s
        while not stop.is_set():
            with growing.open("a", encoding="utf-8") as handle:
                handle.write(ROW)
            time.sleep(0.2)

    writer = threading.Thread(target=upload)
    writer.start()
    try:
        area = LocalFolder(landing, settle_seconds=1.0)
        taken = [f.relative_path for f in area.submission_files(MARCH)]
    finally:
        stop.set()
        writer.join()
    assert taken == ["submissions/2024-03/done.csv"]
    assert reasons(area) == {"submissions/2024-03/growing.csv": "INCOMPLETE"}
    # Once it has stopped changing, the next scan takes it (after waiting out the settle time).
    later = LocalFolder(landing, settle_seconds=1.0)
    assert [f.relative_path for f in later.submission_files(MARCH)] == [
        "submissions/2024-03/done.csv",
        "submissions/2024-03/growing.csv",
    ]
    assert later.not_taken() == []


# Everything is imported first, as root: Python itself lives in root's home, which 'nobody' cannot read.
SCAN_AS_NOBODY = """
import json, os, sys
from smartcity.ingestion.sources import open_landing
from smartcity.ingestion.sources import local, rules  # noqa: F401
os.setgid(65534)
os.setuid(65534)
area = open_landing(sys.argv[1])
print(json.dumps({
    "taken": [f.relative_path for m in area.submission_months() for f in area.submission_files(m)],
    "not_taken": [[e.path, e.reason_code, e.reason] for e in area.not_taken()],
}))
"""


def test_a_file_the_pipeline_may_not_read_is_listed_and_the_others_are_taken():
    # root reads every file whatever its mode, so the scan runs as 'nobody', as a pipeline user would; that
    # needs root (to change user), and without it this test fails and says so rather than skip.
    assert os.geteuid() == 0, "this test runs the scan as the user 'nobody', which needs root"
    with tempfile.TemporaryDirectory(
        prefix="smartcity-nobody-"
    ) as shared:  # pytest's tmp_path is root's only
        _scan_as_nobody(Path(shared))


def _scan_as_nobody(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    landing = make_landing(
        tmp_path / "landing", {"2024-03": {"good.csv": HEADER + ROW, "locked.csv": HEADER}}
    )
    for path in [landing, *landing.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (landing / "submissions" / "2024-03" / "locked.csv").chmod(0o000)
    scan = subprocess.run(
        [sys.executable, "-c", SCAN_AS_NOBODY, str(landing)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert scan.returncode == 0, scan.stderr[-3000:]
    result = json.loads(scan.stdout)
    assert result["taken"] == ["submissions/2024-03/good.csv"]
    ((path, code, reason),) = result["not_taken"]
    assert (path, code) == ("submissions/2024-03/locked.csv", "UNREADABLE")
    assert "read access" in reason and "landing area itself is never written" in reason
