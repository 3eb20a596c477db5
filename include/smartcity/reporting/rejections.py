"""Per-city rejection reports: every quarantined row of a landing month, ready to send back to the city.

For each city with quarantined rows, `<reports>/rejections/<YYYY-MM>/<city_code>.csv` and `.xlsx` list each
row with its file, row number, project, reason code, what is wrong and how to fix it (Thai and English
headers), then the row's values exactly as sent. Rows whose city is empty or not in the registry go to
`_unknown_city`. A month's reports are rewritten whenever the month is validated again.

The values come from the cities themselves, and these files are opened in spreadsheets: both writers pass
every cell through `neutralise`, so text a spreadsheet would run as a formula (`=HYPERLINK(...)`, `+`, `-`,
`@`, or a leading tab or carriage return) is shown as text instead. A report's file name comes from a
registered city code, made safe all the same, so that it always stays in the month's folder.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from smartcity.normalize import SUBMISSION_COLUMNS, THAI_HEADER_ALIASES

log = logging.getLogger(__name__)

UNKNOWN_CITY = "_unknown_city"
# OWASP's list for CSV injection: text starting with = + - @, a tab or a carriage return. Also when spaces
# or control characters come first (some spreadsheets skip them), and the full-width forms ＝＋－＠ that
# East Asian input converts.
_FORMULA_START = re.compile(r"[\t\r]|[\s\x00-\x1f]*[=+\-@＝＋－＠]")
_XLSX_MAX_CELL_CHARS = 32_767  # Excel's limit; a longer string makes it "repair" the whole workbook
_REPORT_NAME = re.compile(r"[A-Za-z0-9_-]{1,60}")
_THAI_HEADER = {column: thai for thai, column in THAI_HEADER_ALIASES.items()}
HEADERS = [
    "ไฟล์ที่ส่ง / Source file",
    "แถวที่ / Row",
    "โครงการ / Project",
    "รหัสเหตุผล / Reason code",
    "เหตุผล / Reason",
    "วิธีแก้ไข / How to fix",
    *(f"{_THAI_HEADER[column]} (ที่ส่งมา) / {column} (as sent)" for column in SUBMISSION_COLUMNS),
]
QUARANTINED_ROWS = f"""
select
    coalesce(cities.city_code, '{UNKNOWN_CITY}') as report,
    quarantine.source_file,
    quarantine.row_number,
    quarantine.project_code,
    quarantine.reason_code,
    quarantine.detail,
    {", ".join(f"sent.{column}" for column in SUBMISSION_COLUMNS)}
from audit.quarantine as quarantine
left join raw.submission_rows as sent
    on quarantine.file_id = sent.file_id and quarantine.row_number = sent.row_number
left join registry.cities as cities on quarantine.city_code = cities.city_code
where quarantine.received_month = ?
order by report, quarantine.source_file, quarantine.row_number
"""  # noqa: S608 (column names are constants)


def neutralise(value: Any) -> Any:
    """A cell value that a spreadsheet shows as text: a leading apostrophe before formula-starting text.

    Only text is changed. Numbers and None are returned unchanged: a number we write (a row number) is a
    value, never a formula, and a negative one must stay a number a spreadsheet can sort and sum. Values the
    city sent are text here, so its '-5' or '=1+1' does get the apostrophe. Neutralising twice changes
    nothing: the result starts with the apostrophe."""
    if isinstance(value, str) and _FORMULA_START.match(value):
        return "'" + value
    return value


def report_file_stem(report: str) -> str:
    """The file name (without suffix) of a report: the city code when it is a plain code, as registered
    codes are; anything else (a '../../x' that got past the registry) is cleaned and made unique by a
    checksum, so that no report is written outside its folder or over another."""
    if _REPORT_NAME.fullmatch(report):
        return report
    digest = hashlib.sha256(report.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{re.sub(r'[^A-Za-z0-9_-]+', '_', report)[:40]}-{digest}"


def _report_line(row: tuple) -> list[Any]:
    _, source_file, row_number, project_code, reason_code, detail, *sent = row
    # The detail is '<problem>. Fix: <fix>' (validation.dq_tables.describe); the fix text is ours, never the
    # city's, so the last separator is the right one.
    reason, separator, fix = detail.rpartition(". Fix: ")
    if not separator:
        reason, fix = detail, ""
    return [source_file, row_number, project_code, reason_code, reason, fix, *sent]


def write_csv(path: Path, lines: list[list[Any]]) -> None:
    # UTF-8 with a BOM, so spreadsheet programs read the Thai text correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        for line in [HEADERS, *lines]:
            writer.writerow(["" if value is None else neutralise(value) for value in line])


def write_xlsx(path: Path, lines: list[list[Any]], title: str) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row_index, line in enumerate([HEADERS, *lines], start=1):
        for column_index, value in enumerate(map(neutralise, line), start=1):
            cell = sheet.cell(row=row_index, column=column_index)
            if isinstance(value, str):
                # Set as a string explicitly: openpyxl would store text starting with '=' as a formula.
                cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)[:_XLSX_MAX_CELL_CHARS]
                cell.data_type = "s"
            else:
                cell.value = value
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column_cells in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column_cells)
        sheet.column_dimensions[column_cells[0].column_letter].width = min(max(width, 8) + 2, 60)
    sheet.freeze_panes = "A2"
    book.save(path)


def rejection_lines(con: duckdb.DuckDBPyConnection, month: date) -> dict[str, list[list[Any]]]:
    """The lines of each report of a landing month, by report (city code, or UNKNOWN_CITY)."""
    by_report: dict[str, list[list[Any]]] = {}
    for row in con.execute(QUARANTINED_ROWS, [month]).fetchall():
        by_report.setdefault(row[0], []).append(_report_line(row))
    return by_report


def write_report_files(target: Path, by_report: dict[str, list[list[Any]]]) -> list[Path]:
    """One CSV and one XLSX per report in `target` (created if needed); returns the files written. Used by
    the validate step and by `smartcity check`, so a city gets the same report from both."""
    if not by_report:
        return []
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for report, lines in by_report.items():
        stem = report_file_stem(report)
        write_csv(target / f"{stem}.csv", lines)
        write_xlsx(target / f"{stem}.xlsx", lines, title="แถวที่ถูกปฏิเสธ Rejected rows")
        written += [target / f"{stem}.csv", target / f"{stem}.xlsx"]
    return written


def write_rejection_reports(con: duckdb.DuckDBPyConnection, folder: Path, month: date) -> list[Path]:
    """Rewrite `<folder>/<YYYY-MM>/` with one CSV and one XLSX per city with quarantined rows."""
    target = folder / month.strftime("%Y-%m")
    shutil.rmtree(target, ignore_errors=True)
    by_report = rejection_lines(con, month)
    written = write_report_files(target, by_report)
    if written:
        log.info(
            "rejection reports %s: %d quarantined row(s) for %d report(s) in %s",
            f"{month:%Y-%m}",
            sum(len(lines) for lines in by_report.values()),
            len(by_report),
            target,
        )
    return written
