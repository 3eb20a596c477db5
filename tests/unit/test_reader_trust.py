"""Readers on files that are ordinary in a Thai office and used to publish wrong figures: a CSV cut off by
an upload, one unclosed quote, a workbook whose first sheet is a cover page or hidden, JSON naming a key
twice."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from smartcity.normalize import SUBMISSION_COLUMNS
from smartcity.readers import UnreadableFile, read_table

HEADER = ",".join(SUBMISSION_COLUMNS) + "\n"
ROW = "AAA,A{n},2024-03,47.5,1000,in_progress,,,2024-04-05T10:00:00+07:00\n"


def rows(count: int) -> str:
    return "".join(ROW.format(n=n) for n in range(1, count + 1))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_cut_off_mid_row_is_incomplete_not_a_short_last_row(tmp_path):
    whole = HEADER + rows(3)
    cut = whole[: whole.rindex("47.5") + 2]  # "...,2024-03,47": the upload stopped mid-row
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "cut.csv", cut))
    assert error.value.code == "INCOMPLETE"
    assert "cut off" in error.value.reason and "send the whole file again" in error.value.reason
    assert len(read_table(write(tmp_path / "whole.csv", whole)).rows) == 3


def test_a_last_row_without_a_line_end_is_complete_when_it_has_every_column(tmp_path):
    table = read_table(write(tmp_path / "no-newline.csv", HEADER + rows(2).rstrip("\n")))
    assert [row.values["progress_pct"] for row in table.rows] == ["47.5", "47.5"]


def test_a_short_row_followed_by_others_is_only_a_short_row(tmp_path):
    table = read_table(write(tmp_path / "short.csv", HEADER + "AAA,A1,2024-03,40\n" + rows(1)))
    assert len(table.rows) == 2 and table.rows[0].values["status"] is None


def test_an_unclosed_quote_that_swallows_the_following_rows_refuses_the_file(tmp_path):
    text = HEADER + 'AAA,A1,2024-03,10,1000,in_progress,,"waiting for,2024-04-05\n' + rows(3)
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "unclosed.csv", text))
    reason = error.value.reason
    assert "quote" in reason and "column 8" in reason and "3 line(s)" in reason
    assert "close the quote" in reason


def test_an_unclosed_quote_closed_further_down_refuses_the_file_too(tmp_path):
    text = HEADER + 'AAA,A1,2024-03,10,1000,in_progress,,"waiting\n' + rows(2) + 'x",2024-04-05\n' + rows(1)
    with pytest.raises(UnreadableFile, match="2 line"):
        read_table(write(tmp_path / "closed-later.csv", text))


def test_a_remark_on_several_lines_is_kept_as_it_was_written(tmp_path):
    remark = "line one, with a comma\nline two; and, three, commas"
    text = HEADER + f'AAA,A1,2024-03,10,1000,in_progress,,"{remark}",2024-04-05\n'
    (row,) = read_table(write(tmp_path / "multiline.csv", text)).rows
    assert row.values["remarks"] == remark


def _workbook(path: Path, sheets: list[tuple[str, list[list[object]], str]], active: int) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, content, state in sheets:
        sheet = book.create_sheet(title)
        for line in content:
            sheet.append(line)
        sheet.sheet_state = state
    book.active = active
    book.save(path)
    return path


DATA = [list(SUBMISSION_COLUMNS), ["AAA", "A1", "2024-03", 47.5, 1000, "in_progress"]]
THAI_DATA = [["รหัสเมือง", "รหัสโครงการ", "เดือนที่รายงาน", "ความก้าวหน้าสะสม"], ["AAA", "A2", "มี.ค. 67", 10]]
COVER = [["Monthly report of City A"], ["prepared by the planning office"]]


def test_the_sheet_with_the_header_is_read_not_a_cover_page_before_it(tmp_path):
    path = _workbook(tmp_path / "cover.xlsx", [("Cover", COVER, "visible"), ("Data", DATA, "visible")], 0)
    (row,) = read_table(path).rows
    assert row.values["project_code"] == "A1"


def test_a_hidden_first_sheet_is_not_read_when_a_visible_one_has_the_header(tmp_path):
    old = [list(SUBMISSION_COLUMNS), ["AAA", "A9", "2020-01", 1]]
    path = _workbook(tmp_path / "hidden.xlsx", [("Old", old, "hidden"), ("Data", THAI_DATA, "visible")], 1)
    (row,) = read_table(path).rows
    assert row.values["project_code"] == "A2"  # Thai headers count as the contract's header


def test_the_active_sheet_wins_among_sheets_with_the_header(tmp_path):
    two = [list(SUBMISSION_COLUMNS), ["AAA", "A7", "2024-03", 70]]
    path = _workbook(tmp_path / "two.xlsx", [("One", DATA, "visible"), ("Two", two, "visible")], 1)
    assert [row.values["project_code"] for row in read_table(path).rows] == ["A7"]


def test_without_a_header_sheet_the_active_visible_sheet_is_read(tmp_path):
    path = _workbook(tmp_path / "cover-only.xlsx", [("Cover", COVER, "visible")], 0)
    table = read_table(path)
    assert "city_code" not in table.columns and len(table.rows) == 1  # its rows lack every required column


def test_a_workbook_with_no_usable_sheet_is_refused_with_the_sheet_names(tmp_path):
    # Excel keeps a sheet visible; a tool that hides them all leaves no active visible sheet to fall back on.
    path = _workbook(
        tmp_path / "none.xlsx", [("Cover", COVER, "visible"), ("Notes", [["notes"]], "hidden")], 0
    )
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'state="visible"', b'state="hidden"')
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    with pytest.raises(UnreadableFile) as error:
        read_table(path)
    assert "'Cover'" in error.value.reason and "'Notes'" in error.value.reason
    assert "header" in error.value.reason


def test_json_naming_a_key_twice_with_different_values_is_refused(tmp_path):
    text = '[{"city_code": "AAA", "project_code": "A1", "progress_pct": 40, "progress_pct": 45}]'
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "twice.json", text))
    assert "'progress_pct' twice" in error.value.reason and "'40'" in error.value.reason
    assert "element 1" in error.value.reason


def test_json_repeating_a_key_with_the_same_value_is_read(tmp_path):
    text = json.dumps([{"city_code": "AAA"}])[:-2] + ', "city_code": "AAA"}]'
    (row,) = read_table(write(tmp_path / "same.json", text)).rows
    assert row.values["city_code"] == "AAA"
