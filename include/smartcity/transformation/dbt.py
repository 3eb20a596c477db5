"""The transform step: `dbt build` (models, data tests, unit tests) on the build database.

dbt runs in-process through its programmatic runner; a failing model or test fails the step
with the names of what failed.
"""

from __future__ import annotations

import logging
import os
from datetime import date

from smartcity.config import DBT_PROJECT_DIR, Settings
from smartcity.errors import PermanentError

log = logging.getLogger(__name__)


class TransformError(PermanentError):
    """dbt reported failing models or tests; nothing is published."""


def dbt_build(settings: Settings, report_month: date, select: list[str] | None = None) -> None:
    from dbt.cli.main import dbtRunner  # heavy import: only in the step that needs it

    os.environ["SMARTCITY_PIPELINE_DB"] = str(settings.pipeline_db)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    args = [
        "build",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(settings.state_dir / "dbt_target"),
        "--log-path",
        str(settings.state_dir / "dbt_logs"),
        "--vars",
        f"{{report_month: '{report_month.isoformat()}'}}",
    ]
    if select:
        args += ["--select", *select]
    log.info("dbt %s", " ".join(args))
    result = dbtRunner().invoke(args)
    if result.exception is not None:
        raise TransformError(f"dbt could not run: {result.exception}") from result.exception
    if not result.success:
        failed = [
            f"{r.node.resource_type} {r.node.name}: {r.status} ({(r.message or '').strip()[:300]})"
            for r in (result.result or [])
            if str(r.status) in ("error", "fail")
        ]
        raise TransformError(
            "dbt build failed, nothing was published:\n  - " + "\n  - ".join(failed or ["(see dbt logs)"])
        )
    log.info("dbt build passed: %d nodes", len(result.result or []))
