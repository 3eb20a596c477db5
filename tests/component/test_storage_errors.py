"""Storage faults: a full disk, a read-only folder, a damaged state database, a damaged published warehouse.

Each must end with one sentence naming the path and what to do (from `smartcity run`: no traceback), and
lose nothing: the received copies, the previous published warehouse when it was fine, the state. Once the
fault is fixed, the next run publishes.

The disks are real: a small tmpfs mounted here, filled up or remounted read-only (chmod does not stop root).
Mounting needs root (or CAP_SYS_ADMIN); without it these tests fail and say so, rather than skip.

Decision for a damaged published warehouse: publication never reads the previous file (it snapshots the
build database and swaps the snapshot in), so the next publication simply replaces it; and a run with nothing
new publishes the state's figures again (plan_run sees the file cannot be read through), so a damaged file
does not wait for next month's data. `smartcity summary` and `report` say it cannot be read and to run
`smartcity run`.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from smartcity.config import Settings, load_settings
from smartcity.errors import StorageError
from smartcity.pipeline import STEPS, RunPlan, plan_run, run_publish, run_pull
from smartcity.publication.guard import WarehouseRefused
from smartcity.publication.publish import PublishStorageError, parquet_dir, published_warehouse_problem
from smartcity.state import StateError
from tests.component.landing import HEADER, make_landing, query, run_steps, settings_for, snapshot

SMARTCITY = str(Path(sys.executable).with_name("smartcity"))
MIB = 1024 * 1024

# A long check: `make test-long` runs it (Makefile).
pytestmark = pytest.mark.resilience

SUBMISSIONS = {
    "2024-01": {
        "cities.csv": HEADER
        + "AAA,A1,2024-01,30,200000,in_progress,BUDGET,,2024-02-05T10:00:00+07:00\n"
        + "BBB,B1,2024-01,20,300000,in_progress,,,2024-02-06T10:00:00+07:00\n"
    },
    "2024-02": {
        "cities.csv": HEADER
        + "AAA,A1,2024-02,50,400000,in_progress,,,2024-03-05T10:00:00+07:00\n"
        + "BBB,B1,2024-02,40,600000,in_progress,,,2024-03-06T10:00:00+07:00\n"
    },
    "2024-03": {
        "aaa.csv": HEADER
        + "AAA,A1,2024-03,70,600000,in_progress,,,2024-04-05T10:00:00+07:00\n"
        + "AAA,A2,2024-03,15,20000,in_progress,POLICY,,2024-04-05T10:00:00+07:00\n",
        "bbb.csv": HEADER + "BBB,B1,2024-03,60,900000,in_progress,,,2024-04-06T10:00:00+07:00\n",
    },
}
PREVIOUS_MONTHS = ["2024-01", "2024-02"]


@dataclass
class Lab:
    base: Path
    landing: Path
    saved: Path  # a warehouse folder with 2024-01 and 2024-02 published (run `base`)
    transformed: Path  # the same after run `pending` pulled, validated and transformed 2024-03, unpublished
    plan: RunPlan  # run `pending`'s plan
    previous_marts: dict  # the marts as run `base` published them
    marts_with_march: dict  # the marts once 2024-03 is published


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    """Every marts table, sorted (they hold figures only: no run ids, no timestamps)."""
    names = query(warehouse, "select table_name from information_schema.tables where table_schema = 'marts'")
    return {
        name: query(warehouse, f'select * from marts."{name}" order by all')  # noqa: S608 (the catalog's names)
        for (name,) in names
    }


def published_run(warehouse: Path) -> tuple[str, list[str]]:
    return query(warehouse, "select run_id, months_processed from meta.publication")[0]


def processed(settings: Settings) -> list[str]:
    rows = query(
        settings.pipeline_db, "select strftime(month, '%Y-%m') from pipeline.processed_months order by 1"
    )
    return [r[0] for r in rows]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Lab:
    base = tmp_path_factory.mktemp("storage")
    landing = make_landing(base / "landing", SUBMISSIONS)
    settings = settings_for(landing, base / "reference" / "warehouse.duckdb")
    run_steps(settings, "base", date(2024, 2, 1))
    saved = base / "saved"
    shutil.copytree(settings.warehouse.parent, saved, symlinks=True)
    plan = plan_run(settings, "pending")
    assert plan.months == ["2024-03"]
    for step in STEPS[:-1]:
        step(settings, plan)
    transformed = base / "transformed"
    shutil.copytree(settings.warehouse.parent, transformed, symlinks=True)
    previous_marts = marts(settings.warehouse)
    run_publish(settings, plan)
    marts_with_march = marts(settings.warehouse)
    assert marts_with_march != previous_marts
    return Lab(base, landing, saved, transformed, plan, previous_marts, marts_with_march)


def install(copy: Path, folder: Path, state_elsewhere: Path | None = None) -> None:
    """A saved warehouse folder at `folder`; its state folder at `state_elsewhere` (through a symlink, as
    a deployment putting the state on another disk would) when given."""
    folder.mkdir(parents=True, exist_ok=True)
    for item in copy.iterdir():
        if item.name == "warehouse.duckdb.state" and state_elsewhere is not None:
            shutil.copytree(item, state_elsewhere, symlinks=True)
            (folder / item.name).symlink_to(state_elsewhere, target_is_directory=True)
        elif item.is_dir():
            shutil.copytree(item, folder / item.name, symlinks=True)
        else:
            shutil.copy2(item, folder / item.name)


def settings_at(lab: Lab, folder: Path) -> Settings:
    return settings_for(lab.landing, folder / "warehouse.duckdb")


@contextmanager
def tmpfs(folder: Path, size: int) -> Iterator[Path]:
    """A real, small file system at `folder`, unmounted afterwards whatever happens."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size // 1024}k", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.fail(
            "these tests mount a small tmpfs to fill a disk or make it read-only, which needs root (or "
            f"CAP_SYS_ADMIN); `mount` said: {mounted.stderr.strip() or mounted.returncode}"
        )
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], check=True)  # a process still holds a file


def remount(folder: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True, capture_output=True)


def fill(disk: Path) -> Path:
    """Fill the file system of `disk` up to the last byte. Unbuffered writes, halving the chunk on ENOSPC: a
    buffered file kept the bytes that did not fit and raised ENOSPC again when closed, depending on how much
    room the copied state happened to leave."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        chunk = 1 << 20
        while chunk:
            try:
                os.write(descriptor, bytes(chunk))
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                chunk //= 2
    finally:
        os.close(descriptor)
    assert shutil.disk_usage(disk).free < 4096, f"{disk} still has room"
    return filler


def smartcity(lab: Lab, warehouse: Path, *args: str, month: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCITY_")}
    env.update(
        {
            "SMARTCITY_LANDING": str(lab.landing),
            "SMARTCITY_WAREHOUSE": str(warehouse),
            "AIRFLOW_HOME": str(lab.base / "airflow"),
        }
    )
    if month:
        env["SMARTCITY_MONTH"] = month
    return subprocess.run([SMARTCITY, *args], env=env, capture_output=True, text=True, timeout=900)


def error_line(run: subprocess.CompletedProcess, prefix: str) -> str:
    """The one line of the command's output that starts with `prefix`; no traceback anywhere."""
    output = run.stdout + run.stderr
    assert "Traceback" not in output, output[-4000:]
    lines = [line for line in run.stdout.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, run.stdout[-4000:]
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".partial" in p.name or p.name.endswith(".wal"))


# A full disk


def test_a_full_disk_at_publication_fails_with_what_to_do_and_keeps_the_previous_warehouse(lab, tmp_path):
    """Through `smartcity run` (the Airflow DAG): the warehouse's disk is full, its state is on another."""
    disk = tmp_path / "disk"
    # Room for two warehouses (the previous one and the next, before the swap) and their Parquet copies once
    # the filler is gone: 16 MiB since the index's audit, uncertainty and history tables (each DuckDB table
    # takes at least one 256 KiB block).
    with tmpfs(disk, 16 * MIB):
        install(lab.saved, disk, state_elsewhere=tmp_path / "state")
        settings = settings_at(lab, disk)
        previous = settings.warehouse.read_bytes()
        previous_parquet = snapshot(parquet_dir(settings.warehouse))
        filler = fill(disk)

        run = smartcity(lab, settings.warehouse, "run")
        assert run.returncode == 1, run.stdout[-4000:]
        reason = error_line(run, "Reason: ")
        assert f"could not publish {settings.warehouse} (" in reason
        assert "No space left on device" in reason
        assert f"free space on the disk that holds {disk}, and run again" in reason
        assert "the previous warehouse is unchanged" in reason
        # Nothing lost: the previous warehouse and its Parquet copy as they were, nothing half-written left
        # on the full disk, the new month received but not marked processed.
        assert settings.warehouse.read_bytes() == previous
        assert published_run(settings.warehouse) == ("base", PREVIOUS_MONTHS)
        assert snapshot(parquet_dir(settings.warehouse)) == previous_parquet
        assert leftovers(disk) == []
        assert processed(settings) == PREVIOUS_MONTHS
        assert len(list((settings.received_dir / "2024-03").iterdir())) == 2

        filler.unlink()
        plan = run_steps(settings, "after")
        assert plan.months == ["2024-03"]
        assert published_run(settings.warehouse) == ("after", ["2024-03"])
        assert marts(settings.warehouse) == lab.marts_with_march


def test_a_full_disk_under_the_state_stops_the_run_with_what_to_do_and_loses_nothing(lab, tmp_path):
    disk = tmp_path / "disk"
    with tmpfs(disk, 64 * MIB):
        install(lab.saved, disk)
        settings = settings_at(lab, disk)
        previous = settings.warehouse.read_bytes()
        received = snapshot(settings.received_dir)
        filler = fill(disk)

        with pytest.raises(StorageError) as error:
            run_steps(settings, "full")
        message = str(error.value)
        assert "No space left on device" in message
        assert f"free space on the disk that holds {disk}" in message
        assert "and run again" in message
        assert "\n" not in message

        filler.unlink()
        # Nothing lost: the state opens and holds what it held, the received copies and the warehouse too.
        assert processed(settings) == PREVIOUS_MONTHS
        assert query(
            settings.pipeline_db,
            "select count(*) from raw.received_files where received_month < '2024-03-01'",
        ) == [(2,)]
        after = snapshot(settings.received_dir)
        assert {name: after[name] for name in received} == received
        assert settings.warehouse.read_bytes() == previous

        plan = run_steps(settings, "after")
        assert plan.months == ["2024-03"]
        assert marts(settings.warehouse) == lab.marts_with_march
        # Received once each, whatever the failed run had done.
        assert query(
            settings.pipeline_db, "select count(*), count(distinct file_id) from raw.received_files"
        ) == [(4, 4)]
        assert leftovers(settings.received_dir) == []


def test_a_full_disk_for_the_received_copies_stops_the_pull_and_receives_nothing_twice(lab, tmp_path):
    """The received copies on a disk of their own (a symlink), full: the copy fails before the file is
    registered, so the next pull copies and registers it once."""
    install(lab.saved, tmp_path / "w")
    settings = settings_at(lab, tmp_path / "w")
    plan = plan_run(settings, "copies")
    disk = tmp_path / "copies"
    with tmpfs(disk, 1 * MIB):
        shutil.copytree(settings.received_dir, disk, dirs_exist_ok=True)
        shutil.rmtree(settings.received_dir)
        settings.received_dir.symlink_to(disk, target_is_directory=True)
        filler = fill(disk)
        with pytest.raises(StorageError) as error:
            run_pull(settings, plan)
        message = str(error.value)
        assert message.startswith(f"the pull step could not write {settings.received_dir / '2024-03'}")
        assert "No space left on device" in message
        assert "free space on the disk that holds" in message
        assert query(settings.pipeline_db, "select count(*) from raw.received_files") == [(2,)]

        filler.unlink()
        run_pull(settings, plan)
        assert query(
            settings.pipeline_db, "select count(*), count(distinct file_id) from raw.received_files"
        ) == [(4, 4)]
        assert leftovers(disk) == []
        assert len(list((disk / "2024-03").iterdir())) == 2


# A read-only folder


def test_a_read_only_warehouse_folder_stops_smartcity_run_with_what_to_do(lab, tmp_path):
    folder = tmp_path / "readonly"
    with tmpfs(folder, 64 * MIB):
        install(lab.saved, folder)
        settings = settings_at(lab, folder)
        previous = snapshot(folder)
        remount(folder, "ro")
        try:
            run = smartcity(lab, settings.warehouse, "run")
        finally:
            remount(folder, "rw")
        assert run.returncode == 1
        line = error_line(run, "Error: ")
        assert f"cannot write the pipeline's state database {settings.pipeline_db} (" in line
        assert "Read-only file system" in line
        assert f"make {settings.state_dir} writable (its file system is mounted read-only)" in line
        assert "or point SMARTCITY_WAREHOUSE elsewhere, and run again" in line
        assert snapshot(folder) == previous


def test_a_first_run_into_a_read_only_folder_says_what_to_do(lab, tmp_path):
    folder = tmp_path / "readonly"
    with tmpfs(folder, 1 * MIB):
        remount(folder, "ro")
        try:
            run = smartcity(lab, folder / "warehouse.duckdb", "run")
        finally:
            remount(folder, "rw")
        assert run.returncode == 1
        line = error_line(run, "Error: ")
        assert f"cannot create the pipeline's state folder {folder / 'warehouse.duckdb.state'} (" in line
        assert f"make {folder} writable (its file system is mounted read-only)" in line
        assert list(folder.iterdir()) == []


def test_a_read_only_warehouse_folder_fails_publication_and_keeps_the_previous_warehouse(lab, tmp_path):
    """The state on another disk, writable: every step runs, publication says what to do."""
    folder = tmp_path / "readonly"
    with tmpfs(folder, 16 * MIB):
        install(lab.transformed, folder, state_elsewhere=tmp_path / "state")
        settings = settings_at(lab, folder)
        previous = settings.warehouse.read_bytes()
        remount(folder, "ro")
        try:
            with pytest.raises(PublishStorageError) as error:
                run_publish(settings, lab.plan)
        finally:
            remount(folder, "rw")
        message = str(error.value)
        assert message.startswith(f"could not publish {settings.warehouse} (")
        assert "Read-only file system" in message
        assert f"make {folder} writable (its file system is mounted read-only), and run again" in message
        assert "the previous warehouse is unchanged" in message
        assert settings.warehouse.read_bytes() == previous
        assert processed(settings) == PREVIOUS_MONTHS
        assert leftovers(folder) == []

        run_publish(settings, lab.plan)
        assert published_run(settings.warehouse) == ("pending", ["2024-03"])
        assert marts(settings.warehouse) == lab.marts_with_march


# A damaged state database


def test_a_damaged_state_database_stops_smartcity_run_and_is_left_as_it_is(lab, tmp_path):
    settings = settings_at(lab, tmp_path / "w")
    install(lab.saved, tmp_path / "w")
    garbage = b"this is not a DuckDB database\n" * 1000
    settings.pipeline_db.write_bytes(garbage)
    received = snapshot(settings.received_dir)
    previous = settings.warehouse.read_bytes()

    run = smartcity(lab, settings.warehouse, "run")
    assert run.returncode == 1
    line = error_line(run, "Error: ")
    assert f"the pipeline's state database {settings.pipeline_db} is damaged (" in line
    assert "not a valid DuckDB database file" in line
    assert "restore it from a backup, or move it (and any .wal beside it) aside" in line
    assert settings.pipeline_db.read_bytes() == garbage
    assert snapshot(settings.received_dir) == received
    assert settings.warehouse.read_bytes() == previous


def test_an_emptied_state_database_is_not_taken_for_a_new_one(lab, tmp_path):
    settings = settings_at(lab, tmp_path / "w")
    install(lab.saved, tmp_path / "w")
    settings.pipeline_db.write_bytes(b"")
    with pytest.raises(StateError) as error:
        plan_run(settings, "emptied")
    assert f"{settings.pipeline_db} is damaged" in str(error.value)
    # Not initialised as a fresh database, which would make every month look new.
    assert settings.pipeline_db.stat().st_size == 0


def test_a_truncated_state_database_is_found_before_anything_is_written_and_can_be_rebuilt(lab, tmp_path):
    settings = settings_at(lab, tmp_path / "w")
    install(lab.saved, tmp_path / "w")
    with settings.pipeline_db.open("r+b") as handle:
        handle.truncate(settings.pipeline_db.stat().st_size // 10)
    truncated = settings.pipeline_db.read_bytes()
    previous = settings.warehouse.read_bytes()

    with pytest.raises(StateError) as error:
        plan_run(settings, "truncated")
    message = str(error.value)
    assert f"the pipeline's state database {settings.pipeline_db} is damaged (" in message
    assert "restore it from a backup" in message
    assert settings.pipeline_db.read_bytes() == truncated
    assert settings.warehouse.read_bytes() == previous

    assert "SMARTCITY_REPLACE_WAREHOUSE=yes" in message
    # What the message offers works: with the damaged file moved aside, the state is rebuilt from the landing
    # area and the warehouse published with the same figures; a new history must be asked for (the state
    # that knew the published one is gone).
    os.replace(settings.pipeline_db, settings.pipeline_db.with_name("build.duckdb.damaged"))
    with pytest.raises(WarehouseRefused):
        plan_run(settings, "rebuilt")
    settings = load_settings({**settings.as_env(), "SMARTCITY_REPLACE_WAREHOUSE": "yes"})
    plan = run_steps(settings, "rebuilt")
    assert plan.months == [*PREVIOUS_MONTHS, "2024-03"]
    assert marts(settings.warehouse) == lab.marts_with_march
    assert query(
        settings.pipeline_db, "select count(*), count(distinct file_id) from raw.received_files"
    ) == [(4, 4)]


# A damaged published warehouse


def test_a_damaged_published_warehouse_is_replaced_by_the_next_publication(lab, tmp_path):
    settings = settings_at(lab, tmp_path / "w")
    install(lab.transformed, tmp_path / "w")
    settings.warehouse.write_bytes(b"\0garbage" * 4096)
    assert "not a valid DuckDB database file" in published_warehouse_problem(settings.warehouse)

    run_publish(settings, lab.plan)  # publication does not read the previous file
    assert published_warehouse_problem(settings.warehouse) is None
    assert marts(settings.warehouse) == lab.marts_with_march


def test_smartcity_with_nothing_new_publishes_a_damaged_warehouse_again(lab, tmp_path):
    """Through `smartcity summary` (a clear error) and `smartcity run` (the Airflow DAG republishes)."""
    settings = settings_at(lab, tmp_path / "w")
    install(lab.saved, tmp_path / "w")
    with settings.warehouse.open("r+b") as handle:
        handle.truncate(settings.warehouse.stat().st_size // 2)
    problem = published_warehouse_problem(settings.warehouse)
    assert problem is not None

    summary = smartcity(lab, settings.warehouse, "summary", month="2024-02")
    assert summary.returncode == 1
    line = error_line(summary, "Error: ")
    assert f"the published warehouse {settings.warehouse} cannot be read ({problem})" in line
    assert "run `smartcity run` (make run) to publish it again from the pipeline's state" in line

    run = smartcity(lab, settings.warehouse, "run", month="2024-02")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert f"==> The published warehouse {settings.warehouse} cannot be read ({problem})" in run.stdout
    assert published_warehouse_problem(settings.warehouse) is None
    assert marts(settings.warehouse) == lab.previous_marts
    assert processed(settings) == PREVIOUS_MONTHS
    assert query(settings.pipeline_db, "select count(*) from pipeline.publications") == [(2,)]
    # Nothing new was processed: the published months are the same, the republication recorded with none.
    assert published_run(settings.warehouse)[1] == []
    again = smartcity(lab, settings.warehouse, "run", month="2024-02")
    assert "Nothing new" in again.stdout


def test_the_plan_asks_for_a_republication_only_when_the_published_file_cannot_be_read(lab, tmp_path):
    settings = settings_at(lab, tmp_path / "w")
    install(lab.saved, tmp_path / "w")
    fine = plan_run(settings, "fine", date(2024, 2, 1))
    assert not fine.has_work and fine.published_problem is None
    settings.warehouse.unlink()
    plan = plan_run(settings, "missing", date(2024, 2, 1))
    assert plan.republish and plan.has_work and plan.months == [] and not plan.rebuild
    # The plan says why (so `smartcity run` tells it without reading the warehouse again).
    assert plan.published_problem == published_warehouse_problem(settings.warehouse) is not None
    # The plan travels between the DAG's tasks as JSON (XCom).
    travelled = RunPlan.from_dict(json.loads(json.dumps(plan.as_dict())))
    assert travelled.republish and travelled.published_problem == plan.published_problem
