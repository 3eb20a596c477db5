"""Row validation on real files: pull + validate (real GX suite) of a landing month holding one row per
reason code, plus valid rows whose normalised values are worked out by hand here."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from smartcity.pipeline import RunPlan, plan_run, run_pull, run_validate
from tests.component.landing import HEADER, make_landing, query, settings_for

MARCH = date(2024, 3, 1)
FEBRUARY = date(2024, 2, 1)
# The row sent in February, then sent again unchanged in March (no submitted_at): a DUPLICATE in March.
RESENT = "AAA,A2,2024-02,20,200000,in_progress,,,\n"

# row number -> (line, expected reason code or None when accepted)
MARCH_ROWS: dict[int, tuple[str, str | None]] = {
    1: ('AAA,A1,2024-03,50,"1,000",in_progress,BUDGET;POLICY,ok,2024-04-01 10:00\n', None),
    2: ("AAA,,2024-03,50,1000,in_progress,,,\n", "MISSING_REQUIRED"),
    3: ("ZZZ,A1,2024-03,50,1000,in_progress,,,\n", "UNKNOWN_CITY"),
    4: ("AAA,X9,2024-03,50,1000,in_progress,,,\n", "UNKNOWN_PROJECT"),
    5: ("AAA,B1,2024-03,50,1000,in_progress,,,\n", "PROJECT_CITY_MISMATCH"),
    6: ("AAA,A1,2024-13,50,1000,in_progress,,,\n", "BAD_MONTH"),
    7: ("AAA,A1,2024-04,50,1000,in_progress,,,\n", "FUTURE_MONTH"),
    8: ("AAA,A1,2024-03,fifty,1000,in_progress,,,\n", "BAD_NUMBER"),
    9: ("AAA,A1,2024-03,101,1000,in_progress,,,\n", "OUT_OF_RANGE"),
    10: ("AAA,A1,2024-03,50,1000,finished,,,\n", "BAD_STATUS"),
    11: ("AAA,A1,2024-03,50,1000,in_progress,RAIN,,\n", "BAD_OBSTACLE"),
    12: ('AAA,A1,2024-03,50,"1,000",in_progress,BUDGET;POLICY,ok,2024-04-01 10:00\n', "DUPLICATE"),
    # Several faults: the first in the contract's order wins.
    13: ("ZZZ,A1,2024-03,abc,1000,in_progress,,,\n", "UNKNOWN_CITY"),
    14: ("AAA,A1,2024-13,abc,1000,in_progress,,,\n", "BAD_MONTH"),
    15: ("AAA,A1,2024-03,-5,1000,weird,RAIN,,\n", "OUT_OF_RANGE"),
    16: ("AAA,A1,2024-05,150,1000,in_progress,,,\n", "FUTURE_MONTH"),
    17: (",X9,2024-03,50,1000,in_progress,,,\n", "MISSING_REQUIRED"),
    18: ("AAA,A1,2024-03,50,1000,in_progress,RAIN,,2024-04-01 10:00\n", "BAD_OBSTACLE"),
    # Identical to row 18, yet BAD_OBSTACLE: it comes before DUPLICATE in the contract order.
    19: ("AAA,A1,2024-03,50,1000,in_progress,RAIN,,2024-04-01 10:00\n", "BAD_OBSTACLE"),
    # Normalised values: BE month abbreviation, '%', thousands separators; then Thai digits throughout.
    20: ('BBB,B1,มี.ค. 67,45.5%,"1,500,000",In Progress,budget,"ล่าช้า, รอ ""งบ""",2024-04-02 09:00\n', None),
    21: ('AAA,A2,๒๕๖๗-๐๓,๗๐,"๑,๒๐๐",in_progress,,,๒๕๖๗-๐๔-๐๓ ๐๘:๓๐\n', None),
    # No status: derived from progress. No submitted_at: the file's arrival time.
    22: ("AAA,A2,2024-01,0,,,,,\n", None),
    23: ("AAA,A2,2567-02,100,,,,,\n", None),
    24: ("AAA,A2,03/2024,37.5,,,,,\n", None),
    25: (RESENT, "DUPLICATE"),
    # remarks are part of what makes two rows identical: row 1 and February's row sent again with other
    # remarks are new rows, accepted.
    26: ('AAA,A1,2024-03,50,"1,000",in_progress,BUDGET;POLICY,resent,2024-04-01 10:00\n', None),
    27: ("AAA,A2,2024-02,20,200000,in_progress,,late: signed 28 Feb,\n", None),
    # Each pair of neighbours in the contract's order, on a row with both faults: the first wins.
    28: ("ZZZ,X9,2024-03,50,1000,in_progress,,,\n", "UNKNOWN_CITY"),  # before UNKNOWN_PROJECT
    29: ("AAA,B1,2024-13,50,1000,in_progress,,,\n", "PROJECT_CITY_MISMATCH"),  # before BAD_MONTH
    30: ("AAA,A1,2024-04,50,1000,in_progress,,,not a time\n", "BAD_MONTH"),  # unreadable submitted_at
    31: ("AAA,A1,2024-04,abc,1000,in_progress,,,\n", "FUTURE_MONTH"),  # before BAD_NUMBER
    32: ("AAA,A1,2024-03,abc,-5,in_progress,,,\n", "BAD_NUMBER"),  # before OUT_OF_RANGE (spend < 0)
    33: ("AAA,A1,2024-03,50,1000,weird,RAIN,,\n", "BAD_STATUS"),  # before BAD_OBSTACLE
    34: ("AAA,A1,2024-03,50,-1,in_progress,,,\n", "OUT_OF_RANGE"),  # negative spend alone
}
MARCH_FILE = HEADER + "".join(line for line, _ in MARCH_ROWS.values())
MARCH_SOURCE = "submissions/2024-03/city_rows.csv"


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    base = tmp_path_factory.mktemp("rows")
    landing = make_landing(
        base / "landing",
        {"2024-02": {"february.csv": HEADER + RESENT}, "2024-03": {"city_rows.csv": MARCH_FILE}},
    )
    settings = settings_for(landing, base / "w.duckdb")
    plan = plan_run(settings, "run-1")
    assert plan.months == ["2024-02", "2024-03"]
    pulled = run_pull(settings, plan)
    outcome = run_validate(settings, plan)
    return {"settings": settings, "plan": plan, "pulled": pulled, "outcome": outcome}


def _quarantine(db, month: date = MARCH) -> list[tuple]:
    return query(
        db,
        "select source_file, row_number, reason_code from audit.quarantine "
        "where received_month = ? order by 2",
        [month],
    )


def _accepted(db, month: date = MARCH) -> list[int]:
    return [
        r[0]
        for r in query(
            db, "select row_number from validated.submissions where received_month = ? order by 1", [month]
        )
    ]


def _accepted_row(db, row_number: int) -> dict:
    con_rows = query(
        db,
        "select s.*, f.arrived_at as file_arrived_at from validated.submissions s "
        "join raw.received_files f using (file_id) where s.received_month = ? and s.row_number = ?",
        [MARCH, row_number],
    )
    assert len(con_rows) == 1
    columns = [c[0] for c in query(db, "select column_name from (describe validated.submissions)")] + [
        "file_arrived_at"
    ]
    return dict(zip(columns, con_rows[0], strict=True))


def test_each_faulty_row_is_quarantined_with_its_reason(validated):
    db = validated["settings"].pipeline_db
    expected = [(MARCH_SOURCE, n, code) for n, (_, code) in MARCH_ROWS.items() if code]
    assert _quarantine(db) == expected
    assert _accepted(db) == [n for n, (_, code) in MARCH_ROWS.items() if code is None]
    assert _quarantine(db, FEBRUARY) == []
    assert _accepted(db, FEBRUARY) == [1]


def test_every_contract_reason_code_is_exercised():
    contract_order = [
        "MISSING_REQUIRED", "UNKNOWN_CITY", "UNKNOWN_PROJECT", "PROJECT_CITY_MISMATCH", "BAD_MONTH",
        "FUTURE_MONTH", "BAD_NUMBER", "OUT_OF_RANGE", "BAD_STATUS", "BAD_OBSTACLE", "DUPLICATE",
    ]  # fmt: skip
    assert {code for _, code in MARCH_ROWS.values() if code} == set(contract_order)


def test_every_row_is_accounted_for_exactly_once(validated):
    db = validated["settings"].pipeline_db
    assert validated["pulled"]["rows_new"] == len(MARCH_ROWS) + 1
    outcome = validated["outcome"]
    assert outcome["rows_received"] == len(MARCH_ROWS) + 1
    assert outcome["rows_accepted"] + outcome["rows_quarantined"] == outcome["rows_received"]
    raw = set(query(db, "select file_id, row_number from raw.submission_rows"))
    accepted = query(db, "select file_id, row_number from validated.submissions")
    quarantined = query(db, "select file_id, row_number from audit.quarantine")
    assert len(accepted) == len(set(accepted)) and len(quarantined) == len(set(quarantined))
    assert not set(accepted) & set(quarantined)
    assert set(accepted) | set(quarantined) == raw
    runs = query(
        db,
        "select month, evaluated_rows, failed_rows from audit.validation_runs "
        "where suite = 'submission_rows' order by month",
    )
    faulty = sum(1 for _, code in MARCH_ROWS.values() if code)
    assert runs == [(FEBRUARY, 1, 0), (MARCH, len(MARCH_ROWS), faulty)]


def test_quarantine_detail_says_what_is_wrong_and_how_to_fix_it(validated):
    db = validated["settings"].pipeline_db
    details = dict(
        query(db, "select row_number, detail from audit.quarantine where received_month = ?", [MARCH])
    )
    assert all("Fix:" in detail for detail in details.values())
    assert "ZZZ" in details[3]
    assert "2024-13" in details[6]
    assert "fifty" in details[8]
    assert "RAIN" in details[11]
    raw_records = dict(
        query(db, "select row_number, raw_record from audit.quarantine where received_month = ?", [MARCH])
    )
    assert json.loads(raw_records[8])["progress_pct"] == "fifty"


def test_values_are_normalised(validated):
    db = validated["settings"].pipeline_db
    row = _accepted_row(db, 20)
    assert row["city_code"] == "BBB" and row["project_code"] == "B1"
    assert row["report_month"] == MARCH
    assert row["progress_pct"] == pytest.approx(45.5)
    assert row["spend_to_date_thb"] == Decimal("1500000.00")
    assert row["status"] == "in_progress"
    assert row["obstacles"] == ["BUDGET"]
    assert row["remarks"] == 'ล่าช้า, รอ "งบ"'
    assert row["submitted_at"] == datetime(2024, 4, 2, 2, 0, tzinfo=UTC)  # 09:00 Bangkok time

    row = _accepted_row(db, 21)
    assert row["report_month"] == MARCH
    assert row["progress_pct"] == pytest.approx(70.0)
    assert row["spend_to_date_thb"] == Decimal("1200.00")
    assert row["submitted_at"] == datetime(2024, 4, 3, 1, 30, tzinfo=UTC)

    row = _accepted_row(db, 1)
    assert row["obstacles"] == ["BUDGET", "POLICY"]
    assert row["spend_to_date_thb"] == Decimal("1000.00")

    assert [_accepted_row(db, n)["report_month"] for n in (22, 23, 24)] == [
        date(2024, 1, 1),
        date(2024, 2, 1),
        MARCH,
    ]


def test_a_row_without_status_gets_one_from_its_progress(validated):
    db = validated["settings"].pipeline_db
    assert [_accepted_row(db, n)["status"] for n in (22, 23, 24)] == [
        "not_started",
        "completed",
        "in_progress",
    ]


def test_a_row_without_submitted_at_gets_its_files_arrival_time(validated):
    db = validated["settings"].pipeline_db
    for n in (22, 23, 24):
        row = _accepted_row(db, n)
        assert row["submitted_at_given"] is None
        assert row["submitted_at"] == row["file_arrived_at"] == row["arrived_at"]
    given = _accepted_row(db, 1)
    assert given["submitted_at_given"] == given["submitted_at"] == datetime(2024, 4, 1, 3, 0, tzinfo=UTC)


def test_validating_the_same_months_again_gives_the_same_outcome(validated):
    settings, plan = validated["settings"], validated["plan"]
    db = settings.pipeline_db
    before = {
        "quarantine": query(
            db, "select file_id, row_number, reason_code, detail from audit.quarantine order by all"
        ),
        "accepted": query(db, "select * exclude (arrived_at) from validated.submissions order by all"),
    }
    again = run_validate(settings, RunPlan(**{**plan.as_dict(), "run_id": "run-2"}))
    assert again == validated["outcome"]
    after = {
        "quarantine": query(
            db, "select file_id, row_number, reason_code, detail from audit.quarantine order by all"
        ),
        "accepted": query(db, "select * exclude (arrived_at) from validated.submissions order by all"),
    }
    assert after == before
    assert query(
        db, "select month, run_id from audit.validation_runs where suite = 'submission_rows' order by month"
    ) == [
        (FEBRUARY, "run-2"),
        (MARCH, "run-2"),
    ]
    assert query(db, "select distinct run_id from audit.quarantine") == [("run-2",)]
