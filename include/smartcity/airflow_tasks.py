"""What the monthly DAG's tasks call: each task is one line in the DAG file, the work is here.

A task reads the settings, rebuilds the plan the `plan` task handed it (XCom), and runs one step of
smartcity.pipeline. A permanent error (a bad setting, a broken registry, a failing audit or dbt test) fails
the task at once: Airflow's retries are for transient faults (a landing area that does not answer).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any


@contextmanager
def _permanent_errors_fail_at_once() -> Iterator[None]:
    from airflow.sdk.exceptions import AirflowFailException

    from smartcity.errors import PermanentError

    try:
        yield
    except PermanentError as error:
        raise AirflowFailException(f"{type(error).__name__}: {error}") from error


def plan(context: Mapping[str, Any]) -> dict:
    """The `plan` task: which months this run processes (schedule.py says which month it is asked for)."""
    from smartcity.config import load_settings
    from smartcity.pipeline import run_plan
    from smartcity.schedule import report_month_of_run

    month = report_month_of_run(
        context["params"].get("month"), context["dag_run"].run_type, context.get("logical_date")
    )
    with _permanent_errors_fail_at_once():
        return run_plan(load_settings(), context["run_id"], month).as_dict()


def has_work(run_plan: dict) -> bool:
    """The short-circuit after the plan: with nothing new, every later task is skipped."""
    from smartcity.planning import RunPlan

    return RunPlan.from_dict(run_plan).has_work


def step(name: str, run_plan: dict) -> Any:
    """One step of the run (pull, audit_registry, validate, transform, audit_marts, publish)."""
    from smartcity import pipeline
    from smartcity.config import load_settings
    from smartcity.planning import RunPlan

    run = getattr(pipeline, f"run_{name}")
    with _permanent_errors_fail_at_once():
        return run(load_settings(), RunPlan.from_dict(run_plan))
