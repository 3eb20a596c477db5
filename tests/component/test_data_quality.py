"""Data quality analysts can act on (real files, real GX suites, real dbt; no mocks): warnings that flag rows
without changing their outcome, critical suites that stop a run before publication, per-city rejection
reports safe to open in a spreadsheet, and the Data Docs page that shows what failed.

The landing area: February holds a late January row and every project's February row; March holds a row whose
progress and spend go down, a row spending above its budget, one faulty row per report (city AAA, city BBB,
an unknown city, an empty city, one with a formula in its remarks), and nothing for project A3 (silent since
January). Every expected value below is worked out by hand from these lines.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest

from smartcity.errors import PermanentError
from smartcity.ingestion.registry import RegistryError
from smartcity.pipeline import (
    RunPlan,
    plan_run,
    run_audit_marts,
    run_audit_registry,
    run_publish,
    run_pull,
    run_transform,
    run_validate,
)
from smartcity.validation.critical import CriticalCheckFailed
from tests.component.landing import CITIES, HEADER, PROJECTS, make_landing, query, settings_for

FEBRUARY, MARCH = date(2024, 2, 1), date(2024, 3, 1)
# A3 last reports in January; B2 is completed in January, so it is not expected to report any more.
MORE_PROJECTS = (
    PROJECTS
    + "A3,AAA,GOV,a3,A3,500000,2023-06,2024-12,public\n"
    + "B2,BBB,ECO,b2,B2,400000,2023-06,2024-01,private\n"
)
FEBRUARY_FILE = HEADER + (
    "AAA,A1,2024-01,40,300000,in_progress,,,2024-02-05T10:00:00+07:00\n"
    "AAA,A1,2024-02,50,400000,in_progress,,,2024-03-05T10:00:00+07:00\n"
    "AAA,A2,2024-02,20,500000,in_progress,,,2024-03-05T10:00:00+07:00\n"
    "AAA,A3,2024-01,10,10000,in_progress,,,2024-02-05T10:00:00+07:00\n"
    "BBB,B1,2024-02,60,1000000,in_progress,,,2024-03-05T10:00:00+07:00\n"
    "BBB,B2,2024-01,100,400000,completed,,,2024-02-05T10:00:00+07:00\n"
)
FORMULA = '=HYPERLINK("http://x")'
CITY_A = "submissions/2024-03/city_a.csv"
CITY_B = "submissions/2024-03/city_b.csv"
MARCH_A = HEADER + (
    # 1: progress 50 -> 45 and spend 400,000 -> 350,000 since February: two warnings, still accepted.
    "AAA,A1,2024-03,45,350000,in_progress,,,2024-04-05T10:00:00+07:00\n"
    # 2: spend 3,500,000 above A2's budget of 3,000,000: a warning, still accepted.
    "AAA,A2,2024-03,30,3500000,in_progress,,,2024-04-05T10:00:00+07:00\n"
    # 3: unknown city -> _unknown_city report.
    "ZZZ,A1,2024-03,50,1000,in_progress,,,2024-04-05T10:00:00+07:00\n"
    # 4: bad status, and a formula in the remarks. Its spend went down too, but a quarantined row gets no
    # warning: it is sent back with its reason instead.
    f'AAA,A2,2024-03,30,100,bogus,,"{FORMULA.replace(chr(34), chr(34) * 2)}",2024-04-05T10:00:00+07:00\n'
    # 5: no project code.
    "AAA,,2024-03,30,100,in_progress,,,2024-04-05T10:00:00+07:00\n"
)
MARCH_B = HEADER + (
    "BBB,B1,2024-03,70,1200000,in_progress,,,2024-04-05T10:00:00+07:00\n"
    # 2: A1 belongs to AAA.
    "BBB,A1,2024-03,70,1200000,in_progress,,,2024-04-05T10:00:00+07:00\n"
    # 3: no city code -> _unknown_city report.
    ",B1,2024-03,70,1200000,-5 units,,,2024-04-05T10:00:00+07:00\n"
)
EXPECTED_WARNINGS = [
    (CITY_A, 1, "AAA", "A1", "PROGRESS_DECREASED"),
    (CITY_A, 1, "AAA", "A1", "SPEND_DECREASED"),
    (CITY_A, 2, "AAA", "A2", "SPEND_ABOVE_BUDGET"),
    (None, None, "AAA", "A3", "PROJECT_SILENT"),
]
WARNINGS = (
    "select source_file, row_number, city_code, project_code, warning_code from dq.warnings "
    "where month = ? order by source_file nulls last, row_number, warning_code"
)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Pull and validate February and March, then build and publish the marts."""
    base = tmp_path_factory.mktemp("quality")
    landing = make_landing(
        base / "landing",
        {"2024-02": {"city.csv": FEBRUARY_FILE}, "2024-03": {"city_a.csv": MARCH_A, "city_b.csv": MARCH_B}},
        projects=MORE_PROJECTS,
    )
    settings = settings_for(landing, base / "w.duckdb")
    plan = plan_run(settings, "run-1")
    run_pull(settings, plan)
    run_audit_registry(settings, plan)
    outcome = run_validate(settings, plan)
    run_transform(settings, plan)
    run_audit_marts(settings, plan)
    run_publish(settings, plan)
    return {"settings": settings, "plan": plan, "outcome": outcome, "base": base}


def test_each_warning_is_recorded_for_its_row_or_project(run):
    db = run["settings"].pipeline_db
    assert query(db, WARNINGS, [MARCH]) == EXPECTED_WARNINGS
    assert query(db, WARNINGS, [FEBRUARY]) == []
    details = {
        (row, code): detail
        for row, code, detail in query(
            db, "select row_number, warning_code, detail from dq.warnings where month = ?", [MARCH]
        )
    }
    assert "45 for 2024-03 is lower than the 50 accepted for 2024-02" in details[(1, "PROGRESS_DECREASED")]
    assert "350,000.00 for 2024-03 is lower than the 400,000.00" in details[(1, "SPEND_DECREASED")]
    assert "3,500,000.00 is above the project's budget_thb 3,000,000.00" in details[(2, "SPEND_ABOVE_BUDGET")]
    assert (
        "no accepted report for 2024-02 or 2024-03 (last accepted report: 2024-01)"
        in details[(None, "PROJECT_SILENT")]
    )
    assert all("Fix: " in detail for detail in details.values())
    assert run["outcome"]["warnings"] == len(EXPECTED_WARNINGS)


def test_warnings_change_no_outcome(run):
    db = run["settings"].pipeline_db
    accepted = query(
        db,
        "select f.landing_path, s.row_number from validated.submissions s join raw.received_files f "
        "using (file_id) where s.received_month = ? order by 1, 2",
        [MARCH],
    )
    quarantined = query(
        db, "select source_file, row_number, reason_code from dq.quarantine where received_month = ? "
        "order by 1, 2", [MARCH]
    )  # fmt: skip
    assert accepted == [(CITY_A, 1), (CITY_A, 2), (CITY_B, 1)]
    assert quarantined == [
        (CITY_A, 3, "UNKNOWN_CITY"),
        (CITY_A, 4, "BAD_STATUS"),
        (CITY_A, 5, "MISSING_REQUIRED"),
        (CITY_B, 2, "PROJECT_CITY_MISMATCH"),
        (CITY_B, 3, "MISSING_REQUIRED"),
    ]
    runs = query(
        db, "select suite, success, evaluated_rows, failed_rows from dq.validation_runs where month = ? "
        "and suite like 'submission%' order by suite", [MARCH]
    )  # fmt: skip
    # Warning lines: the 3 accepted rows and the 4 projects of certified cities not completed (A1 A2 A3 B1).
    assert runs == [("submission_rows", False, 8, 5), ("submission_warnings", False, 3 + 4, 3)]
    # Published with the other dq tables.
    assert query(run["settings"].warehouse, WARNINGS, [MARCH]) == EXPECTED_WARNINGS


def test_validating_again_replaces_the_months_warnings(run):
    settings, plan = run["settings"], run["plan"]
    run_validate(settings, RunPlan(**{**plan.as_dict(), "run_id": "run-again"}))
    assert query(settings.pipeline_db, WARNINGS, [MARCH]) == EXPECTED_WARNINGS
    assert query(settings.pipeline_db, "select distinct run_id from dq.warnings") == [("run-again",)]


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _xlsx(path: Path) -> list[list]:
    sheet = openpyxl.load_workbook(path).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row), "a formula cell"
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_each_city_gets_its_rejected_rows_with_reasons_and_fixes(run):
    folder = run["settings"].reports_dir / "rejections"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.*")) == [
        "2024-03/AAA.csv", "2024-03/AAA.xlsx", "2024-03/BBB.csv", "2024-03/BBB.xlsx",
        "2024-03/_unknown_city.csv", "2024-03/_unknown_city.xlsx",
    ]  # fmt: skip
    expected = {
        "AAA": [(CITY_A, 4, "BAD_STATUS"), (CITY_A, 5, "MISSING_REQUIRED")],
        "BBB": [(CITY_B, 2, "PROJECT_CITY_MISMATCH")],
        "_unknown_city": [(CITY_A, 3, "UNKNOWN_CITY"), (CITY_B, 3, "MISSING_REQUIRED")],
    }
    for report, rows in expected.items():
        from_csv = _csv(folder / "2024-03" / f"{report}.csv")
        from_xlsx = _xlsx(folder / "2024-03" / f"{report}.xlsx")
        header = from_csv[0]
        assert header == from_xlsx[0]
        for label in ("แถวที่ / Row", "เหตุผล / Reason", "วิธีแก้ไข / How to fix", "ไฟล์ที่ส่ง / Source file"):
            assert label in header
        at = {label: header.index(label) for label in header}
        assert [
            (
                line[at["ไฟล์ที่ส่ง / Source file"]],
                int(line[at["แถวที่ / Row"]]),
                line[at["รหัสเหตุผล / Reason code"]],
            )
            for line in from_csv[1:]
        ] == rows
        assert [[str(v) if v is not None else "" for v in line] for line in from_xlsx[1:]] == from_csv[1:]
        assert all(line[at["วิธีแก้ไข / How to fix"]] for line in from_csv[1:])
    aaa = _csv(folder / "2024-03" / "AAA.csv")
    at = {label: aaa[0].index(label) for label in aaa[0]}
    assert aaa[1][at["เหตุผล / Reason"]] == "status 'bogus' is not an allowed status"
    assert aaa[1][at["สถานะ (ที่ส่งมา) / status (as sent)"]] == "bogus"
    assert aaa[1][at["โครงการ / Project"]] == "A2"


def test_formulas_from_submitters_are_neutralised_in_both_formats(run):
    folder = run["settings"].reports_dir / "rejections" / "2024-03"
    header = _csv(folder / "AAA.csv")[0]
    remarks = header.index("หมายเหตุ (ที่ส่งมา) / remarks (as sent)")
    assert _csv(folder / "AAA.csv")[1][remarks] == "'" + FORMULA
    cell = openpyxl.load_workbook(folder / "AAA.xlsx").active.cell(row=2, column=remarks + 1)
    assert (cell.value, cell.data_type) == ("'" + FORMULA, "s")
    # A status sent as '-5 units' starts with '-': neutralised too, wherever it lands.
    unknown = _csv(folder / "_unknown_city.csv")
    status = unknown[0].index("สถานะ (ที่ส่งมา) / status (as sent)")
    assert unknown[2][status] == "'-5 units"


def test_a_broken_registry_stops_the_run_before_any_month_naming_every_fault(tmp_path):
    broken = (
        CITIES.replace("TH-50", "TH-5O")  # letter O, not zero
        + "AAA,เมืองเอ,City A again,TH-10,Operator A,local_government,livable,city,certified,2021-05-01\n"
    )
    landing = make_landing(tmp_path / "landing", {"2024-03": {"city_b.csv": MARCH_B}}, cities=broken)
    settings = settings_for(landing, tmp_path / "w.duckdb")
    with pytest.raises(RegistryError) as failure:
        run_pull(settings, plan_run(settings, "run-broken"))
    message = str(failure.value)
    assert "registry/cities.csv row 3: city_code 'AAA' appears more than once" in message
    assert (
        "registry/cities.csv row 2, column 'province_code': 'TH-5O' is not a valid province code" in message
    )
    assert query(settings.pipeline_db, "select count(*) from raw.received_files") == [(0,)]
    assert not settings.warehouse.exists()


def test_a_registry_that_parses_but_breaks_the_registry_suite_stops_the_run(tmp_path):
    # Full-width digits (copied from a PDF) pass the parser's \d, not the suite's [0-9].
    landing = make_landing(
        tmp_path / "landing", {"2024-03": {"city_b.csv": MARCH_B}}, cities=CITIES.replace("TH-50", "TH-５０")
    )
    settings = settings_for(landing, tmp_path / "w.duckdb")
    plan = plan_run(settings, "run-registry")
    run_pull(settings, plan)
    with pytest.raises(CriticalCheckFailed) as failure:
        run_audit_registry(settings, plan)
    assert isinstance(failure.value, PermanentError)
    message = str(failure.value)
    assert "the critical suite 'registry' failed" in message
    assert "expect_column_values_to_match_regex on province_code" in message
    assert "city_code='BBB', province_code='TH-５０'" in message
    assert query(
        settings.pipeline_db, "select suite, success, evaluated_rows, failed_rows from audit.validation_runs"
    ) == [("registry", False, 2 + 3, 1)]
    # The run stopped at the audit: the file was received (and kept), nothing validated, nothing published.
    assert query(settings.pipeline_db, "select count(*) from raw.received_files") == [(1,)]
    assert query(settings.pipeline_db, "select count(*) from validated.submissions") == [(0,)]
    assert not settings.warehouse.exists()


def test_a_failing_marts_suite_leaves_the_published_warehouse_byte_identical(run):
    settings, plan = run["settings"], run["plan"]
    published = settings.warehouse.read_bytes()
    publications = query(settings.pipeline_db, "select run_id from pipeline.publications")
    con = duckdb.connect(str(settings.pipeline_db))
    try:  # the build database changed after transform: a mart value out of range, a programme total off
        con.execute(
            "update marts.city_progress_monthly set progress_pct = 140 where city_code = 'AAA' and month = ?",
            [MARCH],
        )
        con.execute(
            "update marts.program_summary_monthly set investment_value_thb = investment_value_thb + 1 "
            "where month = ?",
            [FEBRUARY],
        )
    finally:
        con.close()
    with pytest.raises(CriticalCheckFailed) as failure:
        run_audit_marts(settings, RunPlan(**{**plan.as_dict(), "run_id": "run-tampered"}))
    message = str(failure.value)
    assert "the critical suite 'marts' failed" in message
    assert (
        "expect_column_values_to_be_between on percentage: a percentage is outside 0-100 (1 line(s)); "
        "e.g. mart='city_progress_monthly', key='AAA', month=2024-03-01, measure='progress_pct', "
        "percentage=140.0" in message
    )
    assert "expect_column_values_to_be_in_set on total_matches_cities" in message
    assert (
        "month=2024-02-01, measure='investment_value_thb', "
        "programme_value=6900001.0, sum_over_cities=6900000.0" in message
    )
    assert settings.warehouse.read_bytes() == published
    assert query(settings.pipeline_db, "select run_id from pipeline.publications") == publications
    assert query(settings.warehouse, "select run_id from meta.publication") == [("run-1",)]
    assert not [p for p in settings.warehouse.parent.iterdir() if ".partial" in p.name]
    assert query(
        settings.pipeline_db,
        "select run_id, success, failed_rows from dq.validation_runs where suite = 'marts'",
    ) == [("run-tampered", False, 2)]
    # The Data Docs page named in the message lists the failing line.
    page = message.rsplit("Data Docs file://", 1)[1].strip()
    html = Path(page).read_text(encoding="utf-8")
    assert "percentage" in html and "140.0" in html and "city_progress_monthly" in html


def test_the_data_docs_index_lists_every_suite_run_without_scripts(run):
    index = run["settings"].state_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    html = index.read_text(encoding="utf-8")
    static = html[html.index('id="smartcity-static-index"') :]
    for suite in ("registry", "submission_rows", "submission_warnings", "marts"):
        assert f">{suite}</a>" in static
    assert "Failed" in static and "Succeeded" in static
    runs = json.dumps(query(run["settings"].pipeline_db, "select distinct suite from dq.validation_runs"))
    assert all(suite in runs for suite in ("registry", "submission_rows", "submission_warnings", "marts"))
