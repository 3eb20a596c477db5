"""One run of the shipped sample through the real Airflow DAG (`smartcity run`), shared by every end-to-end
test that looks at the sample's warehouse: the headline, the row accounting, the report."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from smartcity.config import SAMPLE_LANDING, Settings, load_settings

SMARTCITY = str(Path(sys.executable).with_name("smartcity"))


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@dataclass(frozen=True)
class SampleRun:
    stdout: str
    settings: Settings
    landing_before: dict[str, bytes]

    @property
    def warehouse(self) -> Path:
        return self.settings.warehouse


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> SampleRun:
    base = tmp_path_factory.mktemp("sample")
    landing_before = snapshot(SAMPLE_LANDING)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTCITY_")}
    env["SMARTCITY_WAREHOUSE"] = str(base / "warehouse.duckdb")
    env["AIRFLOW_HOME"] = str(base / "airflow")
    run = subprocess.run([SMARTCITY, "run"], env=env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    settings = load_settings({"SMARTCITY_WAREHOUSE": env["SMARTCITY_WAREHOUSE"]})
    return SampleRun(stdout=run.stdout, settings=settings, landing_before=landing_before)
