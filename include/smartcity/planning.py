"""Planning a run: which landing months it processes, what it must rebuild or publish again.

`plan_run` only plans (nothing is pulled or built); the steps in pipeline.py carry the plan out. A RunPlan
travels between the DAG's tasks as a dict (XCom).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from smartcity.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR, ConfigError, Settings, current_month
from smartcity.errors import storage_faults_explained
from smartcity.ingestion.pull import file_identity, sha256_of
from smartcity.ingestion.sources import REGISTRY_FILES, LandingArea, open_landing
from smartcity.publication.guard import check_warehouse_path
from smartcity.publication.publish import published_warehouse_problem
from smartcity.run_lock import step_lock
from smartcity.state import connect, ensure_state, verify_state

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
    # Why the published warehouse cannot be read, when it cannot (found by the plan, said by `smartcity run`).
    published_problem: str | None = None

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
        return [month_of(m) for m in self.months]


def month_of(value: str) -> date:
    """The first day of a `YYYY-MM` month."""
    return date(int(value[:4]), int(value[5:7]), 1)


def _local_root(landing: LandingArea) -> Path | None:
    """The folder of a local landing area (the warehouse must not lie in it); None for a remote one."""
    root = getattr(landing, "root", None)
    return root if isinstance(root, Path) else None


def _not_taken_changed(con, landing: LandingArea) -> bool:
    """Whether the landing entries not taken differ from those dq.rejected_files lists."""
    listed = set(
        con.execute(
            "select source_file, reason_code from audit.rejected_files where file_id is null"
        ).fetchall()
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


def plan_run(
    settings: Settings, run_id: str, requested_month: date | None = None, verify: bool = True
) -> RunPlan:
    """Which landing months this run must process: every month up to the target not yet processed,
    or holding a file not received before (a late or corrected file in an old month).

    Only plans: nothing is pulled or built. `verify` reads the whole build database through first, so that a
    damaged file stops the run before anything is written; the DAG's plan step does it once per run, and a
    caller that only asks whether there is work (`smartcity run` before it starts Airflow) skips it."""
    with storage_faults_explained("plan"):
        return _plan(settings, run_id, requested_month, verify)


def _plan(settings: Settings, run_id: str, requested_month: date | None, verify: bool) -> RunPlan:
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
        if verify:
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
        published_problem=unreadable,
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
