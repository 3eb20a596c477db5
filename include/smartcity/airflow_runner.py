"""Run the monthly DAG through Airflow itself, with a project-local Airflow home.

`make run` uses `airflow dags test`: the real DAG, its real tasks, one process, SQLite metadata (Airflow's CLI
started through smartcity.airflow_command, which skips the interpreter's last garbage collection at exit).
Airflow's own output goes to a log file; what the terminal shows comes from the pipeline's structured events.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from smartcity.config import REPO_ROOT, Settings
from smartcity.run_records import EVENTS_VARIABLE

DAG_ID = "smartcity_monthly"


def airflow_env(settings: Settings) -> dict[str, str]:
    home = Path(os.environ.get("AIRFLOW_HOME") or REPO_ROOT / ".airflow")
    env = dict(os.environ)
    env.update(settings.as_env())
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": env.get(
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{home / 'airflow.db'}"
            ),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "DO_NOT_TRACK": "1",
            "GX_ANALYTICS_ENABLED": "False",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        }
    )
    return env


def _airflow() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def ensure_metadata_db(env: dict[str, str], echo=print) -> None:
    home = Path(env["AIRFLOW_HOME"])
    marker = home / ".migrated"
    if marker.exists():
        return
    home.mkdir(parents=True, exist_ok=True)
    echo(f"==> Preparing the Airflow metadata database in {home} (first run only)")
    subprocess.run([_airflow(), "db", "migrate"], env=env, check=True, capture_output=True, text=True)
    marker.touch()


def run_dag(
    env: dict[str, str],
    month: str,
    log_file: Path,
    events_file: Path,
    on_event: Callable[[dict], None],
    poll_seconds: float = 0.25,
) -> int:
    """Run the DAG once for `month` through `airflow dags test`; returns its exit code. Airflow's own output
    goes to `log_file`; the pipeline's structured events (run_records.py) are handed to `on_event` as they
    come."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    events_file.parent.mkdir(parents=True, exist_ok=True)
    logical_date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    # Airflow's CLI through smartcity.airflow_command: the same command, minus the last garbage collection at
    # exit (seconds at national scale, after the run has finished).
    command = [
        sys.executable,
        "-m",
        "smartcity.airflow_command",
        *("dags", "test", DAG_ID, logical_date, "-c", json.dumps({"month": month})),
    ]
    with log_file.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, env={**env, EVENTS_VARIABLE: str(events_file)}, stdout=log, stderr=subprocess.STDOUT
        )
        delivered = 0
        while True:
            finished = process.poll() is not None
            delivered = _deliver(events_file, delivered, on_event)
            if finished:
                return process.returncode
            time.sleep(poll_seconds)


def _deliver(events_file: Path, offset: int, on_event: Callable[[dict], None]) -> int:
    """Hand over the complete lines written since `offset`; returns the new offset."""
    if not events_file.exists():
        return offset
    with events_file.open("rb") as events:
        events.seek(offset)
        chunk = events.read()
    complete = chunk[: chunk.rfind(b"\n") + 1]
    for line in complete.decode("utf-8").splitlines():
        try:
            on_event(json.loads(line))
        except ValueError:
            continue
    return offset + len(complete)
