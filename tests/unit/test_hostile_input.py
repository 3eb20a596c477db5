"""Hostile files through the real readers: fuzzed bytes, text and JSON, and a corpus of nasty files built
here (huge cells and files, deep nesting, zip bombs, NUL bytes, lying headers).

Every file ends one of two ways: its rows are read (and every non-blank row is there, none twice), or it is
refused with `UnreadableFile` and one readable sentence saying what to do. Never another exception, never a
hang, never memory out of proportion: the tests that could blow up time or memory measure both.
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartcity.normalize import SUBMISSION_COLUMNS
from smartcity.parsing import clean_text
from smartcity.readers import MB, RawTable, ReadLimits, UnreadableFile, read_table

HEADER = ",".join(SUBMISSION_COLUMNS) + "\n"
ROW = "AAA,A1,2024-03,50,1000,in_progress,,,\n"
SHEET = "xl/worksheets/sheet1.xml"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def outcome(path: Path, limits: ReadLimits | None = None) -> RawTable | str:
    """The table read, or the reason the file was refused; any other exception fails the test."""
    try:
        return read_table(path, limits)
    except UnreadableFile as refused:
        assert_clear(refused.reason)
        return refused.reason


def assert_clear(reason: str) -> None:
    """One short sentence for a person: no traceback, no line break, and something to do."""
    assert "\n" not in reason and "Traceback" not in reason and 30 < len(reason) < 400, reason
    actions = ("send", "export", "save", "split", "delete", "shorten", "fix", "rename", "check")
    assert any(action in reason for action in actions), reason


def refused(path: Path, limits: ReadLimits | None = None) -> str:
    result = outcome(path, limits)
    assert isinstance(result, str), f"{path.name} was read, not refused"
    return result


# A hang guard, not a speed target (bench/ measures speed): each bounded block takes well under a second
# alone, but CI machines share their cores, so only an order of magnitude more fails the test.
HANG_SECONDS = 30


@contextmanager
def bounded(megabytes: float) -> Iterator[None]:
    """The block ends (no hang, no quadratic blow-up) and its Python allocations peak under `megabytes`."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
    assert elapsed < HANG_SECONDS, f"took {elapsed:.1f} s"
    assert peak < megabytes, f"peaked at {peak:.0f} MB"


def blank(cells) -> bool:
    """The readers' notion of a blank row, written with the slow reference function."""
    return all(clean_text(cell) is None for cell in cells)


# ------------------------------------------------------------------------------------------- XLSX builders


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_part(
    xlsx: bytes, name: str, write: Callable[[Callable[[bytes], object]], None], level: int = 1
) -> bytes:
    """`xlsx` with the part `name` replaced by what `write` writes, streamed (so gigabytes cost no memory)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for part in source.infolist():
            if part.filename != name:
                target.writestr(part.filename, source.read(part.filename))
        with target.open(name, "w") as stream:
            write(stream.write)
    return buffer.getvalue()


def sheet_xml(rows: Iterator[bytes] | list[bytes], head: bytes = b"") -> Callable:
    def write(out: Callable[[bytes], object]) -> None:
        out(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + head)
        out(b"<sheetData>")
        for row in rows:
            out(row)
        out(b"</sheetData></worksheet>")

    return write


def inline_row(number: int, *cells: tuple[str, str]) -> bytes:
    xml = "".join(
        f'<c r="{column}{number}" t="inlineStr"><is><t>{text}</t></is></c>' for column, text in cells
    )
    return f'<row r="{number}">{xml}</row>'.encode()


def understate(xlsx: bytes, name: str, declared: int) -> bytes:
    """`xlsx` whose index (local header and central directory) says the part `name` unpacks to `declared`."""
    data = bytearray(xlsx)
    encoded = name.encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        name_at = {b"PK\x03\x04": 30, b"PK\x01\x02": 46}[signature]
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_at : start + name_at + len(encoded)] == encoded:
                data[start + size_at : start + size_at + 4] = struct.pack("<I", declared)
            start += 4
    return bytes(data)


# -------------------------------------------------------------------------------------------------- fuzzing


@FUZZ
@given(
    prefix=st.sampled_from(
        [b"", b"PK\x03\x04", b"\xef\xbb\xbf", b"[", b"[{", b"\xd0\xcf\x11\xe0", b"\xff\xfe"]
    ),
    body=st.binary(max_size=2048),
    suffix=st.sampled_from([".csv", ".xlsx", ".json", ".CSV"]),
)
def test_random_bytes_under_any_name_are_read_or_refused(tmp_path: Path, prefix, body, suffix) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(prefix + body)
    result = outcome(path)
    if isinstance(result, RawTable):
        assert all(row.raw_record.encode() for row in result.rows)


@FUZZ
@given(damage=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8))
def test_a_damaged_workbook_is_read_or_refused(tmp_path: Path, damage) -> None:
    data = bytearray(workbook([["city_code", "remarks"], ["AAA", "ok"], ["BBB", "=1+1"]]))
    for position, value in damage:
        data[position % len(data)] = value
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    outcome(path)


CSV_PIECES = [
    ",",
    ";",
    '"',
    "\n",
    "\r",
    "\r\n",
    " ",
    "\t",
    "\u200b",
    "\ufeff",
    "a",
    "ก",
    "๑",
    "=1+1",
    "AAA",
    "\x00",
]


@FUZZ
@given(text=st.lists(st.sampled_from(CSV_PIECES), max_size=120).map("".join))
def test_fuzzed_csv_text_loses_no_row(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(text.encode())
    result = outcome(path)
    if isinstance(result, str):
        return
    # The reference: every non-blank record after the first non-blank one (the header) is a row.
    records = list(
        csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=result.delimiter)
    )
    expected = [record for record in records if not blank(record)][1:]
    assert len(result.rows) == len(expected)
    assert [row.row_number for row in result.rows] == list(range(1, len(expected) + 1))


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)


@FUZZ
@given(document=JSON_VALUES)
def test_any_json_document_is_read_or_refused(tmp_path: Path, document) -> None:
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = outcome(path)
    if isinstance(result, RawTable):
        assert isinstance(document, list) and all(isinstance(element, dict) for element in document)


@FUZZ
@given(
    elements=st.lists(
        st.dictionaries(
            st.sampled_from(["city_code", "project_code", "remarks", "extra"]),
            st.none()
            | st.booleans()
            | st.integers()
            | st.text(max_size=10)
            | st.lists(st.integers(), max_size=3),
            max_size=4,
        ),
        max_size=30,
    )
)
def test_an_array_of_row_objects_loses_no_row(tmp_path: Path, elements) -> None:
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(elements, ensure_ascii=False), encoding="utf-8")
    table = read_table(path)
    expected = [
        index
        for index, element in enumerate(elements, start=1)
        if not blank(
            value if isinstance(value, str) else json.dumps(value)
            for value in element.values()
            if value is not None
        )
    ]
    assert [row.row_number for row in table.rows] == expected
    for row in table.rows:
        assert json.loads(row.raw_record) == elements[row.row_number - 1]


# ------------------------------------------------------------------------------------------ size and rows


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_a_file_over_the_size_cap_is_refused_before_a_byte_is_read(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"huge{suffix}"
    with path.open("wb") as handle:
        handle.truncate(100 * MB + MB // 2)  # sparse: NUL bytes on no disk at all
    with bounded(megabytes=5):  # reading it would take 100 MB
        reason = refused(path)
    assert "the file is 100.5 MB, more than the 100 MB accepted in one file; split it" in reason


def test_the_size_cap_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(HEADER + ROW, encoding="utf-8")
    size = path.stat().st_size
    assert len(read_table(path, ReadLimits(max_bytes=size)).rows) == 1
    assert f"{size - 1:,} bytes accepted" in refused(path, ReadLimits(max_bytes=size - 1))


def million_rows(tmp_path: Path, suffix: str) -> Path:
    """A file of 10^6 data rows, built in well under a second."""
    path = tmp_path / f"million{suffix}"
    if suffix == ".csv":
        path.write_bytes((HEADER + ROW * 10**6).encode())
    else:
        path.write_bytes(("[" + ",".join(['{"city_code":"AAA","project_code":"A1"}'] * 10**6) + "]").encode())
    return path


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_million_rows_are_refused_at_the_default_cap(tmp_path: Path, suffix: str) -> None:
    path = million_rows(tmp_path, suffix)
    started = time.perf_counter()
    reason = refused(path)
    assert time.perf_counter() - started < HANG_SECONDS
    assert "the file has more than 200,000 data rows" in reason and "split it into several files" in reason


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_reading_stops_at_the_first_row_over_the_cap(tmp_path: Path, suffix: str) -> None:
    path = million_rows(tmp_path, suffix)  # 36 MB of CSV, 40 MB of JSON
    # The text is in memory once (and the bytes while decoding it); the rows after the cap never are: a
    # million rows read would take gigabytes and many seconds.
    with bounded(megabytes=3 * path.stat().st_size / MB + 20):
        reason = refused(path, ReadLimits(max_rows=1000))
    assert "more than 1,000 data rows" in reason


def test_the_row_cap_is_exact_and_blank_rows_do_not_count(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(HEADER + (ROW + " ,,\n") * 3, encoding="utf-8")
    assert [row.row_number for row in read_table(path, ReadLimits(max_rows=3)).rows] == [1, 2, 3]
    assert "more than 2 data rows" in refused(path, ReadLimits(max_rows=2))


def test_a_million_empty_lines_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes((HEADER + ROW + "\n" * 10**6 + ROW).encode())
    with bounded(megabytes=30):
        reason = refused(path)
    assert "more than 200,000 empty rows; delete them" in reason


def test_a_workbook_with_too_many_rows_is_refused_before_openpyxl_builds_them(tmp_path: Path) -> None:
    # 10^6 rows and no <dimension>: openpyxl would parse the whole sheet into memory just to size it.
    rows = (inline_row(number, ("A", "AAA")) for number in range(1, 10**6 + 1))
    path = tmp_path / "million.xlsx"
    path.write_bytes(with_part(workbook([["x"]]), SHEET, sheet_xml(rows)))
    with bounded(megabytes=30):
        reason = refused(path)
    assert "the workbook has more than 400,000 rows" in reason and "split it" in reason


def test_a_workbook_reads_every_row_up_to_the_cap(tmp_path: Path) -> None:
    rows = [inline_row(1, ("A", "city_code"))] + [inline_row(n, ("A", f"C{n}")) for n in range(2, 1002)]
    path = tmp_path / "thousand.xlsx"
    path.write_bytes(with_part(workbook([["x"]]), SHEET, sheet_xml(rows)))
    table = read_table(path, ReadLimits(max_rows=1000))
    assert [row.values["city_code"] for row in table.rows] == [f"C{n}" for n in range(2, 1002)]
    assert "more than 999 data rows" in refused(path, ReadLimits(max_rows=999))


# ------------------------------------------------------------------------------------------------ cells


def test_a_ten_megabyte_cell_is_refused_in_every_format(tmp_path: Path) -> None:
    cell = "x" * (10 * MB)
    (tmp_path / "quoted.csv").write_text(f'{HEADER}AAA,A1,2024-03,50,,,,"{cell}",\n', encoding="utf-8")
    (tmp_path / "bare.csv").write_text(f"{HEADER}AAA,A1,2024-03,50,,,,{cell},\n", encoding="utf-8")
    (tmp_path / "open_quote.csv").write_text(HEADER + 'AAA,A1,2024-03,50,,,,"oops\n' + ROW * 20_000)
    (tmp_path / "a.json").write_text(json.dumps([{"city_code": "AAA", "remarks": cell}]), encoding="utf-8")
    for name in ("quoted.csv", "bare.csv", "open_quote.csv"):
        with bounded(megabytes=60):
            reason = refused(tmp_path / name)
        assert "more than the 32,767 a spreadsheet cell holds" in reason
        assert 'a quote " opened and never closed' in reason
    assert "element 1 of the array has a cell of 10,485,760 characters" in refused(tmp_path / "a.json")


def test_a_cell_longer_than_a_spreadsheet_holds_is_refused_and_one_at_the_limit_read(tmp_path: Path) -> None:
    longest, too_long = "ก" * 32_767, "ก" * 32_768
    (tmp_path / "ok.csv").write_text(f"{HEADER}AAA,A1,2024-03,50,,,,{longest},\n", encoding="utf-8")
    assert read_table(tmp_path / "ok.csv").rows[0].values["remarks"] == longest
    (tmp_path / "long.csv").write_text(f"{HEADER}{ROW}AAA,A1,2024-03,50,,,,{too_long},\n", encoding="utf-8")
    assert "data row 2 has a cell of 32,768 characters" in refused(tmp_path / "long.csv")
    # openpyxl cuts what it writes to 32,767 characters; another program may not.
    rows = [inline_row(1, ("A", "city_code"), ("B", "remarks")), inline_row(2, ("A", "AAA"), ("B", too_long))]
    (tmp_path / "long.xlsx").write_bytes(with_part(workbook([["x"]]), SHEET, sheet_xml(rows)))
    assert "data row 1 has a cell of 32,768 characters" in refused(tmp_path / "long.xlsx")


def test_long_runs_of_spaces_are_read_in_linear_time(tmp_path: Path) -> None:
    # An edge-trimming regex takes quadratic time on a long run of inner spaces (seconds for 30,000): neither
    # the readers nor clean_text use one.
    spaced = "a" + " " * 30_000 + "b"
    lines = "".join(f"{spaced},A1,2024-03,50,,,,{spaced},\n" for _ in range(50))
    (tmp_path / "spaces.csv").write_text(HEADER + lines, encoding="utf-8")
    started = time.perf_counter()
    table = read_table(tmp_path / "spaces.csv")
    assert time.perf_counter() - started < HANG_SECONDS  # quadratic took minutes
    assert len(table.rows) == 50 and table.rows[0].values["remarks"] == spaced


def test_a_header_that_is_no_column_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("city_code," + "x" * 5_000 + "\nAAA,1\n", encoding="utf-8")
    assert "a column name of the header row is 5,000 characters long" in refused(tmp_path / "a.csv")
    (tmp_path / "a.json").write_text(json.dumps([{"k" * 5_000: 1}]), encoding="utf-8")
    assert "a key of element 1 of the array is 5,000 characters long" in refused(tmp_path / "a.json")
    keys = [{f"column_{n}": n for n in range(300)}]
    (tmp_path / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
    assert "more than 256 different keys" in refused(tmp_path / "keys.json")


def test_padding_right_of_the_table_is_ignored_and_a_value_far_right_refused(tmp_path: Path) -> None:
    (tmp_path / "padded.csv").write_text(HEADER + ROW.rstrip("\n") + "," * 100_000 + "\n", encoding="utf-8")
    table = read_table(tmp_path / "padded.csv")
    assert len(table.rows) == 1 and json.loads(table.rows[0].raw_record)["city_code"] == "AAA"
    (tmp_path / "far.csv").write_text(HEADER + ROW.rstrip("\n") + "," * 290 + "x\n", encoding="utf-8")
    assert "data row 1 has a value in column 299" in refused(tmp_path / "far.csv")

    book = workbook([["city_code", "remarks"], ["AAA", "ok"]])
    styled = b'<c r="B2" t="inlineStr"><is><t>ok</t></is></c><c r="XFD2" s="0"/>'
    valued = b'<c r="B2" t="inlineStr"><is><t>ok</t></is></c><c r="XFD2" t="inlineStr"><is><t>x</t></is></c>'
    for name, cells, expected in (("styled.xlsx", styled, None), ("valued.xlsx", valued, "column 16,384")):
        xml = zipfile.ZipFile(io.BytesIO(book)).read(SHEET)
        xml = re.sub(rb'<c r="B2".*?</c>', cells, xml)
        (tmp_path / name).write_bytes(with_part(book, SHEET, lambda out, xml=xml: out(xml)))
        result = outcome(tmp_path / name)
        if expected is None:
            assert [row.values for row in result.rows] == [{"city_code": "AAA", "remarks": "ok"}]
        else:
            assert f"data row 1 has a value in {expected}" in result


def test_a_sheet_that_understates_its_size_is_read_whole(tmp_path: Path) -> None:
    book = workbook([["city_code", "remarks"], ["AAA", "one"], ["BBB", "two"]])
    xml = zipfile.ZipFile(io.BytesIO(book)).read(SHEET).replace(b'ref="A1:B3"', b'ref="A1:A1"')
    assert b'ref="A1:A1"' in xml
    (tmp_path / "a.xlsx").write_bytes(with_part(book, SHEET, lambda out: out(xml)))
    # openpyxl trusts <dimension> in read-only mode and would return the header's first cell alone.
    table = read_table(tmp_path / "a.xlsx")
    assert [row.values for row in table.rows] == [
        {"city_code": "AAA", "remarks": "one"},
        {"city_code": "BBB", "remarks": "two"},
    ]


# ------------------------------------------------------------------------------------------------- JSON


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[" * 100_000, "nests arrays or objects hundreds of levels deep"),
        ("[" * 100_000 + "]" * 100_000, "nests arrays or objects hundreds of levels deep"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "the top level of the file is a JSON object"),
        ('[{"remarks": ' + "[" * 50 + "]" * 50 + "}]", "element 1 of the array nests arrays or objects more"),
        ('[{"remarks": ' + "[" * 100_000 + "]" * 100_000 + "}]", "hundreds of levels deep"),
        ('{"rows": [{"city_code": "AAA"}]}', "the top level of the file is a JSON object"),
        ('"AAA"', "the top level of the file is a JSON string"),
        ("[[1, 2], [3]]", "element 1 of the array is a JSON array, not a row object"),
        ('[{"city_code": "AAA"}, 7]', "element 2 of the array is a JSON number"),
        ('[{"city_code": "AAA"}, null]', "element 2 of the array is a JSON null"),
        ('[{"city_code": "AAA"},]', "not valid JSON (Expecting value at line 1, column 23)"),
        ('[{"city_code": "AAA"}] []', "not valid JSON (Extra data"),
        ('[{"city_code": "\\ud800"}]', "element 1 of the array holds text that is not valid Unicode"),
        ('[{"\\udfff": "AAA"}]', "element 1 of the array holds text that is not valid Unicode"),
    ],
)
def test_json_that_is_no_array_of_flat_rows_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "a.json").write_text(text, encoding="utf-8")
    with bounded(megabytes=50):
        reason = refused(tmp_path / "a.json")
    assert expected in reason


def test_json_with_a_small_nested_value_or_nul_is_read_verbatim(tmp_path: Path) -> None:
    elements = [{"city_code": "AAA", "obstacles": ["BUDGET", {"x": [1]}], "remarks": "a\u0000b"}, {}]
    (tmp_path / "a.json").write_text(json.dumps(elements), encoding="utf-8")
    table = read_table(tmp_path / "a.json")
    assert [row.row_number for row in table.rows] == [1]
    assert table.rows[0].values["obstacles"] == '["BUDGET",{"x":[1]}]'
    assert table.rows[0].values["remarks"] == "a\x00b"


# ----------------------------------------------------------------------------------------------- NUL bytes


def test_nul_bytes_in_a_csv_are_refused_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "cell.csv").write_bytes((HEADER + "AAA,A1\x00,2024-03,50,,,,,\n").encode())
    assert "binary control bytes (the first, '\\x00', on line 2)" in refused(tmp_path / "cell.csv")
    (tmp_path / "middle.csv").write_bytes((HEADER + ROW * 1000).encode() + b"\x00" * 64 + ROW.encode())
    assert "on line 1,002" in refused(tmp_path / "middle.csv")


# ------------------------------------------------------------------------------------------------- XLSX


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    # 1 GiB of sheet XML in 4.7 MB: ten times the file cap, 229 to 1.
    chunk = b"<row/>" * (1 << 17)
    bomb = with_part(workbook([["x"]]), SHEET, sheet_xml(chunk for _ in range((1 << 30) // len(chunk))))
    (tmp_path / "bomb.xlsx").write_bytes(bomb)
    with bounded(megabytes=15):  # the archive is read (5 MB), nothing is unpacked
        reason = refused(tmp_path / "bomb.xlsx")
    assert "the workbook unpacks to more than 400 MB" in reason
    # Under the size cap, the ratio gives it away.
    small = with_part(workbook([["x"]]), SHEET, sheet_xml(chunk for _ in range((200 * MB) // len(chunk))))
    (tmp_path / "small_bomb.xlsx").write_bytes(small)
    with bounded(megabytes=5):
        reason = refused(tmp_path / "small_bomb.xlsx")
    assert f"the workbook's part '{SHEET}' is compressed" in reason and "a 'zip bomb'" in reason


def test_a_workbook_that_understates_what_it_unpacks_to_is_refused(tmp_path: Path) -> None:
    # The index claims 500 KB (under the ratio check's threshold); the part unpacks to 50 MB.
    chunk = b"<row/>" * (1 << 17)
    honest = with_part(workbook([["x"]]), SHEET, sheet_xml(chunk for _ in range((50 * MB) // len(chunk))))
    lying = understate(honest, SHEET, 500_000)
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo(SHEET).file_size == 500_000
    (tmp_path / "lying.xlsx").write_bytes(lying)
    with bounded(megabytes=10):  # no more than the declared 500 KB is ever unpacked
        reason = refused(tmp_path / "lying.xlsx")
    assert "not a valid XLSX workbook" in reason


def test_a_workbook_over_the_unpacked_cap_is_refused(tmp_path: Path) -> None:
    rows = [f'<row r="{n}"><c><v>1</v></c></row>'.encode() for n in range(1, 100_001)]
    (tmp_path / "a.xlsx").write_bytes(with_part(workbook([["x"]]), SHEET, sheet_xml(rows)))
    small = ReadLimits(max_bytes=512 * 1024)  # 2 MB unpacked; the sheet unpacks to 3.6 MB, 14 to 1
    assert (tmp_path / "a.xlsx").stat().st_size < small.max_bytes
    assert "the workbook unpacks to more than 2 MB" in refused(tmp_path / "a.xlsx", small)


def test_a_workbook_with_a_huge_part_parsed_whole_is_refused(tmp_path: Path) -> None:
    # openpyxl parses styles.xml into a tree at once; 20 MB of it would take far more memory than that.
    def styles(out: Callable[[bytes], object]) -> None:
        out(b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs>')
        for n in range(400_000):
            out(f'<xf numFmtId="{n % 164}" fontId="0" fillId="0" borderId="{n}"/>'.encode())
        out(b"</cellXfs></styleSheet>")

    (tmp_path / "a.xlsx").write_bytes(with_part(workbook([["x"]]), "xl/styles.xml", styles))
    assert "the workbook's part 'xl/styles.xml' unpacks to more than 16 MB" in refused(tmp_path / "a.xlsx")


def test_a_workbook_of_countless_texts_is_refused(tmp_path: Path) -> None:
    def strings(out: Callable[[bytes], object]) -> None:
        out(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        for n in range(20_001):
            out(f"<si><t>{n}</t></si>".encode())
        out(b"</sst>")

    book = workbook([["city_code"], ["AAA"]])
    (tmp_path / "a.xlsx").write_bytes(with_part(book, "xl/sharedStrings.xml", strings))
    assert "more than 10,000 different texts" in refused(tmp_path / "a.xlsx", ReadLimits(max_rows=1000))


def test_entities_that_expand_without_bound_are_refused(tmp_path: Path) -> None:
    entities = "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10))
    doctype = f'<!DOCTYPE worksheet [<!ENTITY e0 "lollollollol">{entities}]>'.encode()
    book = workbook([["city_code", "remarks"], ["AAA", "x"]])
    xml = zipfile.ZipFile(io.BytesIO(book)).read(SHEET).replace(b"<t>x</t>", b"<t>&e9;</t>")
    (tmp_path / "laughs.xlsx").write_bytes(with_part(book, SHEET, lambda out: out(doctype + xml)))
    # Expanded, 10^10 characters; expat stops at 100 times the input once past 8 MB (its amplification limit).
    with bounded(megabytes=150):
        reason = refused(tmp_path / "laughs.xlsx")
    assert "not a valid XLSX workbook" in reason


def test_an_archive_of_countless_parts_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(10_001):
            archive.writestr(f"p{n}", b"")
    (tmp_path / "a.xlsx").write_bytes(buffer.getvalue())
    assert "the archive holds 10,001 parts" in refused(tmp_path / "a.xlsx")
