"""The transform step: `dbt build` (seeds, snapshots, models, data tests, unit tests) on the build
database, then `dbt docs generate` so the model documentation is published with each run.

dbt runs in-process through its programmatic runner; a failing model or test fails the step with
the names of what failed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from datetime import date
from pathlib import Path

from smartcity.config import DBT_PROJECT_DIR, Settings
from smartcity.errors import PermanentError, StorageError, storage_advice
from smartcity.failpoints import armed, failpoint

log = logging.getLogger(__name__)


DOCS_FOLDER = "dbt-docs"  # under the reports folder: the dbt documentation site, one static HTML file


class TransformError(PermanentError):
    """dbt reported failing models or tests; nothing is published."""


class TransformStorageError(TransformError, StorageError):
    """dbt could not write the build database or its files: a full disk, a read-only folder."""


def _storage_fault(settings: Settings, command: str, problems: list[str]) -> TransformStorageError | None:
    """A TransformStorageError when what dbt reported is a full disk or a read-only folder, else None."""
    for problem in problems:
        advice = storage_advice(Exception(problem), settings.state_dir)
        if advice is not None:
            return TransformStorageError(
                f"dbt {command} could not write in {settings.state_dir} ({problem.splitlines()[0][:300]}): "
                f"{advice}, and run again; nothing was published"
            )
    return None


def dbt_vars(settings: Settings, report_month: date, rebuild_from: date | None = None) -> dict:
    """The project variables a run sets: the last month covered, the first month incremental models
    rebuild, the index's methodology version and, when configured, the index weights (an override is also
    the importance the weight audit compares with)."""
    from smartcity.index.methodology import methodology_version

    variables: dict = {"report_month": report_month.isoformat()}
    if rebuild_from is not None:
        variables["rebuild_from"] = rebuild_from.isoformat()
    variables["index_methodology_version"] = methodology_version(settings.index_weights)
    if settings.index_weights is not None:
        variables["index_weights"] = settings.index_weights
        variables["index_intended_importance"] = settings.index_weights
    return variables


def _invoke(
    settings: Settings, command: list[str], report_month: date, rebuild_from: date | None = None
) -> list:
    from dbt.cli.main import dbtRunner  # heavy import: only in the step that needs it

    os.environ["SMARTCITY_PIPELINE_DB"] = str(settings.pipeline_db)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    args = [
        *command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(settings.state_dir / "dbt_target"),
        "--log-path",
        str(settings.state_dir / "dbt_logs"),
        "--vars",
        json.dumps(dbt_vars(settings, report_month, rebuild_from)),
    ]
    log.info("dbt %s", " ".join(args))
    # The testing hook that kills a build half-way (failpoints.py); no callback at all otherwise.
    callbacks = [_model_built_failpoint] if armed("transform.") else []
    result = dbtRunner(callbacks=callbacks).invoke(args)
    if result.exception is not None:
        fault = _storage_fault(settings, command[0], [str(result.exception)])
        raise fault or TransformError(
            f"dbt {command[0]} could not run: {result.exception}"
        ) from result.exception
    # `build` returns run results per node; `docs generate` returns a catalog (no per-node results).
    nodes = list(getattr(result.result, "results", None) or [])
    if not result.success:
        failed = [
            f"{r.node.resource_type} {r.node.name}: {r.status} ({(r.message or '').strip()[:300]})"
            for r in nodes
            if str(r.status) in ("error", "fail")
        ]
        fault = _storage_fault(settings, command[0], failed)
        if fault is not None:
            raise fault
        raise TransformError(
            f"dbt {command[0]} failed, nothing was published:\n  - "
            + "\n  - ".join(failed or ["(see the dbt logs in the state folder)"])
        )
    return nodes


def _model_built_failpoint(event) -> None:
    if event.info.name == "NodeFinished" and event.data.node_info.resource_type == "model":
        failpoint("transform.model_built")


def dbt_build(
    settings: Settings, report_month: date, rebuild_from: date | None = None, full_refresh: bool = False
) -> int:
    """Build everything; incremental models rebuild from `rebuild_from` on, or fully with `full_refresh`."""
    command = ["build", "--full-refresh"] if full_refresh or rebuild_from is None else ["build"]
    nodes = _invoke(settings, command, report_month, rebuild_from)
    scope = "full rebuild" if len(command) == 2 else f"incremental from {rebuild_from:%Y-%m}"
    log.info("dbt build passed (%s): %d nodes", scope, len(nodes))
    return len(nodes)


def dbt_docs(settings: Settings, report_month: date) -> Path:
    """Generate the dbt documentation site as one static HTML file in the reports folder."""
    _invoke(settings, ["docs", "generate", "--static"], report_month)
    target = settings.reports_dir / DOCS_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(settings.state_dir / "dbt_target" / "static_index.html", target / "index.html")
    log.info("dbt docs: %s", target / "index.html")
    return target / "index.html"
