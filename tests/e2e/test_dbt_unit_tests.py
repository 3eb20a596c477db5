"""dbt's unit tests, run once per `make test` on the sample's build database (a copy): the pipeline's own
`dbt build` leaves them out (smartcity.transformation.dbt), so this is where they run, every one of them."""

from __future__ import annotations

import json
import shutil

import pytest
from dbt.cli.main import dbtRunner

from smartcity.config import DBT_PROJECT_DIR

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
    defined = set(manifest["unit_tests"])
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
    assert set(ran.values()) == {"pass"}, {k: v for k, v in ran.items() if v != "pass"}


def test_the_sample_runs_build_ran_the_data_tests_and_no_unit_test(sample_run):
    """What the pipeline's own dbt build ran, from dbt's log in the sample run's state folder."""
    log_file = sample_run.settings.state_dir / "dbt_logs" / "dbt.log"
    log = log_file.read_text(encoding="utf-8", errors="replace")
    assert "Began running node test.smartcity." in log
    assert "Began running node model.smartcity." in log
    assert "Began running node unit_test." not in log
