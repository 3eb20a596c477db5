"""Read one received file (CSV, XLSX or JSON) into rows of raw text, without judging the values.

Readers only decode: every cell keeps the text the city typed, so that validation can quarantine a bad value
with the value itself as evidence, and `raw_record` can always be traced back to the file. A file that cannot
be decoded at all raises `UnreadableFile` with a reason a submitter can act on; the run goes on without it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from smartcity.normalize import canonical_header, clean_text

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAX_UNDECODABLE_SHARE = 0.05  # of the non-ASCII characters of a cp874 file; a real TIS-620 file has none
_EXPORT_CSV = "export the sheet again as CSV UTF-8 (Excel: File > Save As > CSV UTF-8)"
_EXPORT_XLSX = "export the sheet again as .xlsx or .csv"


class UnreadableFile(Exception):
    """A received file that cannot be read at all; `reason` tells the submitter what to do about it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def read_table(path: Path) -> RawTable:
    """Dispatch on the file suffix; a missing or unopenable path is the caller's error and is not caught."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix == ".json":
        return _read_json(path)
    raise UnreadableFile(
        f"a file of type '{suffix or '(none)'}' is not accepted; send the data as .csv, .xlsx or .json"
    )


def read_registry_csv(path: Path) -> list[dict[str, str | None]]:
    """Rows of a registry CSV keyed by lower-cased header; same decoding rules as submissions."""
    text, _ = _decode_csv_bytes(path.read_bytes())
    rows = [row for row in _csv_rows(text, _sniff_delimiter(text)) if not _is_blank(row)]
    if not rows:
        return []
    header = [(clean_text(name) or "").lower() for name in rows[0]]
    return [{name: _cell(row, i) for i, name in enumerate(header) if name} for row in rows[1:]]


# ----------------------------------------------------------------------------------------------------- CSV


def _read_csv(path: Path) -> RawTable:
    text, encoding = _decode_csv_bytes(path.read_bytes())
    delimiter = _sniff_delimiter(text)
    rows = (row for row in _csv_rows(text, delimiter) if not _is_blank(row))
    header = next(rows, None)
    if header is None:
        return RawTable([], [], "csv", encoding, delimiter)
    return _table_from_rows(header, rows, "csv", encoding, delimiter)


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
        non_ascii = sum(1 for char in text if ord(char) > 127)
        if text.count("\ufffd") > _MAX_UNDECODABLE_SHARE * non_ascii:
            raise UnreadableFile(
                f"the file does not look like a text CSV file: it is neither UTF-8 nor Thai Windows-874; "
                f"{_EXPORT_CSV}"
            ) from None
    if _CONTROL_CHARS.search(text):
        raise UnreadableFile(
            f"the file does not look like a text CSV file: it contains binary control bytes; {_EXPORT_CSV}"
        )
    return text, encoding


def _sniff_delimiter(text: str) -> str:
    """';' or ',', whichever occurs more often outside quotes on the first non-empty line (',' on a tie)."""
    line = next((line for line in text.splitlines() if line.strip()), "")
    counts = {",": 0, ";": 0}
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char in counts and not quoted:
            counts[char] += 1
    return ";" if counts[";"] > counts[","] else ","


def _csv_rows(text: str, delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise UnreadableFile(f"the CSV structure is broken ({error}); {_EXPORT_CSV}") from None


# ---------------------------------------------------------------------------------------------------- XLSX


def _read_xlsx(path: Path) -> RawTable:
    data = path.read_bytes()
    try:
        with warnings.catch_warnings():  # openpyxl warns about styles and extensions it ignores: noise here
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    raise UnreadableFile(f"the workbook has no worksheet; {_EXPORT_XLSX}")
                cells = [
                    [_xlsx_text(v) for v in row] for row in workbook.worksheets[0].iter_rows(values_only=True)
                ]
            finally:
                workbook.close()
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
    except Exception as error:  # a damaged archive or XML can fail in any of openpyxl's layers
        raise UnreadableFile(
            f"not a valid XLSX workbook ({type(error).__name__}: {_shorten(str(error))}); {_EXPORT_XLSX}"
        ) from None
    rows = (row for row in cells if not _is_blank(row))
    header = next(rows, None)
    if header is None:
        return RawTable([], [], "xlsx", None, None)
    return _table_from_rows(header, rows, "xlsx", None, None)


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


# ---------------------------------------------------------------------------------------------------- JSON


class _JsonNumber(float):
    """A JSON number that remembers how it was written, so '45.50' stays '45.50' and not 45.5."""

    text: str

    def __new__(cls, text: str) -> _JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _read_json(path: Path) -> RawTable:
    data = path.read_bytes()
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"the file is not UTF-8 text (byte {error.start}); save the JSON file as UTF-8"
        ) from None
    if not text.strip():
        return RawTable([], [], "json", encoding, None)
    try:
        document = json.loads(text, parse_float=_JsonNumber, parse_constant=_JsonNumber)
    except json.JSONDecodeError as error:
        raise UnreadableFile(
            f"the file is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
            "fix it there or export the data again"
        ) from None
    except (ValueError, RecursionError) as error:  # an integer too long to convert, or absurd nesting
        raise UnreadableFile(
            f"the file is not usable JSON ({_shorten(str(error))}); export the data again"
        ) from None
    if not isinstance(document, list):
        raise UnreadableFile(
            f"the top level of the file is a JSON {_json_kind(document)}, not an array of row objects; "
            "send the rows as [{...}, {...}]"
        )
    for index, element in enumerate(document, start=1):
        if not isinstance(element, dict):
            raise UnreadableFile(
                f"element {index} of the array is a JSON {_json_kind(element)}, not a row object; "
                'fix it so that every element is an object like {"city_code": ...}'
            )
    columns: list[str] = []
    for element in document:
        for key in element:
            name = canonical_header(key)
            if name and name not in columns:
                columns.append(name)
    rows = []
    for index, element in enumerate(document, start=1):
        values: dict[str, str | None] = dict.fromkeys(columns)
        assigned: set[str] = set()
        for key, value in element.items():
            name = canonical_header(key)
            if name and name not in assigned:
                values[name] = _json_text(value)
                assigned.add(name)
        if _is_blank(values.values()):
            continue
        rows.append(RawRow(index, values, json.dumps(element, ensure_ascii=False)))
    return RawTable(columns, rows, "json", encoding, None)


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


def _is_blank(cells: Iterable[str | None]) -> bool:
    return all(clean_text(cell) is None for cell in cells)


def _cell(row: Sequence[str | None], index: int) -> str | None:
    """The cell at index as found, or None when it is empty or the row is shorter than the header."""
    return (row[index] or None) if index < len(row) else None


def _table_from_rows(
    header: Sequence[str | None],
    rows: Iterable[Sequence[str | None]],
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
    table_rows = []
    for number, row in enumerate(rows, start=1):
        record: dict[str, str | None] = {}
        for index, key in enumerate(raw_keys):
            text = _cell(row, index)
            if text is not None or index not in unnamed:
                record[key] = text
        for extra, text in enumerate(row[len(raw_keys) :], start=1):
            if text:
                record[f"_extra_{extra}"] = text
        values = {name: _cell(row, index) for name, index in first_column.items()}
        table_rows.append(RawRow(number, values, json.dumps(record, ensure_ascii=False)))
    return RawTable(list(first_column), table_rows, file_format, encoding, delimiter)
