"""dbt's unit tests, run once per `make test` on the sample's build database (a copy): the pipeline's own
`dbt build` leaves them out (smartcity.transformation.dbt), so this is where they run, every one of them."""

from __future__ import annotations

import json
import shutil

import pytest
from dbt.cli.main import dbtRunner

from smartcity.config import DBT_PROJECT_DIR
from smartcity.transformation.dbt import build_command

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def unit_tests(sample_run, tmp_path_factory, monkeypatch_module):
    base = tmp_path_factory.mktemp("dbt_unit")
    build_db = base / "build.duckdb"
    shutil.copyfile(sample_run.settings.pipeline_db, build_db)
    monkeypatch_module.setenv("SMARTCITY_PIPELINE_DB", str(build_db))
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    common += ["--target-path", str(base / "target"), "--log-path", str(base / "logs")]
    result = dbtRunner().invoke(["test", "--select", "test_type:unit", *common])
    manifest = json.loads((base / "target" / "manifest.json").read_text())
    defined = {node for node in manifest["unit_tests"]}
    return result, defined


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_every_unit_test_of_the_project_runs_and_passes(unit_tests):
    result, defined = unit_tests
    assert result.exception is None, result.exception
    ran = {r.node.unique_id: str(r.status) for r in result.result.results}
    assert len(defined) >= 17
    assert set(ran) == defined
    assert {status for status in ran.values()} == {"pass"}, {k: v for k, v in ran.items() if v != "pass"}


def test_the_pipelines_build_leaves_the_unit_tests_out():
    for full_refresh in (True, False):
        command = build_command(full_refresh)
        assert command[0] == "build" and ("--full-refresh" in command) == full_refresh
        assert command[command.index("--exclude-resource-type") + 1] == "unit_test"
