"""`smartcity`: the command behind `make run`.

It decides which months need processing, runs the Airflow DAG for them, and prints the summary.
User mistakes (a bad setting, a missing landing area) end with a message and exit code 2, not a traceback;
faults of the storage (a full disk, a read-only folder, a damaged state or warehouse file) end with exit
code 1 and a sentence naming the path and what to do.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime

from smartcity.airflow_runner import airflow_env, ensure_metadata_db, failure_reason, run_dag
from smartcity.config import ConfigError, Settings, load_settings
from smartcity.errors import PipelineError
from smartcity.pipeline import plan_run
from smartcity.publication.publish import published_warehouse_problem
from smartcity.summary import format_headline, read_headline


def _say(message: str) -> None:
    print(message, flush=True)


def command_run(_: argparse.Namespace) -> int:
    settings = load_settings()
    plan = plan_run(settings, run_id="make-run-plan")
    if not plan.has_work:
        _say(
            f"Nothing new: every landing month up to {plan.target_month} is already processed. No work done."
        )
        if settings.warehouse.exists():
            _say(format_headline(read_headline(settings.warehouse), settings.warehouse, []))
            _say(_where_to_look(settings, report=_month_report(settings)))
        return 0
    if plan.months:
        _say(
            f"==> {len(plan.months)} month(s) to process through the Airflow DAG, up to {plan.target_month}: "
            f"{', '.join(plan.months)}"
        )
    elif plan.rebuild:
        _say("==> No new month, but the registry or the pipeline's models changed: rebuilding the warehouse")
    if plan.republish:
        problem = published_warehouse_problem(settings.warehouse)
        _say(
            f"==> The published warehouse {settings.warehouse} cannot be read ({problem}): "
            "publishing it again from the pipeline's state"
        )
    env = airflow_env(settings)
    ensure_metadata_db(env, echo=_say)
    log_file = settings.state_dir / "logs" / f"dag-run-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    _say(f"==> Running DAG smartcity_monthly (Airflow log: {log_file})")
    exit_code = run_dag(env, plan.target_month, log_file, echo=_say)
    after = plan_run(settings, run_id="make-run-check", requested_month=_first_of(plan.target_month))
    # A month still pending means a task failed (the fingerprint is not checked: files may change meanwhile).
    if exit_code != 0 or after.months or after.republish:
        reason = failure_reason(log_file)
        _say(
            "The DAG run failed; the previous warehouse, if any, is unchanged.\n"
            + (f"Reason: {reason}\n" if reason else "")
            + f"Full Airflow log: {log_file}"
        )
        return 1
    _say(
        format_headline(
            read_headline(settings.warehouse, months=plan.months or None), settings.warehouse, plan.months
        )
    )
    _say(_where_to_look(settings, report=_month_report(settings)))
    return 0


def _month_report(settings: Settings):
    """The monthly report of the month just published (the DAG smartcity_report builds it in a deployment);
    a report that cannot be built is said, not a failed run: the warehouse is published."""
    from smartcity.reporting.report import build_report

    try:
        return build_report(settings)
    except PipelineError as error:
        _say(f"The monthly report could not be built: {error}")
        return None


def _where_to_look(settings: Settings, report=None) -> str:
    """Full paths (never shortened) of what a person opens after a run."""
    from smartcity.transformation.dbt import DOCS_FOLDER
    from smartcity.validation.data_docs import SITE_NAME

    places = [
        ("monthly report", report),
        ("Data Docs", settings.state_dir / "gx" / "uncommitted" / "data_docs" / SITE_NAME / "index.html"),
        ("dbt docs", settings.reports_dir / DOCS_FOLDER / "index.html"),
    ]
    return "\n".join(f"  {name:<26}: {path}" for name, path in places if path is not None and path.exists())


def command_summary(_: argparse.Namespace) -> int:
    settings = load_settings()
    if not settings.warehouse.exists():
        _say(f"No warehouse at {settings.warehouse} yet: run `make run` first.")
        return 1
    _require_readable_warehouse(settings)
    _say(format_headline(read_headline(settings.warehouse), settings.warehouse, []))
    return 0


def _require_readable_warehouse(settings: Settings) -> None:
    """A damaged published file gets a sentence, not DuckDB's traceback: `smartcity run` publishes it
    again from the pipeline's state (see plan_run)."""
    problem = published_warehouse_problem(settings.warehouse)
    if problem is not None and settings.warehouse.exists():
        raise PipelineError(
            f"the published warehouse {settings.warehouse} cannot be read ({problem}): run `smartcity run` "
            "(make run) to publish it again from the pipeline's state"
        )


def command_report(args: argparse.Namespace) -> int:
    from smartcity.config import parse_month_setting
    from smartcity.reporting.report import build_report

    settings = load_settings()
    _require_readable_warehouse(settings)
    path = build_report(settings, parse_month_setting(args.month, "--month") if args.month else None)
    _say(f"Monthly report: {path}")
    return 0


def _first_of(month: str):
    from smartcity.config import parse_month_setting

    return parse_month_setting(month)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smartcity", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run", help="process every pending month through the Airflow DAG and publish"
    ).set_defaults(handler=command_run)
    commands.add_parser("summary", help="print the published warehouse's headline").set_defaults(
        handler=command_summary
    )
    report = commands.add_parser(
        "report", help="write the monthly HTML report (Thai and English) from the published warehouse"
    )
    report.add_argument("--month", help="report month, YYYY-MM (CE); default: the latest published month")
    report.set_defaults(handler=command_report)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return args.handler(args)
    except ConfigError as error:
        _say(f"Configuration error: {error}")
        return 2
    except PipelineError as error:
        _say(f"Error: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
