"""Read one received file (CSV, XLSX or JSON) into rows of raw text, without judging the values.

Readers only decode: every cell keeps the text the city typed, so that validation can quarantine a bad value
with the value itself as evidence, and `raw_record` can always be traced back to the file. A file that cannot
be decoded at all raises `UnreadableFile` with a reason a submitter can act on; the run goes on without it.

Files come from outside, so every read is bounded (`ReadLimits`, docs/data-contract.md "Limits"): the size
is checked before a byte is read, rows are read one at a time and reading stops at the first row over the
cap, and an XLSX archive's unpacked size and compression ratio are checked before anything is unpacked. A
file over a cap is an `UnreadableFile` like any other: kept, listed with its reason, never loaded whole.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from smartcity.config import DEFAULT_MAX_FILE_MB, DEFAULT_MAX_ROWS_PER_FILE, Settings
from smartcity.normalize import canonical_header
from smartcity.parsing import WHITESPACE, ZERO_WIDTH, clean_text

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAX_UNDECODABLE_SHARE = 0.05  # of the non-ASCII characters of a cp874 file; a real TIS-620 file has none
_EXPORT_CSV = "export the sheet again as CSV UTF-8 (Excel: File > Save As > CSV UTF-8)"
_EXPORT_XLSX = "export the sheet again as .xlsx or .csv"

MB = 1 << 20  # as Windows counts the size a submitter sees
# Fixed caps, beside the configurable ones: no genuine submission comes near them, and each bounds the work a
# hostile file can cause. Excel itself holds at most 32,767 characters in a cell.
_MAX_CELL_CHARS = 32_767
_MAX_COLUMNS = 256  # a submission has 9 columns; cells right of this are read only when empty (padding)
_MAX_HEADER_CHARS = 1_000  # a column name is a short label; also bounds canonical_header's regexes
_MAX_JSON_DEPTH = 10  # a row object holding, say, a list of obstacles is 2 deep
# XLSX is a zip archive. Apache POI refuses parts that inflate more than 100 times (its MIN_INFLATE_RATIO
# 0.01); spreadsheet XML compresses 5-20 times. Parts under 1 MB are too small to matter.
_XLSX_MAX_RATIO = 100
_XLSX_RATIO_FROM = MB
_XLSX_MAX_PARTS = 10_000  # a workbook has a dozen parts
_XLSX_UNPACKED_FACTOR = 4  # a 200,000-row sheet unpacks to 100-200 MB: 4 times the file cap leaves room
_XLSX_STREAMED_PART = re.compile(r"xl/worksheets/[^/]+\.xml|xl/sharedstrings\.xml")
_XLSX_MAX_WHOLE_PART = 16 * MB  # styles, workbook, relations: tens of kilobytes in a real workbook
_XLSX_STRINGS_PER_ROW = 10  # different texts a row can bring: a submission row has 9 cells
_XLSX_SPARE_ELEMENTS = 1_000  # <rowBreaks>, pivot tables' <rowFields>: a few more matches of the patterns
# What clean_text strips, matched in linear time (clean_text's regex is quadratic on a long run of spaces).
_BLANK_CELL = re.compile(rf"[\s{ZERO_WIDTH}]*")
_BLANK_CHARACTERS = frozenset(WHITESPACE + ZERO_WIDTH)
_FIRST_VISIBLE = re.compile(r"\S")
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # where str.splitlines cuts
_LINE_BREAK = re.compile(f"[{_LINE_BREAKS}]")
# One line as `open(newline="")` reads it, the line end kept, so the csv module sees quoted line breaks.
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


@dataclass(frozen=True)
class ReadLimits:
    """The caps on one file (SMARTCITY_MAX_FILE_MB, SMARTCITY_MAX_ROWS_PER_FILE)."""

    max_bytes: int = DEFAULT_MAX_FILE_MB * MB
    max_rows: int = DEFAULT_MAX_ROWS_PER_FILE

    @classmethod
    def of(cls, settings: Settings) -> ReadLimits:
        return cls(settings.max_file_mb * MB, settings.max_rows_per_file)

    @property
    def max_unpacked_bytes(self) -> int:
        return _XLSX_UNPACKED_FACTOR * self.max_bytes


class UnreadableFile(Exception):
    """A received file that cannot be read at all; `reason` tells the submitter what to do about it, `code`
    names the kind (listed in dq.rejected_files): UNREADABLE, or INCOMPLETE for a file cut off mid-row."""

    def __init__(self, reason: str, code: str = "UNREADABLE") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class RawRow:
    row_number: int  # 1 = first data row after the header; blank rows do not count (JSON: array index + 1)
    values: dict[str, str | None]  # canonical column name -> cell text exactly as found; None when empty
    raw_record: str  # JSON of the row as received, original header names as keys


@dataclass(frozen=True)
class RawTable:
    columns: list[str]  # canonical names, in file order
    rows: list[RawRow]
    file_format: str  # 'csv' | 'xlsx' | 'json'
    encoding: str | None
    delimiter: str | None


def read_table(path: Path, limits: ReadLimits | None = None) -> RawTable:
    """Dispatch on the file suffix; a missing or unopenable path is the caller's error and is not caught."""
    limits = limits or ReadLimits()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(_read_bytes(path, limits), limits)
    if suffix == ".xlsx":
        return _read_xlsx(_read_bytes(path, limits), limits)
    if suffix == ".json":
        return _read_json(_read_bytes(path, limits), limits)
    raise UnreadableFile(
        f"a file of type '{suffix or '(none)'}' is not accepted; send the data as .csv, .xlsx or .json"
    )


def read_registry_csv(path: Path, limits: ReadLimits | None = None) -> list[dict[str, str | None]]:
    """Rows of a registry CSV keyed by lower-cased header; same decoding rules and size cap as submissions."""
    text, _ = _decode_csv_bytes(_read_bytes(path, limits or ReadLimits()))
    rows = [row for row in _csv_rows(text, _sniff_delimiter(text)) if not _is_blank(row)]
    if not rows:
        return []
    header = [(clean_text(name) or "").lower() for name in rows[0]]
    return [{name: _cell(row, i) for i, name in enumerate(header) if name} for row in rows[1:]]


def _read_bytes(path: Path, limits: ReadLimits) -> bytes:
    """The file's bytes; a file over the size cap is refused before any of it is read."""
    size = path.stat().st_size
    if size <= limits.max_bytes:
        with path.open("rb") as handle:
            data = handle.read(size + 1)
            if len(data) > size:  # it grew since: read on, up to one byte over the cap
                data += handle.read(limits.max_bytes + 1 - len(data))
        if len(data) <= limits.max_bytes:
            return data
        size = len(data)
    raise UnreadableFile(
        f"the file is {_size(size)}, more than the {_size(limits.max_bytes)} accepted in one file; split it "
        "into several files (for example one per city or per group of cities) and send them together"
    )


# ----------------------------------------------------------------------------------------------------- CSV


def _read_csv(data: bytes, limits: ReadLimits) -> RawTable:
    text, encoding = _decode_csv_bytes(data)
    delimiter = _sniff_delimiter(text)
    records = _CsvRecords(_csv_rows(text, delimiter))
    table = _table_from_cells(records, limits, "csv", encoding, delimiter)
    _check_unclosed_quote(records, delimiter)
    _check_cut_off(records, table, text)
    return table


class _CsvRecords:
    """The records as read, remembering the header, the last record, and the first cell that holds a line
    break (the place to look for a quote opened and not closed where its row ends)."""

    def __init__(self, records: Iterator[list[str]]) -> None:
        self._records = records
        self.header: list[str] | None = None
        self.last: list[str] | None = None
        self.multiline: tuple[int, int, str] | None = None  # (record number from 1, column from 1, cell)

    def __iter__(self) -> Iterator[list[str]]:
        for number, record in enumerate(self._records, start=1):
            self.last = record
            if self.header is None and not _is_blank(record):
                self.header = record
            if self.multiline is None:
                for column, cell in enumerate(record, start=1):
                    if "\n" in cell or "\r" in cell:
                        self.multiline = (number, column, cell)
                        break
            yield record


def _looks_like_rows(cell: str, delimiter: str, width: int) -> int:
    """How many of the lines after the first in `cell` look like whole rows of a `width`-column table: 6
    delimiters on one line for the contract's 9 columns, which a remark broken over lines rarely holds."""
    threshold = max(3, width - 3)
    return sum(1 for line in _LINE_BREAK.split(cell)[1:] if line.count(delimiter) >= threshold)


def _check_unclosed_quote(records: _CsvRecords, delimiter: str) -> None:
    """One unclosed quote makes one cell of the rest of the file: accepted, that row would carry every
    following row in its remarks and the rows themselves would be lost. Refuse the file instead."""
    if records.multiline is None:
        return
    record, column, cell = records.multiline
    rows = _looks_like_rows(cell, delimiter, len(records.header or ()))
    if rows:
        raise UnreadableFile(
            f'record {record:,} of the file (counting the header) opens a quote (") in column {column} that '
            f"is not closed where the row ends, so the {rows:,} line(s) after it became part of one cell; "
            "close the quote (or remove it) and send the file again"
        )


def _check_cut_off(records: _CsvRecords, table: RawTable, text: str) -> None:
    """A file whose last line has fewer cells than the header and no line end was cut off mid-row (an upload
    still in progress, a disk that filled up): its rows are not taken until the whole file arrives."""
    if not table.rows or records.last is None or text.endswith(("\n", "\r")):
        return
    width = len(records.header or ())
    if len(records.last) < width:
        raise UnreadableFile(
            f"the file ends in the middle of a row (its last line has {len(records.last)} of the header's "
            f"{width} columns and no line end): it was cut off, for example while it was still being "
            "uploaded; send the whole file again",
            code="INCOMPLETE",
        )


def _decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """UTF-8 (BOM or not) first, then Thai Windows-874; reject what is evidently not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(
            f"the file is UTF-16 text, not a CSV file in UTF-8 or Thai Windows-874; {_EXPORT_CSV}"
        )
    if data.startswith(b"PK\x03\x04"):
        raise UnreadableFile(
            "the file is an Excel workbook (XLSX) named .csv; rename it to .xlsx or " + _EXPORT_CSV
        )
    try:
        text = data.decode("utf-8-sig")
        encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("cp874", errors="replace"), "cp874"
        non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
        if text.count("\ufffd") > _MAX_UNDECODABLE_SHARE * non_ascii:
            raise UnreadableFile(
                f"the file does not look like a text CSV file: it is neither UTF-8 nor Thai Windows-874; "
                f"{_EXPORT_CSV}"
            ) from None
    control = _CONTROL_CHARS.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        raise UnreadableFile(
            f"the file does not look like a text CSV file: it contains binary control bytes (the first, "
            f"{control.group()!r}, on line {line:,}); {_EXPORT_CSV}"
        )
    return text, encoding


def _sniff_delimiter(text: str) -> str:
    """';' or ',', whichever occurs more often outside quotes on the first non-empty line (',' on a tie)."""
    line = _first_visible_line(text)
    counts = {",": 0, ";": 0}
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char in counts and not quoted:
            counts[char] += 1
    return ";" if counts[";"] > counts[","] else ","


def _first_visible_line(text: str) -> str:
    """The first line (as str.splitlines cuts lines) with something visible on it, found without splitting
    the whole text."""
    visible = _FIRST_VISIBLE.search(text)
    if visible is None:
        return ""
    start = max(text.rfind(char, 0, visible.start()) for char in _LINE_BREAKS) + 1
    end = _LINE_BREAK.search(text, visible.start())
    return text[start : end.start() if end else len(text)]


def _csv_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    """Records one at a time, so that reading stops at the first row over a cap."""
    reader = csv.reader((line.group() for line in _LINE.finditer(text)), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as error:
        if "field larger than field limit" in str(error):  # the csv module's own cap, 131,072 characters
            raise UnreadableFile(
                _cell_too_long(f"line {reader.line_num:,}", f"more than {csv.field_size_limit():,}")
                + ' (a quote " opened and never closed makes one cell of the rest of the file)'
            ) from None
        raise UnreadableFile(f"the CSV structure is broken ({error}); {_EXPORT_CSV}") from None


# ---------------------------------------------------------------------------------------------------- XLSX


def _read_xlsx(data: bytes, limits: ReadLimits) -> RawTable:
    _check_archive(data, limits)
    with warnings.catch_warnings():  # openpyxl warns about styles and extensions it ignores: noise here
        warnings.simplefilter("ignore")
        workbook = _open_workbook(data)
        try:
            sheet = _submission_sheet(workbook, limits)
            return _table_from_cells(_xlsx_rows(sheet), limits, "xlsx", None, None)
        finally:
            workbook.close()


# A sheet holds a submission when its header row names these columns (English or Thai, contract section 2).
_KEY_COLUMNS = ("city_code", "project_code", "report_month", "progress_pct")


def _submission_sheet(workbook: openpyxl.Workbook, limits: ReadLimits) -> Any:
    """The sheet to read (contract section 2): the one whose header row (its first non-blank row) is the
    contract's, visible sheets before hidden ones and the active sheet first; else the active visible sheet
    (a cover page, say, when no sheet has the header: its rows are then quarantined for what they lack)."""
    sheets = list(workbook.worksheets)
    if not sheets:
        raise UnreadableFile(f"the workbook has no worksheet; {_EXPORT_XLSX}")
    active = workbook.active if workbook.active in sheets else None
    visible = [sheet for sheet in sheets if sheet.sheet_state == "visible"]
    order = [s for s in (active,) if s in visible] + [s for s in visible if s is not active]
    order += [s for s in sheets if s not in visible]
    for sheet in order:
        # The size a sheet declares can be wrong (some tools write A1:A1): read every row there is,
        # each as wide as its own cells, instead of trusting it.
        sheet.reset_dimensions()
        header = next(_checked_rows(_xlsx_rows(sheet), _RowCounter(limits.max_rows, header_rows=1)), None)
        names = {canonical_header(name) for name in header or () if name and len(name) <= _MAX_HEADER_CHARS}
        if all(column in names for column in _KEY_COLUMNS):
            sheet.reset_dimensions()
            return sheet
    if active is not None and active in visible:
        active.reset_dimensions()
        return active
    shown = ", ".join(repr(sheet.title) for sheet in sheets[:10])
    raise UnreadableFile(
        f"no sheet of the workbook starts with the submission's header row (city_code, project_code, "
        f"report_month, progress_pct, ... or รหัสเมือง, รหัสโครงการ, ...), and no sheet is shown as the active "
        f"one (sheets: {shown}); put the rows on a sheet whose first row is that header"
    )


def _check_archive(data: bytes, limits: ReadLimits) -> None:
    """Refuse a zip bomb before openpyxl opens the workbook: first on the sizes the archive declares, before
    anything is unpacked; then on what unpacking every part once, in chunks, actually gives."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            _check_declared_sizes(parts, limits)
            rows, strings = _unpack_counting(archive, parts, limits)
    except UnreadableFile:
        raise
    except zipfile.BadZipFile:
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise UnreadableFile(
                "the file is an old Excel 97-2003 (.xls) or a password-protected workbook, not an XLSX "
                "workbook; save it as .xlsx without a password, or as CSV UTF-8"
            ) from None
        raise UnreadableFile(
            f"not a valid XLSX workbook (the zip archive is corrupt); {_EXPORT_XLSX}"
        ) from None
    except Exception as error:  # zlib errors, encrypted or unknown compression, a truncated part
        raise _not_xlsx(error) from None
    # openpyxl builds every shared string, and (for a sheet that does not declare its size) every row
    # element, in memory before the first row is read: so these are counted here, before it opens the file.
    if rows > 2 * limits.max_rows + _XLSX_SPARE_ELEMENTS:  # more than data rows and blank rows together
        raise UnreadableFile(
            f"the workbook has more than {2 * limits.max_rows:,} rows, and at most {limits.max_rows:,} data "
            "rows are accepted in one file; split it into several files (for example one per city or per "
            "group of cities) and delete empty rows"
        )
    if strings > _XLSX_STRINGS_PER_ROW * limits.max_rows + _XLSX_SPARE_ELEMENTS:
        raise UnreadableFile(
            f"the workbook holds more than {_XLSX_STRINGS_PER_ROW * limits.max_rows:,} different texts, far "
            f"more than {limits.max_rows:,} rows of a submission need; {_EXPORT_XLSX}"
        )


def _check_declared_sizes(parts: list[zipfile.ZipInfo], limits: ReadLimits) -> None:
    if len(parts) > _XLSX_MAX_PARTS:
        raise UnreadableFile(
            f"not a valid XLSX workbook (the archive holds {len(parts):,} parts; a workbook has a dozen); "
            f"{_EXPORT_XLSX}"
        )
    if sum(part.file_size for part in parts) > limits.max_unpacked_bytes:
        raise UnreadableFile(_unpacks_to_more(limits))
    for part in parts:
        _check_part_size(part, part.file_size)
        if part.file_size > _XLSX_RATIO_FROM and part.file_size > _XLSX_MAX_RATIO * part.compress_size:
            ratio = part.file_size // max(part.compress_size, 1)
            raise UnreadableFile(
                f"the workbook's part {_shorten(part.filename, 60)!r} is compressed {ratio:,} to 1, more "
                f"than the {_XLSX_MAX_RATIO} to 1 a real spreadsheet reaches, so it is not unpacked (a 'zip "
                f"bomb'); {_EXPORT_XLSX}"
            )


def _check_part_size(part: zipfile.ZipInfo, size: int) -> None:
    """openpyxl parses the workbook's small XML parts (styles, relations) whole, as trees; only the sheets
    and the shared strings are read as streams, so only they may be large."""
    name = part.filename.lower()
    streamed = _XLSX_STREAMED_PART.fullmatch(name) or not name.endswith((".xml", ".rels"))
    if not streamed and size > _XLSX_MAX_WHOLE_PART:
        raise UnreadableFile(
            f"the workbook's part {_shorten(part.filename, 60)!r} unpacks to more than "
            f"{_size(_XLSX_MAX_WHOLE_PART)}, far more than a real spreadsheet's; {_EXPORT_XLSX}"
        )


def _unpack_counting(
    archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo], limits: ReadLimits
) -> tuple[int, int]:
    """Unpack every part once, in chunks, and count: its bytes (a part may unpack to more than it
    declares), and the row and shared-string elements in it. Returns (rows, shared strings)."""
    unpacked = rows = strings = 0
    for part in parts:
        part_bytes, carry = 0, b""
        with archive.open(part) as stream:
            while chunk := stream.read(MB):
                part_bytes += len(chunk)
                unpacked += len(chunk)
                if part_bytes > part.file_size or unpacked > limits.max_unpacked_bytes:
                    raise UnreadableFile(_unpacks_to_more(limits))
                _check_part_size(part, part_bytes)
                # Four-byte patterns and three bytes carried over: none is missed or counted twice.
                text = carry + chunk
                rows += text.count(b"<row") + text.count(b":row")
                strings += text.count(b"<si>") + text.count(b":si>")
                carry = text[-3:]
    return rows, strings


def _unpacks_to_more(limits: ReadLimits) -> str:
    return (
        f"the workbook unpacks to more than {_size(limits.max_unpacked_bytes)}, the most read from one file "
        f"({_XLSX_UNPACKED_FACTOR} times the {_size(limits.max_bytes)} limit); split it into several "
        "workbooks (for example one per city), or send it as .csv"
    )


def _open_workbook(data: bytes) -> openpyxl.Workbook:
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # a damaged archive or XML can fail in any of openpyxl's layers
        raise _not_xlsx(error) from None


def _xlsx_rows(sheet: Any) -> Iterator[list[str | None]]:
    """The sheet's rows as text, one at a time; openpyxl's errors become the reason the file is refused."""
    values = sheet.iter_rows(values_only=True)
    while True:
        try:
            row = next(values, None)
        except Exception as error:  # damaged XML is only met while the rows are read
            raise _not_xlsx(error) from None
        if row is None:
            return
        yield [_xlsx_text(value) for value in _without_padding(row)]


def _not_xlsx(error: Exception) -> UnreadableFile:
    return UnreadableFile(
        f"not a valid XLSX workbook ({type(error).__name__}: {_shorten(str(error))}); {_EXPORT_XLSX}"
    )


def _xlsx_text(value: object) -> str | None:
    """A cell as the text a person sees in Excel (15 significant digits), so it parses like a CSV cell."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(format(value, ".15g")).normalize(), "f")
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _size(n_bytes: int) -> str:
    if n_bytes < MB:
        return f"{n_bytes:,} bytes"
    return f"{n_bytes / MB:,.0f} MB" if n_bytes % MB == 0 else f"{n_bytes / MB:,.1f} MB"


# ---------------------------------------------------------------------------------------------------- JSON


class _JsonNumber(float):
    """A JSON number that remembers how it was written, so '45.50' stays '45.50' and not 45.5."""

    text: str

    def __new__(cls, text: str) -> _JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


class _DuplicateKey(ValueError):
    """An object names one key twice with different values: which one the city meant cannot be told."""

    def __init__(self, key: str, first: Any, second: Any) -> None:
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object from its pairs; a key repeated with the same value is harmless, with another value it is
    refused (the json module would silently keep the last)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result and result[key] != value:
            raise _DuplicateKey(key, result[key], value)
        result.setdefault(key, value)
    return result


_DECODER = json.JSONDecoder(parse_float=_JsonNumber, parse_constant=_JsonNumber, object_pairs_hook=_object)
_JSON_SPACE = re.compile(r"[ \t\n\r]*")  # what the json module skips between tokens


def _read_json(data: bytes, limits: ReadLimits) -> RawTable:
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"the file is not UTF-8 text (byte {error.start}); save the JSON file as UTF-8"
        ) from None
    if not text.strip():
        return RawTable([], [], "json", encoding, None)
    columns = _JsonColumns()
    counter = _RowCounter(limits.max_rows, header_rows=0)
    rows = []
    for index, element in _json_elements(text):
        values = _json_values(index, element, columns)
        blank = _is_blank(values.values())
        counter.add(blank)
        if blank:
            continue
        where = functools.partial(_json_element, index)
        _check_cells(values.values(), where)
        rows.append(RawRow(index, values, _record(element, where)))
    for row in rows:  # a column first named by a later element is None in the rows before it
        for name in columns.names:
            row.values.setdefault(name, None)
    return RawTable(columns.names, rows, "json", encoding, None)


def _json_element(index: int) -> str:
    return f"element {index:,} of the array"


def _json_elements(text: str) -> Iterator[tuple[int, Any]]:
    """The elements of the top-level array one at a time (index from 1), so that reading stops at a cap
    without the whole array ever being built."""
    position = _JSON_SPACE.match(text).end()
    if not text.startswith("[", position):
        kind = "object" if text.startswith("{", position) else None
        if kind is None:  # a scalar is short to decode, and decoding it tells whether it is JSON at all
            kind = _json_kind(_json_decode(text, position)[0])
        raise UnreadableFile(
            f"the top level of the file is a JSON {kind}, not an array of row objects; "
            "send the rows as [{...}, {...}]"
        )
    position = _JSON_SPACE.match(text, position + 1).end()
    index = 0
    while not (index == 0 and text.startswith("]", position)):  # [] is an empty array
        index += 1
        try:
            element, position = _json_decode(text, position)
        except _DuplicateKey as twice:
            raise UnreadableFile(
                f"{_json_element(index)} names the key {_shorten(twice.key, 60)!r} twice, with different "
                f"values ({_shorten(str(twice.first), 40)!r} and {_shorten(str(twice.second), 40)!r}); keep "
                "the one meant and send the file again"
            ) from None
        yield index, element
        position = _JSON_SPACE.match(text, position).end()
        if text.startswith("]", position):
            break
        if not text.startswith(",", position):
            raise _not_json(json.JSONDecodeError("Expecting ',' delimiter", text, position))
        position = _JSON_SPACE.match(text, position + 1).end()
    end = _JSON_SPACE.match(text, position + 1).end()
    if end != len(text):
        raise _not_json(json.JSONDecodeError("Extra data", text, end))


def _json_decode(text: str, position: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, position)
    except json.JSONDecodeError as error:
        raise _not_json(error) from None
    except _DuplicateKey:
        raise
    except RecursionError:  # the json module gives up near 1,000 levels: [[[[... is no row
        raise UnreadableFile(
            "the file nests arrays or objects hundreds of levels deep, which no table of rows does; "
            "send the rows as [{...}, {...}] with a plain value in each field"
        ) from None
    except ValueError as error:  # an integer too long to convert
        raise UnreadableFile(
            f"the file is not usable JSON ({_shorten(str(error))}); export the data again"
        ) from None


def _not_json(error: json.JSONDecodeError) -> UnreadableFile:
    return UnreadableFile(
        f"the file is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
        "fix it there or export the data again"
    )


class _JsonColumns:
    """The canonical column of each key, worked out once per distinct key, and the columns in first-seen
    order. Distinct keys are capped like columns: each costs a canonical_header call."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._of_key: dict[str, str] = {}

    def of(self, key: str, where: str) -> str:
        name = self._of_key.get(key)
        if name is None:
            if len(key) > _MAX_HEADER_CHARS:
                raise UnreadableFile(_header_too_long(f"a key of {where}", len(key)))
            if len(self._of_key) >= _MAX_COLUMNS:
                raise UnreadableFile(
                    f"the rows use more than {_MAX_COLUMNS} different keys, and a submission has 9 columns; "
                    "send only the columns of the data contract"
                )
            name = self._of_key[key] = canonical_header(key)
            if name and name not in self.names:
                self.names.append(name)
        return name


def _json_values(index: int, element: Any, columns: _JsonColumns) -> dict[str, str | None]:
    """An element's values by canonical column; the first key meaning a column gives its value."""
    where = f"element {index:,} of the array"
    if not isinstance(element, dict):
        raise UnreadableFile(
            f"{where} is a JSON {_json_kind(element)}, not a row object; "
            'fix it so that every element is an object like {"city_code": ...}'
        )
    if _nesting(element) > _MAX_JSON_DEPTH:
        raise UnreadableFile(
            f"{where} nests arrays or objects more than {_MAX_JSON_DEPTH} levels deep; fix it so that each "
            "field holds a plain value (text, a number, true/false or null)"
        )
    values: dict[str, str | None] = {}
    for key, value in element.items():
        name = columns.of(key, where)
        if name and name not in values:
            values[name] = _json_text(value)
    return values


def _nesting(value: Any) -> int:
    """How deep arrays and objects nest in `value` (a flat row object is 1), counted without recursion and
    only up to one level past the cap."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= _MAX_JSON_DEPTH:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _json_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _JsonNumber):
        return value.text
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _json_kind(value: object) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


# ------------------------------------------------------------------------------------------------- shared


class _RowCounter:
    """Counts rows as they are read and stops the reading at the first one over the cap. Blank rows are not
    data rows, but they are capped too: a file of a million empty lines is no submission either."""

    def __init__(self, max_rows: int, header_rows: int) -> None:
        self.max_rows = max_rows
        self.rows = -header_rows  # data rows so far; the header is not one
        self.blank = 0

    def add(self, blank: bool) -> None:
        if blank:
            self.blank += 1
            if self.blank > self.max_rows:
                raise UnreadableFile(
                    f"the file has more than {self.max_rows:,} empty rows; delete them (or copy only the "
                    "table into a new file) and send it again"
                )
            return
        self.rows += 1
        if self.rows > self.max_rows:
            raise UnreadableFile(
                f"the file has more than {self.max_rows:,} data rows, the most accepted in one file; split "
                f"it into several files (for example one per city or per group of cities) of at most "
                f"{self.max_rows:,} rows each"
            )

    def where(self) -> str:
        return "the header row" if self.rows <= 0 else f"data row {self.rows:,}"


def _is_blank(cells: Iterable[str | None]) -> bool:
    """Whether clean_text would find nothing in any cell (in linear time). A cell starting with a visible
    character settles it without the regex: the usual case, decided in one comparison."""
    for cell in cells:
        if cell and (cell[0] not in _BLANK_CHARACTERS or not _BLANK_CELL.fullmatch(cell)):
            return False
    return True


def _without_padding(row: Sequence[Any]) -> Sequence[Any]:
    """The row cut to _MAX_COLUMNS when every cell beyond is empty (a styled or padded sheet, trailing
    delimiters); unchanged otherwise, for `_check_cells` to refuse. Counting is done in C: rows of a hostile
    sheet can be 16,384 cells wide."""
    if len(row) <= _MAX_COLUMNS:
        return row
    tail = row[_MAX_COLUMNS:]
    return row[:_MAX_COLUMNS] if tail.count(None) + tail.count("") == len(tail) else row


def _check_cells(cells: Iterable[str | None], where: Callable[[], str]) -> None:
    """`where` names the row, for the message only: a callable, so that no text is made for a good row."""
    cells = list(cells)
    if len(cells) > _MAX_COLUMNS:
        column = _MAX_COLUMNS + next(i for i, cell in enumerate(cells[_MAX_COLUMNS:], start=1) if cell)
        raise UnreadableFile(
            f"{where()} has a value in column {column:,}, but a submission has 9 columns and at most "
            f"{_MAX_COLUMNS} are read; delete what lies right of the table and send the file again"
        )
    longest = max(map(len, filter(None, cells)), default=0)
    if longest > _MAX_CELL_CHARS:
        raise UnreadableFile(_cell_too_long(where(), f"{longest:,}"))


def _cell_too_long(where: str, length: str) -> str:
    return (
        f"{where} has a cell of {length} characters, more than the {_MAX_CELL_CHARS:,} a spreadsheet cell "
        "holds; shorten it and send the file again"
    )


def _header_too_long(where: str, length: int) -> str:
    return (
        f"{where} is {length:,} characters long, but a column name is a short label such as city_code or "
        "รหัสเมือง; check that the first row of the table is its header and send the file again"
    )


_JSON = json.JSONEncoder(ensure_ascii=False)  # one encoder; json.dumps(ensure_ascii=False) makes one a call


def _record(record: Any, where: Callable[[], str]) -> str:
    """`raw_record`: the row as JSON. Text that is not valid Unicode (a lone surrogate, from a JSON escape
    such as \\ud800) cannot be stored in the database: the file is refused, rather than the run failing."""
    text = _JSON.encode(record)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnreadableFile(
            f"{where()} holds text that is not valid Unicode (an unpaired surrogate such as \\ud800); fix "
            "that text or export the data again"
        ) from None
    return text


def _cell(row: Sequence[str | None], index: int) -> str | None:
    """The cell at index as found, or None when it is empty or the row is shorter than the header."""
    return (row[index] or None) if index < len(row) else None


def _table_from_cells(
    rows: Iterable[Sequence[str | None]],
    limits: ReadLimits,
    file_format: str,
    encoding: str | None,
    delimiter: str | None,
) -> RawTable:
    """A CSV or XLSX table: the first non-blank row is the header, the next non-blank rows are the data."""
    counter = _RowCounter(limits.max_rows, header_rows=1)
    checked = _checked_rows(rows, counter)
    header = next(checked, None)
    if header is None:
        return RawTable([], [], file_format, encoding, delimiter)
    for name in header:
        if name and len(name) > _MAX_HEADER_CHARS:
            raise UnreadableFile(_header_too_long("a column name of the header row", len(name)))
    return _table_from_rows(header, checked, counter, file_format, encoding, delimiter)


def _checked_rows(
    rows: Iterable[Sequence[str | None]], counter: _RowCounter
) -> Iterator[Sequence[str | None]]:
    """The non-blank rows, each counted and checked against the caps as it is read."""
    for row in rows:
        row = _without_padding(row)
        blank = _is_blank(row)
        counter.add(blank)
        if not blank:
            _check_cells(row, counter.where)
            yield row


def _table_from_rows(
    header: Sequence[str | None],
    rows: Iterable[Sequence[str | None]],
    counter: _RowCounter,
    file_format: str,
    encoding: str | None,
    delimiter: str | None,
) -> RawTable:
    """Rows of cells under a header row: canonical values for validation, original keys for tracing back.

    A column whose header is blank is not a data column; its non-empty cells are kept in `raw_record` only, as
    `_column_<position>`, and cells beyond the header as `_extra_<n>`. When two headers mean the same column
    (say `city_code` and `รหัสเมือง`), the first one's cells are the values.
    """
    raw_keys: list[str] = []
    unnamed: set[int] = set()
    first_column: dict[str, int] = {}
    for index, name in enumerate(header):
        if name is None or clean_text(name) is None:
            raw_keys.append(f"_column_{index + 1}")
            unnamed.add(index)
            continue
        repeat = header[:index].count(name)
        raw_keys.append(f"{name} ({repeat + 1})" if repeat else name)
        first_column.setdefault(canonical_header(name), index)
    width = len(raw_keys)
    value_columns = list(first_column.items())
    table_rows = []
    for number, row in enumerate(rows, start=1):
        # Each cell as found, or None when empty or missing (a row shorter than the header).
        cells = [cell or None for cell in row[:width]] + [None] * (width - len(row))
        if unnamed:
            record = {
                key: text
                for index, (key, text) in enumerate(zip(raw_keys, cells, strict=True))
                if text is not None or index not in unnamed
            }
        else:
            record = dict(zip(raw_keys, cells, strict=True))
        if len(row) > width:
            for extra, text in enumerate(row[width:], start=1):
                if text:
                    record[f"_extra_{extra}"] = text
        values = {name: cells[index] for name, index in value_columns}
        table_rows.append(RawRow(number, values, _record(record, counter.where)))
    return RawTable(list(first_column), table_rows, file_format, encoding, delimiter)
