"""The four steps of a monthly run, as plain functions the Airflow DAG wires together.

Each step takes the settings and the run's plan, is idempotent for its months, and logs what it
did. None of them imports Airflow, so they are tested without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

import duckdb

from smartcity.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR, ConfigError, Settings
from smartcity.ingestion.pull import file_identity, pull_month, sha256_of
from smartcity.ingestion.registry import load_registry
from smartcity.ingestion.sources import REGISTRY_FILES, open_landing
from smartcity.publication.publish import PublishError, publish
from smartcity.readers import ReadLimits
from smartcity.state import connect, ensure_state

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

    @property
    def has_work(self) -> bool:
        return bool(self.months) or self.rebuild

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, value: dict) -> RunPlan:
        return cls(**value)

    @property
    def month_dates(self) -> list[date]:
        return [_month(m) for m in self.months]


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


def build_fingerprint(landing, settings: Settings) -> str:
    """A checksum of everything besides submissions that the published figures depend on."""
    digest = hashlib.sha256(json.dumps(settings.index_weights, sort_keys=True).encode())
    inputs = [f.local_path for name in REGISTRY_FILES if (f := landing.registry_file(name))]
    for folder in (DBT_PROJECT_DIR, EXPECTATIONS_DIR):
        inputs += sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and p.suffix in {".sql", ".yml", ".csv", ".json"} and "target" not in p.parts
        )
    for path in inputs:
        digest.update(path.name.encode())
        digest.update(sha256_of(path).encode())
    return digest.hexdigest()


def plan_run(settings: Settings, run_id: str, requested_month: date | None = None) -> RunPlan:
    """Which landing months this run must process: every month up to the target not yet processed,
    or holding a file not received before (a late or corrected file in an old month)."""
    landing = open_landing(settings.landing, settings.state_dir / "incoming")
    available = landing.submission_months()
    target = requested_month or settings.month or (available[-1] if available else None)
    if target is None:
        raise ConfigError(f"the landing area {landing.description} has no submissions/<YYYY-MM>/ folder yet")
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
    plan = RunPlan(
        run_id=run_id,
        target_month=target.strftime("%Y-%m"),
        months=[m.strftime("%Y-%m") for m in pending],
        report_month=last.strftime("%Y-%m"),
        fingerprint=fingerprint,
        rebuild=bool(processed) and (published is None or published[0] != fingerprint),
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


def run_pull(settings: Settings, plan: RunPlan) -> dict:
    from smartcity.validation.critical import check_registry
    from smartcity.validation.suites import SuiteRunner

    landing = open_landing(settings.landing, settings.state_dir / "incoming")
    ensure_state(settings)
    totals = {"files_new": 0, "rows_new": 0, "files_unreadable": 0}
    with connect(settings.pipeline_db) as con:
        load_registry(con, landing)
        # The critical registry suite, before any month is pulled: a failure stops the run here.
        check_registry(con, SuiteRunner(settings.state_dir), plan.run_id, _month(plan.report_month))
        for position, month in enumerate(plan.month_dates, start=1):
            result = pull_month(
                con, landing, settings.received_dir, month, plan.run_id, ReadLimits.of(settings)
            )
            totals["files_new"] += result.files_new
            totals["rows_new"] += result.rows_new
            totals["files_unreadable"] += result.files_unreadable
            log.info("pull progress: %d/%d months", position, len(plan.months))
    return totals


def run_validate(settings: Settings, plan: RunPlan) -> dict:
    totals = {"rows_received": 0, "rows_accepted": 0, "rows_quarantined": 0, "warnings": 0}
    if not plan.months:
        return totals
    from smartcity.reporting.rejections import write_rejection_reports
    from smartcity.validation.submissions import validate_month
    from smartcity.validation.suites import SuiteRunner

    runner = SuiteRunner(settings.state_dir, defer_docs=True)
    with connect(settings.pipeline_db) as con:
        for position, month in enumerate(plan.month_dates, start=1):
            outcome = validate_month(con, runner, month, plan.run_id)
            write_rejection_reports(con, settings.reports_dir / "rejections", month)
            totals["rows_received"] += outcome.rows_received
            totals["rows_accepted"] += outcome.rows_accepted
            totals["rows_quarantined"] += outcome.rows_quarantined
            totals["warnings"] += outcome.warnings.total()
            log.info("validate progress: %d/%d months", position, len(plan.months))
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


def run_transform(settings: Settings, plan: RunPlan) -> None:
    from smartcity.transformation.dbt import dbt_build, dbt_docs

    dbt_build(
        settings,
        _month(plan.report_month),
        rebuild_from=earliest_month_changed(settings, plan),
        full_refresh=plan.rebuild,
    )
    dbt_docs(settings, _month(plan.report_month))


def run_publish(settings: Settings, plan: RunPlan) -> str:
    # The critical marts suite gates publication here, at the start of publish rather than at the end of
    # transform: it checks the build database as it is when it is copied, whatever happened to it after
    # dbt built it (a retried or cleared task, a manual dbt run), and a failure stops exactly the step
    # that would have published. dbt's own tests already ran in transform.
    _check_marts(settings, plan)
    path = publish(settings, plan.run_id, plan.month_dates, _month(plan.report_month))
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
    from smartcity.validation.suites import SuiteRunner

    runner = SuiteRunner(settings.state_dir)
    try:
        with connect(settings.pipeline_db) as con:
            check_marts(con, runner, plan.run_id, _month(plan.report_month))
    except duckdb.Error as error:
        raise PublishError(
            f"could not publish {settings.warehouse}: the marts in {settings.pipeline_db} cannot be read "
            f"to check them ({error}); the previous warehouse is unchanged"
        ) from error
