"""The deadline watch through Airflow (`airflow dags test smartcity_deadline`), on a landing area with a city
that sent nothing and a city whose file was entirely quarantined: the list reaches a real webhook on
127.0.0.1, is stored in the watch's own file, and the build database is not touched."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from smartcity.airflow_runner import airflow_env, ensure_metadata_db
from smartcity.deadline_watch import watch_db
from tests.component.landing import make_landing, query, run_steps, settings_for
from tests.component.test_missing_submissions import CITIES, MORE_PROJECTS, SUBMISSIONS

pytestmark = pytest.mark.e2e
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server API)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/deadline", received
    finally:
        server.shutdown()
        server.server_close()


def test_the_watch_names_the_silent_and_the_quarantined_city_at_the_webhook(tmp_path, webhook):
    url, received = webhook
    landing = make_landing(tmp_path / "landing", SUBMISSIONS, cities=CITIES, projects=MORE_PROJECTS)
    settings = settings_for(landing, tmp_path / "out" / "warehouse.duckdb")
    run_steps(settings, "before-deadline", month=date(2024, 2, 1))  # the state holds January and February
    build_before = hashlib.sha256(settings.pipeline_db.read_bytes()).hexdigest()

    env = airflow_env(settings)
    env.update(AIRFLOW_HOME=str(tmp_path / "airflow"), SMARTCITY_ALERT_WEBHOOK=url)
    env.pop("SMARTCITY_ALERT_EMAIL", None)
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{tmp_path / 'airflow' / 'airflow.db'}"
    env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"] = str(tmp_path / "airflow" / "logs")
    ensure_metadata_db(env, echo=lambda _: None)
    # The scheduled slot of 16 April 2024, 00:30 Bangkok time: the month watched is March.
    done = subprocess.run(
        [AIRFLOW, "dags", "test", "smartcity_deadline", "2024-04-16T00:30:00+07:00"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    assert len(received) == 1
    alert = received[0]
    assert alert["kind"] == "missing_submissions" and alert["month"] == "2024-03"
    missing = {c["city_code"]: c for c in alert["missing"]}
    assert sorted(missing) == ["BBB", "CCC"]
    assert (missing["BBB"]["situation"], missing["BBB"]["files_received"]) == ("every row quarantined", 1)
    assert (missing["CCC"]["situation"], missing["CCC"]["files_received"]) == ("nothing received", 0)
    assert missing["CCC"]["contact_name"] == "Khun C"
    assert missing["CCC"]["last_month_reported"] == "2024-02"
    assert "Khun C" in alert["text"] and "ทุกแถวถูกกักกัน" in alert["text"]

    stored = query(
        watch_db(settings), "select city_code, files_received, rows_accepted from dq.missing_submissions"
    )
    assert sorted(stored) == [("BBB", 1, 0), ("CCC", 0, 0)]
    assert hashlib.sha256(settings.pipeline_db.read_bytes()).hexdigest() == build_before
