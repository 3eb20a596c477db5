"""The promises of the Competitiveness Index, checked on the real dbt models (no Airflow):
raising one city's progress never lowers its score; with all weight on progress the ranking follows
progress; the order of cities in the input changes nothing; two runs give identical tables; every
pillar and score stays within 0-100 and every rank band contains the rank.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartcity.config import load_settings
from smartcity.pipeline import STEPS, plan_run
from tests.component.landing import HEADER, query

CITIES = [
    "city_code,name_th,name_en,province_code,operator_name,operator_type,city_type,peer_group,status,status_since",
    "AAA,เอ,City A,TH-10,Op A,local_government,livable,city,certified,2021-05-01",
    "BBB,บี,City B,TH-50,Op B,university,livable,city,certified,2021-05-01",
    "CCC,ซี,City C,TH-40,Op C,local_government,new,city,certified,2022-01-10",
    "DDD,ดี,City D,TH-83,Op D,province,livable,province,certified,2022-01-10",
    "EEE,อี,City E,TH-30,Op E,province,livable,province,certified,2022-01-10",
]
PROJECTS = [
    "project_code,city_code,dimension_code,name_th,name_en,budget_thb,planned_start,planned_end,funding_source",
    "A1,AAA,ENV,a,a,1000000,2023-06,2024-06,public",
    "A2,AAA,MOB,a,a,2000000,2023-01,2024-01,public",
    "B1,BBB,GOV,b,b,5000000,2023-01,2024-12,ppp",
    "C1,CCC,ECO,c,c,3000000,2023-09,2024-03,public",
    "C2,CCC,LIV,c,c,1000000,2023-09,2024-03,public",
    "C3,CCC,PEO,c,c,1000000,2023-09,2024-03,public",
    "D1,DDD,ENE,d,d,4000000,2023-01,2023-12,public",
    "E1,EEE,ENV,e,e,4000000,2023-01,2025-12,public",
]
ASSESSMENTS = [
    "city_code,component,score,assessed_on",
    *(f"{city},{component},{score},2023-01-15" for city, score in [("AAA", 70), ("BBB", 55), ("DDD", 80)]
      for component in range(1, 6)),
    "EEE,1,90,2023-01-15",
]  # fmt: skip
# CCC has no plan assessment: its plan_quality pillar is imputed (peer median) and flagged.
ROWS = {
    "2024-01": [
        "AAA,A1,2024-01,40,300000,in_progress,BUDGET,,2024-02-05T10:00:00+07:00",
        "AAA,A2,2024-01,90,1500000,in_progress,,,2024-02-05T10:00:00+07:00",
        "BBB,B1,2024-01,30,1000000,in_progress,POLICY,,2024-02-20T10:00:00+07:00",
        "CCC,C1,2024-01,20,100000,in_progress,PERSONNEL,,2024-02-01T10:00:00+07:00",
        "DDD,D1,2024-01,100,4000000,completed,,,2024-02-03T10:00:00+07:00",
        "EEE,E1,2024-01,10,50000,in_progress,BUDGET,,2024-02-03T10:00:00+07:00",
    ],
    "2024-02": [
        "AAA,A1,2024-02,45,350000,in_progress,,,2024-03-05T10:00:00+07:00",
        "BBB,B1,2024-02,35,1200000,in_progress,,,2024-03-05T10:00:00+07:00",
        "CCC,C1,2024-02,20,100000,in_progress,,,2024-03-05T10:00:00+07:00",
        "CCC,C2,2024-02,10,0,in_progress,,,2024-03-05T10:00:00+07:00",
        "EEE,E1,2024-02,15,80000,in_progress,,,2024-03-25T10:00:00+07:00",
        "ZZZ,Z1,2024-02,15,80000,in_progress,,,2024-03-25T10:00:00+07:00",
    ],
}
INDEX_QUERY = (
    "select city_code, month, peer_group, progress, schedule, investment, plan_quality, reporting, coverage, "
    "index_score, rank, rank_peer_group, rank_p05, rank_median, rank_p95, index_score_geometric, "
    "index_score_smoothed, imputed_pillars from marts.city_index_monthly order by all"
)


def write_landing(root: Path, rows: dict[str, list[str]], reverse: bool = False) -> Path:
    """The landing area; `reverse` writes every registry and submission file in the opposite row order."""

    def lines(header: str, body: list[str]) -> str:
        return "\n".join([header, *(reversed(body) if reverse else body)]) + "\n"

    (root / "registry").mkdir(parents=True)
    (root / "registry" / "cities.csv").write_text(lines(CITIES[0], CITIES[1:]), encoding="utf-8")
    (root / "registry" / "projects.csv").write_text(lines(PROJECTS[0], PROJECTS[1:]), encoding="utf-8")
    (root / "registry" / "plan_assessments.csv").write_text(
        lines(ASSESSMENTS[0], ASSESSMENTS[1:]), encoding="utf-8"
    )
    for month, body in rows.items():
        folder = root / "submissions" / month
        folder.mkdir(parents=True)
        (folder / ("all_rows_reversed.csv" if reverse else "all.csv")).write_text(
            lines(HEADER.strip(), body), encoding="utf-8"
        )
    return root


def run_pipeline(base: Path, name: str, rows=ROWS, reverse=False, weights=None) -> dict[str, list[tuple]]:
    landing = write_landing(base / name / "landing", rows, reverse)
    environ = {"SMARTCITY_LANDING": str(landing), "SMARTCITY_WAREHOUSE": str(base / name / "w.duckdb")}
    if weights is not None:
        environ["SMARTCITY_INDEX_WEIGHTS"] = json.dumps(weights)
    settings = load_settings(environ)
    plan = plan_run(settings, f"run-{name}")
    for step in STEPS:
        step(settings, plan)
    return {
        "index": query(settings.warehouse, INDEX_QUERY),
        "sensitivity": query(settings.warehouse, "select * from marts.index_sensitivity order by all"),
        "progress_ranks": query(
            settings.warehouse,
            "select city_code, month, rank_progress from marts.city_progress_monthly order by all",
        ),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("index")
    raised = {month: list(rows) for month, rows in ROWS.items()}
    raised["2024-02"][2] = "CCC,C1,2024-02,70,100000,in_progress,,,2024-03-05T10:00:00+07:00"
    return {
        "baseline": run_pipeline(base, "baseline"),
        "again": run_pipeline(base, "again"),
        "reversed": run_pipeline(base, "reversed", reverse=True),
        "raised": run_pipeline(base, "raised", rows=raised),
        "progress_only": run_pipeline(base, "progress_only", weights={"progress": 1}),
    }


def by_city_month(rows: list[tuple]) -> dict[tuple, tuple]:
    return {(row[0], row[1]): row for row in rows}


def test_every_certified_city_is_ranked_each_month_within_bounds(runs):
    index = runs["baseline"]["index"]
    assert len(index) == 10  # 5 certified cities x 2 months
    for row in index:
        pillars_and_score = row[3:10]
        assert all(0 <= value <= 100 for value in pillars_and_score), row
        rank, p05, median, p95 = row[10], row[12], row[13], row[14]
        assert p05 <= rank <= p95 and p05 <= median <= p95, row
    # The city without a plan assessment has its plan_quality imputed and flagged, the others not.
    imputed = {row[0]: row[17] for row in index}
    assert "plan_quality" in imputed["CCC"]
    assert "plan_quality" not in imputed["AAA"]


def test_two_runs_give_identical_tables(runs):
    assert runs["again"]["index"] == runs["baseline"]["index"]
    assert runs["again"]["sensitivity"] == runs["baseline"]["sensitivity"]


def test_the_order_of_cities_in_the_input_changes_nothing(runs):
    assert runs["reversed"]["index"] == runs["baseline"]["index"]
    assert runs["reversed"]["sensitivity"] == runs["baseline"]["sensitivity"]


def test_raising_one_citys_progress_never_lowers_its_score(runs):
    before = by_city_month(runs["baseline"]["index"])
    after = by_city_month(runs["raised"]["index"])
    for key, row in after.items():
        if key[0] == "CCC":
            assert row[9] >= before[key][9], (key, before[key][9], row[9])
    february = [key for key in after if key[0] == "CCC" and str(key[1]) == "2024-02-01"]
    assert february and after[february[0]][9] > before[february[0]][9]  # it did go up
    assert after[february[0]][10] <= before[february[0]][10]  # and its rank did not fall


def test_with_all_weight_on_progress_the_ranking_follows_progress(runs):
    index = runs["progress_only"]["index"]
    progress_ranks = {(city, month): rank for city, month, rank in runs["progress_only"]["progress_ranks"]}
    for row in index:
        assert row[9] == pytest.approx(row[3])  # index_score == progress pillar
        assert row[10] == progress_ranks[(row[0], row[1])]


def test_the_sensitivity_table_covers_every_weighted_pillar(runs):
    pillars = {row[1] for row in runs["baseline"]["sensitivity"]}
    assert pillars == {"progress", "schedule", "investment", "plan_quality", "reporting", "coverage"}
    for row in runs["baseline"]["sensitivity"]:
        assert row[4] >= 0 and row[5] >= 0 and 0 <= row[6] <= 5
