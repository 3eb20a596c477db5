"""The production deployment, as plain processes: the same services as docker-compose.yml, without Docker.

A throwaway PostgreSQL cluster holds Airflow's metadata; `airflow db migrate` prepares it; then api-server,
scheduler, dag-processor and triggerer run as separate processes with the LocalExecutor, each started through
deploy/airflow-entrypoint.sh (as in the image) with a Simple Auth Manager passwords "secret". Everything else
goes through the REST API, as an operator would: a token, unpause, a backfill of three months created through
the scheduler, then a manual run with a month in its conf. The published warehouse must hold the three months.

Needs PostgreSQL server binaries (initdb, pg_ctl): `make deploy-test` installs them with apt-get when missing.
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import requests

from smartcity.config import SAMPLE_LANDING
from tests.component.landing import HEADER, make_landing

pytestmark = pytest.mark.deploy

REPO = Path(__file__).resolve().parents[2]
ENTRYPOINT = REPO / "deploy" / "airflow-entrypoint.sh"
HEALTHCHECK = REPO / "deploy" / "healthcheck.py"
DAG_ID = "smartcity_monthly"
VENV_BIN = Path(sys.executable).parent
ADMIN = "admin"

# Three monthly folders; the component tests' registry (cities AAA, BBB; projects A1, A2 of AAA, B1 of BBB).
SUBMISSIONS = {
    "2024-01": {
        "aaa.csv": HEADER
        + "AAA,A1,2024-01,50,400000,in_progress,BUDGET,,2024-02-05T10:00:00+07:00\n"
        + "AAA,A2,2024-01,0,0,not_started,,,2024-02-05T10:00:00+07:00\n",
        "bbb.csv": HEADER + "BBB,B1,2024-01,80,1500000,in_progress,,,2024-02-06T08:00:00+07:00\n",
    },
    "2024-02": {
        "aaa.csv": HEADER
        + "AAA,A1,2024-02,100,900000,completed,,,2024-03-05T10:00:00+07:00\n"
        + "AAA,A2,2024-02,10,10000,in_progress,PERSONNEL,,2024-03-05T10:00:00+07:00\n",
    },
    "2024-03": {
        "aaa.csv": HEADER + "AAA,A2,2024-03,40,900000,in_progress,,,2024-04-05T10:00:00+07:00\n",
        "bbb.csv": HEADER + "BBB,B1,2024-03,90,1800000,in_progress,,,2024-04-04T08:00:00+07:00\n",
    },
}

# The DAG runs at 06:00 Bangkok on the 20th and processes the month before its logical date: the slots of
# 20 Feb, 20 Mar and 20 Apr 2024 are the runs of January, February and March.
BACKFILL_FROM = "2024-02-01T00:00:00+07:00"
BACKFILL_TO = "2024-04-30T00:00:00+07:00"
EXPECTED_BACKFILL_MONTHS = ["2024-01", "2024-02", "2024-03"]

STARTUP_TIMEOUT = 120
RUNS_TIMEOUT = 300
STOP_TIMEOUT = 20


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_bin() -> Path | None:
    """The folder of initdb, pg_ctl and createdb: Debian's /usr/lib/postgresql/<major>/bin, else PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))
    for folder in candidates:
        if all((Path(folder) / tool).exists() for tool in ("initdb", "pg_ctl", "createdb")):
            return Path(folder)
    return None


def _tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


class PostgresCluster:
    """A throwaway cluster on 127.0.0.1, its socket in a private folder; as `postgres` when we are root
    (initdb refuses root)."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="smartcity-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "postgres.log"
        self.port = _free_port()
        self.started = False
        self.as_postgres = os.geteuid() == 0
        self.sockets.mkdir()
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sockets, "postgres", "postgres")

    def _run(self, *command: str, timeout: int = 120) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=timeout, cwd=self.root, check=False
        )

    def start(self) -> None:
        done = self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.data), "--auth=trust", "-E", "UTF8", "-U", "postgres"
        )
        assert done.returncode == 0, f"initdb failed:\n{done.stdout}\n{done.stderr}"
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1"
        done = self._run(
            str(self.bin_dir / "pg_ctl"),
            "-w",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "start",
        )
        self.started = done.returncode == 0
        assert self.started, f"pg_ctl start failed:\n{done.stdout}\n{done.stderr}\n{_tail(self.log)}"
        done = self._run(
            str(self.bin_dir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "airflow",
        )
        assert done.returncode == 0, f"createdb failed:\n{done.stdout}\n{done.stderr}"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/airflow"

    def stop(self) -> None:
        if self.started:
            self._run(
                str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=60
            )
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log: Path


@dataclass
class Deployment:
    base: Path
    env: dict[str, str]
    api: str
    password: str
    warehouse: Path
    landing: Path
    services: list[Service] = field(default_factory=list)
    session: requests.Session = field(default_factory=requests.Session)

    def start(self, name: str, *args: str) -> None:
        log = self.base / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["bash", str(ENTRYPOINT), *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stopped as a whole, nothing else
                cwd=self.base,
            )
        self.services.append(Service(name, process, log))

    def check_alive(self) -> None:
        for service in self.services:
            if service.process.poll() is not None:
                pytest.fail(
                    f"airflow {service.name} exited with {service.process.returncode}:\n{_tail(service.log)}"
                )

    def stop(self) -> None:
        """SIGTERM to every service, then SIGKILL to whatever of its process group is left."""
        for service in self.services:
            if service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for service in self.services:
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait(timeout=10)
            try:  # children it left behind (uvicorn or executor workers), by its own group id only
                os.killpg(service.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    # REST helpers --------------------------------------------------------------------------------------

    def call(self, method: str, path: str, expect: tuple[int, ...] = (200,), **kwargs) -> requests.Response:
        response = self.session.request(method, self.api + path, timeout=30, **kwargs)
        assert response.status_code in expect, f"{method} {path}: {response.status_code} {response.text}"
        return response

    def wait_for(self, what: str, probe: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if probe():
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{self.service_logs()}")

    def service_logs(self) -> str:
        return "\n".join(f"--- {s.name} (last lines)\n{_tail(s.log, 30)}" for s in self.services)

    def runs(self) -> list[dict]:
        return self.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns", params={"limit": 100}).json()["dag_runs"]

    def await_runs(self, run_ids: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while time.monotonic() < deadline:
            self.check_alive()
            states = {run["dag_run_id"]: run["state"] for run in self.runs() if run["dag_run_id"] in run_ids}
            if any(state == "failed" for state in states.values()):
                break
            if len(states) == len(run_ids) and all(state == "success" for state in states.values()):
                return
            time.sleep(2)
        pytest.fail(f"runs did not all succeed: {states}\n{self.explain(run_ids)}")

    def explain(self, run_ids: list[str]) -> str:
        """Task states of each run and the tail of every failed task's log."""
        lines = []
        for run_id in run_ids:
            tis = self.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").json()
            lines.append(
                f"{run_id}: " + ", ".join(f"{t['task_id']}={t['state']}" for t in tis["task_instances"])
            )
            for ti in tis["task_instances"]:
                if ti["state"] in ("failed", "up_for_retry"):
                    for log in sorted(
                        (self.base / "airflow" / "logs").rglob(f"*{run_id}*/*{ti['task_id']}*/*")
                    ):
                        lines.append(f"--- {log}\n{_tail(log, 40)}")
        return "\n".join(lines) + "\n" + self.service_logs()

    def healthchecks(self) -> dict[str, str]:
        """Run docker-compose.yml's health check of each Airflow service (deploy/healthcheck.py), in
        parallel; the failures, by service."""
        checks = {
            name: subprocess.Popen(
                [sys.executable, str(HEALTHCHECK), name],
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for name in ("api-server", "scheduler", "dag-processor", "triggerer")
        }
        failures = {}
        for name, check in checks.items():
            output, _ = check.communicate(timeout=120)
            if check.returncode != 0:
                failures[name] = output
        return failures

    def timings(self, run_ids: list[str]) -> str:
        """Per run, each task's duration in seconds (printed: the test's cost, explained)."""
        lines = []
        for run_id in run_ids:
            tis = self.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").json()
            ordered = sorted(tis["task_instances"], key=lambda t: t["start_date"] or "9")
            parts = [f"{ti['task_id']} {ti['duration'] or 0:.0f}s ({ti['state']})" for ti in ordered]
            lines.append(f"  {run_id}: " + ", ".join(parts))
        return "\n".join(lines)

    def task_states(self, run_id: str) -> dict[str, str]:
        tis = self.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").json()
        return {ti["task_id"]: ti["state"] for ti in tis["task_instances"]}

    def planned(self, run_id: str) -> dict:
        """The plan task's return value: which month the run targeted and which months it processed."""
        path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/plan/xcomEntries/return_value"
        value = self.call("GET", path).json()["value"]
        return json.loads(value) if isinstance(value, str) else value


@pytest.fixture
def deployment(request) -> Iterator[Deployment]:
    bin_dir = _postgres_bin()
    if bin_dir is None:
        # No skip: `make deploy-test` installs PostgreSQL first, so missing binaries are a broken setup.
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found: `make deploy-test` installs them")
    base = Path(tempfile.mkdtemp(prefix="smartcity-deploy-"))
    postgres = PostgresCluster(bin_dir)
    deployment: Deployment | None = None
    try:
        postgres.start()
        # The sample-year backfill (marker deploy_sample) runs on the shipped sample landing area.
        sample = request.node.get_closest_marker("deploy_sample") is not None
        landing = SAMPLE_LANDING if sample else make_landing(base / "landing", SUBMISSIONS)
        warehouse = base / "bi" / "warehouse.duckdb"
        password = secrets.token_urlsafe(16)
        secret = base / "secrets" / "airflow_passwords.json"
        secret.parent.mkdir()
        secret.write_text(json.dumps({ADMIN: password}), encoding="utf-8")
        port = _free_port()
        api = f"http://127.0.0.1:{port}"
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AIRFLOW", "SMARTCITY_", "_AIRFLOW"))
        }
        env.update(
            {
                "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
                "AIRFLOW_HOME": str(base / "airflow"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres.url,
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
                "AIRFLOW__CORE__FERNET_KEY": _fernet_key(),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(port),
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API__BASE_URL": api,
                "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
                # No run for the latest cron slot when the DAG is unpaused (catchup=False would still create
                # one): every run here is the backfill's or the manual one, so each plan can be checked.
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
                # The scheduler's health server, which deploy/healthcheck.py asks (loopback, a free port).
                "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(_free_port()),
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(base / "airflow" / "logs"),
                "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
                "SMARTCITY_AIRFLOW_PASSWORDS_SECRET": str(secret),
                "SMARTCITY_LANDING": str(landing),
                "SMARTCITY_WAREHOUSE": str(warehouse),
                "DO_NOT_TRACK": "1",
                "GX_ANALYTICS_ENABLED": "False",
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            }
        )
        deployment = Deployment(base, env, api, password, warehouse, landing)
        migrate = subprocess.run(
            ["bash", str(ENTRYPOINT), "db", "migrate"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=base,
            check=False,
        )
        assert migrate.returncode == 0, (
            f"airflow db migrate failed:\n{migrate.stdout[-3000:]}{migrate.stderr}"
        )
        deployment.start("api-server", "api-server")
        deployment.start("scheduler", "scheduler", "--skip-serve-logs")
        deployment.start("dag-processor", "dag-processor")
        deployment.start("triggerer", "triggerer", "--skip-serve-logs")
        yield deployment
    finally:
        try:
            if deployment is not None:
                deployment.stop()
        finally:
            postgres.stop()
            shutil.rmtree(base, ignore_errors=True)


def _query(warehouse: Path, sql: str) -> list[tuple]:
    """One query on the published warehouse, read-only, as a BI tool would."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _start(stack: Deployment) -> None:
    """Log in through the REST API, wait for the DAG, check the health checks, unpause the DAG."""
    stack.wait_for(
        "the API server", lambda: stack.session.get(stack.api + "/api/v2/monitor/health").ok, STARTUP_TIMEOUT
    )
    # No credentials, no API.
    assert stack.session.get(stack.api + f"/api/v2/dags/{DAG_ID}").status_code == 401
    wrong = stack.session.post(stack.api + "/auth/token", json={"username": ADMIN, "password": "admin"})
    assert wrong.status_code in (401, 403)
    token = stack.call(
        "POST", "/auth/token", expect=(200, 201), json={"username": ADMIN, "password": stack.password}
    ).json()["access_token"]
    stack.session.headers["Authorization"] = f"Bearer {token}"
    # The execution API builds its routes on first use (9-12 s): warm it before tasks need it.
    stack.call("GET", "/execution/health")
    stack.wait_for(
        f"the DAG {DAG_ID} to be parsed",
        lambda: stack.session.get(stack.api + f"/api/v2/dags/{DAG_ID}").status_code == 200,
        STARTUP_TIMEOUT,
    )
    assert stack.call("GET", "/api/v2/importErrors").json()["total_entries"] == 0
    # The health checks of docker-compose.yml pass against the running services (the scheduler and the
    # triggerer record their first heartbeat a few seconds after start).
    failures: dict[str, str] = {}
    for _ in range(6):
        failures = stack.healthchecks()
        if not failures:
            break
        time.sleep(5)
    assert not failures, failures
    stack.call("PATCH", f"/api/v2/dags/{DAG_ID}", json={"is_paused": False})


def _backfill(stack: Deployment, from_date: str, to_date: str, runs: int) -> list[str]:
    """A backfill created through the scheduler, one run at a time (one writer); awaited to success."""
    backfill = stack.call(
        "POST",
        "/api/v2/backfills",
        json={
            "dag_id": DAG_ID,
            "from_date": from_date,
            "to_date": to_date,
            "max_active_runs": 1,
            "run_backwards": False,
            "reprocess_behavior": "none",
        },
    ).json()
    assert backfill["dag_id"] == DAG_ID and backfill["max_active_runs"] == 1
    backfill_runs = sorted(
        (run for run in stack.runs() if run["run_type"] == "backfill"), key=lambda r: r["logical_date"]
    )
    assert len(backfill_runs) == runs, backfill_runs
    backfill_ids = [run["dag_run_id"] for run in backfill_runs]
    stack.await_runs(backfill_ids, RUNS_TIMEOUT * max(1, runs // 3))
    return backfill_ids


@pytest.mark.deploy_sample
def test_backfill_of_the_sample_year_through_the_scheduler(deployment: Deployment):
    """The whole sample year, April 2023 to March 2024, backfilled through the scheduler on PostgreSQL:
    12 runs (the slots of 20 May 2023 to 20 April 2024), each processing the month before its slot, and the
    published warehouse holds the programme's March 2024 headline."""
    _start(deployment)
    ids = _backfill(deployment, "2023-05-01T00:00:00+07:00", "2024-04-30T00:00:00+07:00", runs=12)
    plans = [deployment.planned(run_id) for run_id in ids]
    expected = [
        f"{year}-{month:02d}"
        for year, month in [(2023, m) for m in range(4, 13)] + [(2024, 1), (2024, 2), (2024, 3)]
    ]
    assert [plan["target_month"] for plan in plans] == expected
    progress, investment, cities = _query(
        deployment.warehouse,
        "select progress_pct, investment_value_thb, certified_cities from marts.program_summary_monthly "
        "where month = date '2024-03-01'",
    )[0]
    assert (round(progress, 2), investment, cities) == (27.57, Decimal("6842970000.00"), 30)
    assert _query(deployment.warehouse, "select count(*) from marts.program_summary_monthly") == [(12,)]


def test_backfill_and_manual_run_through_the_rest_api(deployment: Deployment):
    started = time.monotonic()
    stack = deployment
    _start(stack)
    ready = time.monotonic()

    # A backfill of three monthly slots, created through the scheduler, one run at a time (one writer).
    backfill_ids = _backfill(stack, BACKFILL_FROM, BACKFILL_TO, runs=3)
    # Each backfill run processed the month before its logical date (and only that month).
    plans = [stack.planned(run_id) for run_id in backfill_ids]
    assert [plan["target_month"] for plan in plans] == EXPECTED_BACKFILL_MONTHS
    assert [plan["months"] for plan in plans] == [[month] for month in EXPECTED_BACKFILL_MONTHS]
    backfilled = time.monotonic()

    published_by = _query(stack.warehouse, "select run_id from meta.publication")
    assert published_by == [(backfill_ids[-1],)]

    # A manual run for March, the month given in its conf: nothing new since the backfill, so it plans no
    # month, skips the work and leaves the published warehouse as it was (and still succeeds).
    manual = stack.call(
        "POST",
        f"/api/v2/dags/{DAG_ID}/dagRuns",
        json={"logical_date": None, "conf": {"month": "2024-03"}},
    ).json()
    assert manual["run_type"] == "manual"
    stack.await_runs([manual["dag_run_id"]], RUNS_TIMEOUT)
    plan = stack.planned(manual["dag_run_id"])
    assert (plan["target_month"], plan["months"]) == ("2024-03", [])
    states = stack.task_states(manual["dag_run_id"])
    # The short-circuit after the plan skips every step, the two audits included.
    assert states == {
        "plan": "success",
        "anything_new": "success",
        "pull": "skipped",
        "audit_registry": "skipped",
        "validate": "skipped",
        "transform": "skipped",
        "audit_marts": "skipped",
        "publish": "skipped",
    }, states
    finished = time.monotonic()

    assert _query(stack.warehouse, "select run_id from meta.publication") == published_by
    months = _query(stack.warehouse, "select month from marts.program_summary_monthly order by month")
    assert [m for (m,) in months] == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    # AAA: A1 (1 M baht) and A2 (3 M baht). January: (50 x 1 + 0 x 3) / 4 = 12.5 %; February:
    # (100 x 1 + 10 x 3) / 4 = 32.5 %; March: A1 carried forward at 100 %, A2 at 40 %: (100 + 120) / 4 = 55 %.
    aaa = _query(
        stack.warehouse,
        "select month, progress_pct from marts.city_progress_monthly where city_code = 'AAA' order by month",
    )
    assert [(month, float(value)) for month, value in aaa] == [
        (date(2024, 1, 1), pytest.approx(12.5)),
        (date(2024, 2, 1), pytest.approx(32.5)),
        (date(2024, 3, 1), pytest.approx(55.0)),
    ]
    print(
        f"\ndeployment: ready in {ready - started:.0f} s, backfill of 3 runs {backfilled - ready:.0f} s, "
        f"manual run {finished - backfilled:.0f} s\n{stack.timings([*backfill_ids, manual['dag_run_id']])}"
    )
