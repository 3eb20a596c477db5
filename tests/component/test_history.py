"""Restatement and the certification lifecycle across two runs (real dbt, real snapshots, no Airflow).

Run 1 publishes January. Run 2 receives February, a late correction of January, and a registry in which
AAA has lapsed on 10 February: January is restated (the old figure kept in history.*), and AAA counts in
January but not from February on.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from smartcity.pipeline import STEPS, plan_run
from tests.component.landing import CITIES, HEADER, make_landing, query, settings_for

JANUARY = HEADER + (
    "AAA,A1,2024-01,50,100000,in_progress,,,2024-02-05T10:00:00+07:00\n"
    "BBB,B1,2024-01,80,500000,in_progress,,,2024-02-05T10:00:00+07:00\n"
)
FEBRUARY = HEADER + (
    "AAA,A1,2024-02,60,200000,in_progress,,,2024-03-05T10:00:00+07:00\n"
    # BBB corrects January: submitted later, so it supersedes January's 80 %.
    "BBB,B1,2024-01,90,500000,in_progress,,correction,2024-03-06T10:00:00+07:00\n"
)
LAPSED = CITIES.replace("city,certified,2021-05-01", "city,lapsed,2024-02-10", 1)


def run(settings) -> None:
    plan = plan_run(settings, f"run-{len(list(settings.state_dir.glob('*')))}")
    for step in STEPS:
        step(settings, plan)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base: Path = tmp_path_factory.mktemp("history")
    landing = make_landing(base / "landing", {"2024-01": {"january.csv": JANUARY}})
    settings = settings_for(landing, base / "w.duckdb")
    run(settings)
    first = query(
        settings.warehouse, "select city_code, month, progress_pct from marts.city_progress_monthly"
    )
    (landing / "submissions" / "2024-02").mkdir()
    (landing / "submissions" / "2024-02" / "february.csv").write_text(FEBRUARY, encoding="utf-8")
    assert LAPSED != CITIES
    (landing / "registry" / "cities.csv").write_text(LAPSED, encoding="utf-8")
    run(settings)
    return settings.warehouse, sorted(first)


def test_the_first_run_published_january_as_then_known(two_runs):
    _, first = two_runs
    assert first == [("AAA", date(2024, 1, 1), 12.5), ("BBB", date(2024, 1, 1), 80.0)]


def test_a_correction_restates_january_and_history_keeps_the_old_figure(two_runs):
    warehouse, _ = two_runs
    now = query(
        warehouse,
        "select progress_pct from marts.city_progress_monthly "
        "where city_code = 'BBB' and month = '2024-01-01'",
    )
    assert now == [(90.0,)]
    versions = query(
        warehouse,
        "select progress_pct, dbt_valid_to is null from history.city_progress_history "
        "where city_code = 'BBB' and month = '2024-01-01' order by dbt_valid_from",
    )
    assert versions == [(80.0, False), (90.0, True)]
    program = query(
        warehouse,
        "select progress_pct, dbt_valid_to is null from history.program_summary_history "
        "where month = '2024-01-01' order by dbt_valid_from",
    )
    # January: AAA 50 % of 1M + 0 % of 3M, BBB 80 % then 90 % of 2M, over 6M.
    assert [(round(p, 6), current) for p, current in program] == [
        (round((50 + 160) / 6, 6), False),
        (round((50 + 180) / 6, 6), True),
    ]
    log = query(warehouse, "select count(*) from meta.publication_log")
    assert log == [(2,)]


def test_a_lapse_counts_from_its_month_on_not_before(two_runs):
    warehouse, _ = two_runs
    cities = query(
        warehouse,
        "select month, list(city_code order by city_code) from marts.city_progress_monthly "
        "group by 1 order by 1",
    )
    assert cities == [(date(2024, 1, 1), ["AAA", "BBB"]), (date(2024, 2, 1), ["BBB"])]
    program = query(warehouse, "select month, certified_cities from marts.program_summary_monthly order by 1")
    assert program == [(date(2024, 1, 1), 2), (date(2024, 2, 1), 1)]
    dim = query(
        warehouse,
        "select status, status_since, first_certified_on, is_certified from marts.dim_cities "
        "where city_code = 'AAA'",
    )
    assert dim == [("lapsed", date(2024, 2, 10), date(2021, 5, 1), False)]
    screening = query(warehouse, "select city_code, status from marts.proposal_screening")
    assert screening == [("AAA", "lapsed")]
