"""The landing area in an object store: a real S3 server (moto_server on loopback), the real pull step.

Same layout as a folder; files are downloaded into the state folder's `incoming/`; exactly-once ingestion
holds; a changed object is a new submission; nothing is ever written to the store.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from smartcity.config import ConfigError, load_settings
from smartcity.errors import PermanentError
from smartcity.ingestion.sources import object_store, open_landing
from smartcity.pipeline import plan_run, run_pull
from tests.component.landing import HEADER, make_landing, pull_counts, query, snapshot

CITY_A = (
    HEADER
    + "AAA,A1,2024-03,50,400000,in_progress,BUDGET,,2024-04-05T10:00:00+07:00\n"
    + "AAA,A2,2024-03,10,10000,in_progress,,,2024-04-05T10:00:00+07:00\n"
)
CITY_B = json.dumps(
    [{"city_code": "BBB", "project_code": "B1", "report_month": "มี.ค. 67", "progress_pct": "80%"}],
    ensure_ascii=False,
)
FILES = {
    "2024-02": {"city_a.csv": CITY_A.replace("2024-03,50", "2024-02,40")},
    "2024-03": {"city_a.csv": CITY_A, "city_b.json": CITY_B},
}
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server on loopback (moto_server, in memory), for this module's tests."""
    executable = Path(sys.executable).with_name("moto_server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(executable), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not start on {url} (exit code {server.poll()})")
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def s3_env(s3_endpoint, monkeypatch) -> str:
    """Credentials and endpoint as a deployment gives them: standard AWS_* variables and the endpoint."""
    for variable in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("SMARTCITY_S3_ENDPOINT_URL", s3_endpoint)
    return s3_endpoint


def _client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _upload_landing(endpoint: str, local: Path, prefix: str) -> str:
    """A new bucket holding the landing area built in `local` under `prefix`; returns the bucket name."""
    bucket = f"landing-{uuid.uuid4().hex[:12]}"
    client = _client(endpoint)
    client.create_bucket(Bucket=bucket)
    for relative, data in snapshot(local).items():
        client.put_object(Bucket=bucket, Key=f"{prefix}/{relative}", Body=data)
    return bucket


def _objects(endpoint: str, bucket: str) -> dict[str, tuple[str, object]]:
    listed = _client(endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: (o["ETag"], o["LastModified"]) for o in listed}


def _settings(landing: str, tmp_path: Path):
    return load_settings({"SMARTCITY_LANDING": landing, "SMARTCITY_WAREHOUSE": str(tmp_path / "w.duckdb")})


def _pull(settings, run_id: str) -> dict:
    return run_pull(settings, plan_run(settings, run_id))


def test_an_s3_landing_area_is_pulled_exactly_once_and_a_changed_object_is_a_new_submission(s3_env, tmp_path):
    local = make_landing(tmp_path / "src", FILES)
    bucket = _upload_landing(s3_env, local, "smartcity/landing")
    settings = _settings(f"s3://{bucket}/smartcity/landing/", tmp_path)
    before = _objects(s3_env, bucket)

    assert _pull(settings, "run-1") == pull_counts(3, 5, 0)
    # The same relative paths as a folder landing area, so the register reads the same whatever the source.
    assert query(settings.pipeline_db, "select landing_path from raw.received_files order by 1") == [
        ("submissions/2024-02/city_a.csv",),
        ("submissions/2024-03/city_a.csv",),
        ("submissions/2024-03/city_b.json",),
    ]
    assert query(settings.pipeline_db, "select count(*) from registry.cities") == [(2,)]
    # Downloaded into the state folder's cache, byte for byte; the received copies too.
    cached = [p for p in (settings.state_dir / "incoming").rglob("*.csv") if "_versions" not in p.parts]
    assert {p.name for p in cached} == {"city_a.csv", "cities.csv", "projects.csv"}
    expected = snapshot(local)
    for landing_path, stored in query(
        settings.pipeline_db, "select landing_path, stored_path from raw.received_files"
    ):
        assert Path(stored).read_bytes() == expected[landing_path]

    assert _pull(settings, "run-2") == pull_counts(0, 0, 0)

    changed = CITY_A.replace("AAA,A2,2024-03,10,", "AAA,A2,2024-03,15,").encode()
    _client(s3_env).put_object(
        Bucket=bucket, Key="smartcity/landing/submissions/2024-03/city_a.csv", Body=changed
    )
    assert _pull(settings, "run-3") == pull_counts(1, 2, 0)
    assert query(
        settings.pipeline_db,
        "select r.progress_pct from raw.submission_rows r join raw.received_files f using (file_id) "
        "where f.run_id = 'run-3' and r.project_code = 'A2'",
    ) == [("15",)]
    assert _pull(settings, "run-4")["files_new"] == 0

    # Read-only: every object is as uploaded, but the one the test itself replaced; nothing was added.
    after = _objects(s3_env, bucket)
    assert set(after) == set(before)
    replaced = "smartcity/landing/submissions/2024-03/city_a.csv"
    assert {k: v for k, v in after.items() if k != replaced} == {
        k: v for k, v in before.items() if k != replaced
    }


def test_the_airflow_connection_form_takes_endpoint_and_keys_from_the_connection(
    s3_endpoint, tmp_path, monkeypatch
):
    local = make_landing(tmp_path / "src", FILES)
    bucket = _upload_landing(s3_endpoint, local, "in")
    # No AWS_* credentials and no endpoint in the environment: only the connection knows them.
    for variable in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "SMARTCITY_S3_ENDPOINT_URL",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow_home"))
    connection = {
        "conn_type": "aws",
        "login": "testing",
        "password": "testing-secret",
        "extra": {"endpoint_url": s3_endpoint, "region_name": REGION},
    }
    monkeypatch.setenv("AIRFLOW_CONN_LANDING_S3", json.dumps(connection))

    settings = _settings(f"s3://landing_s3@{bucket}/in", tmp_path)
    assert _pull(settings, "run-1") == pull_counts(3, 5, 0)
    assert _pull(settings, "run-2")["files_new"] == 0

    with pytest.raises(ConfigError) as missing:
        open_landing(f"s3://no_such_conn@{bucket}/in", tmp_path / "cache")
    assert "SMARTCITY_LANDING" in str(missing.value) and "no_such_conn" in str(missing.value)


def test_an_object_store_that_cannot_be_used_is_a_config_error_naming_the_setting(
    s3_env, tmp_path, monkeypatch
):
    local = make_landing(tmp_path / "src", {"2024-03": {"city_a.csv": CITY_A}})
    bucket = _upload_landing(s3_env, local, "landing")
    cases = {
        f"s3://{bucket}/elsewhere": "nothing is there",
        "s3://no-such-bucket-here/landing": "nothing is there",
        "s3://alice:hunter2@bucket/landing": "secret in the URI",
        "nosuchscheme://bucket/landing": "nosuchscheme://",
    }
    for landing, said in cases.items():
        settings = _settings(landing, tmp_path / "state")
        with pytest.raises(ConfigError) as error:
            plan_run(settings, "run-1")
        message = str(error.value)
        assert isinstance(error.value, PermanentError)
        assert "SMARTCITY_LANDING" in message and said in message, message
        assert "hunter2" not in message
        assert not settings.state_dir.exists()  # a run that could not start leaves nothing behind

    client = _client(s3_env)
    client.delete_object(Bucket=bucket, Key="landing/registry/cities.csv")
    with pytest.raises(ConfigError, match="SMARTCITY_LANDING.*registry/cities.csv"):
        open_landing(f"s3://{bucket}/landing", tmp_path / "cache")

    # An endpoint that does not answer (one try here, to keep the test short; a run makes five).
    monkeypatch.setitem(object_store.S3_CONFIG, "retries", {"max_attempts": 1, "mode": "standard"})
    monkeypatch.setenv("SMARTCITY_S3_ENDPOINT_URL", f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(ConfigError) as unreachable:
        open_landing(f"s3://{bucket}/landing", tmp_path / "cache")
    assert "SMARTCITY_LANDING" in str(unreachable.value) and "endpoint" in str(unreachable.value)


def test_any_fsspec_uri_works_behind_the_same_interface(tmp_path):
    """memory:// stands for the other fsspec stores (gcs://, az://, ...): same layout, same pull."""
    import fsspec

    local = make_landing(tmp_path / "src", FILES)
    memory = fsspec.filesystem("memory")
    root = f"/landing-{uuid.uuid4().hex[:8]}"
    for relative, data in snapshot(local).items():
        memory.pipe_file(f"{root}/{relative}", data)
    try:
        settings = _settings(f"memory://{root}", tmp_path)
        assert _pull(settings, "run-1") == pull_counts(3, 5, 0)
        assert _pull(settings, "run-2")["files_new"] == 0
    finally:
        memory.rm(root, recursive=True)
