"""Run the monthly DAG through Airflow itself, with a project-local Airflow home.

`make run` uses `airflow dags test`: the real DAG, its real tasks, one process, SQLite metadata.
Airflow's own output goes to a log file; the pipeline's progress lines are echoed to the terminal.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from smartcity.config import REPO_ROOT, Settings

DAG_ID = "smartcity_monthly"
# Lines of the pipeline's own logging worth showing while the DAG runs.
_PROGRESS = re.compile(
    r"(plan: |pull \d{4}-\d{2}|validate \d{4}-\d{2}|registry loaded|dbt build passed|published \d+ tables|"
    r"rejected |progress: |Data Docs: )"
)


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


def run_dag(env: dict[str, str], month: str, log_file: Path, echo=print) -> int:
    """Run the DAG once for `month` through `airflow dags test`; returns the exit code."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logical_date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    command = [_airflow(), "dags", "test", DAG_ID, logical_date, "-c", json.dumps({"month": month})]
    with log_file.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if _PROGRESS.search(line):
                echo("    " + _tidy(line))
        return process.wait()


_FAILURE = re.compile(r"(?:AirflowFailException|smartcity\.[\w.]+Error): (.*)$")
# What a structured log line carries after its message: `[logger.name] key=value ...`; and what the failure
# alert adds to the error it quotes (its full stop, and the task log's URL on an API server that `airflow
# dags test` never started).
_LOG_SUFFIX = re.compile(r"\s+\[[\w.]+\](?:\s+\w+=\S*)*\s*$")
_ALERT_SUFFIX = re.compile(r"\.?(?:\s+Log:\s+\S+)?\s*$")


def failure_reason(log_file: Path) -> str | None:
    """The pipeline's own explanation of a failed run, as logged by the failing task (last one wins)."""
    reason: list[str] | None = None
    collecting = False
    for line in log_file.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _FAILURE.search(line)
        if match:
            reason, collecting = [_ALERT_SUFFIX.sub("", _LOG_SUFFIX.sub("", match.group(1))).strip()], True
        elif collecting and line.startswith("  - ") and reason is not None:
            reason.append(line.rstrip())
        else:
            collecting = False
    return "\n".join(reason) if reason else None


def _tidy(line: str) -> str:
    """Drop Airflow's timestamp/logger prefix so a progress line reads as a sentence. Never shortened: the
    paths it carries (Data Docs, reports) must stay whole to be opened."""
    line = line.rstrip()
    structured = re.search(r"\[(?:info|warning|error|critical)\s*\]\s*(.*?)\s*(?:\[[\w.]+\].*)?$", line)
    classic = re.search(r"(?:INFO|WARNING|ERROR)\s*-\s*(.*)$", line)
    match = structured or classic
    return match.group(1) if match else line
