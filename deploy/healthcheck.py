"""Health checks of the Airflow containers (docker-compose.yml `healthcheck:`), also run by
tests/deploy/test_deployment.py against the same services started as plain processes.

    python deploy/healthcheck.py api-server|scheduler|dag-processor|triggerer

Exit 0 when healthy, 1 with a reason otherwise. Standard library only (the image has no curl).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

JOB_TYPES = {"dag-processor": "DagProcessorJob", "triggerer": "TriggererJob"}


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=8) as response:
        return response.status, response.read().decode("utf-8", errors="replace")


def check(service: str) -> str | None:
    """None when healthy, else why not."""
    if service == "api-server":
        port = os.environ.get("AIRFLOW__API__PORT", "8080")
        status, body = _get(f"http://127.0.0.1:{port}/api/v2/monitor/health")
        database = json.loads(body).get("metadatabase", {}).get("status")
        return None if status == 200 and database == "healthy" else f"HTTP {status}, metadatabase {database}"
    if service == "scheduler":
        # Served by the scheduler itself when AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK is True.
        port = os.environ.get("AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT", "8974")
        status, body = _get(f"http://127.0.0.1:{port}/health")
        return None if status == 200 else f"HTTP {status}: {body[:200]}"
    if service in JOB_TYPES:
        # The job's heartbeat in the metadata database, for this host only.
        done = subprocess.run(
            ["airflow", "jobs", "check", "--job-type", JOB_TYPES[service], "--local"],
            capture_output=True,
            text=True,
            timeout=40,
            check=False,
        )
        return None if done.returncode == 0 else (done.stdout + done.stderr).strip()[-500:]
    return f"unknown service {service!r}; expected api-server, scheduler, {', '.join(JOB_TYPES)}"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        problem = check(argv[1])
    except Exception as error:  # any failure to answer is unhealthy
        problem = f"{type(error).__name__}: {error}"
    if problem:
        print(f"{argv[1]} unhealthy: {problem}", file=sys.stderr)
        return 1
    print(f"{argv[1]} healthy")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
