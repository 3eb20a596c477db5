"""The four steps of a monthly run, as plain functions the Airflow DAG wires together.

Each step takes the settings and the run's plan, is idempotent for its months, and logs what it
did. None of them imports Airflow, so they are tested without it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

import duckdb

from smartcity.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR, ConfigError, Settings, current_month
from smartcity.errors import PipelineError, StorageError, first_line, storage_advice
from smartcity.failpoints import failpoint
from smartcity.ingestion.pull import (
    file_identity,
    pull_month,
    pull_transaction,
    record_not_taken,
    sha256_of,
)
from smartcity.ingestion.registry import load_registry
from smartcity.ingestion.sources import REGISTRY_FILES, LandingArea, open_landing
from smartcity.publication.guard import check_warehouse_path
from smartcity.publication.publish import (
    PublishError,
    PublishStorageError,
    publish,
    published_warehouse_problem,
)
from smartcity.readers import ReadLimits
from smartcity.run_lock import step_lock
from smartcity.state import StateError, connect, discard_damaged_gx_files, ensure_state, verify_state

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunPlan:
    run_id: str
    target_month: str  # YYYY-MM: the month asked for
    months: list[str]  # YYYY-MM: the landing months this run pulls and validates, oldest first
    report_month: str  # YYYY-MM: the last month the marts cover
    # What the published figures are built from besides the submissions (registry, dbt project, suites):
    # when it changed since the last publication, the marts are rebuilt even with no new month.
    fingerprint: str = ""
    rebuild: bool = False
    # Publish again with nothing new to build: the published warehouse is missing or damaged although the
    # state records a publication (publication never reads the previous file), or the list of landing
    # entries not taken (dq.rejected_files) changed.
    republish: bool = False
    not_taken: int = 0  # entries of the landing area not taken, listed in dq.rejected_files

    @property
    def has_work(self) -> bool:
        return bool(self.months) or self.rebuild or self.republish

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, value: dict) -> RunPlan:
        return cls(**value)

    @property
    def month_dates(self) -> list[date]:
        return [_month(m) for m in self.months]


P = ParamSpec("P")
R = TypeVar("R")


def _storage_faults_explained(step: Callable[P, R]) -> Callable[P, R]:
    """A full disk or a read-only folder met anywhere in a step (received copies, GX results, reports) ends
    it with a StorageError naming the file and what to do: a message, not a traceback."""

    @functools.wraps(step)
    def explained(*args: P.args, **kwargs: P.kwargs) -> R:
        # What the state holds (received copies, rejected rows, reports) is for the pipeline and its operators
        # only: nothing it writes is readable by other users of the machine (published files are opened up
        # explicitly by publication).
        os.umask(0o027)
        try:
            return step(*args, **kwargs)
        except PipelineError:
            raise  # already says what to do
        except Exception as error:
            where = _path_in(error) or "a file of the pipeline"
            advice = storage_advice(error, where)
            if advice is None:
                raise
            step_name = step.__name__.removeprefix("run_")
            raise StorageError(
                f"the {step_name} step could not write {where} ({first_line(error)}): {advice}, and run "
                "again; what was received and published so far is kept"
            ) from error

    return explained


def _one_run_at_a_time(step: Callable[P, R]) -> Callable[P, R]:
    """The step holds the warehouse's run lock (run_lock.py): already held by `smartcity run` when it
    started this DAG run, else taken for the step."""

    @functools.wraps(step)
    def locked(settings: Settings, *args: P.args, **kwargs: P.kwargs) -> R:
        with step_lock(settings, step.__name__.removeprefix("run_")):
            return step(settings, *args, **kwargs)

    return locked


def _path_in(error: BaseException) -> str | None:
    """The file an error is about: an OSError's filename (the target, of a copy or a rename), or the first
    quoted path in DuckDB's message."""
    if isinstance(error, OSError) and (error.filename2 or error.filename):
        return str(error.filename2 or error.filename)
    match = re.search(r'"(/[^"]+)"', str(error))
    return match.group(1) if match else None


def _suite_runner(settings: Settings, defer_docs: bool = False):
    """A GX runner on the state folder, after throwing away what a killed run left half-written there."""
    from smartcity.validation.suites import SuiteRunner

    discard_damaged_gx_files(settings.state_dir)
    return SuiteRunner(settings.state_dir, defer_docs=defer_docs)


def _month(value: str) -> date:
    return date(int(value[:4]), int(value[5:7]), 1)


def _first_unpublished_month(con) -> date | None:
    """The month after the last one published: a city leaving the registry leaves from there, so what was
    published stays as it was (None before the first publication: nothing to keep)."""
    last = con.execute("select max(report_month) from pipeline.publications").fetchone()[0]
    if last is None:
        return None
    return date(last.year + last.month // 12, last.month % 12 + 1, 1)


def _local_root(landing: LandingArea) -> Path | None:
    """The folder of a local landing area (the warehouse must not lie in it); None for a remote one."""
    root = getattr(landing, "root", None)
    return root if isinstance(root, Path) else None


def _not_taken_changed(con, landing: LandingArea) -> bool:
    """Whether the landing entries not taken differ from those dq.rejected_files lists."""
    listed = set(
        con.execute("select source_file, reason_code from dq.rejected_files where file_id is null").fetchall()
    )
    return listed != {(entry.path, entry.reason_code) for entry in landing.not_taken()}


def _has_new_files(con, landing, month: date) -> bool:
    known = {
        row[0]
        for row in con.execute(
            "select file_id from raw.received_files where received_month = ?", [month]
        ).fetchall()
    }
    return any(
        file_identity(f.relative_path, sha256_of(f.local_path)) not in known
        for f in landing.submission_files(month)
    )


INDEX_CODE_DIR = DBT_PROJECT_DIR.parent / "include" / "smartcity" / "index"
_FINGERPRINTED = {".sql", ".py", ".yml", ".csv", ".json"}


def build_fingerprint(landing, settings: Settings) -> str:
    """A checksum of everything besides submissions that the published figures depend on."""
    digest = hashlib.sha256(json.dumps(settings.index_weights, sort_keys=True).encode())
    inputs = [f.local_path for name in REGISTRY_FILES if (f := landing.registry_file(name))]
    # dbt's Python models call the index computations, so those count as the models themselves.
    for folder in (DBT_PROJECT_DIR, EXPECTATIONS_DIR, INDEX_CODE_DIR):
        inputs += sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and p.suffix in _FINGERPRINTED and "target" not in p.parts
        )
    for path in inputs:
        digest.update(path.name.encode())
        digest.update(sha256_of(path).encode())
    return digest.hexdigest()


@_storage_faults_explained
def plan_run(settings: Settings, run_id: str, requested_month: date | None = None) -> RunPlan:
    """Which landing months this run must process: every month up to the target not yet processed,
    or holding a file not received before (a late or corrected file in an old month)."""
    landing = open_landing(settings.landing, settings.state_dir / "incoming")
    check_warehouse_path(settings, _local_root(landing))
    if requested_month is not None and requested_month > current_month():
        raise ConfigError(
            f"the month asked for, {requested_month:%Y-%m}, has not begun yet (it is now "
            f"{current_month():%Y-%m}); ask for a month up to the current one"
        )
    available = landing.submission_months()
    target = requested_month or settings.month or (available[-1] if available else None)
    if target is None:
        raise ConfigError(f"the landing area {landing.description} has no submissions/<YYYY-MM>/ folder yet")
    with step_lock(settings, "plan"):
        verify_state(settings.pipeline_db)
        ensure_state(settings)
        with connect(settings.pipeline_db) as con:
            processed = {
                row[0] for row in con.execute("select month from pipeline.processed_months").fetchall()
            }
            pending = [
                m
                for m in available
                if m <= target and (m not in processed or _has_new_files(con, landing, m))
            ]
            published = con.execute(
                "select fingerprint from pipeline.publications order by published_at desc limit 1"
            ).fetchone()
            relist = _not_taken_changed(con, landing) and published is not None
    fingerprint = build_fingerprint(landing, settings)
    # The marts never shrink back to an earlier target; a month recorded past the current one (a far-future
    # month folder taken by an earlier release) is not a month to cover.
    last = max([target, *(m for m in processed if m <= current_month())])
    # Decision: a published warehouse that is missing or damaged is published again from the state (the
    # build database is the source of truth; the published file is only its snapshot), rather than left for
    # BI tools to fail on until a new month arrives.
    unreadable = published_warehouse_problem(settings.warehouse) if published is not None else None
    plan = RunPlan(
        run_id=run_id,
        target_month=target.strftime("%Y-%m"),
        months=[m.strftime("%Y-%m") for m in pending],
        report_month=last.strftime("%Y-%m"),
        fingerprint=fingerprint,
        rebuild=bool(processed) and (published is None or published[0] != fingerprint),
        republish=unreadable is not None or relist,
        not_taken=len(landing.not_taken()),
    )
    if relist and unreadable is None:
        log.info("plan: the files not taken from the landing area changed: publishing the new list")
    if unreadable is not None:
        log.warning(
            "plan: the published warehouse %s cannot be read (%s): publishing it again from the pipeline's "
            "state",
            settings.warehouse,
            unreadable,
        )
    if plan.rebuild and not pending:
        log.info(
            "plan: no new month, but the registry or the pipeline's models changed: rebuilding the marts"
        )
    elif pending:
        log.info(
            "plan: %d month(s) to process up to %s: %s",
            len(pending),
            plan.target_month,
            ", ".join(plan.months),
        )
    else:
        log.info("plan: nothing new up to %s; the warehouse is up to date", plan.target_month)
    return plan


@_storage_faults_explained
@_one_run_at_a_time
def run_pull(settings: Settings, plan: RunPlan) -> dict:
    from smartcity.validation.critical import check_registry

    landing = open_landing(settings.landing, settings.state_dir / "incoming")
    ensure_state(settings)
    totals = {"files_new": 0, "rows_new": 0, "files_unreadable": 0}
    with connect(settings.pipeline_db) as con:
        load_registry(con, landing, removed_from=_first_unpublished_month(con))
        # The critical registry suite, before any month is pulled: a failure stops the run here.
        check_registry(con, _suite_runner(settings), plan.run_id, _month(plan.report_month))
        with pull_transaction(con) as batches:
            for position, month in enumerate(plan.month_dates, start=1):
                result = pull_month(
                    con, landing, settings.received_dir, month, plan.run_id, ReadLimits.of(settings), batches
                )
                totals["files_new"] += result.files_new
                totals["rows_new"] += result.rows_new
                totals["files_unreadable"] += result.files_unreadable
                log.info("pull progress: %d/%d months", position, len(plan.months))
            not_taken = landing.not_taken()
            record_not_taken(con, not_taken, plan.run_id)
        totals["files_not_taken"] = len(not_taken)
        if not_taken:
            log.warning(
                "pull: %d landing entr%s not taken, listed with the reason in dq.rejected_files",
                len(not_taken),
                "y" if len(not_taken) == 1 else "ies",
            )
    failpoint("pull.done")
    return totals


@_storage_faults_explained
@_one_run_at_a_time
def run_validate(settings: Settings, plan: RunPlan) -> dict:
    totals = {"rows_received": 0, "rows_accepted": 0, "rows_quarantined": 0, "warnings": 0}
    if not plan.months:
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
            log.info("validate progress: %d/%d months", position, len(plan.months))
            failpoint("validate.month_done")
    runner.build_docs()
    log.info("Data Docs: %s", runner.docs_index())
    return totals


def earliest_month_changed(settings: Settings, plan: RunPlan) -> date | None:
    """The first month whose figures this run's rows can change: its earliest landing month, or an
    earlier report month among the rows it accepted (late rows and corrections restate the past)."""
    if not plan.months:
        return None
    with connect(settings.pipeline_db, read_only=True) as con:
        earliest_report = con.execute(
            "select min(report_month) from validated.submissions "
            "where list_contains(?, strftime(received_month, '%Y-%m'))",
            [plan.months],
        ).fetchone()[0]
    return min([*plan.month_dates, *([earliest_report] if earliest_report else [])])


@_storage_faults_explained
@_one_run_at_a_time
def run_transform(settings: Settings, plan: RunPlan) -> None:
    from smartcity.transformation.dbt import dbt_build, dbt_docs

    if not plan.months and not plan.rebuild:
        # Only publishing again (a damaged warehouse, a new list of files not taken): the marts in the build
        # database are as the last publication left them.
        log.info("transform: nothing new to build; the marts of the build database are published as they are")
        return
    dbt_build(
        settings,
        _month(plan.report_month),
        rebuild_from=earliest_month_changed(settings, plan),
        full_refresh=plan.rebuild,
    )
    dbt_docs(settings, _month(plan.report_month))


@_storage_faults_explained
@_one_run_at_a_time
def run_publish(settings: Settings, plan: RunPlan) -> str:
    # The critical marts suite gates publication here, at the start of publish rather than at the end of
    # transform: it checks the build database as it is when it is copied, whatever happened to it after
    # dbt built it (a retried or cleared task, a manual dbt run), and a failure stops exactly the step
    # that would have published. dbt's own tests already ran in transform.
    _check_marts(settings, plan)
    failpoint("publish.start")
    path = publish(settings, plan.run_id, plan.month_dates, _month(plan.report_month))
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
            [plan.run_id, now, _month(plan.report_month), plan.months, plan.fingerprint],
        )
        con.commit()
    return str(path)


def _check_marts(settings: Settings, plan: RunPlan) -> None:
    from smartcity.validation.critical import check_marts

    runner = _suite_runner(settings)
    try:
        with connect(settings.pipeline_db) as con:
            check_marts(con, runner, plan.run_id, _month(plan.report_month))
    except StateError as error:  # damaged, full or read-only: say so, permanently
        raise PublishStorageError(
            f"could not publish {settings.warehouse}: {error}; the previous warehouse is unchanged"
        ) from error
    except duckdb.Error as error:
        raise PublishError(
            f"could not publish {settings.warehouse}: the marts in {settings.pipeline_db} cannot be read "
            f"to check them ({error}); the previous warehouse is unchanged"
        ) from error
