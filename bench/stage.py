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
import shutil
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import python_calamine

from smartcity.config import load_settings
from smartcity.normalize import SUBMISSION_COLUMNS, THAI_HEADER_ALIASES
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
        if step == "pull":
            prepare_pull(con, Path(settings.landing), folder)
        con.execute(sql)
    finally:
        con.close()


def prepare_pull(con: duckdb.DuckDBPyConnection, landing: Path, folder: Path) -> None:
    """What DuckDB cannot read itself, made readable, as cheaply as it can be: each CSV that is not UTF-8
    transcoded (Windows-874, Python's codec), the others linked, under <folder>/csv/<header>-<delimiter>/
    (en-comma, en-semicolon, th-comma, th-semicolon); each workbook's first sheet read by calamine into the
    table `xlsx_rows` (header row as column names, cells as text)."""
    csv_folder = folder / "csv"
    shutil.rmtree(csv_folder, ignore_errors=True)
    for path in sorted(landing.glob("submissions/*/*.csv")):
        data = path.read_bytes()
        try:
            text, transcode = data.decode("utf-8-sig"), False
        except UnicodeDecodeError:
            text, transcode = data.decode("cp874"), True
        # Files of one header and one delimiter are read together (DuckDB sniffs nothing then).
        header = text[: text.find("\n")]
        group = ("th" if header.startswith("รหัส") else "en") + ("-semicolon" if ";" in header else "-comma")
        target = csv_folder / group / f"{path.parent.name}__{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        if transcode:
            target.write_text(text, encoding="utf-8")
        else:
            target.symlink_to(path.resolve())
    frames = []
    for path in sorted(landing.glob("submissions/*/*.xlsx")):
        rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        frame = pd.DataFrame([[str(cell) if cell != "" else None for cell in row] for row in rows[1:]])
        frame.columns = [str(name) for name in rows[0]]
        frames.append(frame.assign(filename=str(path)))
    xlsx_rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"filename": []})
    for column in [*SUBMISSION_COLUMNS, *THAI_HEADER_ALIASES]:  # both spellings of each, for pull.sql
        if column not in xlsx_rows.columns:
            xlsx_rows[column] = None
    con.register("xlsx_frame", xlsx_rows)
    con.execute("create or replace table xlsx_rows as select * from xlsx_frame")
    con.unregister("xlsx_frame")


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
