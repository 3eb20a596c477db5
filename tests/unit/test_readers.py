"""Readers on real files written to disk: every encoding, delimiter and format a city may send, and junk."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from smartcity.readers import RawRow, RawTable, UnreadableFile, read_registry_csv, read_table

THAI_HEADER = "รหัสเมือง,รหัสโครงการ,เดือนที่รายงาน,ความก้าวหน้าสะสม,เบิกจ่ายสะสม,สถานะ,ปัญหาอุปสรรค,หมายเหตุ,วันที่ส่ง"
CANONICAL = [
    "city_code",
    "project_code",
    "report_month",
    "progress_pct",
    "spend_to_date_thb",
    "status",
    "obstacles",
    "remarks",
    "submitted_at",
]


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def raw(row: RawRow) -> dict[str, object]:
    return json.loads(row.raw_record)


def assert_actionable(error: pytest.ExceptionInfo[UnreadableFile], *words: str) -> None:
    """The reason is one readable sentence that says what to do, not a traceback or a bare exception name."""
    reason = error.value.reason
    assert reason == str(error.value)
    assert "\n" not in reason and len(reason) > 30
    assert any(verb in reason for verb in ("export", "save", "send", "rename", "fix"))
    for word in words:
        assert word in reason


# ------------------------------------------------------------------------------------------------- CSV


def test_utf8_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.csv",
        "city_code,project_code,report_month,progress_pct,spend_to_date_thb,status,obstacles,remarks,submitted_at\n"
        'CM,CM-01,2024-03,45.5,"1,234,567.50",in_progress,"BUDGET;POLICY",ล่าช้า,2024-04-02T10:00:00+07:00\n'
        "CM,CM-02,มี.ค. 67,๔๕,0,completed,,,\n",
    )
    table = read_table(path)
    assert (table.file_format, table.encoding, table.delimiter) == ("csv", "utf-8", ",")
    assert table.columns == CANONICAL
    assert [row.row_number for row in table.rows] == [1, 2]
    first, second = table.rows
    assert first.values["spend_to_date_thb"] == "1,234,567.50"
    assert first.values["obstacles"] == "BUDGET;POLICY"
    assert first.values["remarks"] == "ล่าช้า"
    assert second.values["report_month"] == "มี.ค. 67"
    assert second.values["progress_pct"] == "๔๕"
    assert second.values["obstacles"] is None and second.values["submitted_at"] is None
    assert raw(second)["report_month"] == "มี.ค. 67"


def test_utf8_bom_csv_with_thai_headers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.csv", "\ufeff" + THAI_HEADER + "\r\nCM,CM-01,มีนาคม 2567,45.5 %,100,in_progress,,,\r\n"
    )
    table = read_table(path)
    assert table.encoding == "utf-8-sig"
    assert table.columns == CANONICAL
    assert table.rows[0].values["report_month"] == "มีนาคม 2567"
    assert table.rows[0].values["progress_pct"] == "45.5 %"
    assert list(raw(table.rows[0])) == THAI_HEADER.split(",")  # original header names, BOM gone


def test_cp874_csv_with_thai_headers_and_text(tmp_path: Path) -> None:
    text = THAI_HEADER + '\r\nCM,CM-01,มี.ค. 67,๔๕.๕,"๑,๒๓๔",in_progress,BUDGET,งบประมาณล่าช้า,\r\n'
    table = read_table(write(tmp_path / "tis620.csv", text, "cp874"))
    assert table.encoding == "cp874"
    assert table.columns == CANONICAL
    values = table.rows[0].values
    assert values["report_month"] == "มี.ค. 67"
    assert values["progress_pct"] == "๔๕.๕"
    assert values["spend_to_date_thb"] == "๑,๒๓๔"
    assert values["remarks"] == "งบประมาณล่าช้า"
    assert raw(table.rows[0])["หมายเหตุ"] == "งบประมาณล่าช้า"


def test_semicolon_delimiter_keeps_decimal_commas_verbatim(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.csv",
        "city_code;project_code;progress_pct;obstacles\nCM;CM-01;45,5 %;BUDGET,POLICY\n",
    )
    table = read_table(path)
    assert table.delimiter == ";"
    assert table.columns == ["city_code", "project_code", "progress_pct", "obstacles"]
    assert table.rows[0].values["progress_pct"] == "45,5 %"
    assert table.rows[0].values["obstacles"] == "BUDGET,POLICY"


def test_delimiter_is_chosen_outside_quotes(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "a.csv", '"a;b;c",d\n1,2\n'))
    assert table.delimiter == ","
    assert table.columns == ["a;b;c", "d"]


def test_blank_lines_are_not_rows_and_do_not_consume_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.csv", '\n\ncity_code,remarks\n\nCM,one\n,\n  ,\t\nCM,"two\nlines"\n\nCM,three\n'
    )
    table = read_table(path)
    assert table.columns == ["city_code", "remarks"]
    assert [(row.row_number, row.values["remarks"]) for row in table.rows] == [
        (1, "one"),
        (2, "two\nlines"),
        (3, "three"),
    ]


def test_values_are_kept_exactly_as_found(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "a.csv", 'city_code,remarks\n  cm ," keep  this "\n'))
    assert table.rows[0].values == {"city_code": "  cm ", "remarks": " keep  this "}


def test_extra_and_missing_cells(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "city_code,project_code,remarks\nCM,CM-01,x,surplus,,more\nCM\n")
    long, short = read_table(path).rows
    assert long.values == {"city_code": "CM", "project_code": "CM-01", "remarks": "x"}
    assert raw(long) == {
        "city_code": "CM",
        "project_code": "CM-01",
        "remarks": "x",
        "_extra_1": "surplus",
        "_extra_3": "more",
    }
    assert short.values == {"city_code": "CM", "project_code": None, "remarks": None}
    assert raw(short) == {"city_code": "CM", "project_code": None, "remarks": None}


def test_blank_and_duplicate_headers(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "city_code,,รหัสเมือง,city_code,city_code\nCM,note,XX,YY,ZZ\nCM,,,,\n")
    table = read_table(path)
    assert table.columns == ["city_code"]
    first, second = table.rows
    assert first.values == {"city_code": "CM"}  # the first column that means city_code wins
    assert raw(first) == {
        "city_code": "CM",
        "_column_2": "note",
        "รหัสเมือง": "XX",
        "city_code (2)": "YY",
        "city_code (3)": "ZZ",
    }
    assert "_column_2" not in raw(second)


def test_english_headers_are_canonicalised_and_unknown_ones_kept(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "a.csv", "City Code,Progress (%),Contact Person\nCM,50,Somchai\n"))
    assert table.columns == ["city_code", "progress_(%)", "contact_person"]
    assert raw(table.rows[0]) == {"City Code": "CM", "Progress (%)": "50", "Contact Person": "Somchai"}


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n  \n", b",,,\n,,\n"])
def test_a_file_without_header_is_an_empty_table(tmp_path: Path, content: bytes) -> None:
    table = read_table(write(tmp_path / "empty.csv", content))
    assert (table.columns, table.rows) == ([], [])


def test_header_only(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "a.CSV", THAI_HEADER + "\n"))
    assert table.columns == CANONICAL
    assert table.rows == []


# ------------------------------------------------------------------------------------------------ XLSX


def test_xlsx_cells_become_faithful_text(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "a.xlsx",
        [
            THAI_HEADER.split(","),
            ["CM", "CM-01", date(2024, 3, 1), 45.5, 1234567, "in_progress", None, "งบประมาณล่าช้า", None],
            [None] * 9,
            [
                "CM",
                "CM-02",
                "มี.ค. 67",
                100.0,
                0.1 + 0.2,
                "completed",
                "BUDGET",
                True,
                datetime(2024, 4, 2, 9, 30),
            ],
            ["CM", "CM-03", datetime(2024, 3, 1), 12, 1e20, "", "", False, "45,5 %"],
        ],
    )
    table = read_table(path)
    assert (table.file_format, table.encoding, table.delimiter) == ("xlsx", None, None)
    assert table.columns == CANONICAL
    assert [row.row_number for row in table.rows] == [1, 2, 3]
    first, second, third = (row.values for row in table.rows)
    assert first["report_month"] == "2024-03-01"
    assert first["progress_pct"] == "45.5"
    assert first["spend_to_date_thb"] == "1234567"
    assert first["remarks"] == "งบประมาณล่าช้า"
    assert first["obstacles"] is None
    assert second["progress_pct"] == "100"
    assert second["spend_to_date_thb"] == "0.3"  # Excel's 15 significant digits, not float noise
    assert second["remarks"] == "true"
    assert second["submitted_at"] == "2024-04-02T09:30:00"
    assert third["report_month"] == "2024-03-01"
    assert third["spend_to_date_thb"] == "100000000000000000000"
    assert third["status"] is None
    assert third["remarks"] == "false"
    assert third["submitted_at"] == "45,5 %"
    assert raw(table.rows[0])["ความก้าวหน้าสะสม"] == "45.5"


def test_xlsx_reads_the_first_sheet_only(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["city_code"])
    workbook.active.append(["FIRST"])
    workbook.create_sheet("other").append(["city_code"])
    workbook.save(tmp_path / "a.xlsx")
    assert [row.values for row in read_table(tmp_path / "a.xlsx").rows] == [{"city_code": "FIRST"}]


def test_xlsx_empty_sheet_and_header_only(tmp_path: Path) -> None:
    empty = read_table(xlsx(tmp_path / "empty.xlsx", []))
    assert (empty.columns, empty.rows) == ([], [])
    header_only = read_table(xlsx(tmp_path / "header.XLSX", [["city_code", "สถานะ"]]))
    assert (header_only.columns, header_only.rows) == (["city_code", "status"], [])


# ------------------------------------------------------------------------------------------------ JSON


def test_json_array_of_objects(tmp_path: Path) -> None:
    text = (
        '[{"รหัสเมือง": "CM", "project_code": "CM-01", "progress_pct": 45.50, "spend_to_date_thb": 1234567,'
        ' "obstacles": ["BUDGET", "POLICY"], "remarks": null, "extra": {"a": 1}, "flag": true},'
        " {},"
        ' {"city_code": "CM", "report_month": "มี.ค. 67", "progress_pct": "45,5 %", "flag": false}]'
    )
    table = read_table(write(tmp_path / "a.json", text))
    assert (table.file_format, table.encoding, table.delimiter) == ("json", "utf-8", None)
    assert table.columns == [
        "city_code",
        "project_code",
        "progress_pct",
        "spend_to_date_thb",
        "obstacles",
        "remarks",
        "extra",
        "flag",
        "report_month",
    ]
    assert [row.row_number for row in table.rows] == [1, 3]  # array index + 1; the empty object is no row
    first, third = table.rows
    assert first.values["city_code"] == "CM"
    assert first.values["progress_pct"] == "45.50"  # the number as written
    assert first.values["spend_to_date_thb"] == "1234567"
    assert first.values["obstacles"] == '["BUDGET","POLICY"]'
    assert first.values["extra"] == '{"a":1}'
    assert first.values["flag"] == "true"
    assert first.values["remarks"] is None and first.values["report_month"] is None
    assert raw(first)["รหัสเมือง"] == "CM"
    assert raw(first)["progress_pct"] == 45.5
    assert third.values["progress_pct"] == "45,5 %"
    assert third.values["flag"] == "false"
    assert third.values["project_code"] is None


def test_json_with_bom_and_empty_json(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "a.json", '\ufeff[{"city_code": "CM"}]'))
    assert table.encoding == "utf-8-sig"
    assert table.rows[0].values == {"city_code": "CM"}
    for content in ("[]", "", "  \n"):
        empty = read_table(write(tmp_path / "e.json", content))
        assert (empty.columns, empty.rows) == ([], [])


# ------------------------------------------------------------------------------------------- unreadable


def test_random_bytes_named_xlsx(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "a.xlsx", os.urandom(2048)))
    assert_actionable(error, "not a valid XLSX workbook", ".xlsx")


def test_truncated_xlsx(tmp_path: Path) -> None:
    data = xlsx(tmp_path / "good.xlsx", [["city_code"], *[[f"CITY_{i}"] for i in range(500)]]).read_bytes()
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "cut.xlsx", data[: len(data) // 2]))
    assert_actionable(error, "not a valid XLSX workbook")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "a.xlsx", buffer.getvalue()))
    assert_actionable(error, "not a valid XLSX workbook")


def test_old_xls_named_xlsx(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000)))
    assert_actionable(error, "97-2003")


def test_binary_junk_named_csv(tmp_path: Path) -> None:
    junk = bytes(range(256)) * 8
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "a.csv", junk))
    assert_actionable(error, "does not look like a text CSV file")


def test_nul_bytes_in_an_otherwise_text_csv(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "a.csv", b"city_code\nCM\x00\x00\n"))
    assert_actionable(error, "does not look like a text CSV file")


def test_utf16_and_workbook_named_csv_get_specific_advice(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "a.csv", "city_code\nCM\n", "utf-16"))
    assert_actionable(error, "UTF-16", "CSV UTF-8")
    workbook = xlsx(tmp_path / "book.xlsx", [["city_code"]]).read_bytes()
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "b.csv", workbook))
    assert_actionable(error, "rename it to .xlsx")


def test_json_object_instead_of_array(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "a.json", '{"city_code": "CM"}'))
    assert_actionable(error, "JSON object, not an array")


def test_json_array_element_that_is_not_an_object(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "a.json", '[{"city_code": "CM"}, {"city_code": "CM"}, "CM"]'))
    assert_actionable(error, "element 3", "string")


def test_invalid_json_quotes_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "a.json", '[\n  {"city_code": "CM",}\n]'))
    assert_actionable(error, "not valid JSON", "line 2, column 22")


def test_json_not_in_utf8(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / "a.json", '[{"remarks": "ล่าช้า"}]', "cp874"))
    assert_actionable(error, "not UTF-8")


@pytest.mark.parametrize("name", ["a.xls", "a.txt", "a.parquet", "noext"])
def test_unsupported_file_types(tmp_path: Path, name: str) -> None:
    with pytest.raises(UnreadableFile) as error:
        read_table(write(tmp_path / name, "city_code\nCM\n"))
    assert_actionable(error, ".csv, .xlsx or .json")


def test_a_missing_path_is_the_callers_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_table(tmp_path / "nowhere.csv")


# -------------------------------------------------------------------------------------------- registry


def test_read_registry_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path / "cities.csv",
        "\ufeff City_Code ;Name_TH;status_since;\n\nCM;เชียงใหม่;2564-01-15;\nKK;;;\nLONG\n",
    )
    assert read_registry_csv(path) == [
        {"city_code": "CM", "name_th": "เชียงใหม่", "status_since": "2564-01-15"},
        {"city_code": "KK", "name_th": None, "status_since": None},
        {"city_code": "LONG", "name_th": None, "status_since": None},
    ]


def test_read_registry_csv_in_cp874(tmp_path: Path) -> None:
    path = write(tmp_path / "cities.csv", "city_code,name_th\nMAE_MOH,แม่เมาะเมืองน่าอยู่\n", "cp874")
    assert read_registry_csv(path) == [{"city_code": "MAE_MOH", "name_th": "แม่เมาะเมืองน่าอยู่"}]


def test_read_registry_csv_rejects_binary(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile):
        read_registry_csv(write(tmp_path / "cities.csv", bytes(range(256))))
    assert read_registry_csv(write(tmp_path / "empty.csv", b"")) == []


def test_dataclasses_are_frozen() -> None:
    row = RawRow(1, {}, "{}")
    with pytest.raises(AttributeError):
        row.row_number = 2  # type: ignore[misc]
    assert RawTable([], [], "csv", "utf-8", ",").rows == []
