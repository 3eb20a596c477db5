"""Every reason code and warning code the suites use has its Thai name and fix (what `smartcity check` prints
to cities), and each column-specific text belongs to a column the suite really checks for that code."""

from __future__ import annotations

from smartcity.reporting.thai_messages import REASONS, WARNINGS, reason_text, warning_text
from smartcity.validation.suites import load_suite_definition


def _has_thai(text: str) -> bool:
    return any("\u0e00" <= c <= "\u0e7f" for c in text)


def test_every_reason_code_and_checked_column_has_thai_text():
    rows = load_suite_definition("submission_rows")
    assert set(REASONS) == set(rows["meta"]["reason_order"])
    checked = {(e["meta"]["reason_code"], e["kwargs"]["column"]) for e in rows["expectations"]}
    for code, column in checked:
        text = reason_text(code, column)
        assert _has_thai(text.name_th) and _has_thai(text.fix_th) and text.name_en, (code, column)
    for code, texts in REASONS.items():
        for column in texts:
            assert column is None or (code, column) in checked, (code, column)


def test_every_warning_code_has_thai_text():
    codes = {e["meta"]["warning_code"] for e in load_suite_definition("submission_warnings")["expectations"]}
    assert codes == set(WARNINGS)
    for code in codes:
        assert _has_thai(warning_text(code).name_th) and _has_thai(warning_text(code).fix_th)
