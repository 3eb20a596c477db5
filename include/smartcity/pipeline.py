"""The steps of a monthly run, as plain functions the Airflow DAG wires together: write, audit, publish.

    plan -> pull -> audit_registry -> validate -> transform -> audit_marts -> publish

Each step takes the settings and the run's plan, is idempotent for its months, holds the warehouse's run
lock, and leaves a structured record of what it did (run_records.py: `pipeline.runs`, and the events file of
the process watching the run). The two audits are the critical Great Expectations suites: `registry` on the
registry as loaded, `marts` on the marts as built; each stops the run before anything is published. None of
the steps imports Airflow, so they are tested without it.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from smartcity.config import Settings
from smartcity.errors import storage_faults_explained
from smartcity.failpoints import failpoint
from smartcity.ingestion.pull import pull_month, pull_transaction, record_not_taken
from smartcity.ingestion.registry import load_registry
from smartcity.ingestion.sources import open_landing
from smartcity.planning import RunPlan, month_of, plan_run
from smartcity.publication.index_history import discard_versions, record_new_versions
from smartcity.publication.publish import PublishError, PublishStorageError, publish
from smartcity.readers import ReadLimits
from smartcity.run_lock import step_lock
from smartcity.run_records import StepRecord, recorded
from smartcity.state import StateError, connect, discard_damaged_gx_files, ensure_state

__all__ = [
    "STEPS",
    "RunPlan",
    "plan_run",
    "run_audit_marts",
    "run_audit_registry",
    "run_plan",
    "run_publish",
    "run_pull",
    "run_transform",
    "run_validate",
]

log = logging.getLogger(__name__)

Step = Callable[[Settings, RunPlan, StepRecord], Any]


def _step(name: str) -> Callable[[Step], Callable[[Settings, RunPlan], Any]]:
    """A step of the run: recorded, holding the run lock, its storage faults explained in one sentence."""

    def decorate(body: Step) -> Callable[[Settings, RunPlan], Any]:
        @functools.wraps(body)
        def run(settings: Settings, plan: RunPlan) -> Any:
            # What the state holds (received copies, rejected rows, reports) is for the pipeline and its
            # operators only: nothing it writes is readable by other users of the machine (published files are
            # opened up explicitly by publication).
            os.umask(0o027)
            with recorded(settings, plan.run_id, name, plan.months) as record:
                with storage_faults_explained(name), step_lock(settings, name):
                    return body(settings, plan, record)

        return run

    return decorate


def _suite_runner(settings: Settings, defer_docs: bool = False):
    """A GX runner on the state folder, after throwing away what a killed run left half-written there."""
    from smartcity.validation.suites import SuiteRunner

    discard_damaged_gx_files(settings.state_dir)
    return SuiteRunner(settings.state_dir, defer_docs=defer_docs)


def run_plan(settings: Settings, run_id: str, requested_month: date | None = None) -> RunPlan:
    """The DAG's first step: plan (reading the whole state through once, so a damaged file stops the run
    before anything is written) and record the plan."""
    os.umask(0o027)
    with recorded(settings, run_id, "plan", []) as record:
        plan = plan_run(settings, run_id, requested_month, verify=True)
        record.months = plan.months
        record.counts = {
            "target_month": plan.target_month,
            "report_month": plan.report_month,
            "rebuild": plan.rebuild,
            "republish": plan.republish,
            "landing_entries_not_taken": plan.not_taken,
        }
        if not plan.has_work:
            record.skip(f"nothing new up to {plan.target_month}: every landing month is processed")
    return plan


def _first_unpublished_month(con) -> date | None:
    """The month after the last one published: a city leaving the registry leaves from there, so what was
    published stays as it was (None before the first publication: nothing to keep)."""
    last = con.execute("select max(report_month) from pipeline.publications").fetchone()[0]
    if last is None:
        return None
    return date(last.year + last.month // 12, last.month % 12 + 1, 1)


@_step("pull")
def run_pull(settings: Settings, plan: RunPlan, record: StepRecord) -> dict:
    """Load the registry, then receive every new file of the plan's months; list what is not taken."""
    landing = open_landing(settings.landing, settings.state_dir / "incoming")
    ensure_state(settings)
    totals = {"files_new": 0, "rows_new": 0, "files_unreadable": 0}
    with connect(settings.pipeline_db) as con:
        load_registry(con, landing, removed_from=_first_unpublished_month(con))
        with pull_transaction(con) as batches:
            for position, month in enumerate(plan.month_dates, start=1):
                result = pull_month(
                    con, landing, settings.received_dir, month, plan.run_id, ReadLimits.of(settings), batches
                )
                totals["files_new"] += result.files_new
                totals["rows_new"] += result.rows_new
                totals["files_unreadable"] += result.files_unreadable
                record.progress(month=f"{month:%Y-%m}", done=position, total=len(plan.months),
                                files_new=result.files_new, rows_new=result.rows_new)  # fmt: skip
            not_taken = landing.not_taken()
            record_not_taken(con, not_taken, plan.run_id)
        totals["files_not_taken"] = len(not_taken)
        if not_taken:
            log.warning(
                "pull: %d landing entr%s not taken, listed with the reason in dq.rejected_files",
                len(not_taken),
                "y" if len(not_taken) == 1 else "ies",
            )
    record.counts = totals
    failpoint("pull.done")
    return totals


@_step("audit_registry")
def run_audit_registry(settings: Settings, plan: RunPlan, record: StepRecord) -> None:
    """The critical `registry` suite on the registry as loaded: a failure stops the run, nothing published."""
    from smartcity.validation.critical import check_registry

    runner = _suite_runner(settings)
    with connect(settings.pipeline_db) as con:
        result = check_registry(con, runner, plan.run_id, month_of(plan.report_month))
    record.counts = {"lines": result.evaluated_rows, "failed": result.failed_rows}
    record.paths = {"data_docs": result.docs_page or result.docs_index or ""}


@_step("validate")
def run_validate(settings: Settings, plan: RunPlan, record: StepRecord) -> dict:
    """Every new row of the plan's months accepted or quarantined with its reason; warnings; rejection
    reports for the cities; Data Docs."""
    totals = {"rows_received": 0, "rows_accepted": 0, "rows_quarantined": 0, "warnings": 0}
    if not plan.months:
        record.counts = totals
        return totals
    from smartcity.reporting.rejections import write_rejection_reports
    from smartcity.validation import accepted_history
    from smartcity.validation.submissions import validate_month

    runner = _suite_runner(settings, defer_docs=True)
    snapshots = accepted_history.history_dir(settings)  # read by `smartcity check` and the deadline watch
    with connect(settings.pipeline_db) as con:
        accepted_history.export_missing_months(con, snapshots)
        for position, month in enumerate(plan.month_dates, start=1):
            outcome = validate_month(con, runner, month, plan.run_id)
            write_rejection_reports(con, settings.reports_dir / "rejections", month)
            accepted_history.export_month(con, snapshots, month)
            totals["rows_received"] += outcome.rows_received
            totals["rows_accepted"] += outcome.rows_accepted
            totals["rows_quarantined"] += outcome.rows_quarantined
            totals["warnings"] += outcome.warnings.total()
            record.progress(
                month=f"{month:%Y-%m}",
                done=position,
                total=len(plan.months),
                rows_received=outcome.rows_received,
                rows_accepted=outcome.rows_accepted,
                rows_quarantined=outcome.rows_quarantined,
                reasons=dict(sorted(outcome.reasons.items())),
                warnings=outcome.warnings.total(),
            )
            failpoint("validate.month_done")
    runner.build_docs()
    record.counts = totals
    record.paths = {
        "data_docs": str(runner.docs_index() or ""),
        "rejection_reports": str(settings.reports_dir / "rejections"),
    }
    return totals


def earliest_month_changed(settings: Settings, plan: RunPlan) -> date | None:
    """The first month whose figures this run's rows can change: its earliest landing month, or an
    earlier report month among the rows of its months, those it accepted (late rows and corrections restate
    the past) and those the last build had accepted from the same months (a month validated again can
    quarantine a row it accepted before: its report month changes too)."""
    if not plan.months:
        return None
    with connect(settings.pipeline_db, read_only=True) as con:
        sources = ["validated.submissions"]
        if con.execute(
            "select count(*) from duckdb_tables() "
            "where schema_name = 'intermediate' and table_name = 'int_submissions_current'"
        ).fetchone()[0]:
            sources.append("intermediate.int_submissions_current")
        earliest = [
            con.execute(
                f"select min(report_month) from {source} "  # noqa: S608 (fixed names above)
                "where list_contains(?, strftime(received_month, '%Y-%m'))",
                [plan.months],
            ).fetchone()[0]
            for source in sources
        ]
    return min([*plan.month_dates, *(month for month in earliest if month is not None)])


@_step("transform")
def run_transform(settings: Settings, plan: RunPlan, record: StepRecord) -> None:
    """dbt build (every model, snapshot and dbt test), incremental from the first month the run changes."""
    from smartcity.transformation.dbt import dbt_build, dbt_docs, parse_project

    if not plan.months and not plan.rebuild:
        # Only publishing again (a damaged warehouse, a new list of files not taken): the marts in the build
        # database are as the last publication left them.
        record.skip("nothing new to build: the marts of the build database are published as they are")
        return
    rebuild_from = earliest_month_changed(settings, plan)
    manifest = parse_project(settings)  # once: the build and the documentation share it
    built = dbt_build(
        settings,
        month_of(plan.report_month),
        rebuild_from=rebuild_from,
        full_refresh=plan.rebuild,
        manifest=manifest,
    )
    docs = dbt_docs(settings, manifest, plan.fingerprint)
    record.counts = {
        "nodes": built.nodes,
        "rebuilt_from": f"{rebuild_from:%Y-%m}" if rebuild_from and not plan.rebuild else "all months",
        "registry_kept": built.registry_kept,
    }
    record.paths = {"dbt_docs": str(docs)}


@_step("audit_marts")
def run_audit_marts(settings: Settings, plan: RunPlan, record: StepRecord) -> None:
    """The critical `marts` suite on the marts as built, just before publication: a failure stops the run and
    the previous warehouse stays. (dbt's own tests already ran in transform.)"""
    from smartcity.validation.critical import check_marts

    runner = _suite_runner(settings)
    try:
        with connect(settings.pipeline_db) as con:
            result = check_marts(con, runner, plan.run_id, month_of(plan.report_month))
    except StateError as error:  # damaged, full or read-only: say so, permanently
        raise PublishStorageError(
            f"could not publish {settings.warehouse}: {error}; the previous warehouse is unchanged"
        ) from error
    except duckdb.Error as error:
        raise PublishError(
            f"could not publish {settings.warehouse}: the marts in {settings.pipeline_db} cannot be read "
            f"to check them ({error}); the previous warehouse is unchanged"
        ) from error
    record.counts = {"lines": result.evaluated_rows, "failed": result.failed_rows}
    record.paths = {"data_docs": result.docs_page or result.docs_index or ""}


@_step("publish")
def run_publish(settings: Settings, plan: RunPlan, record: StepRecord) -> str:
    """Swap a snapshot of the build database in as the warehouse (and its Parquet copy); record the months."""
    failpoint("publish.start")
    # The index's history gets this publication's versions only as part of it (index_history.py).
    try:
        with connect(settings.pipeline_db) as con:
            record_new_versions(con, plan.run_id, datetime.now(UTC))
    except StateError as error:  # damaged, full or read-only: nothing is published
        raise PublishStorageError(
            f"could not publish {settings.warehouse}: {error}; the previous warehouse is unchanged"
        ) from error
    try:
        path = publish(settings, plan.run_id, plan.month_dates, month_of(plan.report_month))
    except BaseException:
        # Refused, failed or interrupted: the history keeps only what was published.
        with connect(settings.pipeline_db) as con:
            discard_versions(con, plan.run_id)
        raise
    failpoint("publish.before_record")
    now = datetime.now(UTC)
    with connect(settings.pipeline_db) as con:
        con.begin()
        for month in plan.month_dates:
            con.execute(
                "insert or replace into pipeline.processed_months values (?, ?, ?)", [month, plan.run_id, now]
            )
        con.execute(
            "insert into pipeline.publications values (?, ?, ?, ?, ?)",
            [plan.run_id, now, month_of(plan.report_month), plan.months, plan.fingerprint],
        )
        con.commit()
    record.paths = {"warehouse": str(path)}
    return str(path)


# The steps after the plan, in the order a run takes them (the DAG wires the same order).
STEPS = (run_pull, run_audit_registry, run_validate, run_transform, run_audit_marts, run_publish)
