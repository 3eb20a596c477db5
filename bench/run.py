"""`make bench`: the pipeline's stages at national scale beside a raw-DuckDB baseline doing the same work.

For each stage (pull, validate, transform, publish) and end to end: wall time, rows per second and peak
memory, each beside the baseline (bench/baseline/*.sql over the same files) and as a ratio measured in
the same run; then one more month on top of the full history, in process and through `smartcity run`
(what `make run` runs: the real Airflow DAG, with Airflow's start-up). Prints the figures and a table
of the targets of issue #16, each met or not; writes JSON to bench/results/.

BENCH_SCALE (default 1) scales the number of cities: 0.1 runs in a few minutes. BENCH_STAGES (`pull`, or
`pull,validate`: the first stages, in order) runs only those and their baselines, without the months
added after the backfill (`BENCH_STAGES=pull make bench`); the JSON goes to
bench-scale-<scale>-<stages>.json.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import generate

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("pull", "validate", "transform", "publish")
# The targets (issue #16), each measured at BENCH_SCALE=1 on the 2-core machine.
TARGETS = {"stage_ratio": 3.0, "backfill_s": 120, "incremental_s": 15, "make_run_s": 25, "peak_mib": 2048}
SMARTCITY = str(Path(sys.executable).with_name("smartcity"))


def run_stage(name: str, env: dict[str, str]) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.stage", name], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-3000:] + completed.stderr[-5000:])
        raise SystemExit(f"bench: stage {name} failed")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"  {name:<20} {result['seconds']:8.1f} s  {result['peak_mib']:8.0f} MiB", flush=True)
    return result


def time_make_run(landing: Path, scale: float, base: Path, env: dict[str, str]) -> float:
    """Seconds for `smartcity run` (what `make run` runs) to take one more month, Airflow included. A first
    run with nothing new, not timed, prepares Airflow's metadata database, as a machine that ran it before
    has."""
    env = dict(env, AIRFLOW_HOME=str(base / "airflow"))

    def smartcity_run() -> float:
        started = time.perf_counter()
        completed = subprocess.run([SMARTCITY, "run"], env=env, cwd=ROOT, capture_output=True, text=True)
        if completed.returncode != 0:
            sys.stderr.write(completed.stdout[-3000:] + completed.stderr[-3000:])
            raise SystemExit("bench: smartcity run failed")
        return time.perf_counter() - started

    smartcity_run()
    generate(landing, scale, months=62, write_from=61)
    time.sleep(2.5)  # files written within two seconds wait for the pull's settle check: not measured here
    seconds = smartcity_run()
    print(f"  {'smartcity run':<20} {seconds:8.1f} s", flush=True)
    return seconds


def targets_met(report: dict) -> dict[str, bool]:
    met = {f"{stage}_ratio": f["ratio"] <= TARGETS["stage_ratio"] for stage, f in report["stages"].items()}
    if len(report["stages"]) == len(STAGES):
        met["backfill_s"] = report["end_to_end_s"] <= TARGETS["backfill_s"]
    if report["incremental_month_s"] is not None:
        met["incremental_s"] = report["incremental_month_s"] <= TARGETS["incremental_s"]
        met["make_run_s"] = report["make_run_month_s"] <= TARGETS["make_run_s"]
    met["peak_mib"] = report["peak_mib"] <= TARGETS["peak_mib"]
    return met


def print_targets(report: dict) -> None:
    rows = [
        (f"{stage} / its baseline", f"{f['ratio']:.1f}x", f"<= {TARGETS['stage_ratio']:g}x", f"{stage}_ratio")
        for stage, f in report["stages"].items()
    ]
    rows += [
        ("full backfill", f"{report['end_to_end_s']:.0f} s", f"<= {TARGETS['backfill_s']} s", "backfill_s"),
        (
            "one more month, in process",
            _seconds(report["incremental_month_s"]),
            f"<= {TARGETS['incremental_s']} s",
            "incremental_s",
        ),
        (
            "one more month, smartcity run",
            _seconds(report["make_run_month_s"]),
            f"<= {TARGETS['make_run_s']} s",
            "make_run_s",
        ),
        ("peak memory", f"{report['peak_mib']:.0f} MiB", f"<= {TARGETS['peak_mib']} MiB", "peak_mib"),
    ]
    print(f"{'target':<32}{'measured':>12}{'target':>14}  met")
    for name, measured, target, key in rows:
        met = report["met"].get(key)
        print(f"{name:<32}{measured:>12}{target:>14}  {'-' if met is None else 'yes' if met else 'NO'}")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def main() -> int:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    stages = tuple(os.environ.get("BENCH_STAGES", ",".join(STAGES)).split(","))
    if stages != STAGES[: len(stages)]:  # each stage reads what the one before it wrote
        raise SystemExit(f"bench: BENCH_STAGES names the first stages of {','.join(STAGES)}, in order")
    every = stages == STAGES
    base = ROOT / "data" / "bench" / f"scale-{scale:g}"
    landing, warehouse = base / "landing", base / "warehouse.duckdb"
    shutil.rmtree(base, ignore_errors=True)
    print(f"==> Generating a landing area at scale {scale:g} in {landing}", flush=True)
    started = time.perf_counter()
    size = generate(landing, scale, months=60)
    print(f"    {size['rows']:,} rows ({size['cities']:,} cities) in {time.perf_counter() - started:.1f} s")
    env = dict(os.environ, SMARTCITY_LANDING=str(landing), SMARTCITY_WAREHOUSE=str(warehouse))
    env.pop("SMARTCITY_MONTH", None)
    print("==> Pipeline, full 60-month backfill, stage by stage", flush=True)
    pipeline = {stage: run_stage(f"pipeline-{stage}", env) for stage in stages}
    print("==> Baseline: the same work in raw DuckDB SQL", flush=True)
    baseline = {stage: run_stage(f"baseline-{stage}", env) for stage in stages}
    incremental = make_run = None
    if every:
        print("==> One more month on top of the full history, in process", flush=True)
        generate(landing, scale, months=61, write_from=60)
        incremental = run_stage("pipeline-all", env)
        print("==> One more month through `smartcity run` (make run: the Airflow DAG)", flush=True)
        make_run = time_make_run(landing, scale, base, env)

    rows = size["rows"]
    report = {
        "scale": scale,
        "rows": rows,
        "cities": size["cities"],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "stages": {
            stage: {
                "pipeline_s": pipeline[stage]["seconds"],
                "baseline_s": baseline[stage]["seconds"],
                "ratio": pipeline[stage]["seconds"] / max(baseline[stage]["seconds"], 1e-9),
                "rows_per_s": rows / pipeline[stage]["seconds"],
                "pipeline_peak_mib": pipeline[stage]["peak_mib"],
                "baseline_peak_mib": baseline[stage]["peak_mib"],
            }
            for stage in stages
        },
        "end_to_end_s": sum(p["seconds"] for p in pipeline.values()),
        "baseline_end_to_end_s": sum(b["seconds"] for b in baseline.values()),
        "peak_mib": max(p["peak_mib"] for p in pipeline.values()),
        "incremental_month_s": incremental["seconds"] if incremental else None,
        "make_run_month_s": make_run,
        "targets": TARGETS,
    }
    report["met"] = targets_met(report)
    print()
    header = ("stage", "pipeline s", "baseline s", "ratio", "rows/s", "peak MiB", "base MiB")
    print(
        f"{header[0]:<11}{header[1]:>11}{header[2]:>11}{header[3]:>8}{header[4]:>12}{header[5]:>10}{header[6]:>10}"
    )
    for stage, figures in report["stages"].items():
        print(
            f"{stage:<11}{figures['pipeline_s']:>11.1f}{figures['baseline_s']:>11.1f}{figures['ratio']:>8.1f}"
            f"{figures['rows_per_s']:>12,.0f}{figures['pipeline_peak_mib']:>10.0f}{figures['baseline_peak_mib']:>10.0f}"
        )
    total, base_total = report["end_to_end_s"], report["baseline_end_to_end_s"]
    print(
        f"{'end to end':<11}{total:>11.1f}{base_total:>11.1f}{total / base_total:>8.1f}"
        f"{rows / total:>12,.0f}{report['peak_mib']:>10.0f}"
    )
    if incremental:
        print(f"one more month, in process: {report['incremental_month_s']:.1f} s")
        print(f"one more month, smartcity run (Airflow): {report['make_run_month_s']:.1f} s")
    print()
    print_targets(report)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    output = results / f"bench-scale-{scale:g}{'' if every else '-' + '-'.join(stages)}.json"
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
