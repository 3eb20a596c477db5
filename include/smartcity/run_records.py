"""Structured records of a run: what each step did, for the people and the programs that watch it.

Every step of the monthly DAG writes one record to `pipeline.runs` in the build database when it ends: the
run, the step, when it started and ended, its outcome (`success`, `failed`, `skipped`), the months it covered,
its counts, the reason when it failed, and the paths it produced (Data Docs, reports, dbt docs). When a
process hands the DAG an events file (SMARTCITY_EVENTS_FILE, as `smartcity run` does), every record, and the
progress of the long steps month by month, are also appended there as JSON lines, which it prints as they
come. Nothing that watches a run reads log text.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smartcity.config import Settings
from smartcity.errors import PipelineError

log = logging.getLogger(__name__)

EVENTS_VARIABLE = "SMARTCITY_EVENTS_FILE"


@dataclass
class StepRecord:
    """What one step of one run did; the step fills in `counts` and `paths` as it goes."""

    run_id: str
    step: str
    months: list[str]
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    outcome: str = "running"
    counts: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    paths: dict[str, str] = field(default_factory=dict)

    def progress(self, **details: Any) -> None:
        """A progress event of a long step (a month done, say): for the events file only."""
        emit({"kind": "progress", "run_id": self.run_id, "step": self.step, **details})

    def skip(self, reason: str) -> None:
        self.outcome, self.reason = "skipped", reason

    def as_event(self) -> dict[str, Any]:
        return {"kind": "step", **asdict(self)}


def emit(event: dict[str, Any]) -> None:
    """Append one event to the events file, when this process was given one."""
    path = os.environ.get(EVENTS_VARIABLE)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as events:
            events.write(json.dumps(event, default=str, ensure_ascii=False) + "\n")
    except OSError as error:  # the watcher then misses a line; the run itself goes on
        log.warning("could not write the run's events to %s: %s", path, error)


def reason_of(error: BaseException) -> str:
    """What a person is told: the pipeline's own sentence, or, for a bug, the exception and where to look."""
    if isinstance(error, PipelineError):
        return str(error)
    return f"{type(error).__name__}: {error} (an unexpected error: the Airflow log has the traceback)"


@contextmanager
def recorded(settings: Settings, run_id: str, step: str, months: list[str]) -> Iterator[StepRecord]:
    """Record the step run in the block: started, then ended with its outcome, even when it raised."""
    record = StepRecord(run_id=run_id, step=step, months=list(months))
    emit({"kind": "start", "run_id": run_id, "step": step, "months": record.months})
    try:
        yield record
    except BaseException as error:
        record.outcome, record.reason = "failed", reason_of(error)
        _finish(settings, record)
        raise
    if record.outcome == "running":
        record.outcome = "success"
    _finish(settings, record)


def _finish(settings: Settings, record: StepRecord) -> None:
    from smartcity.state import connect

    record.finished_at = datetime.now(UTC)
    emit(record.as_event())
    if not settings.pipeline_db.exists():
        return  # a run that stopped before it had a state (a bad setting): the events file says why
    try:
        with connect(settings.pipeline_db) as con:
            con.execute(
                "insert into pipeline.runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    record.run_id,
                    record.step,
                    record.started_at,
                    record.finished_at,
                    record.outcome,
                    record.months,
                    json.dumps(record.counts, default=str),
                    record.reason,
                    json.dumps(record.paths, default=str),
                ],
            )
    except Exception as error:  # the database may be what failed (full, damaged): the events file has it
        log.warning("could not record step %s of run %s in %s: %s", record.step, record.run_id,
                    settings.pipeline_db, error)  # fmt: skip


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every complete event of an events file (a line cut by a crash is left out)."""
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events
