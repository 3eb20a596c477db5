"""The run's structured records (run_records.py) and what `smartcity run` makes of them (progress.py,
airflow_runner._deliver): written when a step ends, even when it fails; read back without log text."""

from __future__ import annotations

import json

import pytest

from smartcity.airflow_runner import _deliver
from smartcity.config import load_settings
from smartcity.errors import PermanentError
from smartcity.progress import outcome_of, progress_line
from smartcity.run_records import EVENTS_VARIABLE, read_events, recorded
from smartcity.state import connect, ensure_state


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv(EVENTS_VARIABLE, str(tmp_path / "events.jsonl"))
    settings = load_settings({"SMARTCITY_WAREHOUSE": str(tmp_path / "w.duckdb")})
    ensure_state(settings)
    return settings


def test_a_step_is_recorded_in_the_state_and_the_events_file(settings, tmp_path):
    with recorded(settings, "run-1", "pull", ["2024-03"]) as record:
        record.progress(month="2024-03", done=1, total=1, files_new=2, rows_new=30)
        record.counts = {"files_new": 2, "rows_new": 30}
    with connect(settings.pipeline_db, read_only=True) as con:
        rows = con.execute(
            "select run_id, step, outcome, months, counts, reason from pipeline.runs"
        ).fetchall()
    assert [(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows] == [
        ("run-1", "pull", "success", ["2024-03"], {"files_new": 2, "rows_new": 30}, None)
    ]
    kinds = [(e["kind"], e["step"]) for e in read_events(tmp_path / "events.jsonl")]
    assert kinds == [("start", "pull"), ("progress", "pull"), ("step", "pull")]


def test_a_failed_step_is_recorded_with_its_reason_and_the_error_goes_on(settings, tmp_path):
    with pytest.raises(PermanentError), recorded(settings, "run-1", "audit_registry", []):
        raise PermanentError("the critical suite 'registry' failed: two cities share a code")
    (event,) = [e for e in read_events(tmp_path / "events.jsonl") if e["kind"] == "step"]
    assert event["outcome"] == "failed"
    assert event["reason"] == "the critical suite 'registry' failed: two cities share a code"
    with pytest.raises(ZeroDivisionError), recorded(settings, "run-1", "transform", []):
        raise ZeroDivisionError("division by zero")
    last = read_events(tmp_path / "events.jsonl")[-1]
    assert last["reason"].startswith("ZeroDivisionError: division by zero (an unexpected error")


def test_only_complete_lines_are_delivered_and_each_once(tmp_path):
    events = tmp_path / "events.jsonl"
    seen: list[dict] = []
    events.write_text('{"kind": "start", "step": "pull"}\n{"kind": "st', encoding="utf-8")
    offset = _deliver(events, 0, seen.append)
    assert seen == [{"kind": "start", "step": "pull"}]
    with events.open("a", encoding="utf-8") as more:
        more.write('ep", "step": "pull", "outcome": "success"}\n')
    offset = _deliver(events, offset, seen.append)
    assert [e["kind"] for e in seen] == ["start", "step"] and offset == events.stat().st_size
    assert _deliver(tmp_path / "none.jsonl", 0, seen.append) == 0


def _step(step: str, outcome: str, **extra) -> dict:
    return {"kind": "step", "step": step, "outcome": outcome, "finished_at": extra.pop("at", "t"), **extra}


def test_the_outcome_is_read_from_the_last_record_of_each_step():
    published = [_step("plan", "success"), _step("pull", "success"), _step("publish", "success")]
    assert outcome_of(published, 0).succeeded
    retried = [_step("pull", "failed", reason="503", at="1"), _step("pull", "success", at="2"),
               _step("publish", "success", at="3")]  # fmt: skip
    assert outcome_of(retried, 0).succeeded
    failed = outcome_of([_step("plan", "success"), _step("audit_marts", "failed", reason="140 %")], 1)
    assert (failed.succeeded, failed.failed_step, failed.reason) == (False, "audit_marts", "140 %")
    nothing = outcome_of([_step("plan", "skipped", reason="nothing new up to 2024-03")], 0)
    assert nothing.succeeded and nothing.nothing_new
    lost = outcome_of([_step("plan", "success")], 1)
    assert not lost.succeeded and "see the Airflow log" in lost.reason


def test_progress_lines_say_what_each_step_did():
    line = progress_line(
        {"kind": "progress", "step": "validate", "month": "2024-03", "done": 2, "total": 12,
         "rows_received": 250, "rows_accepted": 245, "rows_quarantined": 5, "reasons": {"BAD_NUMBER": 5},
         "warnings": 1}
    )  # fmt: skip
    assert line == "validate 2024-03 (2/12): 250 rows, 245 accepted, 5 quarantined (BAD_NUMBER 5), 1 warnings"
    audit = _step("audit_registry", "success", counts={"lines": 35})
    assert progress_line(audit) == "audit of the registry: passed (35 lines checked)"
    assert progress_line(_step("transform", "failed")) == "transform: FAILED"
    assert progress_line({"kind": "start", "step": "pull"}) is None
