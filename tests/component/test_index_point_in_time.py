"""The index as it was known, through the real dbt models and the real publication (no Airflow).

Warehouse A publishes January and February, then March arrives with: a late re-assessment of AAA's plan
(dated in March), a registry that moves BBB to the province-based group, LOW (near the bottom) reporting
every project cancelled, and QUIET sending nothing. Warehouse B, the control, gets the same months with
none of that. Then A gets a weights override and a late correction of February whose publication fails,
and then succeeds. Checked: earlier months keep their scores, ranks and peer groups; the cancelling city
does not rise; the silent city shows months_since_report = 1; every published version of a city-month is in
history.city_index_history with its methodology version and run, and none that was never published.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from smartcity.config import load_settings
from smartcity.index.methodology import METHODOLOGY_VERSION
from smartcity.pipeline import RunPlan, plan_run, run_publish, run_pull, run_transform, run_validate
from smartcity.publication.guard import WarehouseRefused
from smartcity.publication.publish import PublishError
from tests.component.landing import HEADER, make_landing, query, run_steps

JANUARY, FEBRUARY, MARCH = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
CITY_HEADER = (
    "city_code,name_th,name_en,province_code,operator_name,operator_type,city_type,peer_group,status,"
    "status_since\n"
)
CITY_ROWS = {
    "AAA": "TH-10,city",
    "BBB": "TH-50,city",
    "CCC": "TH-40,city",
    "DDD": "TH-83,city",
    "LOW": "TH-20,city",
    "QUIET": "TH-30,city",
    "PPP": "TH-24,province",
    "QQQ": "TH-95,province",
}


def cities(peer_groups: dict[str, str] | None = None) -> str:
    lines = []
    for code, rest in CITY_ROWS.items():
        province, group = rest.split(",")
        group = (peer_groups or {}).get(code, group)
        lines.append(
            f"{code},เมือง{code},City {code},{province},Op,local_government,livable,{group},certified,"
            "2022-01-10"
        )
    return CITY_HEADER + "\n".join(lines) + "\n"


PROJECTS = (
    "project_code,city_code,dimension_code,name_th,name_en,budget_thb,planned_start,planned_end,funding_source\n"
    + "".join(
        f"{code}1,{code},ENV,p,p,2000000,2023-10,2024-09,public\n"
        f"{code}2,{code},MOB,p,p,1000000,2023-12,2024-12,public\n"
        for code in CITY_ROWS
    )
)
SCORES = {"AAA": 80, "BBB": 70, "CCC": 60, "DDD": 65, "LOW": 50, "QUIET": 75, "PPP": 55, "QQQ": 72}
ASSESSMENTS = "city_code,component,score,assessed_on\n" + "".join(
    f"{code},{component},{score},2023-06-01\n" for code, score in SCORES.items() for component in range(1, 6)
)
# AAA's plan is re-assessed in March 2024: lower, and effective from March only.
REASSESSED = ASSESSMENTS + "".join(f"AAA,{component},40,2024-03-10\n" for component in range(1, 6))
# Each city's progress (first project, second project) by month; LOW is near the bottom.
PROGRESS = {
    "AAA": (30, 10),
    "BBB": (40, 20),
    "CCC": (20, 5),
    "DDD": (35, 15),
    "LOW": (6, 2),
    "QUIET": (45, 25),
    "PPP": (25, 10),
    "QQQ": (30, 12),
}


def rows(month: str, step: int, skip: tuple[str, ...] = (), cancelled: tuple[str, ...] = ()) -> str:
    deadline = {"2024-01": "2024-02-05", "2024-02": "2024-03-05", "2024-03": "2024-04-05"}[month]
    lines = []
    for code, (first, second) in PROGRESS.items():
        if code in skip:
            continue
        status = "cancelled" if code in cancelled else "in_progress"
        for number, progress in ((1, first + 5 * step), (2, second + 3 * step)):
            submitted = f"{deadline}T10:00:00+07:00"
            lines.append(
                f"{code},{code}{number},{month},{progress},{progress * 10000},{status},,,{submitted}"
            )
    return HEADER + "\n".join(lines) + "\n"


INDEX = (
    "select city_code, month, peer_group, progress, schedule, plan_quality, reporting, coverage, "
    "index_score, ranked, not_ranked_reason, rank_peer_group, rank_peer_group_p05, rank_peer_group_p95, "
    "prob_first_in_peer_group, tier, rank, rank_p05, rank_p95, months_since_report, imputed_pillars "
    "from marts.city_index_monthly order by month, city_code"
)
HISTORY = (
    "select city_code, month, index_score, rank_peer_group, rank, methodology_version, published_run_id "
    "from history.city_index_history order by month, city_code, published_at"
)


def index_rows(warehouse: Path) -> dict[tuple[str, date], dict]:
    con_rows = query(warehouse, INDEX)
    names = [
        "city_code", "month", "peer_group", "progress", "schedule", "plan_quality", "reporting", "coverage",
        "index_score", "ranked", "not_ranked_reason", "rank_peer_group", "rank_peer_group_p05",
        "rank_peer_group_p95", "prob_first_in_peer_group", "tier", "rank", "rank_p05", "rank_p95",
        "months_since_report", "imputed_pillars",
    ]  # fmt: skip
    return {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in con_rows}


def settings_at(landing: Path, warehouse: Path, weights: str | None = None):
    environ = {"SMARTCITY_LANDING": str(landing), "SMARTCITY_WAREHOUSE": str(warehouse)}
    if weights:
        environ["SMARTCITY_INDEX_WEIGHTS"] = weights
    return load_settings(environ)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("point-in-time")
    two_months = {
        "2024-01": {"all.csv": rows("2024-01", 0)},
        "2024-02": {"all.csv": rows("2024-02", 1)},
    }
    landing = make_landing(base / "a" / "landing", two_months, cities=cities(), projects=PROJECTS)
    write(landing / "registry" / "plan_assessments.csv", ASSESSMENTS)
    a = settings_at(landing, base / "a" / "w.duckdb")
    run_steps(a, "run-1")
    outcome = {"after_run_1": index_rows(a.warehouse), "history_1": query(a.warehouse, HISTORY)}

    # A version a run wrote but never recorded as published (it died): the next publication drops it.
    query_write(
        a.pipeline_db,
        "insert into history.city_index_history select * replace ('ghost' as published_run_id) "
        "from history.city_index_history limit 1",
    )

    # March: re-assessment, peer group change, LOW cancels everything, QUIET is silent.
    march = rows("2024-03", 2, skip=("QUIET",), cancelled=("LOW",))
    write(landing / "submissions" / "2024-03" / "all.csv", march)
    write(landing / "registry" / "plan_assessments.csv", REASSESSED)
    write(landing / "registry" / "cities.csv", cities({"BBB": "province"}))
    run_steps(a, "run-2")
    outcome["after_run_2"] = index_rows(a.warehouse)
    outcome["history_2"] = query(a.warehouse, HISTORY)
    tables = ("index_pillar_correlations", "index_weight_audit", "index_uncertainty", "city_index_changes")
    outcome["tables_2"] = {
        table: query(a.warehouse, f"select count(*), count(distinct month) from marts.{table}")[0]  # noqa: S608
        for table in tables
    }

    # The control: the same three months, none of the above.
    control_landing = make_landing(
        base / "b" / "landing",
        {**two_months, "2024-03": {"all.csv": rows("2024-03", 2)}},
        cities=cities(),
        projects=PROJECTS,
    )
    write(control_landing / "registry" / "plan_assessments.csv", ASSESSMENTS)
    control = settings_at(control_landing, base / "b" / "w.duckdb")
    run_steps(control, "control")
    outcome["control"] = index_rows(control.warehouse)

    # A methodology change (a weights override) and a late correction of February, whose publication fails:
    # the warehouse's place is taken by a folder, so the swap cannot happen.
    write(
        landing / "submissions" / "2024-03" / "late.csv",
        HEADER + "CCC,CCC1,2024-02,50,500000,in_progress,,late,2024-03-20T10:00:00+07:00\n",
    )
    override = settings_at(landing, a.warehouse, weights='{"progress": 1, "plan_quality": 1}')
    plan = plan_run(override, "run-3")
    for step in (run_pull, run_validate, run_transform):
        step(override, plan)
    saved = base / "a" / "saved.duckdb"
    shutil.move(a.warehouse, saved)
    (a.warehouse / "occupied").mkdir(parents=True)
    with pytest.raises((PublishError, WarehouseRefused)):  # refused by the guard, or failing later
        run_publish(override, plan)
    outcome["history_after_failure"] = query(a.pipeline_db, HISTORY)
    shutil.rmtree(a.warehouse)
    shutil.move(saved, a.warehouse)
    run_publish(override, RunPlan(**{**plan.as_dict(), "run_id": "run-4"}))
    outcome["history_4"] = query(a.warehouse, HISTORY)
    outcome["after_run_4"] = index_rows(a.warehouse)
    return outcome


def query_write(db: Path, sql: str) -> None:
    import duckdb

    con = duckdb.connect(str(db))
    try:
        con.execute(sql)
    finally:
        con.close()


def test_earlier_months_keep_their_scores_ranks_and_peer_groups(runs):
    before, after = runs["after_run_1"], runs["after_run_2"]
    earlier = {key: row for key, row in after.items() if key[1] < MARCH}
    assert earlier == before  # every column, bands included
    assert len(before) == 16


def test_a_late_re_assessment_counts_from_its_own_month(runs):
    after = runs["after_run_2"]
    assert after[("AAA", FEBRUARY)]["plan_quality"] == 80
    assert after[("AAA", MARCH)]["plan_quality"] == 40
    assert runs["control"][("AAA", MARCH)]["plan_quality"] == 80


def test_a_peer_group_change_counts_from_the_months_published_after_it(runs):
    after = runs["after_run_2"]
    assert [after[("BBB", m)]["peer_group"] for m in (JANUARY, FEBRUARY, MARCH)] == [
        "city",
        "city",
        "province",
    ]


def test_the_city_that_cancels_every_project_does_not_rise(runs):
    after, control = runs["after_run_2"], runs["control"]
    february, march = after[("LOW", FEBRUARY)], after[("LOW", MARCH)]
    assert february["ranked"] and february["rank_peer_group"] >= 5  # near the bottom before
    assert (march["ranked"], march["not_ranked_reason"]) == (False, "no_active_budget")
    assert march["rank"] is None and march["rank_peer_group"] is None and march["rank_p05"] is None
    assert march["imputed_pillars"] == []  # never given the peer group's values
    assert march["progress"] == 0 and march["coverage"] == 0
    assert march["index_score"] < february["index_score"]
    assert march["index_score"] < control[("LOW", MARCH)]["index_score"]
    # And nobody is ranked below a city that left the ranking: the others' ranks are 1..n.
    ranked = sorted(r["rank"] for (code, month), r in after.items() if month == MARCH and r["ranked"])
    assert ranked == list(range(1, len(ranked) + 1)) and len(ranked) == 7


def test_the_silent_city_shows_one_month_since_its_report(runs):
    after, control = runs["after_run_2"], runs["control"]
    march = after[("QUIET", MARCH)]
    assert march["months_since_report"] == 1
    assert march["ranked"]  # one month of silence: still ranked, on its last report, and it shows
    assert march["reporting"] < control[("QUIET", MARCH)]["reporting"]
    assert control[("QUIET", MARCH)]["months_since_report"] == 0
    assert all(r["months_since_report"] == 0 for (code, _), r in after.items() if code != "QUIET")


def test_the_audit_uncertainty_and_change_tables_are_published_for_every_month(runs):
    pillars, pairs = 5, 6 * 5 // 2  # the pillars; every pair of them and of the monitored indicator
    assert runs["tables_2"] == {
        "index_pillar_correlations": (3 * pairs, 3),
        "index_weight_audit": (3 * pillars, 3),
        "index_uncertainty": (3 * 5, 3),
        "city_index_changes": (3 * 8 * pillars, 3),
    }


def test_the_history_holds_every_published_version_and_no_other(runs):
    first = runs["history_1"]
    assert len(first) == 16 and {(r[5], r[6]) for r in first} == {(METHODOLOGY_VERSION, "run-1")}
    second = runs["history_2"]
    # Nothing changed in January and February: no new version of them; March is new; the ghost is gone.
    assert [r for r in second if r[1] < MARCH] == first
    assert {r[6] for r in second if r[1] == MARCH} == {"run-2"} and len(second) == 16 + 8
    # The failed publication left nothing behind.
    assert runs["history_after_failure"] == second
    # The methodology change gave every city-month a new version, beside the ones published before it.
    final = runs["history_4"]
    new = [r for r in final if r[6] == "run-4"]
    assert len(new) == 24 and {r[5] for r in new} != {METHODOLOGY_VERSION}
    assert all(r[5].startswith(f"{METHODOLOGY_VERSION}+weights-") for r in new)
    assert [r for r in final if r[6] != "run-4"] == second
    # The restated February of CCC is the latest version, with its new score.
    ccc = [r for r in final if r[0] == "CCC" and r[1] == FEBRUARY]
    assert [r[6] for r in ccc] == ["run-1", "run-4"] and ccc[0][2] != ccc[1][2]
    assert ccc[1][2] == pytest.approx(runs["after_run_4"][("CCC", FEBRUARY)]["index_score"])
