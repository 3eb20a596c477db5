"""Run one stage in this process and report its wall time and peak memory as JSON (one line on stdout).

Each stage runs in its own process so its peak resident memory is its own:
  python -m bench.stage pipeline-pull|pipeline-validate|pipeline-transform|pipeline-publish|pipeline-all
  python -m bench.stage baseline-pull|baseline-validate|baseline-transform|baseline-publish
with SMARTCITY_LANDING and SMARTCITY_WAREHOUSE set (the baseline uses <warehouse>.baseline/).
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import time
from pathlib import Path

import duckdb

from smartcity.config import load_settings
from smartcity.pipeline import (
    STEPS,
    RunPlan,
    plan_run,
    run_audit_marts,
    run_audit_registry,
    run_publish,
    run_pull,
    run_transform,
    run_validate,
)

BASELINE_SQL = Path(__file__).with_name("baseline")


def _plan_file(settings) -> Path:
    return settings.state_dir / "bench-plan.json"


def pipeline(step: str) -> None:
    settings = load_settings()
    if step in ("pull", "all"):
        plan = plan_run(settings, "bench")
        _plan_file(settings).write_text(json.dumps(plan.as_dict()))
    plan = RunPlan.from_dict(json.loads(_plan_file(settings).read_text()))
    # Each audit counts with the stage whose output it checks (as before they were tasks of their own).
    steps = {
        "pull": [run_pull, run_audit_registry],
        "validate": [run_validate],
        "transform": [run_transform],
        "publish": [run_audit_marts, run_publish],
        "all": list(STEPS),
    }
    for function in steps[step]:
        function(settings, plan)


def baseline(step: str) -> None:
    settings = load_settings()
    folder = settings.warehouse.with_name(settings.warehouse.name + ".baseline")
    folder.mkdir(parents=True, exist_ok=True)
    sql = (BASELINE_SQL / f"{step}.sql").read_text()
    sql = sql.replace("{landing}", settings.landing).replace("{folder}", str(folder))
    con = duckdb.connect(str(folder / "baseline.duckdb"))
    try:
        con.execute(sql)
    finally:
        con.close()


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    kind, step = sys.argv[1].split("-", 1)
    started = time.perf_counter()
    (pipeline if kind == "pipeline" else baseline)(step)
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"stage": sys.argv[1], "seconds": seconds, "peak_mib": peak_mib}))


if __name__ == "__main__":
    main()
