"""Both DAG files import into Airflow's DagBag without errors, with the structure the pipeline relies on.

The DagBag is built in a child process with its own AIRFLOW_HOME: importing Airflow reads (and creates) its
configuration there, and nothing of that must leak into this test process or the user's ~/airflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smartcity.config import REPO_ROOT

DAGS = REPO_ROOT / "dags"

PROBE = r"""
import json, sys

# Airflow 3.3: DagBag lives in airflow.dag_processing.dagbag (airflow.models.dagbag is deprecated) and has
# no include_examples argument any more: example DAGs stay out through AIRFLOW__CORE__LOAD_EXAMPLES=False.
from airflow.dag_processing.dagbag import DagBag


def callbacks(value):
    value = value if isinstance(value, list) else [value] if value else []
    # A notifier is an instance: its class names it.
    return [f"{c.__module__}.{getattr(c, '__qualname__', type(c).__qualname__)}" for c in value]


def assets(condition):
    if condition is None:
        return []
    if hasattr(condition, "uri"):
        return [[condition.name, condition.uri]]
    return [[a.name, a.uri] for a in getattr(condition, "objects", [])]


bag = DagBag(dag_folder=sys.argv[1])
facts = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    facts["dags"][dag_id] = {
        "fileloc": dag.fileloc,
        "topological": [t.task_id for t in dag.topological_sort()],
        "max_active_runs": dag.max_active_runs,
        "timetable": type(dag.timetable).__name__,
        "schedule_assets": assets(getattr(dag.timetable, "asset_condition", None)),
        "tasks": {
            t.task_id: {
                "upstream": sorted(t.upstream_task_ids),
                "retries": t.retries,
                "on_failure_callback": callbacks(t.on_failure_callback),
                "outlets": [[a.name, a.uri] for a in t.outlets],
            }
            for t in dag.tasks
        },
    }
print(json.dumps(facts))
"""


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("airflow_home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "SMARTCITY_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__UNIT_TEST_MODE="True",
        DO_NOT_TRACK="1",
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(DAGS)],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_dag_imports_without_errors(dagbag):
    assert dagbag["errors"] == {}
    assert {"smartcity_monthly", "smartcity_report", "smartcity_deadline"} <= set(dagbag["dags"])
    for dag_id, file in (
        ("smartcity_monthly", "smartcity_monthly.py"),
        ("smartcity_report", "smartcity_report.py"),
        ("smartcity_deadline", "smartcity_deadline.py"),
    ):
        assert Path(dagbag["dags"][dag_id]["fileloc"]).name == file


def test_the_monthly_dag_writes_audits_then_publishes_with_retries_and_one_run_at_a_time(dagbag):
    monthly = dagbag["dags"]["smartcity_monthly"]
    # Write-audit-publish, each gate a task you can see: the audits are the critical suites.
    steps = [
        "plan",
        "anything_new",
        "pull",
        "audit_registry",
        "validate",
        "transform",
        "audit_marts",
        "publish",
    ]
    assert sorted(monthly["tasks"]) == sorted(steps)
    tasks = monthly["tasks"]
    # Each step waits for the one before it (and every one reads the plan).
    for before, after in zip(steps, steps[1:], strict=False):
        assert before in tasks[after]["upstream"], (before, after)
    for step in steps[1:]:
        assert "plan" in tasks[step]["upstream"], step
    assert monthly["topological"] == steps
    assert monthly["max_active_runs"] == 1
    # Retries for transient faults on every step that touches the outside world; the plan fails at once.
    for step in steps[1:]:
        assert tasks[step]["retries"] >= 1, step
    assert tasks["plan"]["retries"] == 0
    for step in steps:
        assert tasks[step]["on_failure_callback"] == ["smartcity.alerts.FailureNotifier"], step
    # Airflow normalises the URI (smartcity://warehouse/); the name is what both DAG files spell out.
    assert [name for name, _ in tasks["publish"]["outlets"]] == ["smartcity_warehouse"]


def test_every_task_of_the_monthly_dag_is_one_call_into_include():
    """The DAG file only wires: every task body is a single statement calling smartcity.airflow_tasks."""
    import ast

    tree = ast.parse((DAGS / "smartcity_monthly.py").read_text(encoding="utf-8"))
    (dag_function,) = [
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "smartcity_monthly"
    ]
    tasks = [node for node in dag_function.body if isinstance(node, ast.FunctionDef)]
    assert len(tasks) == 8
    for task in tasks:
        assert len(task.body) == 1, task.name
        call = task.body[0].value if isinstance(task.body[0], ast.Return | ast.Expr) else None
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name), task.name
        assert call.func.id in {"plan", "has_work", "step"}, task.name


def test_the_report_dag_is_scheduled_on_the_asset_the_publish_step_emits(dagbag):
    report = dagbag["dags"]["smartcity_report"]
    published = dagbag["dags"]["smartcity_monthly"]["tasks"]["publish"]["outlets"]
    assert report["timetable"] == "AssetTriggeredTimetable"
    assert report["schedule_assets"] == published
    assert list(report["tasks"]) == ["build_monthly_report"]
    assert report["tasks"]["build_monthly_report"]["on_failure_callback"] == [
        "smartcity.alerts.FailureNotifier"
    ]


def test_the_deadline_watch_runs_after_the_deadline_and_alerts_through_the_notifiers(dagbag):
    watch = dagbag["dags"]["smartcity_deadline"]
    assert watch["timetable"] == "CronTriggerTimetable"
    assert watch["topological"] == ["find_missing_submissions", "send_alert"]
    assert watch["tasks"]["send_alert"]["upstream"] == ["find_missing_submissions"]
    assert watch["max_active_runs"] == 1
    for task in watch["tasks"].values():
        assert task["retries"] >= 1
        assert task["on_failure_callback"] == ["smartcity.alerts.FailureNotifier"]
