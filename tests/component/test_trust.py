"""Inputs that are ordinary in a Thai office, through the real steps (pull, validate, dbt, publish): none of
them may publish a wrong figure, block publication, lose a submission without a trace or leak a file.

One landing area holds most of the cases side by side (a Buddhist-Era month folder, folders and files that
are not taken, amounts of 17 digits and amounts that fill DECIMAL totals, progress just over 100 and -0, a
submitted_at in 2099, a file with no data row), so one run shows that each is handled and that they do not
disturb the good rows around them. Every expected figure is worked out by hand here.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from smartcity.config import ConfigError, load_settings
from smartcity.ingestion.registry import RegistryError, load_registry
from smartcity.ingestion.sources import open_landing
from smartcity.pipeline import plan_run
from smartcity.publication.guard import WarehouseRefused
from smartcity.run_lock import RunLocked, run_lock, step_lock
from smartcity.state import connect, ensure_state
from tests.component.landing import HEADER, make_landing, query, run_steps, settings_for, settled

SMARTCITY = str(Path(sys.executable).with_name("smartcity"))
FEBRUARY, MARCH = date(2024, 2, 1), date(2024, 3, 1)

CITIES = """\
city_code,name_th,name_en,province_code,operator_name,operator_type,city_type,peer_group,status,status_since
AAA,เมืองเอ,City A,TH-10,Operator A,local_government,livable,city,certified,2021-05-01
HHH,เมืองเอช,City H,TH-50,Operator H,state_enterprise,livable,province,certified,2021-05-01
"""
# HHH: twelve projects of 900 trillion baht each, spent in full: 10.8 quadrillion baht in total, more than a
# DECIMAL(18,2) holds (10^16), though each amount is legal (below 10^15).
BIG = 900_000_000_000_000
PROJECTS = (
    "project_code,city_code,dimension_code,name_th,name_en,budget_thb,planned_start,planned_end,funding_source\n"
    + "".join(f"A{n},AAA,ENV,a{n},A{n},1000000,2023-01,2024-12,public\n" for n in range(1, 7))
    + "".join(f"H{n:02d},HHH,GOV,h{n},H{n},{BIG},2023-01,2024-12,public\n" for n in range(1, 13))
)


def line(
    project: str, month: str, progress: str, spend: str = "1000", submitted: str = "2024-04-05 10:00"
) -> str:
    city = "HHH" if project.startswith("H") else "AAA"
    return f"{city},{project},{month},{progress},{spend},in_progress,,,{submitted}\n"


MARCH_ROWS = (
    HEADER
    + line("A1", "2024-03", "40")
    + line("A2", "2024-03", "50", spend="12345678901234567")  # 17 digits: OUT_OF_RANGE
    + line("A3", "2024-03", "50", spend="1000000000000000")  # exactly 10^15: OUT_OF_RANGE
    + line("A4", "2024-03", "100.00000000000000001")  # just over 100: OUT_OF_RANGE
    + line("A5", "2024-03", "-0")  # accepted, stored as 0 (not -0.0)
    + line("A6", "2024-03", "90", submitted="2099-01-01 00:00")  # in the future: OUT_OF_RANGE
    + line("A6", "2024-03", "30", submitted="2024-04-06 09:00")  # the real one: it is the state
    + "".join(line(f"H{n:02d}", "2024-03", "100", spend=str(BIG)) for n in range(1, 13))
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    base = tmp_path_factory.mktemp("trust")
    landing = make_landing(
        base / "landing",
        {
            "2567-02": {"february.csv": HEADER + line("A1", "2024-02", "10")},  # Buddhist Era: February 2024
            "2024-03": {
                "march.csv": MARCH_ROWS,
                "empty.csv": HEADER,
                ".march.csv": MARCH_ROWS,
                "march.csv.tmp": MARCH_ROWS,
            },
            "2099-01": {"march.csv": MARCH_ROWS},
            "2024-3": {"march.csv": MARCH_ROWS},
        },
        cities=CITIES,
        projects=PROJECTS,
    )
    settings = settings_for(landing, base / "out" / "warehouse.duckdb")
    first = run_steps(settings, "run-1")
    return {"landing": landing, "settings": settings, "first": first}


def test_a_buddhist_era_folder_is_processed_as_its_month_and_far_future_folders_are_not(lab):
    settings = lab["settings"]
    assert lab["first"].months == ["2024-02", "2024-03"] and lab["first"].report_month == "2024-03"
    months = query(settings.warehouse, "select month from marts.program_summary_monthly order by month")
    assert [m for (m,) in months] == [FEBRUARY, MARCH]
    # The February file in 2567-02/ counted for February 2024: A1 at 10 % of its 1,000,000 baht.
    ((progress,),) = query(
        settings.warehouse,
        "select progress_pct from marts.city_progress_monthly where city_code = 'AAA' and month = ?",
        [FEBRUARY],
    )
    assert progress == pytest.approx(10 / 6)


def test_every_entry_not_taken_is_listed_with_its_reason_in_the_published_warehouse(lab):
    rows = query(
        lab["settings"].warehouse,
        "select source_file, reason_code, received_month from dq.rejected_files order by source_file",
    )
    assert rows == [
        ("submissions/2024-03/.march.csv", "HIDDEN_FILE", MARCH),
        ("submissions/2024-03/empty.csv", "NO_DATA_ROWS", MARCH),
        ("submissions/2024-03/march.csv.tmp", "TEMPORARY_FILE", MARCH),
        ("submissions/2024-3/", "NOT_A_MONTH_FOLDER", None),
        ("submissions/2099-01/", "MONTH_OUT_OF_RANGE", None),
    ]


def test_amounts_and_percentages_out_of_range_are_quarantined_and_the_rest_published(lab):
    settings = lab["settings"]
    quarantined = query(
        settings.warehouse,
        "select project_code, reason_code, detail from dq.quarantine order by project_code",
    )
    assert [(project, reason) for project, reason, _ in quarantined] == [
        ("A2", "OUT_OF_RANGE"),
        ("A3", "OUT_OF_RANGE"),
        ("A4", "OUT_OF_RANGE"),
        ("A6", "OUT_OF_RANGE"),
    ]
    details = {project: detail for project, _, detail in quarantined}
    assert "12345678901234567" in details["A2"] and "10^15" in details["A2"]
    assert "100.00000000000000001" in details["A4"]
    assert "2099-01-01" in details["A6"] and "later than the file arrived" in details["A6"]


def test_minus_zero_is_stored_as_zero_and_the_real_submission_is_the_state(lab):
    db = lab["settings"].pipeline_db
    ((a5,),) = query(db, "select progress_pct from validated.submissions where project_code = 'A5'")
    assert a5 == 0 and math.copysign(1, a5) == 1
    states = dict(
        query(
            db,
            "select project_code, progress_pct from intermediate.int_projects_state_as_of_month "
            "where month = ? and project_code like 'A%'",
            [MARCH],
        )
    )
    assert states == {"A1": 40, "A2": 0, "A3": 0, "A4": 0, "A5": 0, "A6": 30}


def test_totals_of_legal_amounts_do_not_overflow(lab):
    settings = lab["settings"]
    ((budget, spend, progress),) = query(
        settings.warehouse,
        "select budget_thb, spend_to_date_thb, progress_pct from marts.city_progress_monthly "
        "where city_code = 'HHH' and month = ?",
        [MARCH],
    )
    assert budget == spend == Decimal(12 * BIG) and progress == 100
    ((investment,),) = query(
        settings.warehouse,
        "select investment_value_thb from marts.program_summary_monthly where month = ?",
        [MARCH],
    )
    assert investment == Decimal(12 * BIG + 6 * 1_000_000)


def test_the_state_and_what_it_keeps_are_not_readable_by_other_users(lab):
    settings = lab["settings"]
    assert stat.S_IMODE(settings.state_dir.stat().st_mode) & 0o007 == 0
    copies = [p for p in settings.received_dir.rglob("*") if p.is_file()]
    assert copies and all(stat.S_IMODE(p.stat().st_mode) == 0o440 for p in copies)
    reports = [p for p in settings.reports_dir.rglob("*") if p.is_file()]
    assert reports and all(stat.S_IMODE(p.stat().st_mode) & 0o007 == 0 for p in reports)
    # What BI tools read is published readable, and read-only for everyone.
    assert stat.S_IMODE(settings.warehouse.stat().st_mode) == 0o444


def test_a_late_file_counts_once_and_a_fixed_landing_entry_leaves_the_list(lab):
    landing, settings = lab["landing"], lab["settings"]
    (landing / "submissions" / "2024-03" / ".march.csv").unlink()
    (landing / "submissions" / "2567-02" / "late.csv").write_text(
        HEADER + line("A2", "2024-02", "20", submitted="2024-03-20T10:00"), encoding="utf-8"
    )
    settled(landing)
    second = run_steps(settings, "run-2")
    assert second.months == ["2024-02"]  # February again, for its late file; March is as it was
    counts = query(
        settings.warehouse, "select files_received, rows_accepted, rows_quarantined from meta.publication"
    )
    assert counts == [(1, 1, 0)]  # the late file alone, not February's rows validated again
    listed = [path for (path,) in query(settings.warehouse, "select source_file from dq.rejected_files")]
    assert "submissions/2024-03/.march.csv" not in listed and "submissions/2024-3/" in listed


def test_a_new_entry_not_taken_is_published_without_new_months(lab):
    landing, settings = lab["landing"], lab["settings"]
    (landing / "submissions" / "notes.txt").write_text("see the e-mail", encoding="utf-8")
    settled(landing)
    plan = run_steps(settings, "run-3")
    assert plan.months == [] and plan.republish
    listed = query(settings.warehouse, "select reason_code from dq.rejected_files where source_file = ?",
                   ["submissions/notes.txt"])  # fmt: skip
    assert listed == [("OUTSIDE_MONTH_FOLDER",)]


def test_a_lost_state_folder_never_replaces_the_published_history_unless_told_to(lab, tmp_path):
    settings = lab["settings"]
    published = settings.warehouse.read_bytes()
    moved = tmp_path / "state-backup"
    shutil.move(settings.state_dir, moved)
    try:
        with pytest.raises(WarehouseRefused) as error:
            plan_run(settings, "after-loss")
        message = str(error.value)
        assert "does not know" in message and "SMARTCITY_REPLACE_WAREHOUSE=yes" in message
        assert settings.warehouse.read_bytes() == published
        told = load_settings({**settings.as_env(), "SMARTCITY_REPLACE_WAREHOUSE": "yes"})
        assert plan_run(told, "after-loss").months == ["2024-02", "2024-03"]
    finally:
        shutil.rmtree(settings.state_dir, ignore_errors=True)
        shutil.move(moved, settings.state_dir)


def test_a_warehouse_setting_naming_another_file_is_refused_and_the_file_kept(tmp_path):
    landing = make_landing(tmp_path / "landing", {"2024-03": {"a.csv": HEADER + line("A1", "2024-03", "5")}},
                           cities=CITIES, projects=PROJECTS)  # fmt: skip
    registry = landing / "registry" / "cities.csv"
    before = registry.read_bytes()
    with pytest.raises(ConfigError, match="inside the landing area"):
        plan_run(settings_for(landing, registry), "typo")
    other = tmp_path / "superset.db"
    other.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4096)
    with pytest.raises(WarehouseRefused, match="not a warehouse this pipeline published"):
        plan_run(settings_for(landing, other), "typo")
    assert registry.read_bytes() == before and other.read_bytes().startswith(b"SQLite format 3")
    assert not (tmp_path / "superset.db.state").exists()


def test_smartcity_run_refuses_the_warehouse_typo_in_one_sentence(tmp_path):
    landing = make_landing(tmp_path / "landing", {"2024-03": {}}, cities=CITIES, projects=PROJECTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCITY_")}
    env.update(
        SMARTCITY_LANDING=str(landing),
        SMARTCITY_WAREHOUSE=str(landing / "registry" / "projects.csv"),
        AIRFLOW_HOME=str(tmp_path / "airflow"),
    )
    run = subprocess.run([SMARTCITY, "run"], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2
    assert "Configuration error: SMARTCITY_WAREHOUSE=" in run.stdout and "Traceback" not in run.stderr
    assert (landing / "registry" / "projects.csv").read_text(encoding="utf-8") == PROJECTS


def test_a_second_run_while_one_holds_the_warehouse_says_so_and_touches_nothing(tmp_path):
    landing = make_landing(tmp_path / "landing", {"2024-03": {"a.csv": HEADER + line("A1", "2024-03", "5")}},
                           cities=CITIES, projects=PROJECTS)  # fmt: skip
    settings = settings_for(landing, tmp_path / "out" / "warehouse.duckdb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCITY_")}
    env.update(settings.as_env(), AIRFLOW_HOME=str(tmp_path / "airflow"))
    with run_lock(settings, "the first run"):
        run = subprocess.run([SMARTCITY, "run"], env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 1, run.stdout + run.stderr
        assert "another run (the first run, pid" in run.stdout and "wait for it to finish" in run.stdout
        assert "Traceback" not in run.stdout + run.stderr
        assert not settings.pipeline_db.exists() and not (tmp_path / "airflow").exists()
        # A step of the DAG waits for the holder, then says who holds it...
        with pytest.raises(RunLocked, match="the first run"), run_lock(settings, "a task", wait_seconds=0.5):
            pass
    # ...and once it let go, the lock is free; the token lets a run's own tasks through without waiting.
    with run_lock(settings, "the run") as token:
        os.environ["SMARTCITY_RUN_LOCK_TOKEN"] = token
        try:
            with step_lock(settings, "pull"):
                pass
        finally:
            del os.environ["SMARTCITY_RUN_LOCK_TOKEN"]


def test_a_city_removed_from_the_registry_keeps_its_published_months_and_later_rows_are_quarantined(tmp_path):
    landing = make_landing(
        tmp_path / "landing",
        {"2024-01": {"a.csv": HEADER + line("A1", "2024-01", "10") + line("H01", "2024-01", "20")}},
        cities=CITIES,
        projects=PROJECTS,
    )
    settings = settings_for(landing, tmp_path / "out" / "warehouse.duckdb")
    run_steps(settings, "with-hhh")
    # HHH leaves the registry (its projects with it); February brings rows for both cities.
    for name, registry in (("cities.csv", CITIES), ("projects.csv", PROJECTS)):
        kept = [row for row in registry.splitlines(keepends=True) if not row.startswith("H")]
        (landing / "registry" / name).write_text("".join(kept), encoding="utf-8")
    (landing / "submissions" / "2024-02").mkdir()
    (landing / "submissions" / "2024-02" / "a.csv").write_text(
        HEADER + line("A1", "2024-02", "15") + line("H01", "2024-02", "25"), encoding="utf-8"
    )
    settled(landing)
    run_steps(settings, "without-hhh")  # used to fail on a dbt relationships test, for every later run
    cities = query(
        settings.warehouse,
        "select city_code, month, round(progress_pct, 6) from marts.city_progress_monthly order by all",
    )
    january, february = date(2024, 1, 1), date(2024, 2, 1)
    assert cities == [
        ("AAA", january, round(10 / 6, 6)),
        ("AAA", february, 2.5),
        ("HHH", january, round(20 / 12, 6)),
    ]
    quarantined = query(settings.warehouse, "select city_code, reason_code from dq.quarantine")
    assert quarantined == [("HHH", "UNKNOWN_CITY")]
    dimension = "select removed_from, is_certified from marts.dim_cities where city_code = 'HHH'"
    assert query(settings.warehouse, dimension) == [(february, False)]


def test_a_registry_without_a_required_column_says_so_once(tmp_path):
    without_peer_group = [row.split(",")[:7] + row.split(",")[8:] for row in CITIES.splitlines()]
    cities = "".join(",".join(cells) + "\n" for cells in without_peer_group)
    landing = make_landing(tmp_path / "landing", {"2024-03": {}}, cities=cities, projects=PROJECTS)
    settings = settings_for(landing, tmp_path / "w.duckdb")
    ensure_state(settings)
    with connect(settings.pipeline_db) as con, pytest.raises(RegistryError) as error:
        load_registry(con, open_landing(str(landing)))
    assert error.value.faults == [
        "registry/cities.csv has no column 'peer_group' (its header names city_code, city_type, name_en, "
        "name_th, operator_name, operator_type, province_code, status, status_since); add the column"
    ]


def test_an_upload_read_half_way_never_outranks_the_whole_file(tmp_path):
    """A city sends 4 rows; the first run finds the file cut off in the middle of the last row (47.5 % in the
    complete file, '13' when cut). It must not publish 13.75 %: the cut file is kept and listed, and the
    whole file, when it lands, gives the figures."""
    whole = HEADER + "".join(line(f"A{n}", "2024-03", "47.5") for n in range(1, 5))
    cut = whole[: whole.rindex("47.5") + 2]
    landing = make_landing(
        tmp_path / "landing", {"2024-03": {"city_a.csv": cut}}, cities=CITIES, projects=PROJECTS
    )
    settings = settings_for(landing, tmp_path / "out" / "warehouse.duckdb")
    run_steps(settings, "half-way")
    assert query(settings.warehouse, "select source_file, reason_code from dq.rejected_files") == [
        ("submissions/2024-03/city_a.csv", "INCOMPLETE")
    ]
    (landing / "submissions" / "2024-03" / "city_a.csv").write_text(whole, encoding="utf-8")
    settled(landing)
    run_steps(settings, "whole")
    ((progress,),) = query(
        settings.warehouse,
        "select progress_pct from marts.city_progress_monthly where city_code = 'AAA' and month = ?",
        [MARCH],
    )
    assert progress == pytest.approx(4 * 47.5 / 6)
    assert len(list((settings.received_dir / "2024-03").iterdir())) == 2  # the cut file is kept as evidence


def test_weights_that_are_not_finite_numbers_are_refused_at_once():
    for value in ('{"progress": NaN}', '{"progress": Infinity}', '{"progress": 1e308}', '{"progress": -0.5}'):
        with pytest.raises(ConfigError, match="SMARTCITY_INDEX_WEIGHTS"):
            load_settings({"SMARTCITY_INDEX_WEIGHTS": value})
    largest = load_settings({"SMARTCITY_INDEX_WEIGHTS": '{"progress": 1e6, "coverage": 1}'}).index_weights
    assert json.loads(json.dumps(largest)) == largest


def test_an_unreachable_landing_area_is_one_sentence_not_a_traceback():
    with pytest.raises(ConfigError, match="SMARTCITY_LANDING='ftp://127.0.0.1:9/landing'"):
        open_landing("ftp://127.0.0.1:9/landing")
