"""The promises of the Competitiveness Index, checked on the real dbt models (no Airflow):
raising one city's progress never lowers its score; with all weight on progress the ranking follows
progress; the order of cities in the input changes nothing; two runs give identical tables; every pillar
and score stays within 0-100; bands are ordered quantiles; and on generated cities whose order is clear,
the nominal rank lies inside its band (which is not widened to contain it: the band is the order itself).
Point in time, cancelling, silence and history: test_index_point_in_time.py.
"""

from __future__ import annotations

import json
import random
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
    "select city_code, month, peer_group, progress, schedule, plan_quality, reporting, coverage, "
    "index_score, rank, rank_peer_group, rank_p05, rank_median, rank_p95, index_score_geometric, "
    "index_score_smoothed, imputed_pillars, rank_peer_group_p05, rank_peer_group_median, "
    "rank_peer_group_p95, prob_first_in_peer_group, tier, ranked, months_since_report "
    "from marts.city_index_monthly order by all"
)
SCORE, RANK, P05, MEDIAN, P95, IMPUTED = 8, 9, 11, 12, 13, 16


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


def run_pipeline(
    base: Path, name: str, rows=ROWS, reverse=False, weights=None, landing: Path | None = None
) -> dict[str, list[tuple]]:
    landing = landing or write_landing(base / name / "landing", rows, reverse)
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
        "uncertainty": query(settings.warehouse, "select * from marts.index_uncertainty order by all"),
        "audit": query(settings.warehouse, "select * from marts.index_weight_audit order by all"),
        "correlations": query(
            settings.warehouse, "select * from marts.index_pillar_correlations order by all"
        ),
        "changes": query(settings.warehouse, "select * from marts.city_index_changes order by all"),
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
        "clear_order": run_pipeline(
            base, "clear_order", landing=clearly_ordered_landing(base / "clear" / "landing")
        ),
    }


def clearly_ordered_landing(root: Path, cities: int = 12, seed: int = 20240423) -> Path:
    """Cities generated so that each is better than the next on every pillar that varies (progress and
    schedule by random steps, plan quality by random steps; the same plans, the same punctual reporting):
    under every weighting, normalisation, aggregation, pillar set and imputation rule the order is the
    same."""
    rng = random.Random(seed)
    codes = [f"C{i:02d}" for i in range(cities)]
    progress = sorted((rng.uniform(1, 95) for _ in codes), reverse=True)
    while len(set(round(p, 1) for p in progress)) < cities:  # strictly ordered at the rows' precision
        progress = sorted((rng.uniform(1, 95) for _ in codes), reverse=True)
    quality = sorted((rng.uniform(30, 99) for _ in codes), reverse=True)
    (root / "registry").mkdir(parents=True)
    (root / "registry" / "cities.csv").write_text(
        CITIES[0]
        + "\n"
        + "\n".join(
            f"{code},เมือง,City {code},TH-10,Op,local_government,livable,"
            f"{'province' if i % 4 == 3 else 'city'},certified,2022-01-10"
            for i, code in enumerate(codes)
        )
        + "\n",
        encoding="utf-8",
    )
    (root / "registry" / "projects.csv").write_text(
        PROJECTS[0]
        + "\n"
        + "".join(f"{code}1,{code},ENV,p,p,1000000,2023-01,2024-12,public\n" for code in codes),
        encoding="utf-8",
    )
    (root / "registry" / "plan_assessments.csv").write_text(
        ASSESSMENTS[0]
        + "\n"
        + "".join(f"{code},1,{q:.1f},2023-01-15\n" for code, q in zip(codes, quality, strict=True)),
        encoding="utf-8",
    )
    folder = root / "submissions" / "2024-01"
    folder.mkdir(parents=True)
    (folder / "all.csv").write_text(
        HEADER
        + "".join(
            f"{code},{code}1,2024-01,{p:.1f},{int(p * 5000)},in_progress,,,2024-02-05T10:00:00+07:00\n"
            for code, p in zip(codes, progress, strict=True)
        ),
        encoding="utf-8",
    )
    return root


def by_city_month(rows: list[tuple]) -> dict[tuple, tuple]:
    return {(row[0], row[1]): row for row in rows}


def test_every_certified_city_is_ranked_each_month_within_bounds(runs):
    index = runs["baseline"]["index"]
    assert len(index) == 10  # 5 certified cities x 2 months
    for row in index:
        pillars_and_score = row[3:9]
        assert all(0 <= value <= 100 for value in pillars_and_score), row
        assert row[22], row  # ranked: every city reported within the last 3 months
        rank, p05, median, p95 = row[RANK], row[P05], row[MEDIAN], row[P95]
        assert p05 <= median <= p95 and row[17] <= row[18] <= row[19], row  # ordered quantiles
        assert 0 <= row[20] <= 1 and row[21] >= 1, row
        assert 1 <= rank <= 5
    # The city without a plan assessment has its plan_quality imputed and flagged, the others not.
    imputed = {row[0]: row[IMPUTED] for row in index}
    assert "plan_quality" in imputed["CCC"]
    assert "plan_quality" not in imputed["AAA"]
    # DDD sent nothing for February: still ranked on its January report, and it shows.
    silent = {(row[0], str(row[1])): row[23] for row in index}
    assert silent[("DDD", "2024-02-01")] == 1 and silent[("DDD", "2024-01-01")] == 0
    # In each month and peer group, exactly the leaders are first with some probability summing to >= 1.
    for month in {row[1] for row in index}:
        for group in ("city", "province"):
            chances = [row[20] for row in index if row[1] == month and row[2] == group]
            assert sum(chances) >= 1 - 1e-9


def test_two_runs_give_identical_tables(runs):
    for table in ("index", "sensitivity", "uncertainty", "audit", "correlations", "changes"):
        assert runs["again"][table] == runs["baseline"][table], table


def test_the_order_of_cities_in_the_input_changes_nothing(runs):
    for table in ("index", "sensitivity", "uncertainty", "audit", "correlations", "changes"):
        assert runs["reversed"][table] == runs["baseline"][table], table


def test_raising_one_citys_progress_never_lowers_its_score(runs):
    before = by_city_month(runs["baseline"]["index"])
    after = by_city_month(runs["raised"]["index"])
    for key, row in after.items():
        if key[0] == "CCC":
            assert row[SCORE] >= before[key][SCORE], (key, before[key][SCORE], row[SCORE])
    february = [key for key in after if key[0] == "CCC" and str(key[1]) == "2024-02-01"]
    assert february and after[february[0]][SCORE] > before[february[0]][SCORE]  # it did go up
    assert after[february[0]][RANK] <= before[february[0]][RANK]  # and its rank did not fall


def test_with_all_weight_on_progress_the_ranking_follows_progress(runs):
    index = runs["progress_only"]["index"]
    progress_ranks = {(city, month): rank for city, month, rank in runs["progress_only"]["progress_ranks"]}
    for row in index:
        assert row[SCORE] == pytest.approx(row[3])  # index_score == progress pillar
        assert row[RANK] == progress_ranks[(row[0], row[1])]


def test_the_nominal_rank_lies_inside_its_band_on_generated_cities_with_a_clear_order(runs):
    """Through the real models: the band is computed, not widened, and it is the city's own."""
    index = runs["clear_order"]["index"]
    assert len(index) == 12 and all(row[22] for row in index)
    for row in index:
        assert row[P05] <= row[RANK] <= row[P95], row
        assert row[17] <= row[10] <= row[19], row  # within the peer group too
        assert row[P05] == row[RANK] == row[P95] and row[17] == row[10] == row[19], row
    assert sorted(row[RANK] for row in index) == list(range(1, 13))
    # A clear order leaves nothing to the modelling choices: no source explains any of the rank variance.
    assert all(row[2] == 0 and row[4] == 0 for row in runs["clear_order"]["uncertainty"])


def test_the_contributions_add_up_to_the_score_and_explain_the_change(runs):
    index = by_city_month(runs["baseline"]["index"])
    contributions: dict[tuple, list] = {}
    for city, month, _pillar, _order, _weight, _value, contribution, change in runs["baseline"]["changes"]:
        contributions.setdefault((city, month), []).append((contribution, change))
    for key, parts in contributions.items():
        assert sum(c for c, _ in parts) == pytest.approx(index[key][SCORE])
        if str(key[1]) == "2024-02-01":
            january = index[(key[0], key[1].replace(month=1))][SCORE]
            assert sum(change for _, change in parts) == pytest.approx(index[key][SCORE] - january)


def test_the_sensitivity_table_covers_every_weighted_pillar(runs):
    pillars = {row[1] for row in runs["baseline"]["sensitivity"]}
    assert pillars == {"progress", "schedule", "plan_quality", "reporting", "coverage"}
    for row in runs["baseline"]["sensitivity"]:
        assert row[4] >= 0 and row[5] >= 0 and 0 <= row[6] <= 5
