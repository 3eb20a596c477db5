"""dq.missing_submissions on a landing area built here, with every value worked out by hand; the deadline
watch (include/smartcity/deadline_watch.py) gives the same list from the landing area and the accepted-row
snapshots, without opening the build database; and `smartcity check` (validation/preflight.py) agrees with
the pipeline on the same files, writes nothing, and says what it compared against.

The landing area (cities AAA, BBB, CCC certified; DDD a proposal; deadline of M: the 15th of M+1, 23:59:59
Bangkok time):

| month   | AAA                          | BBB                               | CCC                 |
|---------|------------------------------|-----------------------------------|---------------------|
| 2024-01 | A1, A2 sent 5 Feb (in time)  | B1 sent 10 Feb                    | C1 sent 10 Feb      |
| 2024-02 | A1, A2 sent 20 Mar (late)    | B1 sent 5 Mar                     | C1 sent 5 Mar       |
| 2024-03 | A1, A2 sent 2 Apr            | 2 rows, both quarantined          | nothing             |

So: 2024-01 lists nobody; 2024-02 lists AAA (1 file, 2 rows accepted, last month reported in time 2024-01);
2024-03 lists BBB (1 file, 0 rows accepted, last 2024-02) and CCC (0 files, 0 rows, last 2024-02).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from smartcity import cli
from smartcity.deadline_watch import deadline_of, find_missing, month_due, store, watch_alert, watch_db
from tests.component.landing import HEADER, PROJECTS, make_landing, query, run_steps, settings_for

CITIES = """\
city_code,name_th,name_en,province_code,operator_name,operator_type,city_type,peer_group,status,status_since,contact_name,contact_email
AAA,เมืองเอ,City A,TH-10,Operator A,local_government,livable,city,certified,2021-05-01,Khun A,a@city-a.example
BBB,เมืองบี,City B,TH-50,Operator B,university,livable,province,certified,2565-03-01,,
CCC,เมืองซี,City C,TH-20,Operator C,private,new,city,certified,2023-06-01,Khun C,
DDD,เมืองดี,City D,TH-30,Operator D,private,new,city,proposal_passed,2024-01-10,,
"""
MORE_PROJECTS = (
    PROJECTS + "C1,CCC,ENV,c1,C1,500000,2023-10,2024-12,public\nD1,DDD,ENV,d1,D1,1,2024-06,2024-12,public\n"
)

SUBMISSIONS = {
    "2024-01": {
        "AAA.csv": HEADER
        + "AAA,A1,2024-01,40,100000,in_progress,,,2024-02-05T10:00:00+07:00\n"
        + "AAA,A2,2024-01,0,0,not_started,,,2024-02-05T10:00:00+07:00\n",
        "BBB.csv": HEADER + "BBB,B1,2024-01,10,5000,in_progress,,,2024-02-10T10:00:00+07:00\n",
        "CCC.csv": HEADER + "CCC,C1,2024-01,5,1000,in_progress,,,2024-02-10T10:00:00+07:00\n",
    },
    "2024-02": {
        "AAA.csv": HEADER
        + "AAA,A1,2024-02,60,200000,in_progress,,,2024-03-20T10:00:00+07:00\n"
        + "AAA,A2,2024-02,5,1000,in_progress,,,2024-03-20T10:00:00+07:00\n",
        "BBB.csv": HEADER + "BBB,B1,2024-02,20,9000,in_progress,,,2024-03-05T10:00:00+07:00\n",
        "CCC.csv": HEADER + "CCC,C1,2024-02,8,2000,in_progress,,,2024-03-05T10:00:00+07:00\n",
    },
    "2024-03": {
        "AAA.csv": HEADER
        + "AAA,A1,2024-03,80,300000,in_progress,,,2024-04-02T10:00:00+07:00\n"
        + "AAA,A2,2024-03,10,2000,in_progress,,,2024-04-02T10:00:00+07:00\n",
        "BBB.csv": HEADER
        + "BBB,B1,2024-03,abc,9500,in_progress,,,2024-04-03T10:00:00+07:00\n"
        + "BBB,B9,2024-03,30,9500,in_progress,,,2024-04-03T10:00:00+07:00\n",
    },
}

# Worked out by hand from the table above: (city, month, last_month_reported, files_received, rows_accepted).
EXPECTED = [
    ("AAA", date(2024, 2, 1), date(2024, 1, 1), 1, 2),
    ("BBB", date(2024, 3, 1), date(2024, 2, 1), 1, 0),
    ("CCC", date(2024, 3, 1), date(2024, 2, 1), 0, 0),
]


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root with the checksum of its bytes (a missing root is an empty dict)."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("missing")
    landing = make_landing(base / "landing", SUBMISSIONS, cities=CITIES, projects=MORE_PROJECTS)
    settings = settings_for(landing, base / "out" / "warehouse.duckdb")
    run_steps(settings, "missing-1")
    return settings


def test_the_published_list_holds_exactly_the_cities_worked_out_by_hand(run):
    rows = query(
        run.warehouse,
        "select city_code, month, last_month_reported, files_received, rows_accepted "
        "from dq.missing_submissions order by month, city_code",
    )
    assert rows == EXPECTED


def test_the_deadline_is_the_15th_of_the_following_month_at_23_59_59_in_bangkok(run):
    deadlines = query(
        run.warehouse, "select month, deadline from dq.missing_submissions order by month, city_code"
    )
    for month, deadline in deadlines:
        assert deadline == deadline_of(month)
    assert deadline_of(date(2024, 2, 1)).astimezone(UTC) == datetime(2024, 3, 15, 16, 59, 59, tzinfo=UTC)
    assert deadline_of(date(2023, 12, 1)).isoformat() == "2024-01-15T23:59:59+07:00"


def test_the_watch_month_is_the_latest_whose_deadline_has_passed():
    bangkok = datetime.fromisoformat
    assert month_due(bangkok("2024-04-16T00:30:00+07:00")) == date(2024, 3, 1)
    assert month_due(bangkok("2024-04-15T23:59:00+07:00")) == date(2024, 2, 1)
    # 17:30 UTC on the 15th is already the 16th in Bangkok.
    assert month_due(datetime(2024, 4, 15, 17, 30, tzinfo=UTC)) == date(2024, 3, 1)
    assert month_due(bangkok("2024-01-16T00:30:00+07:00")) == date(2023, 12, 1)


@pytest.mark.parametrize("month", [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)])
def test_the_watch_gives_the_same_list_from_the_landing_area_and_the_snapshots(run, month):
    build_before = hashlib.sha256(run.pipeline_db.read_bytes()).hexdigest()
    watch = find_missing(run, month, now=datetime(2024, 4, 16, 0, 30, tzinfo=UTC))
    found = [
        (c.city_code, month, c.last_month_reported, c.files_received, c.rows_accepted) for c in watch.missing
    ]
    assert found == [row for row in EXPECTED if row[1] == month]
    assert watch.certified_cities == 3  # DDD is a proposal
    assert hashlib.sha256(run.pipeline_db.read_bytes()).hexdigest() == build_before


def test_the_watch_stores_its_list_and_names_the_contacts(run):
    watch = find_missing(run, date(2024, 3, 1), now=datetime(2024, 4, 16, 0, 30, tzinfo=UTC))
    store(run, watch)
    store(run, watch)  # a rerun replaces the month's rows
    stored = query(
        watch_db(run),
        "select city_code, files_received, rows_accepted, contact_name, contact_email "
        "from dq.missing_submissions order by city_code",
    )
    assert stored == [("BBB", 1, 0, None, None), ("CCC", 0, 0, "Khun C", None)]
    alert = watch_alert(watch.as_dict())
    assert "2 certified cities have not reported" in alert.subject
    assert "CCC" in alert.text and "Khun C" in alert.text and "nothing received" in alert.text
    assert "every row quarantined" in alert.text and "ทุกแถวถูกกักกัน" in alert.text
    assert [c["city_code"] for c in alert.payload["missing"]] == ["BBB", "CCC"]


# ---------------------------------------------------------------------------------------- smartcity check


def _check(run, monkeypatch, capsys, *args: str) -> tuple[int, str]:
    for name, value in run.as_env().items():
        monkeypatch.setenv(name, value)
    code = cli.main(["check", *args])
    return code, capsys.readouterr().out


def test_check_agrees_with_the_pipeline_and_writes_the_same_report(run, tmp_path, monkeypatch, capsys):
    landing = Path(run.landing)
    protected = [landing, run.state_dir, run.warehouse.parent]
    before = [tree_digest(root) for root in protected]
    code, out = _check(
        run, monkeypatch, capsys, str(landing / "submissions/2024-03/BBB.csv"), "--report", str(tmp_path)
    )
    assert code == 1
    quarantined = query(
        run.pipeline_db,
        "select row_number, reason_code, detail from dq.quarantine "
        "where source_file = 'submissions/2024-03/BBB.csv' order by row_number",
    )
    assert [reason for _, reason, _ in quarantined] == ["BAD_NUMBER", "UNKNOWN_PROJECT"]
    for row_number, reason, detail in quarantined:
        assert f"แถว / row {row_number} " in out and reason in out
        problem, fix = detail.rsplit(". Fix: ", 1)
        assert f"Problem: {problem}" in out and f"How to fix: {fix}" in out
    assert "อ่านความก้าวหน้าสะสมไม่ได้" in out and "ไม่พบรหัสโครงการในทะเบียน" in out
    assert "FAIL: 2 of 2 rows would be quarantined" in out.splitlines()[-2]
    assert "month: 2024-03" in out.lower() and "submissions/<YYYY-MM>/" in out
    # The same report the validate step wrote for the city, byte for byte (the CSV; XLSX carry timestamps).
    sent = run.reports_dir / "rejections" / "2024-03" / "BBB.csv"
    assert (tmp_path / "BBB.csv").read_bytes() == sent.read_bytes()
    assert (tmp_path / "BBB.xlsx").is_file()
    assert [tree_digest(root) for root in protected] == before


def test_check_compares_with_the_rows_already_accepted(run, tmp_path, monkeypatch, capsys):
    # AAA's February file sent again for March, and a good April row whose progress went down.
    again = tmp_path / "AAA_again.csv"
    again.write_bytes((Path(run.landing) / "submissions/2024-02/AAA.csv").read_bytes())
    code, out = _check(run, monkeypatch, capsys, str(again), "--month", "2024-03")
    assert code == 1
    assert out.count("· DUPLICATE") == 2
    assert "rows of these cities the pipeline accepted from landing months 2024-01 to 2024-02" in out
    lower = tmp_path / "AAA_april.csv"
    lower.write_text(HEADER + "AAA,A1,2024-04,70,310000,in_progress,,,2024-05-02T10:00:00+07:00\n")
    code, out = _check(run, monkeypatch, capsys, str(lower), "--month", "2024-04")
    assert code == 0
    assert "PROGRESS_DECREASED" in out and "lower than the 80 accepted for 2024-03" in out
    assert "PASS: all 1 rows would be accepted" in out


def test_without_a_state_the_check_compares_the_files_only_with_each_other(
    run, tmp_path, monkeypatch, capsys
):
    again = tmp_path / "AAA_again.csv"
    again.write_bytes((Path(run.landing) / "submissions/2024-02/AAA.csv").read_bytes())
    monkeypatch.setenv("SMARTCITY_WAREHOUSE", str(tmp_path / "fresh" / "warehouse.duckdb"))
    for name in ("SMARTCITY_LANDING",):
        monkeypatch.setenv(name, run.landing)
    code = cli.main(["check", str(again), "--month", "2024-03"])
    out = capsys.readouterr().out
    assert code == 0 and "· DUPLICATE" not in out
    assert "compared only with each other" in out and "PASS: all 2 rows would be accepted" in out
    assert not (tmp_path / "fresh").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.csv"], "is not a file"),
        (["{landing}/submissions/2024-03/AAA.csv", "--month", "2024-13"], "--month='2024-13' is not a month"),
        (["{landing}/submissions/2024-03/AAA.csv", "--report", "{state}/reports"], "never writes to"),
        (
            ["{landing}/submissions/2024-03/AAA.csv", "{landing}/submissions/2024-02/AAA.csv"],
            "different month folders",
        ),
    ],
)
def test_usage_mistakes_exit_2_with_a_sentence(run, monkeypatch, capsys, args, message):
    args = [a.format(landing=run.landing, state=run.state_dir) for a in args]
    code, out = _check(run, monkeypatch, capsys, *args)
    assert code == 2
    assert message in out and "Traceback" not in out
