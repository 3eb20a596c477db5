"""The readers give exactly what the readers before them gave (tests/unit/reference_readers.py, the Python
readers as they were, kept here as the reference): on generated CSV, XLSX and JSON files, the same columns,
row numbers, values, `raw_record` byte for byte, format, encoding and delimiter, or the same refusal in the
same words.

CSV is read by DuckDB when its text is well-formed and by the csv module otherwise: both paths are checked
against the reference, the first on every file it takes, the second on every file. XLSX is read by calamine
where the reference used openpyxl; the two read a workbook differently in two documented ways, written out
where they apply (docs/data-contract.md, "Limits"): whitespace-only text written without xml:space="preserve"
is empty, and numbers are shown with Excel's 15 significant digits.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from smartcity.config import SAMPLE_LANDING
from smartcity.normalize import SUBMISSION_COLUMNS, THAI_HEADER_ALIASES
from smartcity.readers import RawTable, ReadLimits, UnreadableFile, csv_reader, read_table
from tests.unit import reference_readers as reference

EXAMPLES = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
LIMITS = ReadLimits(max_bytes=4 << 20, max_rows=60)  # small caps, so that generated files reach them


def outcome(read, path: Path, limits: ReadLimits) -> RawTable | tuple[str, str]:
    try:
        return read(path, limits)
    except (UnreadableFile, reference.UnreadableFile) as refused:
        return (refused.code, refused.reason)


def comparable(result: RawTable | tuple[str, str]) -> object:
    if isinstance(result, tuple):
        return result
    return (
        result.columns,
        [(row.row_number, row.values, row.raw_record) for row in result.rows],
        result.file_format,
        result.encoding,
        result.delimiter,
    )


def assert_same(path: Path, limits: ReadLimits = LIMITS) -> RawTable | tuple[str, str]:
    expected = comparable(outcome(reference.read_table, path, limits))
    result = outcome(read_table, path, limits)
    assert comparable(result) == expected
    return result


# ----------------------------------------------------------------------------------------------- headers

ENGLISH = list(SUBMISSION_COLUMNS)
THAI = list(THAI_HEADER_ALIASES)
VARIANTS = ["City Code", "Progress (%)", "report month", " project_code ", "Remarks", "contact person"]
HEADERS = st.sampled_from(ENGLISH + THAI + VARIANTS + ["", " ", "_column_2", "_extra_1", "city_code (2)"])


# ---------------------------------------------------------------------------------------------------- CSV

CSV_TEXT = st.lists(
    st.sampled_from(
        list("aZ09 -.%/")
        + [",", ";", '"', "\n", "\r", "\r\n", "\t", "\u00a0", "\u200b", "\ufeff", "\u2028", "\x85"]
        + list("กขคมีเดือน")
        + list("๐๑๒๓๔๕๖๗๘๙")
    ),
    max_size=12,
).map("".join)
LONG_CELL = st.sampled_from(["x" * 32_767, "ก" * 32_768, "y" * 40_000])
CELL = st.one_of(CSV_TEXT, CSV_TEXT, CSV_TEXT, CSV_TEXT, st.just(""), LONG_CELL)


@st.composite
def csv_files(draw) -> tuple[bytes, str]:
    header = draw(st.lists(HEADERS, min_size=1, max_size=10))
    rows = draw(st.lists(st.lists(CELL, max_size=len(header) + 3), max_size=12))
    delimiter = draw(st.sampled_from([",", ";"]))
    quoting = draw(st.sampled_from(["minimal", "all", "none"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    blank_lines = draw(st.lists(st.sampled_from(["", "  ", delimiter * 3, " \t"]), max_size=3))

    def cell(text: str) -> str:
        needs = quoting == "all" or (quoting == "minimal" and any(c in text for c in f'"\r\n{delimiter}'))
        return '"' + text.replace('"', '""') + '"' if needs else text

    lines = [delimiter.join(map(cell, header))] + [delimiter.join(map(cell, row)) for row in rows]
    for blank in blank_lines:
        lines.insert(draw(st.integers(0, len(lines))), blank)
    ends = (
        [newline] * len(lines)
        if newline != "mixed"
        else draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines), max_size=len(lines)))
    )
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    if draw(st.booleans()):  # no line end after the last row (sometimes cut off within it)
        text = text.rstrip("\r\n")
        if draw(st.booleans()) and delimiter in text[-20:]:
            text = text[: text.rindex(delimiter)]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp874"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data, encoding = text.encode("utf-8"), "utf-8"
    return data, encoding


@EXAMPLES
@given(generated=csv_files())
def test_csv_read_by_duckdb_or_python_gives_the_reference_rows(tmp_path: Path, generated) -> None:
    data, _ = generated
    path = tmp_path / "generated.csv"
    path.write_bytes(data)
    text, _ = reference._decode_csv_bytes(data) if b"\x00" not in data else ("", "")
    takes = csv_reader._Layout.of(text, reference._sniff_delimiter(text), LIMITS) is not None
    event("DuckDB path" if takes else "csv module path")
    assert_same(path)


@EXAMPLES
@given(generated=csv_files())
def test_csv_read_by_the_csv_module_gives_the_reference_rows(tmp_path: Path, generated, monkeypatch) -> None:
    monkeypatch.setattr(csv_reader._Layout, "of", classmethod(lambda cls, *args: None))
    path = tmp_path / "generated.csv"
    path.write_bytes(generated[0])
    assert_same(path)


def test_an_ordinary_csv_is_read_by_duckdb(tmp_path: Path, monkeypatch) -> None:
    def refuse(*args):
        raise AssertionError("read by the csv module")

    monkeypatch.setattr(csv_reader, "_read_with_python", refuse)
    text = (
        ",".join(THAI)
        + '\r\nAAA,A1,มี.ค. 67,๔๕.๕,"1,234.50",in_progress,"BUDGET,POLICY","two\nlines",\r\n'
        + "\r\n,,,\r\nBBB,B1,2024-03,50,,completed,,,2024-04-05T10:00:00+07:00\r\n"
    )
    for encoding in ("utf-8", "utf-8-sig", "cp874"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        table = assert_same(path)
        assert isinstance(table, RawTable) and [row.row_number for row in table.rows] == [1, 2]
        assert table.encoding == encoding


# --------------------------------------------------------------------------------------------------- XLSX

XLSX_TEXT = st.text(
    alphabet=st.sampled_from(list('aZ09 -.%/,;"\n\t') + list("กขคมีเดือน") + list("๐๑๒๓๔๕๖๗๘๙")),
    max_size=12,
)
XLSX_VALUE = st.one_of(
    st.none(),
    XLSX_TEXT,
    XLSX_TEXT,
    st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!"]),  # openpyxl writes these as cells showing an error
    st.integers(-(10**15) + 1, 10**15 - 1),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([0.1 + 0.2, 45.5, 1e20, -0.0, 1234567.891]),
    st.booleans(),
    st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 1, 1)),
    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda value: value.replace(microsecond=0)
    ),
    st.times().map(lambda value: value.replace(microsecond=0)),
)


def workbook_bytes(sheets: list[tuple[str, list[list[object]], str]], active: int) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows, state in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = state
    book.active = active
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def as_excel_keeps_it(value: object) -> object:
    """A cell as Excel shows it, where the reference showed something else: text of white space alone
    (written by openpyxl without xml:space="preserve") is empty, and a whole number of more than 15 digits
    is shown with 15 (the reference gave all the digits written)."""
    if isinstance(value, str) and not value.strip(" \t\n"):
        return None
    if isinstance(value, float) and value.is_integer() and 1e15 <= abs(value) < 1e16:
        return float(format(value, ".15g"))
    return value


@st.composite
def workbooks(draw) -> tuple[list[tuple[str, list[list[object]], str]], int]:
    count = draw(st.integers(1, 3))
    sheets = []
    for number in range(count):
        header = draw(st.lists(HEADERS, min_size=1, max_size=10))
        if draw(st.booleans()):
            header = ENGLISH[:4] + header if draw(st.booleans()) else THAI[:4] + header
        rows = draw(st.lists(st.lists(XLSX_VALUE, max_size=len(header) + 2), max_size=10))
        lead = draw(st.lists(st.just([None]), max_size=2))  # empty rows above the header
        state = draw(st.sampled_from(["visible", "visible", "hidden"]))
        sheets.append((f"Sheet {number}", [*lead, header, *rows], state))
    active = draw(st.integers(0, count - 1))
    if sheets[active][2] == "hidden" and draw(st.booleans()):
        sheets[active] = (sheets[active][0], sheets[active][1], "visible")
    return sheets, active


@EXAMPLES
@given(generated=workbooks())
def test_xlsx_read_by_calamine_gives_the_reference_rows(tmp_path: Path, generated) -> None:
    sheets, active = generated
    assume(any(state == "visible" for _, _, state in sheets))  # openpyxl saves no workbook without one
    data = workbook_bytes(sheets, active)
    kept = [(title, [[as_excel_keeps_it(v) for v in row] for row in rows], s) for title, rows, s in sheets]
    (tmp_path / "generated.xlsx").write_bytes(data)
    (tmp_path / "kept.xlsx").write_bytes(workbook_bytes(kept, active))
    expected = comparable(outcome(reference.read_table, tmp_path / "kept.xlsx", LIMITS))
    assert comparable(outcome(read_table, tmp_path / "generated.xlsx", LIMITS)) == expected


def test_xlsx_numbers_are_shown_with_fifteen_significant_digits(tmp_path: Path) -> None:
    # A whole number written as 17 digits: the reference gave every digit; Excel shows 15 significant digits
    # (and writes no more), and so does calamine.
    book = workbook_bytes([("Data", [["city_code", "spend"], ["AAA", 1234567]], "visible")], 0)
    source, buffer = zipfile.ZipFile(io.BytesIO(book)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            part = source.read(name)
            target.writestr(name, part.replace(b"<v>1234567</v>", b"<v>12345678901234567</v>"))
    path = tmp_path / "a.xlsx"
    path.write_bytes(buffer.getvalue())
    assert read_table(path).rows[0].values["spend"] == "12345678901234600"
    assert reference.read_table(path).rows[0].values["spend"] == "12345678901234567"


def test_xlsx_cells_showing_errors_keep_their_text(tmp_path: Path) -> None:
    rows = [
        ["city_code", "progress_pct", "spend_to_date_thb"],
        ["AAA", "#DIV/0!", "#REF!"],
        ["BBB", 10, "#N/A"],
    ]
    path = tmp_path / "a.xlsx"
    path.write_bytes(workbook_bytes([("Data", rows, "visible")], 0))
    table = assert_same(path)
    assert [row.values["spend_to_date_thb"] for row in table.rows] == ["#REF!", "#N/A"]


# --------------------------------------------------------------------------------------------------- JSON

JSON_KEYS = st.sampled_from(ENGLISH + THAI + VARIANTS + ["", "extra", "flag"])
# Numbers written otherwise than Python writes them back (45.50, 1e2) and as it does (45.5, -0.0).
NUMBER_TEXT = st.sampled_from(
    ["45.50", "1e2", "1E+2", "-0", "12", "1e400", "45.5", "-0.0", "0.30000000000000004", "1e+16", "100.0"]
)
JSON_VALUE = st.one_of(
    st.none().map(lambda _: "null"),
    st.booleans().map(lambda value: "true" if value else "false"),
    st.integers(-(10**20), 10**20).map(str),
    NUMBER_TEXT,
    st.text(max_size=10).map(lambda text: json.dumps(text, ensure_ascii=False)),
    st.sampled_from(
        ['"\\ud800"', '["BUDGET", 2.50]', '{"a": [1, {"b": null}]}', '""', '"  "', '"x' * 0 + '"๔๕"']
    ),
)


@st.composite
def json_files(draw) -> bytes:
    elements = []
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(["object"] * 8 + ["scalar", "empty"]))
        if kind == "scalar":
            elements.append(draw(JSON_VALUE))
        elif kind == "empty":
            elements.append("{}")
        else:
            pairs = draw(st.lists(st.tuples(JSON_KEYS, JSON_VALUE), max_size=8))
            if pairs and draw(st.integers(0, 9)) == 0:  # a key named twice
                pairs.append((pairs[0][0], draw(st.sampled_from([pairs[0][1], '"other"']))))
            elements.append(
                "{"
                + ", ".join(f"{json.dumps(key, ensure_ascii=False)}: {value}" for key, value in pairs)
                + "}"
            )
    space = draw(st.sampled_from(["", " ", "\n  "]))
    text = "[" + space + ("," + space).join(elements) + space + "]"
    if draw(st.integers(0, 14)) == 0:
        text = draw(
            st.sampled_from([text[:-1], text + " []", "{" + text[1:-1] + "}", text.replace(",", "", 1)])
        )
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode("utf-8", "surrogatepass")


@EXAMPLES
@given(data=json_files())
def test_json_gives_the_reference_rows(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "generated.json"
    path.write_bytes(data)
    assert_same(path)


# ------------------------------------------------------------------------------------------- limits reached


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_the_row_cap_is_the_reference_one(tmp_path: Path, suffix: str) -> None:
    rows = [{"city_code": f"C{n}", "remarks": "x"} for n in range(61)]
    path = tmp_path / f"a{suffix}"
    if suffix == ".csv":
        path.write_text(
            "city_code,remarks\n" + "".join(f"{r['city_code']},x\n" for r in rows), encoding="utf-8"
        )
    else:
        path.write_text(json.dumps(rows), encoding="utf-8")
    assert "more than 60 data rows" in assert_same(path)[1]


def test_a_time_of_day_cell(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(workbook_bytes([("Data", [["city_code", "t"], ["AAA", time(10, 30)]], "visible")], 0))
    assert assert_same(path).rows[0].values["t"] == "10:30:00"


# ------------------------------------------------------------------------------------------ the sample


SAMPLE_FILES = sorted(
    path
    for path in (SAMPLE_LANDING / "submissions").rglob("*")
    if path.is_file() and path.suffix.lower() in (".csv", ".xlsx", ".json")
)


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_file_of_the_sample_gives_the_reference_rows(path: Path) -> None:
    assert_same(path, ReadLimits())
