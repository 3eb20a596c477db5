"""The `superset` service of docker-compose.yml as a plain process: Apache Superset installed from
deploy/superset/requirements.lock in its own virtualenv, its metadata in a throwaway PostgreSQL, started by
the service's own entry point (deploy/superset/start.sh: migrate, init, bootstrap.py imports the dashboards
bundle), on the shipped sample's published warehouse.

Through the REST API: the three dashboards and every chart of the bundle are there, every chart's saved query
returns rows, a CSV export carries a byte-order mark (Excel), SQL Lab reads the marts but cannot read a file
of the server. In headless Chromium: every dashboard renders each of its charts without an error, and nothing
is fetched from outside. A second bootstrap (a restart) imports again without duplicating anything.

`make superset-test` installs the virtualenv once per lock file (.cache/superset/, ~1 minute from uv's cache,
several minutes cold), Chromium and PostgreSQL when missing, then runs this file.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest
import requests
import yaml

from smartcity.config import SAMPLE_LANDING, load_settings
from tests.component.landing import run_steps
from tests.deploy.test_deployment import PostgresCluster, _free_port, _postgres_bin, _tail

pytestmark = pytest.mark.superset

REPO = Path(__file__).resolve().parents[2]
SUPERSET_DIR = REPO / "deploy" / "superset"
BUNDLE = SUPERSET_DIR / "bundle"
ADMIN, PASSWORD = "admin", "a-test-password-1"
STARTUP_TIMEOUT = 600


def superset_venv() -> Path:
    """The virtualenv `make superset-venv` builds for the current lock file."""
    digest = hashlib.sha256((SUPERSET_DIR / "requirements.lock").read_bytes()).hexdigest()[:16]
    venv = Path(os.environ.get("SMARTCITY_SUPERSET_VENV") or REPO / ".cache" / "superset" / f"venv-{digest}")
    if not (venv / ".complete").exists():
        pytest.fail(f"no Superset virtualenv at {venv}: run `make superset-test` (it installs it)")
    return venv


def bundle(kind: str) -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((BUNDLE / kind).rglob("*.yaml"))]


@dataclass
class Superset:
    url: str
    env: dict[str, str]
    log: Path
    process: subprocess.Popen
    warehouse: Path

    @cached_property
    def session(self) -> requests.Session:
        """One login for the whole module: Superset rate-limits logins (a few per minute)."""
        session = requests.Session()
        login = session.post(
            f"{self.url}/api/v1/security/login",
            json={"username": ADMIN, "password": PASSWORD, "provider": "db", "refresh": True},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        return session

    def api(self) -> requests.Session:
        return self.session


@pytest.fixture(scope="module")
def superset(tmp_path_factory) -> Iterator[Superset]:
    venv = superset_venv()
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: `make superset-test` installs them"
        )
    base = tmp_path_factory.mktemp("superset")
    # The shipped sample, published as the pipeline publishes it.
    settings = load_settings(
        {
            "SMARTCITY_LANDING": str(SAMPLE_LANDING),
            "SMARTCITY_WAREHOUSE": str(base / "bi" / "warehouse.duckdb"),
        }
    )
    run_steps(settings, "superset-sample")
    postgres = PostgresCluster(bin_dir)
    process = None
    log = base / "superset.log"
    try:
        postgres.start()
        port = _free_port()
        home = Path(tempfile.mkdtemp(prefix="superset-home-"))
        env = {
            "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(home),
            "SUPERSET_HOME": str(home),
            "FLASK_APP": "superset",
            "SUPERSET_CONFIG_PATH": str(SUPERSET_DIR / "superset_config.py"),
            "SUPERSET_APP_DIR": str(SUPERSET_DIR),
            "SUPERSET_BIND": f"127.0.0.1:{port}",
            "SUPERSET_WORKERS": "1",
            "SUPERSET_SECRET_KEY": "test-" + hashlib.sha256(str(base).encode()).hexdigest(),
            "SUPERSET_DATABASE_URI": postgres.url,
            "SUPERSET_ADMIN_USER": ADMIN,
            "SUPERSET_ADMIN_PASSWORD": PASSWORD,
            "SUPERSET_ADMIN_EMAIL": "admin@example.com",
            "SMARTCITY_WAREHOUSE_URI": f"duckdb:///{settings.warehouse}",
        }
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["bash", str(SUPERSET_DIR / "start.sh")],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=base,
            )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"Superset exited with {process.returncode}:\n{_tail(log, 80)}")
            try:
                if requests.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Superset did not answer within {STARTUP_TIMEOUT} s:\n{_tail(log, 80)}")
            time.sleep(2)
        yield Superset(url, env, log, process, settings.warehouse)
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        postgres.stop()


def test_the_bundle_is_imported_on_start(superset):
    assert "bootstrap: database 'Smart City warehouse'" in superset.log.read_text(encoding="utf-8")
    api = superset.api()
    dashboards = api.get(
        f"{superset.url}/api/v1/dashboard/", params={"q": "(page_size:100)"}, timeout=30
    ).json()
    assert sorted(d["slug"] for d in dashboards["result"]) == sorted(d["slug"] for d in bundle("dashboards"))
    for dashboard in dashboards["result"]:
        assert " · " in dashboard["dashboard_title"]  # Thai · English
    charts = api.get(f"{superset.url}/api/v1/chart/", params={"q": "(page_size:100)"}, timeout=30).json()
    assert sorted(c["slice_name"] for c in charts["result"]) == sorted(
        c["slice_name"] for c in bundle("charts")
    )
    databases = api.get(f"{superset.url}/api/v1/database/", timeout=30).json()["result"]
    assert [d["database_name"] for d in databases] == ["Smart City warehouse"]


def test_every_chart_returns_its_data_through_the_api(superset):
    api = superset.api()
    charts = api.get(f"{superset.url}/api/v1/chart/", params={"q": "(page_size:100)"}, timeout=30).json()[
        "result"
    ]
    assert len(charts) == len(bundle("charts"))
    empty = []
    for chart in charts:
        response = api.get(f"{superset.url}/api/v1/chart/{chart['id']}/data/", timeout=120)
        assert response.status_code == 200, (chart["slice_name"], response.text[:1000])
        (result,) = response.json()["result"]
        assert result["status"] == "success" and not result.get("error"), (chart["slice_name"], result)
        if not result["rowcount"]:
            empty.append(chart["slice_name"])
    assert empty == []
    # The programme's figure on the overview is the budget-weighted one (27.57 % in March 2024).
    (overview,) = [c for c in charts if c["slice_name"].startswith("ความคืบหน้าโดยรวม")]
    rows = api.get(f"{superset.url}/api/v1/chart/{overview['id']}/data/", timeout=60).json()["result"][0][
        "data"
    ]
    assert round(max(rows, key=lambda r: r["month"])["progress"], 2) == 27.57


def test_a_csv_export_opens_in_excel_with_thai_intact(superset):
    api = superset.api()
    charts = api.get(f"{superset.url}/api/v1/chart/", params={"q": "(page_size:100)"}, timeout=30).json()[
        "result"
    ]
    (chart,) = [c for c in charts if c["slice_name"].endswith("Progress by city (latest month)")]
    response = api.get(
        f"{superset.url}/api/v1/chart/{chart['id']}/data/", params={"format": "csv"}, timeout=60
    )
    assert response.status_code == 200, response.text[:500]
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    assert "สามย่าน" in response.content.decode("utf-8-sig")


def test_sql_lab_reads_the_marts_but_no_file_of_the_server(superset):
    api = superset.api()
    csrf = api.get(f"{superset.url}/api/v1/security/csrf_token/", timeout=30).json()["result"]
    api.headers.update({"X-CSRFToken": csrf, "Referer": superset.url})
    (database,) = api.get(f"{superset.url}/api/v1/database/", timeout=30).json()["result"]

    def execute(sql: str) -> requests.Response:
        return api.post(
            f"{superset.url}/api/v1/sqllab/execute/",
            json={"database_id": database["id"], "sql": sql, "runAsync": False, "schema": "marts"},
            timeout=120,
        )

    ok = execute("select count(*) as n from marts.city_progress_monthly")
    assert ok.status_code == 200, ok.text[:500]
    assert ok.json()["data"][0]["n"] == 360
    for escape in ("select * from read_text('/etc/hostname')", "select * from read_csv('/etc/passwd')"):
        refused = execute(escape)
        assert refused.status_code != 200 and "disabled by configuration" in refused.text, refused.text[:500]


def test_every_dashboard_renders_every_chart_in_chromium_without_an_error(superset):
    from tests.e2e.browser import chromium, open_page

    def same_server(url: str) -> bool:
        return url.startswith((superset.url, "data:", "blob:", "about:"))

    expected = {
        d["slug"]: sum(
            1 for k, v in d["position"].items() if isinstance(v, dict) and v.get("type") == "CHART"
        )
        for d in bundle("dashboards")
    }
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        login = context.new_page()
        # The page's event log, sent while the login navigates away, can come back with an anonymous session
        # cookie that replaces the new one (seen: the login then "fails" now and then): not sent here.
        login.route("**/superset/log/**", lambda route: route.abort())
        login.goto(f"{superset.url}/login/", wait_until="networkidle")
        login.fill("#username", ADMIN)
        login.fill("#password", PASSWORD)
        login.keyboard.press("Enter")
        login.wait_for_url("**/superset/welcome/**", timeout=60_000)
        login.close()
        for slug, charts in expected.items():
            url = f"{superset.url}/superset/dashboard/{slug}/"
            with open_page(browser, url, allowed=same_server, context=context) as (page, visit):
                page.wait_for_function(
                    f"document.querySelectorAll('[data-test=chart-grid-component]').length === {charts}",
                    timeout=120_000,
                )
                page.wait_for_function(
                    "document.querySelectorAll('.loading, [data-test=loading-indicator]').length === 0",
                    timeout=120_000,
                )
                errors = page.evaluate(
                    "[...document.querySelectorAll("
                    "'.alert-danger, [data-test=error-message], .ant-alert-error')].map(e => e.innerText)"
                )
                assert errors == [], (slug, errors)
                drawn = page.evaluate(
                    "[...document.querySelectorAll('[data-test=chart-grid-component]')]"
                    ".filter(c => c.querySelector('canvas, svg, table')).length"
                )
                assert drawn == charts, (slug, drawn, charts)
                # Nothing left the server: Superset's telemetry pixel is refused by the Content-Security-
                # Policy (superset_config.py) before any request is made; the only message allowed.
                assert visit.external == [], visit.external
                others = [p for p in visit.problems if "scarf.sh" not in p]
                assert others == [], (slug, others)
                page.screenshot(path=str(superset.log.with_name(f"{slug}.png")), full_page=True)


def test_a_restart_imports_the_bundle_again_without_duplicates(superset):
    done = subprocess.run(
        ["python", str(SUPERSET_DIR / "bootstrap.py")],
        env=superset.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    api = superset.api()
    count = api.get(f"{superset.url}/api/v1/chart/", params={"q": "(page_size:100)"}, timeout=30).json()[
        "count"
    ]
    assert count == len(bundle("charts"))
