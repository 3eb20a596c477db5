"""Crash safety: a run killed with SIGKILL at each stage, then run again, publishes exactly what a run that
was never killed publishes, ingests nothing twice and loses nothing; meanwhile BI tools still read a whole
warehouse.

The kills are exact: named failpoints (smartcity/failpoints.py) kill the run's own process group when
SMARTCITY_FAILPOINT names them. The run is a child process in a session of its own, so only it dies: the
plain steps (plan, pull, validate, transform, publish) for most points, the real `smartcity run` (the CLI and
the Airflow DAG through `airflow dags test`) for the kill during dbt. Where no failpoint can go (inside Great
Expectations' own writes), the test cuts the files such a kill would leave cut.

Every scenario starts from the same state: months 2024-01 and 2024-02 published by run `base`. The run that
is killed then processes 2024-03 and 2024-04 (a rejected file, a quarantined row, and a late correction that
restates February). The reference is the same two runs without a kill, in the same folder (paths are
published in dq.rejected_files, so they must match).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from smartcity.config import Settings
from smartcity.pipeline import STEPS, RunPlan, plan_run, run_publish
from smartcity.publication.publish import parquet_dir
from tests.component.landing import HEADER, make_landing, query, run_steps, settings_for

SMARTCITY = str(Path(sys.executable).with_name("smartcity"))

# A long check: `make test-long` runs it (Makefile).
pytestmark = pytest.mark.resilience

SUBMITTED = "T10:00:00+07:00"
SUBMISSIONS = {
    "2024-01": {
        "cities.csv": HEADER
        + f"AAA,A1,2024-01,30,200000,in_progress,BUDGET,,2024-02-05{SUBMITTED}\n"
        + f"BBB,B1,2024-01,20,300000,in_progress,,,2024-02-06{SUBMITTED}\n"
    },
    "2024-02": {
        "cities.csv": HEADER
        + f"AAA,A1,2024-02,50,400000,in_progress,,,2024-03-05{SUBMITTED}\n"
        + f"AAA,A2,2024-02,5,10000,in_progress,POLICY,,2024-03-05{SUBMITTED}\n"
        + f"BBB,B1,2024-02,40,600000,in_progress,,,2024-03-06{SUBMITTED}\n"
        + f"ZZZ,A1,2024-02,10,0,in_progress,,,2024-03-06{SUBMITTED}\n"
    },
    "2024-03": {
        "cities.csv": HEADER
        + f"AAA,A1,2024-03,70,600000,in_progress,,,2024-04-05{SUBMITTED}\n"
        + f"AAA,A2,2024-03,15,20000,in_progress,BUDGET,,2024-04-05{SUBMITTED}\n"
        + f"BBB,B1,2024-03,60,900000,in_progress,PERSONNEL,,2024-04-06{SUBMITTED}\n",
        "scan.xlsx": b"\x00not a workbook" * 40,
    },
    "2024-04": {
        "cities.csv": HEADER
        + f"AAA,A1,2024-04,100,950000,completed,,,2024-05-05{SUBMITTED}\n"
        + f"AAA,A2,2024-04,25,30000,in_progress,,,2024-05-05{SUBMITTED}\n"
        + f"AAA,A9,2024-04,25,30000,in_progress,,,2024-05-05{SUBMITTED}\n",
        # BBB sends nothing for April but corrects February: a restatement of a published month.
        "bbb_correction.csv": HEADER + f"BBB,B1,2024-02,45,650000,in_progress,,late,2024-05-07{SUBMITTED}\n",
    },
}
PREVIOUS_MONTHS = ["2024-01", "2024-02"]
NEW_MONTHS = ["2024-03", "2024-04"]

PUBLISHED_SCHEMAS = ("marts", "dq", "history", "bi", "meta")
# The only published columns allowed to differ between a rerun and a clean run: which run wrote a row, and
# when. dbt snapshots' dbt_scd_id is a hash of the key and dbt_updated_at, a timestamp; whether a version is
# current (dbt_valid_to is null) is still compared. history.city_index_history names the publishing run.
RUN_ID_COLUMNS = {"run_id", "published_run_id"}
TIMESTAMP_COLUMNS = {
    "started_at",
    "finished_at",
    "published_at",
    "dbt_updated_at",
    "dbt_valid_from",
    "dbt_valid_to",
}
SNAPSHOT_ID_COLUMNS = {"dbt_scd_id"}
NOT_COMPARED = RUN_ID_COLUMNS | TIMESTAMP_COLUMNS | SNAPSHOT_ID_COLUMNS
# The build database's ledgers: a kill must not make any of them hold a row twice.
LEDGERS = (
    "raw.received_files",
    "raw.submission_rows",
    "validated.submissions",
    "dq.quarantine",
    "dq.warnings",
)

# The plain steps in a child process, settings from the environment: `python -c DRIVER <run id>` plans and
# runs every step; `python -c DRIVER publish <plan.json>` only publishes a plan whose other steps ran already
# (as Airflow runs each task in a process of its own).
DRIVER = """
import json, logging, sys
from pathlib import Path
from smartcity.config import load_settings
from smartcity.pipeline import STEPS, RunPlan, plan_run, run_publish

logging.basicConfig(level=logging.INFO)
settings = load_settings()
if sys.argv[1] == "publish":
    plan, steps = RunPlan.from_dict(json.loads(Path(sys.argv[2]).read_text())), [run_publish]
else:
    plan, steps = plan_run(settings, sys.argv[1]), list(STEPS)
for step in steps:
    step(settings, plan)
"""


@dataclass
class Lab:
    base: Path
    landing: Path
    settings: Settings
    saved: Path  # a copy of the warehouse folder as run `base` left it
    transformed: Path  # and as run `killed` left it when only its publish step was left to do
    clean: dict


def published_tables(warehouse: Path) -> dict[str, list[tuple]]:
    """Every table of every published schema, sorted, without the columns in NOT_COMPARED."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns: dict[str, list[str]] = {}
        for schema, table, column in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "order by table_schema, table_name, ordinal_position"
        ).fetchall():
            columns.setdefault(f'"{schema}"."{table}"', []).append(column)
        assert {name.split(".")[0].strip('"') for name in columns} == set(PUBLISHED_SCHEMAS)
        tables = {}
        for name, names in columns.items():
            selected = [f'"{c}"' for c in names if c not in NOT_COMPARED]
            if "dbt_valid_to" in names:
                selected.append("dbt_valid_to is null as current_version")
            sql = f"select {', '.join(selected)} from {name} order by all"  # noqa: S608 (the catalog's names)
            tables[name] = con.execute(sql).fetchall()
        return tables
    finally:
        con.close()


def ledger_counts(settings: Settings) -> dict[str, int]:
    counts = {t: query(settings.pipeline_db, f"select count(*) from {t}")[0][0] for t in LEDGERS}  # noqa: S608
    counts["distinct raw rows"] = query(
        settings.pipeline_db, "select count(distinct (file_id, row_number)) from raw.submission_rows"
    )[0][0]
    return counts


def processed(settings: Settings) -> list[str]:
    rows = query(
        settings.pipeline_db, "select strftime(month, '%Y-%m') from pipeline.processed_months order by 1"
    )
    return [r[0] for r in rows]


def parquet_rows(warehouse: Path) -> dict[str, int]:
    folder = parquet_dir(warehouse)
    con = duckdb.connect()
    try:
        return {
            str(p.relative_to(folder)): con.execute(
                "select count(*) from read_parquet(?)", [str(p)]
            ).fetchone()[0]
            for p in sorted(folder.rglob("*.parquet"))
        }
    finally:
        con.close()


def outcome(settings: Settings) -> dict:
    """What a run leaves: the published tables, the Parquet copy, the ledgers, the received copies."""
    return {
        "tables": published_tables(settings.warehouse),
        "parquet": parquet_rows(settings.warehouse),
        "ledgers": ledger_counts(settings),
        "processed": processed(settings),
        "publications": query(settings.pipeline_db, "select count(*) from pipeline.publications")[0][0],
        "received": sorted(
            str(p.relative_to(settings.received_dir)) for p in settings.received_dir.rglob("*")
        ),
    }


def reader_sees(warehouse: Path) -> tuple[str, list[str], int]:
    """What a BI tool opening the published file now finds: its run, its months and its figures."""
    run_id, months = query(warehouse, "select run_id, months_processed from meta.publication")[0]
    figures = query(warehouse, "select count(*) from marts.city_progress_monthly")[0][0]
    return run_id, months, figures


def leftovers(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if p.name.endswith(".partial"))


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Lab:
    base = tmp_path_factory.mktemp("faults")
    landing = make_landing(base / "landing", SUBMISSIONS)
    settings = settings_for(landing, base / "work" / "warehouse.duckdb")
    run_steps(settings, "base", date(2024, 2, 1))
    assert processed(settings) == PREVIOUS_MONTHS
    saved = base / "saved"
    shutil.copytree(settings.warehouse.parent, saved, symlinks=True)
    # The clean run; its state just before publication serves the three kills during publication, as
    # run `killed` (the run id is the only difference, and it is not compared).
    plan = plan_run(settings, "clean")
    assert plan.months == NEW_MONTHS
    for step in STEPS[:-1]:
        step(settings, plan)
    killed = RunPlan(**{**plan.as_dict(), "run_id": "killed"})
    (settings.state_dir / "killed-plan.json").write_text(json.dumps(killed.as_dict()), encoding="utf-8")
    transformed = base / "transformed"
    shutil.copytree(settings.warehouse.parent, transformed, symlinks=True)
    (settings.state_dir / "killed-plan.json").unlink()
    run_publish(settings, plan)
    clean = outcome(settings)
    # The scenario has what a kill could duplicate or lose: a rejected file, quarantined rows, a restatement.
    assert clean["ledgers"]["dq.quarantine"] == 2
    assert len(clean["tables"]['"dq"."rejected_files"']) == 1
    restated = query(
        settings.warehouse,
        "select count(*) from history.city_progress_history "
        "where city_code = 'BBB' and month = date '2024-02-01'",
    )[0][0]
    assert restated == 2
    return Lab(base, landing, settings, saved, transformed, clean)


def restore(settings: Settings, copy: Path) -> None:
    """Put a saved warehouse folder back in its place (same absolute paths as the clean run)."""
    shutil.rmtree(settings.warehouse.parent)
    shutil.copytree(copy, settings.warehouse.parent, symlinks=True)


@pytest.fixture
def restored(lab: Lab) -> Lab:
    restore(lab.settings, lab.saved)
    return lab


@pytest.fixture
def transformed(lab: Lab) -> Lab:
    restore(lab.settings, lab.transformed)
    return lab


def publish_only(lab: Lab) -> list[str]:
    return [sys.executable, "-c", DRIVER, "publish", str(lab.settings.state_dir / "killed-plan.json")]


def child_env(lab: Lab, failpoint: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCITY_")}
    env.update(
        {
            "SMARTCITY_LANDING": str(lab.landing),
            "SMARTCITY_WAREHOUSE": str(lab.settings.warehouse),
            "AIRFLOW_HOME": str(lab.base / "airflow"),
        }
    )
    if failpoint:
        env["SMARTCITY_FAILPOINT"] = failpoint
    return env


def kill_at(lab: Lab, failpoint: str, command: list[str] | None = None) -> str:
    """Run the steps (or `command`) until the failpoint kills them; returns their output."""
    process = subprocess.Popen(
        command or [sys.executable, "-c", DRIVER, "killed"],
        env=child_env(lab, failpoint),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the failpoint kills this session's process group, not pytest
    )
    output, _ = process.communicate(timeout=600)
    # Nothing else sends SIGKILL: this status means the failpoint fired (and killed the whole group).
    assert process.returncode == -signal.SIGKILL, f"the run was not killed at {failpoint}:\n{output[-4000:]}"
    return output


def assert_previous_warehouse_is_published(lab: Lab) -> None:
    assert reader_sees(lab.settings.warehouse) == ("base", PREVIOUS_MONTHS, 4)
    assert processed(lab.settings) == PREVIOUS_MONTHS


def assert_rerun_equals_clean_run(lab: Lab) -> None:
    plan = run_steps(lab.settings, "rerun")
    # The killed run recorded nothing as processed, so the rerun does both months again.
    assert plan.months == NEW_MONTHS
    assert_outcome_equals_clean_run(lab)
    assert reader_sees(lab.settings.warehouse) == ("rerun", NEW_MONTHS, 8)


def assert_outcome_equals_clean_run(lab: Lab) -> None:
    after = outcome(lab.settings)
    assert after["tables"].keys() == lab.clean["tables"].keys()
    for table, rows in lab.clean["tables"].items():
        assert after["tables"][table] == rows, table
    for key in ("parquet", "ledgers", "processed", "publications", "received"):
        assert after[key] == lab.clean[key], key
    assert leftovers(lab.settings.warehouse.parent) == []


def dbt_log(lab: Lab) -> str:
    return (lab.settings.state_dir / "dbt_logs" / "dbt.log").read_text(encoding="utf-8", errors="replace")


def validated_months(settings: Settings) -> list[str]:
    rows = query(
        settings.pipeline_db,
        "select distinct strftime(received_month, '%Y-%m') from validated.submissions order by 1",
    )
    return [r[0] for r in rows]


def test_killed_after_pull_the_rerun_ingests_nothing_twice(restored):
    lab = restored
    kill_at(lab, "pull.done")
    assert_previous_warehouse_is_published(lab)
    # The killed run had registered the new files (and copied them), but validated none of them.
    months = query(
        lab.settings.pipeline_db, "select distinct strftime(received_month, '%Y-%m') from raw.received_files"
    )
    assert sorted(r[0] for r in months) == PREVIOUS_MONTHS + NEW_MONTHS
    assert validated_months(lab.settings) == PREVIOUS_MONTHS
    assert_rerun_equals_clean_run(lab)


def test_killed_during_validation_the_rerun_validates_each_month_once(restored):
    lab = restored
    kill_at(lab, "validate.month_done@1")
    assert_previous_warehouse_is_published(lab)
    # Killed between the two new months: March's outcome committed, April's not begun.
    assert validated_months(lab.settings) == [*PREVIOUS_MONTHS, "2024-03"]
    assert_rerun_equals_clean_run(lab)


def test_killed_after_the_snapshot_was_copied_the_previous_warehouse_stays(transformed):
    lab = transformed
    kill_at(lab, "publish.after_copy", publish_only(lab))
    # The whole new snapshot is beside the warehouse, not swapped in: readers still get the previous one.
    assert (lab.settings.warehouse.parent / f".{lab.settings.warehouse.name}.partial").exists()
    assert_previous_warehouse_is_published(lab)
    assert_rerun_equals_clean_run(lab)


def test_killed_after_the_swap_readers_get_the_whole_new_warehouse_and_the_rerun_records_it(transformed):
    lab = transformed
    kill_at(lab, "publish.after_replace", publish_only(lab))
    # The swap is atomic: a reader finds the killed run's whole warehouse, never part of one; the Parquet
    # copy is still the previous set (it is swapped after the warehouse); the months are not recorded.
    assert reader_sees(lab.settings.warehouse) == ("killed", NEW_MONTHS, 8)
    assert query(
        lab.settings.warehouse,
        "select count(*) from marts.city_progress_monthly where month = date '2024-04-01'",
    ) == [(2,)]
    assert processed(lab.settings) == PREVIOUS_MONTHS
    assert_rerun_equals_clean_run(lab)


def test_killed_before_the_publication_was_recorded_the_rerun_publishes_it_once(transformed):
    lab = transformed
    kill_at(lab, "publish.before_record", publish_only(lab))
    assert reader_sees(lab.settings.warehouse)[0] == "killed"
    assert processed(lab.settings) == PREVIOUS_MONTHS
    assert_rerun_equals_clean_run(lab)


def test_files_great_expectations_was_rewriting_when_killed_do_not_stop_the_rerun(restored):
    """GX rewrites its config and definitions in place whenever a step validates, inside GX where no
    failpoint of ours can go: this is what a kill in the middle of those writes leaves, each file cut short.
    (Before the fix, every later run failed inside GX.)"""
    lab = restored
    gx = lab.settings.state_dir / "gx"
    cut = [gx / "great_expectations.yml"]
    cut += [
        p
        for store in ("checkpoints", "expectations", "validation_definitions")
        for p in gx.glob(f"{store}/*.json")
    ]
    assert len(cut) == 13  # the config, and 4 suites x 3 stores
    for path in cut:
        os.truncate(path, path.stat().st_size // 2)
    assert_rerun_equals_clean_run(lab)
    for path in cut[1:]:
        json.loads(path.read_text(encoding="utf-8"))  # rebuilt whole


def test_smartcity_run_killed_during_dbt_then_run_again_publishes_what_a_clean_run_does(restored):
    """Through the real CLI and the Airflow DAG: the kill takes the CLI, `airflow dags test` and the task."""
    lab = restored
    output = kill_at(lab, "transform.model_built@12", [SMARTCITY, "run"])
    assert "Running DAG smartcity_monthly" in output
    # dbt's own log (written line by line) shows the build killed half-way: models built, no end.
    build = dbt_log(lab).split("Running with dbt")[-1]
    assert build.count(" OK created sql ") >= 12
    assert "Completed successfully" not in build and "Done. PASS=" not in build
    assert_previous_warehouse_is_published(lab)
    assert leftovers(lab.settings.warehouse.parent) == []

    rerun = subprocess.run(
        [SMARTCITY, "run"], env=child_env(lab), capture_output=True, text=True, timeout=900
    )
    assert rerun.returncode == 0, rerun.stdout[-4000:] + rerun.stderr[-4000:]
    assert "months processed this run : 2024-03, 2024-04" in rerun.stdout
    assert_outcome_equals_clean_run(lab)
    assert reader_sees(lab.settings.warehouse)[1:] == (NEW_MONTHS, 8)
