"""What `smartcity run` prints while the DAG runs, and how the run ended, read from its structured events
(run_records.py), never from log text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_AUDITS = {"audit_registry": "registry", "audit_marts": "marts"}


def _counted(counts: dict[str, Any], *names: tuple[str, str]) -> str:
    return ", ".join(f"{counts.get(key, 0):,} {label}" for key, label in names)


def _reasons(reasons: dict[str, int]) -> str:
    return f" ({', '.join(f'{code} {count}' for code, count in reasons.items())})" if reasons else ""


def progress_line(event: dict[str, Any]) -> str | None:
    """One line for a person, or None for an event not worth a line (a step starting). A step that wrote
    Data Docs ends its line with their address, never cut, so a terminal can open it."""
    line = _line(event)
    docs = (event.get("paths") or {}).get("data_docs") if event.get("kind") == "step" else None
    if line is None or not docs:
        return line
    if not docs.startswith("file://"):  # a path, or already the file:// address GX gives
        if not Path(docs).is_absolute():
            return line
        docs = Path(docs).as_uri()
    return f"{line}; Data Docs: {docs}"


def _line(event: dict[str, Any]) -> str | None:
    step, kind = event.get("step", "?"), event.get("kind")
    if kind == "progress":
        where = f"{step} {event.get('month')} ({event.get('done')}/{event.get('total')})"
        if step == "validate":
            rows = _counted(event, ("rows_received", "rows"), ("rows_accepted", "accepted"))
            quarantined = f"{event.get('rows_quarantined', 0):,} quarantined"
            return f"{where}: {rows}, {quarantined}{_reasons(event.get('reasons') or {})}, " + _counted(
                event, ("warnings", "warnings")
            )
        return f"{where}: {event.get('files_new', 0):,} new file(s), {event.get('rows_new', 0):,} rows"
    if kind != "step":
        return None
    outcome, counts = event.get("outcome"), event.get("counts") or {}
    if outcome == "failed":
        return f"{step}: FAILED"
    if outcome == "skipped":
        return f"{step}: skipped, {event.get('reason')}"
    if step in _AUDITS:
        return f"audit of the {_AUDITS[step]}: passed ({counts.get('lines', 0):,} lines checked)"
    if step == "pull":
        return "pull: " + _counted(
            counts,
            ("files_new", "new file(s)"),
            ("rows_new", "rows"),
            ("files_unreadable", "unreadable"),
            ("files_not_taken", "landing entries not taken"),
        )
    if step == "validate":
        return "validate: " + _counted(
            counts,
            ("rows_received", "rows"),
            ("rows_accepted", "accepted"),
            ("rows_quarantined", "quarantined"),
            ("warnings", "warnings"),
        )
    if step == "transform":
        built = counts.get("rebuilt_from")
        scope = "every month rebuilt" if built == "all months" else f"months from {built} rebuilt"
        kept = "; the registry's nodes as the last build left them" if counts.get("registry_kept") else ""
        return f"transform: dbt build passed ({counts.get('nodes', 0)} nodes; {scope}{kept})"
    if step == "publish":
        return f"publish: {(event.get('paths') or {}).get('warehouse', 'the warehouse')}"
    return None


@dataclass(frozen=True)
class RunOutcome:
    succeeded: bool
    nothing_new: bool = False
    failed_step: str | None = None
    reason: str | None = None


def outcome_of(events: Iterable[dict[str, Any]], exit_code: int) -> RunOutcome:
    """How a run ended, from its step records: the last record of each step counts (a retried step may
    fail, then succeed). Published, or stopped by the plan with nothing new, is success."""
    last: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.get("kind") == "step":
            last[event["step"]] = event
    failed = [event for event in last.values() if event.get("outcome") == "failed"]
    if failed:
        latest = max(failed, key=lambda event: str(event.get("finished_at")))
        return RunOutcome(False, failed_step=latest["step"], reason=latest.get("reason"))
    if last.get("publish", {}).get("outcome") == "success":
        return RunOutcome(True)
    if last.get("plan", {}).get("outcome") == "skipped":
        return RunOutcome(True, nothing_new=True, reason=last["plan"].get("reason"))
    return RunOutcome(
        False,
        reason=(
            "the DAG run ended before the pipeline recorded a failure or a publication (Airflow itself "
            f"failed, exit status {exit_code}): see the Airflow log"
        ),
    )
