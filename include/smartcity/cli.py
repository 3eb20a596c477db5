"""`smartcity`: the command behind `make run`.

It decides which months need processing, runs the Airflow DAG for them, and prints the summary.
User mistakes (a bad setting, a missing landing area) end with a message and exit code 2, not a traceback;
faults of the storage (a full disk, a read-only folder, a damaged state or warehouse file) end with exit
code 1 and a sentence naming the path and what to do.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from smartcity.airflow_runner import airflow_env, ensure_metadata_db, run_dag
from smartcity.config import ConfigError, Settings, load_settings
from smartcity.errors import PipelineError
from smartcity.ingestion.sources import open_landing
from smartcity.planning import plan_run
from smartcity.progress import outcome_of, progress_line
from smartcity.publication.guard import check_warehouse_path
from smartcity.publication.publish import published_warehouse_problem
from smartcity.run_lock import TOKEN_VARIABLE, run_lock
from smartcity.run_records import read_events
from smartcity.summary import format_headline, read_headline


def _say(message: str) -> None:
    print(message, flush=True)


def command_run(_: argparse.Namespace) -> int:
    settings = load_settings()
    # Every setting is checked before anything is written: the landing area can be used, and the warehouse
    # path names nothing publication must not replace (the run lock lives in its state folder).
    landing = open_landing(settings.landing, settings.state_dir / "incoming")
    root = getattr(landing, "root", None)
    check_warehouse_path(settings, root if isinstance(root, Path) else None)
    with run_lock(settings, "smartcity run") as token:
        # The DAG's tasks run in child processes: the token tells them the lock they meet is their parent's.
        os.environ[TOKEN_VARIABLE] = token
        try:
            return _run(settings)
        finally:
            os.environ.pop(TOKEN_VARIABLE, None)


def _run(settings: Settings) -> int:
    # Only asks whether there is work (the DAG's own plan reads the whole state through, once per run).
    plan = plan_run(settings, run_id="make-run-plan", verify=False)
    if not plan.has_work:
        _say(
            f"Nothing new: every landing month up to {plan.target_month} is already processed. No work done."
        )
        if plan.not_taken:
            _say(f"  ({plan.not_taken} entries of the landing area are not taken: see dq.rejected_files)")
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
        _say(
            f"==> The published warehouse {settings.warehouse} cannot be read ({plan.published_problem}): "
            "publishing it again from the pipeline's state"
            if plan.published_problem
            else "==> Publishing the warehouse again from the pipeline's state: the files not taken changed"
        )
    env = airflow_env(settings)
    ensure_metadata_db(env, echo=_say)
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S}"
    log_file = settings.state_dir / "logs" / f"dag-run-{stamp}.log"
    events_file = settings.state_dir / "runs" / f"{stamp}.jsonl"
    _say(f"==> Running DAG smartcity_monthly (Airflow log: {log_file})")
    exit_code = run_dag(env, plan.target_month, log_file, events_file, on_event=_show_progress)
    outcome = outcome_of(read_events(events_file), exit_code)
    if not outcome.succeeded:
        where = f" in step {outcome.failed_step}" if outcome.failed_step else ""
        _say(
            f"The DAG run failed{where}; the previous warehouse, if any, is unchanged.\n"
            + (f"Reason: {outcome.reason}\n" if outcome.reason else "")
            + f"Full Airflow log: {log_file}"
        )
        return 1
    if outcome.nothing_new:
        _say(f"Nothing new after all: {outcome.reason}.")
        return 0
    _say(
        format_headline(
            read_headline(settings.warehouse, months=plan.months or None), settings.warehouse, plan.months
        )
    )
    _say(_where_to_look(settings, report=_month_report(settings)))
    return 0


def _show_progress(event: dict) -> None:
    line = progress_line(event)
    if line is not None:
        _say("    " + line)


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
    from smartcity.validation import data_docs_index

    places = [
        ("monthly report", report),
        ("Data Docs", data_docs_index(settings.state_dir)),
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


def command_check(args: argparse.Namespace) -> int:
    """`smartcity check FILE...`: exit 0 when every row would be accepted, 1 when not (docs/check.md)."""
    from pathlib import Path

    from smartcity.config import parse_month_setting
    from smartcity.ingestion.registry import RegistryError
    from smartcity.reporting.check_text import render
    from smartcity.reporting.rejections import write_report_files
    from smartcity.validation.preflight import check_files

    settings = load_settings()
    month = parse_month_setting(args.month, "--month") if args.month else None
    report_dir = _report_folder(settings, args.report) if args.report else None
    try:
        result = check_files(settings, [Path(f) for f in args.files], month, args.registry)
    except RegistryError as error:  # the registry checked against is unusable: a setting to fix
        raise ConfigError(str(error)) from error
    _say(render(result))
    if report_dir is not None:
        written = write_report_files(report_dir, result.report_lines)
        _say(
            "รายงานแถวที่ถูกปฏิเสธ / Rejection report: "
            + (", ".join(str(p) for p in written) if written else "none: no row would be quarantined")
        )
    return 0 if result.all_accepted else 1


def _report_folder(settings: Settings, value: str):
    """--report: a folder of the user's, never inside the landing area or the pipeline's state."""
    from pathlib import Path

    folder = Path(value).expanduser().resolve()
    protected = [settings.state_dir, settings.warehouse.parent / settings.warehouse.name]
    if "://" not in settings.landing:
        protected.append(Path(settings.landing).expanduser().resolve())
    for root in protected:
        if folder == root or root in folder.parents:
            raise ConfigError(
                f"--report {value} lies inside {root}, which the check never writes to: choose another folder"
            )
    return folder


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
    check = commands.add_parser(
        "check",
        help="check submission files before sending them: the verdict the monthly run would give",
        description="Check submission files as the monthly run would, without sending them: every row "
        "that would be quarantined, with its reason and how to fix it, every warning, and a verdict, in Thai "
        "and English. Exit status 0: every row would be accepted; 1: some would not (or a file would be "
        "rejected); 2: a usage or configuration error. Writes nothing but the --report folder. See "
        "docs/check.md.",
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="a .csv, .xlsx or .json submission file")
    check.add_argument(
        "--month",
        help="the landing month, YYYY-MM (CE); default: the folder submissions/<YYYY-MM>/ the files sit in, "
        "else the current month in Bangkok",
    )
    check.add_argument(
        "--registry",
        choices=("landing", "warehouse"),
        default="landing",
        help="check against the registry of the landing area (SMARTCITY_LANDING, default) or of the "
        "published warehouse (SMARTCITY_WAREHOUSE)",
    )
    check.add_argument(
        "--report",
        metavar="FOLDER",
        help="also write the rejection report the pipeline sends back (<city>.csv and .xlsx) into FOLDER",
    )
    check.set_defaults(handler=command_check)
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
