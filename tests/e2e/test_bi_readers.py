"""BI readers never fail and never see a half-built warehouse while the pipeline publishes.

A real pipeline run (pull, Great Expectations, dbt build, publish) on the shipped sample runs in its own
process while two reader processes poll the published file the way Apache Superset connects to it: SQLAlchemy
with duckdb-engine, `duckdb:////abs/path` with `connect_args={"read_only": True}`, a new connection per poll.
The warehouse is first published from a two-month landing area; the readers start; a third month lands and the
pipeline publishes again. Every query of every poll must succeed, every snapshot must agree with itself (city
figures add up to the programme's, the marts cover exactly the months the publications processed), and each
reader must see the old publication and then the new one, never the old one again after the new.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from smartcity.config import SAMPLE_LANDING

pytestmark = [pytest.mark.e2e, pytest.mark.resilience]  # a long check: `make test-long` runs it

READERS = 2
FIRST_MONTHS = ["2023-04", "2023-05"]
ADDED_MONTH = "2023-06"

WRITER = r"""
import sys
from smartcity.config import load_settings
from smartcity.pipeline import STEPS, plan_run

settings = load_settings({"SMARTCITY_LANDING": sys.argv[1], "SMARTCITY_WAREHOUSE": sys.argv[2]})
plan = plan_run(settings, sys.argv[3])
assert plan.has_work, plan
for step in STEPS:
    step(settings, plan)
print("published", plan.run_id, plan.months, flush=True)
"""

# One poll = one new connection, exactly as Superset opens it; every query of the poll reads that snapshot.
READER = r"""
import json, sys, time, traceback
from pathlib import Path
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

warehouse, out, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])


def months_of(conn, table):
    return sorted(str(r[0]) for r in conn.execute(text(f"select distinct month from {table}")))


def poll():
    engine = create_engine(f"duckdb:///{warehouse}", connect_args={"read_only": True}, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            run_id, report_month, processed = conn.execute(
                text("select run_id, report_month, months_processed from meta.publication")
            ).one()
            logged = conn.execute(text("select months_processed from meta.publication_log")).scalars().all()
            marts = {
                table: months_of(conn, table)
                for table in (
                    "marts.program_summary_monthly",
                    "marts.city_progress_monthly",
                    "marts.city_index_monthly",
                    "marts.investment_by_dimension_monthly",
                )
            }
            mismatches = conn.execute(text('''
                select p.month, p.investment_value_thb, sum(c.budget_thb),
                    p.certified_cities, count(c.city_code)
                from marts.program_summary_monthly p
                left join marts.city_progress_monthly c using (month)
                group by all
                having p.investment_value_thb <> coalesce(sum(c.budget_thb), 0)
                    or p.certified_cities <> count(c.city_code)
            ''')).all()
            dimension_mismatches = conn.execute(text('''
                select p.month from marts.program_summary_monthly p
                join marts.investment_by_dimension_monthly d using (month)
                group by p.month, p.investment_value_thb
                having p.investment_value_thb <> sum(d.investment_value_thb)
            ''')).all()
            rows = {
                table: conn.execute(text(f"select count(*) from {table}")).scalar_one()
                for table in ("marts.city_progress_monthly", "dq.validation_runs", "dq.city_quality_monthly")
            }
    finally:
        engine.dispose()
    covered = sorted({f"{m}-01" for months in logged for m in months})
    problems = []
    for table, months in marts.items():
        if months != covered:
            problems.append(f"{table} covers {months}, the publications processed {covered}")
    if str(report_month) != covered[-1]:
        problems.append(f"report_month {report_month} is not the last month covered {covered[-1]}")
    if not set(f"{m}-01" for m in processed) <= set(covered):
        problems.append(f"months_processed {processed} not all covered")
    if mismatches:
        problems.append(f"city figures do not add up to the programme's: {mismatches}")
    if dimension_mismatches:
        problems.append(f"dimension figures do not add up: {dimension_mismatches}")
    return {"run_id": run_id, "months": covered, "rows": rows, "problems": problems}


with out.open("w") as sink:
    while not stop.exists():
        started = time.time()
        try:
            record = poll()
        except Exception:
            record = {"error": traceback.format_exc()}
        record["at"] = started
        record["seconds"] = round(time.time() - started, 4)
        sink.write(json.dumps(record, default=str) + "\n")
        sink.flush()
        time.sleep(0.4)  # two cores: leave most of them to the pipeline
"""


def _write(base: Path, landing: Path, warehouse: Path, run_id: str) -> subprocess.Popen:
    log = (base / f"{run_id}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(landing), str(warehouse), run_id],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"},
    )


def _wait(process: subprocess.Popen, base: Path, run_id: str, timeout: float = 600) -> None:
    assert process.wait(timeout=timeout) == 0, (base / f"{run_id}.log").read_text()[-5000:]


def _records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _copy_month(landing: Path, month: str) -> None:
    shutil.copytree(SAMPLE_LANDING / "submissions" / month, landing / "submissions" / month)


@pytest.fixture(scope="module")
def publications(tmp_path_factory):
    base = tmp_path_factory.mktemp("bi_readers")
    landing = base / "landing"
    shutil.copytree(SAMPLE_LANDING / "registry", landing / "registry")
    for month in FIRST_MONTHS:
        _copy_month(landing, month)
    warehouse = base / "bi" / "warehouse.duckdb"

    _wait(_write(base, landing, warehouse, "publication-1"), base, "publication-1")

    stop = base / "stop"
    outputs = [base / f"reader-{n}.jsonl" for n in range(READERS)]
    readers = [
        subprocess.Popen([sys.executable, "-c", READER, str(warehouse), str(out), str(stop)])
        for out in outputs
    ]
    try:
        # Every reader has read the first publication before the second run starts.
        deadline = time.time() + 60
        while not all(_records(out) for out in outputs):
            assert time.time() < deadline, "the readers did not start"
            assert all(r.poll() is None for r in readers), "a reader died"
            time.sleep(0.2)
        _copy_month(landing, ADDED_MONTH)
        started = time.time()
        _wait(_write(base, landing, warehouse, "publication-2"), base, "publication-2")
        run_seconds = time.time() - started
        # And reads the second one afterwards.
        deadline = time.time() + 30
        while not all(any(r.get("run_id") == "publication-2" for r in _records(out)) for out in outputs):
            assert time.time() < deadline, "a reader never saw the new publication"
            time.sleep(0.2)
    finally:
        stop.touch()
        for reader in readers:
            try:
                reader.wait(timeout=30)
            except subprocess.TimeoutExpired:
                reader.kill()
    return {
        "warehouse": warehouse,
        "records": [_records(out) for out in outputs],
        "exit_codes": [r.returncode for r in readers],
        "run_seconds": run_seconds,
        "started": started,
    }


def test_no_query_of_any_reader_ever_failed(publications):
    assert publications["exit_codes"] == [0] * READERS
    for records in publications["records"]:
        errors = [r["error"] for r in records if "error" in r]
        assert errors == [], errors[0]


def test_the_readers_polled_during_the_whole_run(publications):
    for records in publications["records"]:
        during = [r for r in records if r["at"] >= publications["started"]]
        # A poll about every 0.5 s for the whole second run (about a minute): many polls, no long gap.
        assert len(during) >= 20, len(during)
        gaps = [b["at"] - a["at"] for a, b in zip(during, during[1:], strict=False)]
        assert max(gaps) < 10, max(gaps)


def test_every_snapshot_seen_was_consistent(publications):
    for records in publications["records"]:
        for record in records:
            assert record["problems"] == [], record


def test_each_reader_saw_the_old_then_the_new_publication_and_never_went_back(publications):
    months = {
        "publication-1": [f"{m}-01" for m in FIRST_MONTHS],
        "publication-2": [f"{m}-01" for m in [*FIRST_MONTHS, ADDED_MONTH]],
    }
    for records in publications["records"]:
        seen = [r["run_id"] for r in records]
        assert seen[0] == "publication-1" and seen[-1] == "publication-2"
        switch = seen.index("publication-2")
        assert set(seen[:switch]) == {"publication-1"} and set(seen[switch:]) == {"publication-2"}
        for record in records:
            assert record["months"] == months[record["run_id"]]
        # The new publication really holds more: the added month's city rows.
        assert (
            records[-1]["rows"]["marts.city_progress_monthly"]
            > records[0]["rows"]["marts.city_progress_monthly"]
        )


def test_a_write_through_the_read_only_engine_is_refused(publications):
    warehouse = publications["warehouse"]
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    engine = create_engine(f"duckdb:///{warehouse}", connect_args={"read_only": True}, poolclass=NullPool)
    try:
        for statement in (
            "create table meta.written_by_bi as select 1 as x",
            "insert into meta.publication (run_id) values ('bi-tool')",
            "delete from marts.city_progress_monthly",
        ):
            with engine.connect() as conn, pytest.raises(DBAPIError, match="read-only"):
                conn.execute(text(statement))
        with engine.connect() as conn:
            assert conn.execute(text("select run_id from meta.publication")).scalar_one() == "publication-2"
    finally:
        engine.dispose()
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
