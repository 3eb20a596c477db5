"""End to end: the real Airflow DAG (through `smartcity run`, i.e. `airflow dags test`) on a small landing
area made here, with every published figure worked out by hand below, not by the code under test.

The landing area holds: a late row and two corrections (restating January), a cancelled project, a project
never reported, a project whose plan has not started, a city certified mid-period, a lapsed city, a
proposal, a JSON file, a `;`-separated CSV with Thai headers, an unknown city and a duplicate row.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from smartcity.normalize import SUBMISSION_COLUMNS

pytestmark = pytest.mark.e2e

SMARTCITY = str(Path(sys.executable).with_name("smartcity"))

CITIES = """\
city_code,name_th,name_en,province_code,operator_name,operator_type,city_type,peer_group,status,status_since
AAA,เมืองเอ,City A,TH-10,Operator A,local_government,livable,city,certified,2021-05-01
BBB,เมืองบี,City B,TH-50,Operator B,university,livable,province,certified,2565-03-01
CCC,เมืองซี,City C,TH-83,Operator C,private,new,city,proposal_passed,2024-01-15
DDD,เมืองดี,City D,TH-40,Operator D,local_government,livable,city,certified,2024-02-15
EEE,เมืองอี,City E,TH-20,Operator E,local_government,livable,city,lapsed,2023-06-01
"""

PROJECTS = """\
project_code,city_code,dimension_code,name_th,name_en,budget_thb,planned_start,planned_end,funding_source
A1,AAA,ENV,a1,A1,1000000,2023-11,2024-02,public
A2,AAA,MOB,a2,A2,3000000,2024-02,2024-05,public
A3,AAA,GOV,a3,A3,500000,2023-01,2023-12,public
B1,BBB,GOV,b1,B1,2000000,2566-01,2566-12,ppp
B2,BBB,ECO,b2,B2,500000,2024-06,2025-01,private
C1,CCC,ENV,c1,C1,9999999,2024-01,2024-12,private
D1,DDD,LIV,d1,D1,1000000,2024-01,2024-02,public
E1,EEE,ENE,e1,E1,7000000,2023-01,2023-12,public
"""

HEADER = ",".join(SUBMISSION_COLUMNS) + "\n"
A1_JANUARY = "AAA,A1,2024-01,50,400000,in_progress,BUDGET,on track,2024-02-05T10:00:00+07:00\n"

JANUARY_A = (
    HEADER
    + A1_JANUARY
    + "AAA,A2,2024-01,0,0,not_started,,,2024-02-05T10:00:00+07:00\n"
    + "AAA,A3,2024-01,20,100000,in_progress,POLICY,,2024-02-05T10:00:00+07:00\n"
    + "DDD,D1,2024-01,30,200000,in_progress,,,2024-02-07T09:00:00+07:00\n"
    + "EEE,E1,2024-01,90,6000000,in_progress,,,2024-02-07T09:00:00+07:00\n"
    + "ZZZ,A1,2024-01,10,0,in_progress,,,2024-02-07T09:00:00+07:00\n"
)
JANUARY_B = [
    {
        "city_code": "BBB",
        "project_code": "B1",
        "report_month": "ม.ค. 67",
        "progress_pct": "80%",
        "spend_to_date_thb": "1,500,000",
        "status": "in_progress",
        "obstacles": "BUDGET;PERSONNEL",
        "submitted_at": "2024-02-06 08:00",
    }
]
FEBRUARY_A = (
    HEADER
    + "AAA,A1,2024-02,100,900000,completed,,,2024-03-05T10:00:00+07:00\n"
    + "AAA,A2,2024-02,10,10000,in_progress,PERSONNEL,,2024-03-05T10:00:00+07:00\n"
    + "AAA,A3,2024-02,20,100000,cancelled,POLICY,,2024-03-05T10:00:00+07:00\n"
    # Late correction of January for A2: submitted later than January's row, so it supersedes it.
    + "AAA,A2,2024-01,5,5000,in_progress,,late,2024-03-06T10:00:00+07:00\n"
)
# Thai headers, ';' delimiter: BBB corrects January (85 %) and sends nothing for February (carried forward).
FEBRUARY_B = (
    "รหัสเมือง;รหัสโครงการ;เดือนที่รายงาน;ความก้าวหน้าสะสม;เบิกจ่ายสะสม;สถานะ;ปัญหาอุปสรรค;หมายเหตุ;วันที่ส่ง\n"
    "BBB;B1;2024-01;85;1600000;in_progress;BUDGET,PERSONNEL;แก้ไข;2024-03-02 09:00\n"
)
# The very same January row again: a DUPLICATE.
FEBRUARY_C = HEADER + A1_JANUARY


def make_landing(root: Path) -> Path:
    (root / "registry").mkdir(parents=True)
    (root / "registry" / "cities.csv").write_text(CITIES, encoding="utf-8")
    (root / "registry" / "projects.csv").write_text(PROJECTS, encoding="utf-8")
    january = root / "submissions" / "2024-01"
    february = root / "submissions" / "2024-02"
    january.mkdir(parents=True)
    february.mkdir(parents=True)
    (january / "city_a.csv").write_text(JANUARY_A, encoding="utf-8")
    (january / "city_b.json").write_text(json.dumps(JANUARY_B, ensure_ascii=False), encoding="utf-8")
    (february / "city_a.csv").write_text(FEBRUARY_A, encoding="utf-8")
    (february / "city_b.csv").write_text(FEBRUARY_B, encoding="utf-8-sig")
    (february / "resend.csv").write_text(FEBRUARY_C, encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    landing = make_landing(base / "landing")
    before = snapshot(landing)
    env = dict(os.environ)
    env.update(
        {
            "SMARTCITY_LANDING": str(landing),
            "SMARTCITY_WAREHOUSE": str(base / "out" / "warehouse.duckdb"),
            "AIRFLOW_HOME": str(base / "airflow"),
        }
    )
    env.pop("SMARTCITY_MONTH", None)
    first = subprocess.run([SMARTCITY, "run"], env=env, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stdout + first.stderr
    second = subprocess.run([SMARTCITY, "run"], env=env, capture_output=True, text=True, timeout=900)
    return {
        "warehouse": base / "out" / "warehouse.duckdb",
        "first": first,
        "second": second,
        "landing_unchanged": snapshot(landing) == before,
        "state": base / "out" / "warehouse.duckdb.state",
    }


def rows(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_city_progress_matches_the_hand_computation(pipeline_run):
    got = {
        (r[0], r[1]): r[2:]
        for r in rows(
            pipeline_run["warehouse"],
            "select city_code, month, projects, completed_projects, budget_thb, spend_to_date_thb, "
            "progress_pct, progress_vs_plan_pct, rank_progress from marts.city_progress_monthly",
        )
    }
    jan, feb = date(2024, 1, 1), date(2024, 2, 1)
    # Only AAA and BBB are certified in January; DDD from 15 Feb; EEE lapsed; CCC a proposal.
    assert set(got) == {("AAA", jan), ("BBB", jan), ("AAA", feb), ("BBB", feb), ("DDD", feb)}

    # AAA, January (restated by the late A2 row): A1 50 % of 1M, A2 5 % of 3M, A3 20 % of 0.5M.
    # progress = (50 + 15 + 10) / 4.5 = 16.666..; planned A1 (2+1)/(3+1) = 75 %, A2 0 %, A3 100 %:
    # vs plan = 100 * 75 / (75 + 0 + 50) = 60.
    projects, completed, budget, spend, progress, vs_plan, rank = got[("AAA", jan)]
    assert (projects, completed, budget, spend, rank) == (
        3,
        0,
        Decimal("4500000.00"),
        Decimal("505000.00"),
        2,
    )
    assert progress == pytest.approx(75 / 4.5)
    assert vs_plan == pytest.approx(60.0)

    # BBB, January (corrected to 85 %): B1 85 % of 2M, B2 never reported: 0 % of 0.5M -> 170 / 2.5 = 68.
    # planned: B1 past its end = 100 %, B2 not started = 0 % -> vs plan = 100 * 170 / 200 = 85.
    projects, completed, budget, spend, progress, vs_plan, rank = got[("BBB", jan)]
    assert (projects, completed, budget, spend, rank) == (
        2,
        0,
        Decimal("2500000.00"),
        Decimal("1600000.00"),
        1,
    )
    assert progress == pytest.approx(68.0)
    assert vs_plan == pytest.approx(85.0)

    # AAA, February: A3 cancelled (left out); A1 100 % of 1M, A2 10 % of 3M -> 130 / 4 = 32.5.
    # planned: A1 at its end 100 %, A2 (0+1)/(3+1) = 25 % -> vs plan = 100 * 130 / (100 + 75) = 74.2857..
    projects, completed, budget, spend, progress, vs_plan, rank = got[("AAA", feb)]
    assert (projects, completed, budget, spend, rank) == (
        2,
        1,
        Decimal("4000000.00"),
        Decimal("910000.00"),
        2,
    )
    assert progress == pytest.approx(32.5)
    assert vs_plan == pytest.approx(100 * 130 / 175)

    # BBB, February: nothing new, January's corrected state carried forward.
    projects, completed, budget, spend, progress, vs_plan, rank = got[("BBB", feb)]
    assert (projects, completed, budget, spend, rank) == (
        2,
        0,
        Decimal("2500000.00"),
        Decimal("1600000.00"),
        1,
    )
    assert progress == pytest.approx(68.0)

    # DDD, February: its January row (sent before certification) carried forward: 30 % of 1M; planned 100 %.
    projects, completed, budget, spend, progress, vs_plan, rank = got[("DDD", feb)]
    assert (projects, completed, budget, spend, rank) == (
        1,
        0,
        Decimal("1000000.00"),
        Decimal("200000.00"),
        3,
    )
    assert progress == pytest.approx(30.0)
    assert vs_plan == pytest.approx(30.0)


def test_program_summary_matches_the_hand_computation(pipeline_run):
    got = {
        r[0]: r[1:]
        for r in rows(
            pipeline_run["warehouse"],
            "select month, certified_cities, projects, completed_projects, completed_projects_pct, "
            "progress_pct, "
            "investment_value_thb, spend_to_date_thb from marts.program_summary_monthly",
        )
    }
    assert set(got) == {date(2024, 1, 1), date(2024, 2, 1)}
    # January: AAA (3 projects) + BBB (2): (75 + 170) / 7 = 35 %; 7M invested; spend 505k + 1.6M.
    cities, projects, completed, completed_pct, progress, investment, spend = got[date(2024, 1, 1)]
    assert (cities, projects, completed, completed_pct) == (2, 5, 0, 0.0)
    assert progress == pytest.approx(35.0)
    assert (investment, spend) == (Decimal("7000000.00"), Decimal("2105000.00"))
    # February: AAA (2, A3 cancelled) + BBB (2) + DDD (1): (130 + 170 + 30) / 7.5 = 44 %; 1 of 5 completed.
    cities, projects, completed, completed_pct, progress, investment, spend = got[date(2024, 2, 1)]
    assert (cities, projects, completed) == (3, 5, 1)
    assert completed_pct == pytest.approx(20.0)
    assert progress == pytest.approx(44.0)
    assert (investment, spend) == (Decimal("7500000.00"), Decimal("2710000.00"))


def test_bad_rows_are_quarantined_with_their_reason(pipeline_run):
    got = rows(
        pipeline_run["warehouse"],
        "select source_file, row_number, reason_code from dq.quarantine order by source_file, row_number",
    )
    assert got == [
        ("submissions/2024-01/city_a.csv", 6, "UNKNOWN_CITY"),
        ("submissions/2024-02/resend.csv", 1, "DUPLICATE"),
    ]
    runs = rows(
        pipeline_run["warehouse"],
        "select month, evaluated_rows, failed_rows from dq.validation_runs "
        "where suite = 'submission_rows' order by month",
    )
    assert runs == [(date(2024, 1, 1), 7, 1), (date(2024, 2, 1), 6, 1)]


def test_run_reports_the_summary_and_a_second_run_does_nothing(pipeline_run):
    first = pipeline_run["first"].stdout
    assert "months processed this run : 2024-01, 2024-02" in first
    assert "overall progress          : 44.00 %" in first
    assert "investment value          : 7.50 million baht" in first
    assert "rows quarantined          : 2   (this run" in first
    second = pipeline_run["second"]
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Nothing new" in second.stdout
    assert "Running DAG" not in second.stdout


def test_received_files_are_kept_and_the_landing_area_untouched(pipeline_run):
    assert pipeline_run["landing_unchanged"]
    stored = sorted(p.name.split("__", 1)[1] for p in (pipeline_run["state"] / "received").rglob("*__*"))
    assert stored == ["city_a.csv", "city_a.csv", "city_b.csv", "city_b.json", "resend.csv"]


def test_investment_by_dimension_matches_the_hand_computation(pipeline_run):
    got = {
        (r[0], r[1].isoformat()): r[2:]
        for r in rows(
            pipeline_run["warehouse"],
            "select dimension_code, month, projects, investment_value_thb, spend_to_date_thb, progress_pct "
            "from marts.investment_by_dimension_monthly",
        )
    }
    assert len(got) == 14  # 7 dimensions x 2 months, empty ones included
    # January: ENV A1; MOB A2 (5 % after the late correction); GOV A3 + B1; ECO B2 (never reported).
    assert got[("ENV", "2024-01-01")] == (1, Decimal("1000000.00"), Decimal("400000.00"), 50.0)
    assert got[("MOB", "2024-01-01")] == (1, Decimal("3000000.00"), Decimal("5000.00"), 5.0)
    gov = got[("GOV", "2024-01-01")]
    assert gov[:3] == (2, Decimal("2500000.00"), Decimal("1700000.00"))
    assert gov[3] == pytest.approx((0.5 * 20 + 2 * 85) / 2.5)  # 72
    assert got[("ECO", "2024-01-01")] == (1, Decimal("500000.00"), Decimal("0.00"), 0.0)
    assert got[("LIV", "2024-01-01")] == (0, Decimal("0.00"), Decimal("0.00"), None)
    # February: A3 cancelled leaves GOV with B1 alone; DDD (certified from 15 Feb) brings LIV.
    assert got[("GOV", "2024-02-01")] == (1, Decimal("2000000.00"), Decimal("1600000.00"), 85.0)
    assert got[("LIV", "2024-02-01")] == (1, Decimal("1000000.00"), Decimal("200000.00"), 30.0)
    assert got[("ENE", "2024-02-01")] == (0, Decimal("0.00"), Decimal("0.00"), None)


def test_obstacle_ranking_matches_the_hand_computation(pipeline_run):
    got = rows(
        pipeline_run["warehouse"],
        "select month, obstacle_code, projects, rank from marts.obstacle_ranking_monthly "
        "order by month, rank, obstacle_code",
    )
    january, february = date(2024, 1, 1), date(2024, 2, 1)
    assert got == [
        # January states: A1 BUDGET, A2 none (late row), A3 POLICY, B1 BUDGET+PERSONNEL (correction).
        (january, "BUDGET", 2, 1),
        (january, "PERSONNEL", 1, 2),
        (january, "POLICY", 1, 2),
        # February: A2 PERSONNEL, A3 POLICY (cancelled, still counted), B1 carried forward, A1 and D1 none.
        (february, "PERSONNEL", 2, 1),
        (february, "BUDGET", 1, 2),
        (february, "POLICY", 1, 2),
    ]


def test_proposal_screening_lists_every_city_not_certified(pipeline_run):
    got = rows(
        pipeline_run["warehouse"],
        "select city_code, status, status_since, projects, dimensions_covered, planned_investment_thb "
        "from marts.proposal_screening order by city_code",
    )
    assert got == [
        ("CCC", "proposal_passed", date(2024, 1, 15), 1, 1, Decimal("9999999.00")),
        ("EEE", "lapsed", date(2023, 6, 1), 1, 1, Decimal("7000000.00")),
    ]


def test_city_quality_accounts_for_every_row(pipeline_run):
    got = {
        (r[0], r[1].isoformat()): r[2:]
        for r in rows(
            pipeline_run["warehouse"],
            "select city_code, month, rows_received, rows_accepted, rows_superseded, rows_quarantined, "
            "on_time from dq.city_quality_monthly",
        )
    }
    # January: AAA's A2 row was superseded by February's late row, BBB's JSON row by its correction.
    assert got[("AAA", "2024-01-01")] == (3, 2, 1, 0, True)
    assert got[("BBB", "2024-01-01")] == (1, 0, 1, 0, True)
    assert got[("DDD", "2024-01-01")] == (1, 1, 0, 0, True)
    # February: AAA's four rows plus the re-sent duplicate; BBB only corrected January (no February report:
    # not on time); DDD, certified, sent nothing.
    assert got[("AAA", "2024-02-01")] == (5, 4, 0, 1, True)
    assert got[("BBB", "2024-02-01")] == (1, 1, 0, 0, False)
    assert got[("DDD", "2024-02-01")] == (0, 0, 0, 0, False)
    assert ("ZZZ", "2024-01-01") not in got  # an unknown city is only in dq.quarantine
