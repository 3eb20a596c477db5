"""The output of `smartcity check`, in Thai and English: each row that would be quarantined with its reason
and how to fix it, each warning, and a one-line verdict.

File names and values come from the files checked: every character a terminal would act on (control
characters, escape sequences, line breaks) is shown escaped, so a file cannot forge a line of the verdict.
"""

from __future__ import annotations

from collections import Counter

from smartcity.parsing import THAI_MONTH_ABBREVIATIONS
from smartcity.reporting.thai_messages import reason_text, warning_text
from smartcity.validation.preflight import CheckResult, Flagged, Quarantined


def shown(text: object) -> str:
    """Text safe to print: what is not printable (controls, line breaks, format characters) is escaped."""
    value = str(text)
    if value.isprintable():
        return value
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in value)


def _split(detail: str) -> tuple[str, str]:
    """'<problem>. Fix: <fix>' (validation.dq_tables.describe): the fix is ours, so the last separator."""
    problem, separator, fix = detail.rpartition(". Fix: ")
    return (problem, fix) if separator else (detail, "")


def _row(row_number: int | None) -> str:
    return f"แถว / row {row_number}" if row_number is not None else "ทั้งโครงการ / whole project"


def _quarantined_lines(item: Quarantined) -> list[str]:
    text = reason_text(item.reason_code, item.column)
    problem, fix = _split(item.detail)
    return [
        f"  ✗ {_row(item.row_number)} · โครงการ / project {shown(item.project_code or '-')} · "
        f"{item.reason_code}",
        f"      ปัญหา: {text.name_th}",
        f"      Problem: {shown(problem)}",
        f"      วิธีแก้ไข: {text.fix_th}",
        f"      How to fix: {shown(fix)}",
    ]


def _warning_lines(item: Flagged) -> list[str]:
    text = warning_text(item.warning_code)
    problem, fix = _split(item.detail)
    return [
        f"  ! คำเตือน / warning · {_row(item.row_number)} · โครงการ / project {shown(item.project_code)} · "
        f"{item.warning_code}",
        f"      ข้อสังเกต: {text.name_th}",
        f"      Note: {shown(problem)}",
        f"      สิ่งที่ควรตรวจ: {text.fix_th}",
        f"      What to check: {shown(fix)}",
    ]


def verdict(result: CheckResult) -> str:
    """One line: would every row be accepted?"""
    rows = result.rows_read
    if result.all_accepted:
        th = f"ผ่าน: ทั้ง {rows:,} แถวจะได้รับการยอมรับ"
        en = f"PASS: all {rows:,} rows would be accepted"
        if result.warnings:
            th += f" (มีคำเตือน {len(result.warnings):,} รายการ)"
            en += f" ({len(result.warnings):,} warning(s) to look at)"
        return f"ผลการตรวจ / Verdict: {th} / {en}."
    parts_th, parts_en = [], []
    if result.quarantined:
        parts_th.append(f"{len(result.quarantined):,} จาก {rows:,} แถวจะถูกกักกัน")
        parts_en.append(f"{len(result.quarantined):,} of {rows:,} rows would be quarantined")
    if result.refused_files:
        parts_th.append(f"{len(result.refused_files):,} ไฟล์จะถูกปฏิเสธทั้งไฟล์")
        parts_en.append(f"{len(result.refused_files):,} file(s) would be rejected whole")
    return (
        f"ผลการตรวจ / Verdict: ไม่ผ่าน: {' และ '.join(parts_th)} แก้ไขแล้วตรวจอีกครั้ง / "
        f"FAIL: {' and '.join(parts_en)}; fix them and check again."
    )


def render(result: CheckResult) -> str:
    month = result.month
    lines = [
        "smartcity check: ตรวจไฟล์ก่อนส่ง / pre-flight check of a submission",
        f"เดือนที่ตรวจ / Month: {month:%Y-%m} ({THAI_MONTH_ABBREVIATIONS[month.month - 1]} {month.year + 543}), "
        f"from {result.month_source}",
        f"ทะเบียน / Registry: {shown(result.registry)}",
        f"เทียบกับ / Compared with: {shown(result.history)}",
    ]
    by_file_rows: dict[str, list[Quarantined]] = {}
    for item in result.quarantined:
        by_file_rows.setdefault(item.source_file, []).append(item)
    by_file_warnings: dict[str | None, list[Flagged]] = {}
    for warning in result.warnings:
        by_file_warnings.setdefault(warning.source_file, []).append(warning)
    for checked in result.files:
        lines.append("")
        lines.append(f"ไฟล์ / File: {shown(checked.source_file)} ({checked.rows:,} แถว / rows)")
        if checked.refused is not None:
            lines.append("  ✗ ไฟล์นี้จะถูกปฏิเสธทั้งไฟล์ / The whole file would be rejected:")
            lines.append(f"      {shown(checked.refused)}")
            continue
        if checked.rows == 0:
            lines.append("  ! ไม่มีแถวข้อมูลในไฟล์ / The file holds no data row: nothing would be reported")
        for item in by_file_rows.get(checked.source_file, []):
            lines += _quarantined_lines(item)
        for warning in by_file_warnings.get(checked.source_file, []):
            lines += _warning_lines(warning)
    silent = by_file_warnings.get(None, [])
    if silent:
        lines.append("")
        lines.append("โครงการที่ยังไม่มีรายงาน / Projects without an accepted report:")
        for warning in silent:
            lines += _warning_lines(warning)
    lines.append("")
    if result.quarantined:
        counts = Counter(item.reason_code for item in result.quarantined)
        lines.append(
            "เหตุผล / Reasons: " + ", ".join(f"{code} {count:,}" for code, count in sorted(counts.items()))
        )
    lines.append(verdict(result))
    return "\n".join(lines)
