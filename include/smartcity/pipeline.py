"""The four steps of a monthly run, as plain functions the Airflow DAG wires together.

Each step takes the settings and the run's plan, is idempotent for its months, and logs what it
did. None of them imports Airflow, so they are tested without it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import ParamSpec, TypeVar

import duckdb

from smartcity.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR, ConfigError, Settings
from smartcity.errors import PipelineError, StorageError, first_line, storage_advice
from smartcity.failpoints import failpoint
from smartcity.ingestion.pull import file_identity, pull_month, sha256_of
from smartcity.ingestion.registry import load_registry
from smartcity.ingestion.sources import REGISTRY_FILES, open_landing
from smartcity.publication.index_history import discard_versions, record_new_versions
from smartcity.publication.publish import (
    PublishError,
    PublishStorageError,
    publish,
    published_warehouse_problem,
)
from smartcity.readers import ReadLimits
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
    # The published warehouse is missing or damaged although the state records a publication: publish the
    # state's figures again, even with nothing new (publication never reads the previous file).
    republish: bool = False

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
    available = landing.submission_months()
    target = requested_month or settings.month or (available[-1] if available else None)
    if target is None:
        raise ConfigError(f"the landing area {landing.description} has no submissions/<YYYY-MM>/ folder yet")
    verify_state(settings.pipeline_db)
    ensure_state(settings)
    with connect(settings.pipeline_db) as con:
        processed = {row[0] for row in con.execute("select month from pipeline.processed_months").fetchall()}
        pending = [
            m for m in available if m <= target and (m not in processed or _has_new_files(con, landing, m))
        ]
        published = con.execute(
            "select fingerprint from pipeline.publications order by published_at desc limit 1"
        ).fetchone()
    fingerprint = build_fingerprint(landing, settings)
    last = max([target, *processed]) if processed else target
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
        republish=unreadable is not None,
    )
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
def run_pull(settings: Settings, plan: RunPlan) -> dict:
    from smartcity.validation.critical import check_registry

    landing = open_landing(settings.landing, settings.state_dir / "incoming")
    ensure_state(settings)
    totals = {"files_new": 0, "rows_new": 0, "files_unreadable": 0}
    with connect(settings.pipeline_db) as con:
        load_registry(con, landing)
        # The critical registry suite, before any month is pulled: a failure stops the run here.
        check_registry(con, _suite_runner(settings), plan.run_id, _month(plan.report_month))
        for position, month in enumerate(plan.month_dates, start=1):
            result = pull_month(
                con, landing, settings.received_dir, month, plan.run_id, ReadLimits.of(settings)
            )
            totals["files_new"] += result.files_new
            totals["rows_new"] += result.rows_new
            totals["files_unreadable"] += result.files_unreadable
            log.info("pull progress: %d/%d months", position, len(plan.months))
    failpoint("pull.done")
    return totals


@_storage_faults_explained
def run_validate(settings: Settings, plan: RunPlan) -> dict:
    totals = {"rows_received": 0, "rows_accepted": 0, "rows_quarantined": 0, "warnings": 0}
    if not plan.months:
        return totals
    from smartcity.reporting.rejections import write_rejection_reports
    from smartcity.validation.submissions import validate_month

    runner = _suite_runner(settings, defer_docs=True)
    with connect(settings.pipeline_db) as con:
        for position, month in enumerate(plan.month_dates, start=1):
            outcome = validate_month(con, runner, month, plan.run_id)
            write_rejection_reports(con, settings.reports_dir / "rejections", month)
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
def run_transform(settings: Settings, plan: RunPlan) -> None:
    from smartcity.transformation.dbt import dbt_build, dbt_docs

    dbt_build(
        settings,
        _month(plan.report_month),
        rebuild_from=earliest_month_changed(settings, plan),
        full_refresh=plan.rebuild,
    )
    dbt_docs(settings, _month(plan.report_month))


@_storage_faults_explained
def run_publish(settings: Settings, plan: RunPlan) -> str:
    # The critical marts suite gates publication here, at the start of publish rather than at the end of
    # transform: it checks the build database as it is when it is copied, whatever happened to it after
    # dbt built it (a retried or cleared task, a manual dbt run), and a failure stops exactly the step
    # that would have published. dbt's own tests already ran in transform.
    _check_marts(settings, plan)
    failpoint("publish.start")
    # The index's history gets this publication's versions only as part of it (index_history.py).
    with connect(settings.pipeline_db) as con:
        record_new_versions(con, plan.run_id, datetime.now(UTC))
    try:
        path = publish(settings, plan.run_id, plan.month_dates, _month(plan.report_month))
    except PublishError:
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
