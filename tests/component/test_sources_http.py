"""The landing area behind the submissions HTTP API (docs/sources.md): a real HTTP server on loopback,
the real pull step.

The server checks the bearer token, pages its answers, and can be told to fail (503) before it answers.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from smartcity.config import ConfigError, load_settings
from smartcity.errors import PermanentError
from smartcity.ingestion.sources import LandingUnavailable, http_api, open_landing
from smartcity.pipeline import plan_run, run_pull
from tests.component.landing import CITIES, PROJECTS, pull_counts, query

TOKEN = "token-of-the-test-api-7f3a"
BASE_PATH = "/api/v1"

A_FEB = [{"city_code": "AAA", "project_code": "A1", "report_month": "2024-02", "progress_pct": 40}]
A_MAR = [
    {
        "city_code": "AAA",
        "project_code": "A1",
        "report_month": "2024-03",
        "progress_pct": "50%",
        "remarks": "ไฟฟ้า",
    },
    {"city_code": "AAA", "project_code": "A2", "report_month": "2024-03", "progress_pct": 10},
]
B_MAR = [{"city_code": "BBB", "project_code": "B1", "report_month": "มี.ค. 67", "progress_pct": "80%"}]


@dataclass
class Request:
    path: str
    month: str | None
    page: str | None
    status: int
    at: float


@dataclass
class SubmissionsApi:
    """The documented API: registry CSVs, the months, and each month's submitted files, paged."""

    token: str = TOKEN
    page_size: int = 2
    registry: dict[str, bytes] = field(
        default_factory=lambda: {"cities.csv": CITIES.encode(), "projects.csv": PROJECTS.encode()}
    )
    months: dict[str, list[dict]] = field(
        default_factory=lambda: {
            "2024-02": [{"name": "city_a", "rows": A_FEB}],
            "2024-03": [
                {"name": "city_a", "rows": A_MAR},
                {"name": "city_b.json", "rows": B_MAR},
                {"name": "scanned form.csv", "rows": {"not": "a list of rows"}},
            ],
        }
    )
    # Fault injector: (path, month, page) -> how many more times to answer 503 before answering.
    faults: dict[tuple[str, str | None, str | None], int] = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, params: dict[str, str], authorization: str | None) -> tuple[int, str, bytes]:
        key = (path, params.get("month"), params.get("page"))
        with self.lock:
            if self.faults.get(key, 0) > 0:
                self.faults[key] -= 1
                return 503, "application/json", b'{"error": "try again"}'
        if authorization != f"Bearer {self.token}":
            return 401, "application/json", b'{"error": "unauthorized"}'
        if not path.startswith(BASE_PATH + "/"):
            return 404, "application/json", b"{}"
        route = path[len(BASE_PATH) + 1 :]
        if route.startswith("registry/"):
            data = self.registry.get(route.removeprefix("registry/"))
            return (200, "text/csv; charset=utf-8", data) if data is not None else (404, "text/plain", b"")
        if route == "submissions/months":
            return 200, "application/json", json.dumps(sorted(self.months)).encode()
        if route == "submissions" and params.get("month") in self.months:
            items = self.months[params["month"]]
            page = int(params.get("page", "1"))
            start = (page - 1) * self.page_size
            more = start + self.page_size < len(items)
            body = {"items": items[start : start + self.page_size], "next_page": page + 1 if more else None}
            return 200, "application/json", json.dumps(body, ensure_ascii=False).encode()
        return 404, "application/json", b"{}"

    def requests_for(self, month: str, page: str) -> list[Request]:
        return [r for r in self.log if r.month == month and r.page == page]


@pytest.fixture
def api() -> Iterator[tuple[SubmissionsApi, str]]:
    """A real HTTP server on 127.0.0.1 in a thread; yields the API's state and its base URL."""
    state = SubmissionsApi()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            url = urlparse(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            status, content_type, body = state.answer(url.path, params, self.headers.get("Authorization"))
            with state.lock:
                state.log.append(
                    Request(url.path, params.get("month"), params.get("page"), status, time.monotonic())
                )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}{BASE_PATH}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def env(monkeypatch, tmp_path):
    """No token anywhere unless a test sets one; Airflow (for connections) kept in the test's folder."""
    for variable in ("SMARTCITY_API_TOKEN", "SMARTCITY_HTTP_CONN_ID", "AIRFLOW_CONN_SMARTCITY_API"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow_home"))
    return monkeypatch


def _settings(landing: str, tmp_path: Path):
    return load_settings({"SMARTCITY_LANDING": landing, "SMARTCITY_WAREHOUSE": str(tmp_path / "w.duckdb")})


def _pull(settings, run_id: str) -> dict:
    return run_pull(settings, plan_run(settings, run_id))


def test_pages_are_followed_5xx_are_retried_and_each_file_is_ingested_once(api, env, tmp_path):
    state, base = api
    env.setenv("SMARTCITY_API_TOKEN", TOKEN)
    state.faults[(f"{BASE_PATH}/submissions", "2024-03", "2")] = 2  # 503 twice, then the page
    settings = _settings(base, tmp_path)

    assert _pull(settings, "run-1") == pull_counts(4, 4, 1)
    # Page 2 of March: two 503s, then the answer, after waiting 0.5 s then 1 s (exponential backoff).
    tries = state.requests_for("2024-03", "2")
    assert [r.status for r in tries] == [503, 503, 200]
    assert tries[1].at - tries[0].at >= 0.45 and tries[2].at - tries[1].at >= 0.95
    assert [r.status for r in state.requests_for("2024-03", "1")] == [200]
    assert state.requests_for("2024-03", "3") == []  # next_page null: no further page asked

    files = dict(query(settings.pipeline_db, "select landing_path, stored_path from raw.received_files"))
    assert sorted(files) == [
        "submissions/2024-02/city_a.json",
        "submissions/2024-03/city_a.json",
        "submissions/2024-03/city_b.json",
        "submissions/2024-03/scanned form.csv.json",
    ]
    # Each item is stored as its rows in deterministic JSON, so its checksum depends on the rows alone.
    expected = json.dumps(A_MAR, ensure_ascii=False, sort_keys=True, indent=None).encode()
    assert Path(files["submissions/2024-03/city_a.json"]).read_bytes() == expected
    cached = settings.state_dir / "incoming"
    assert [p.name for p in cached.rglob("city_b.json")] == ["city_b.json"]
    assert query(settings.pipeline_db, "select count(*) from registry.cities") == [(2,)]
    # An item whose rows are not a list is kept and rejected with a reason, not lost.
    assert query(settings.pipeline_db, "select source_file from audit.rejected_files") == [
        ("submissions/2024-03/scanned form.csv.json",)
    ]

    assert _pull(settings, "run-2") == pull_counts(0, 0, 0)

    state.months["2024-03"][0] = {"name": "city_a", "rows": [{**A_MAR[0], "progress_pct": 55}, A_MAR[1]]}
    assert _pull(settings, "run-3") == pull_counts(1, 2, 0)
    assert query(
        settings.pipeline_db,
        "select r.progress_pct from raw.submission_rows r join raw.received_files f using (file_id) "
        "where f.run_id = 'run-3' and r.project_code = 'A1'",
    ) == [("55",)]
    assert _pull(settings, "run-4")["files_new"] == 0


def test_a_refused_token_is_a_permanent_error_that_says_what_to_check(api, env, tmp_path):
    state, base = api
    env.setenv("SMARTCITY_API_TOKEN", "not-the-right-token")
    settings = _settings(base, tmp_path)
    with pytest.raises(ConfigError) as refused:
        plan_run(settings, "run-1")
    message = str(refused.value)
    assert isinstance(refused.value, PermanentError)
    assert "SMARTCITY_LANDING" in message and "HTTP 401" in message
    assert (
        "the token was refused" in message and "SMARTCITY_API_TOKEN" in message and "smartcity_api" in message
    )
    assert "not-the-right-token" not in message and "Traceback" not in message
    assert [r.status for r in state.log] == [401]  # a refusal is not retried
    assert not settings.state_dir.exists()

    env.setenv("SMARTCITY_API_TOKEN", TOKEN)
    with pytest.raises(ConfigError, match="HTTP 404.*base URL"):
        open_landing(base + "/wrong", tmp_path / "cache")


def test_the_token_comes_from_the_airflow_connection(api, env, tmp_path):
    state, base = api
    env.setenv("AIRFLOW_CONN_SMARTCITY_API", json.dumps({"conn_type": "http", "password": TOKEN}))
    area = open_landing(base, tmp_path / "cache")
    assert [m.strftime("%Y-%m") for m in area.submission_months()] == ["2024-02", "2024-03"]
    assert len(area.submission_files(area.submission_months()[-1])) == 3

    env.setenv("SMARTCITY_HTTP_CONN_ID", "other_api")
    env.setenv("AIRFLOW_CONN_OTHER_API", json.dumps({"conn_type": "http", "password": "stale-token"}))
    with pytest.raises(ConfigError, match="the token was refused: check connection other_api"):
        open_landing(base, tmp_path / "cache")


def test_an_api_that_does_not_answer_fails_after_bounded_retries(api, env, tmp_path):
    state, base = api
    env.setenv("SMARTCITY_API_TOKEN", TOKEN)
    env.setattr(http_api, "HTTP_BACKOFF", 0.01)  # the same policy, shorter waits

    # Nothing listening: at opening, a configuration error naming the setting.
    with pytest.raises(ConfigError, match="SMARTCITY_LANDING=http://127.0.0.1:9/api.*5 times"):
        open_landing("http://127.0.0.1:9/api", tmp_path / "cache")
    with pytest.raises(ConfigError, match="SMARTCITY_LANDING='ftp-like://"):
        open_landing("ftp-like://host/x", tmp_path / "cache")

    # Opened, then a page keeps failing: five tries, then a transient error (Airflow retries the task).
    area = open_landing(base, tmp_path / "cache")
    state.faults[(f"{BASE_PATH}/submissions", "2024-03", "1")] = 100
    with pytest.raises(LandingUnavailable) as unavailable:
        area.submission_files(area.submission_months()[-1])
    assert not isinstance(unavailable.value, PermanentError)
    assert "HTTP 503" in str(unavailable.value) and "SMARTCITY_LANDING" in str(unavailable.value)
    assert len(state.requests_for("2024-03", "1")) == http_api.HTTP_TRIES


def test_the_token_never_reaches_the_logs_or_the_state(api, env, tmp_path, caplog):
    """Secrets come from the environment or a connection and go only into the Authorization header."""
    state, base = api
    env.setenv("SMARTCITY_API_TOKEN", TOKEN)
    state.faults[(f"{BASE_PATH}/submissions", "2024-03", "1")] = 1  # a retry logs the request it repeats
    settings = _settings(base, tmp_path)
    with caplog.at_level(logging.DEBUG):
        _pull(settings, "run-1")
    assert caplog.records and not [r for r in caplog.records if TOKEN in r.getMessage()]
    stored = [p for p in settings.state_dir.rglob("*") if p.is_file()]
    assert stored and not [p for p in stored if TOKEN.encode() in p.read_bytes()]


def test_the_pull_fetches_each_registry_file_once_and_not_again_while_it_is_the_same(api, env, tmp_path):
    """The checksums that decide whether the registry changed and the rows loaded come from one download: two
    requests could see two versions of a file, and the tables would be recorded as made of the other one."""
    state, base = api
    env.setenv("SMARTCITY_API_TOKEN", TOKEN)
    settings = _settings(base, tmp_path)

    def registry_requests(run_id: str) -> dict[str, int]:
        plan = plan_run(settings, run_id)
        state.log.clear()
        run_pull(settings, plan)
        names = [r.path.rsplit("/", 1)[1] for r in state.log if "/registry/" in r.path]
        return {name: names.count(name) for name in sorted(set(names))}

    every_file_once = {"cities.csv": 1, "plan_assessments.csv": 1, "projects.csv": 1}
    assert registry_requests("run-1") == every_file_once
    assert query(settings.pipeline_db, "select count(*) from registry.projects") == [
        (len(PROJECTS.splitlines()) - 1,)
    ]
    assert registry_requests("run-2") == every_file_once  # read to know it is the same, and kept as loaded
