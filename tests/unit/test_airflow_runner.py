"""Reading the pipeline's reason for a failed run out of an Airflow log."""

from __future__ import annotations

from smartcity.airflow_runner import _tidy, failure_reason


def test_the_reason_is_the_last_failure_without_the_loggers_suffix(tmp_path):
    log = tmp_path / "run.log"
    log.write_text(
        "2026-11-27T06:00:00 [info     ] Task started [airflow.task] loc=taskinstance.py:10\n"
        "smartcity.errors.PermanentError: the first failure\n"
        "2026-11-27T06:00:05 [warning  ] failure alert: no alert channel is configured; "
        "smartcity.publication.publish.PublishStorageError: could not publish /w.duckdb (No space left on "
        "device): free space on the disk that holds /w, and run again [smartcity.alerts] loc=alerts.py:161\n",
        encoding="utf-8",
    )
    assert failure_reason(log) == (
        "could not publish /w.duckdb (No space left on device): free space on the disk that holds /w, "
        "and run again"
    )


def test_continuation_lines_of_a_reason_are_kept_and_no_failure_gives_none(tmp_path):
    log = tmp_path / "run.log"
    log.write_text(
        "smartcity.validation.critical.CriticalCheckError: the registry breaks 2 rules:\n"
        "  - city_code AAA appears twice\n"
        "  - province_code XX is not TH-nn\n"
        "done\n",
        encoding="utf-8",
    )
    assert failure_reason(log).splitlines() == [
        "the registry breaks 2 rules:",
        "  - city_code AAA appears twice",
        "  - province_code XX is not TH-nn",
    ]
    log.write_text("all fine\n", encoding="utf-8")
    assert failure_reason(log) is None


def test_the_alerts_log_url_and_full_stop_are_not_part_of_the_reason(tmp_path):
    log = tmp_path / "run.log"
    log.write_text(
        "2026-11-27T06:00:05 [warning  ] failure alert: no alert channel is configured; Smart City pipeline "
        "failed: DAG smartcity_monthly, task plan, run manual. Error: smartcity.config.ConfigError: "
        "SMARTCITY_MONTH='2030-01' is a month that has not begun yet. "
        "Log: http://localhost:8080/dags/smartcity_monthly/runs/manual/tasks/plan [smartcity.alerts]\n",
        encoding="utf-8",
    )
    assert failure_reason(log) == "SMARTCITY_MONTH='2030-01' is a month that has not begun yet"


def test_a_progress_line_keeps_its_whole_path():
    url = "file:///srv/bi/" + "deep/" * 60 + "validations/submission_rows/run__2024-03/x.html"
    line = f"2026-11-27T06:00:05.123+0000 [info     ] Data Docs: {url} [smartcity.pipeline] loc=x.py:201\n"
    assert len(url) > 300
    assert _tidy(line) == f"Data Docs: {url}"
