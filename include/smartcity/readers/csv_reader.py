"""CSV: decoded (UTF-8 with or without BOM, else Thai Windows-874), its delimiter sniffed, read by DuckDB.

DuckDB's reader takes every cell as text, exactly as sent. Windows-874 is transcoded to UTF-8 by Python's
codec into a temporary file first (DuckDB reads UTF-8 only). DuckDB reads a file only once a look at its text
(regular expressions over the whole text, in C) has shown it is well-formed: every quote opens or closes a
whole cell, one kind of line end, fewer records than the row cap, and the records DuckDB returns are the ones
counted. Anything else (a quote inside a cell, mixed line ends, a cell over a cap, a file cut off mid-row, a
quote left open) is read by Python's csv module, row by row, which has the last word on what a file holds and
on the words of every refusal; tests/unit/test_reader_equivalence.py proves both paths give the same rows.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from smartcity.parsing import clean_text
from smartcity.readers.limits import (
    EXPORT_CSV,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_HEADER_CHARS,
    ReadLimits,
    UnreadableFile,
    cell_too_long,
    read_bytes,
)
from smartcity.readers.rows import Header, LoadedTable, is_blank
from smartcity.readers.table_sql import blank_row, build_rows, load_cell_rows

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAX_UNDECODABLE_SHARE = 0.05  # of the non-ASCII characters of a cp874 file; a real TIS-620 file has none
_FIRST_VISIBLE = re.compile(r"\S")
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # where str.splitlines cuts
_LINE_BREAK = re.compile(f"[{_LINE_BREAKS}]")
# One line as `open(newline="")` reads it, the line end kept, so the csv module sees quoted line breaks.
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")
# A whole quoted cell: a quote where a cell starts, then anything with quotes doubled, then a quote where the
# cell ends. Written unrolled ("[^"]*(?:""[^"]*)*"), so it runs in linear time.
_QUOTED_CELL = {
    delimiter: re.compile(rf'(?:^|(?<=[{delimiter}\r\n]))"[^"]*(?:""[^"]*)*"(?=[{delimiter}\r\n]|\Z)')
    for delimiter in ",;"
}


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, limits: ReadLimits, into: str) -> LoadedTable:
    text, encoding = decode_csv_bytes(read_bytes(path, limits))
    delimiter = sniff_delimiter(text)
    layout = _Layout.of(text, delimiter, limits)
    if layout is not None:
        with _utf8_copy(path, text, encoding) as readable:
            loaded = _read_with_duckdb(con, readable, text, layout, into, encoding)
        if loaded is not None:
            return loaded
    return _read_with_python(con, text, limits, into, encoding, delimiter)


# ---------------------------------------------------------------------------------------------- decoding


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """UTF-8 (BOM or not) first, then Thai Windows-874; reject what is evidently not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(
            f"the file is UTF-16 text, not a CSV file in UTF-8 or Thai Windows-874; {EXPORT_CSV}"
        )
    if data.startswith(b"PK\x03\x04"):
        raise UnreadableFile(
            "the file is an Excel workbook (XLSX) named .csv; rename it to .xlsx or " + EXPORT_CSV
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
                f"{EXPORT_CSV}"
            ) from None
    control = _CONTROL_CHARS.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        raise UnreadableFile(
            f"the file does not look like a text CSV file: it contains binary control bytes (the first, "
            f"{control.group()!r}, on line {line:,}); {EXPORT_CSV}"
        )
    return text, encoding


def sniff_delimiter(text: str) -> str:
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


# ------------------------------------------------------------------------------------------- DuckDB path


@dataclass(frozen=True)
class _Layout:
    """The record structure of a well-formed text, seen with the quoted cells taken out: every record is one
    line of `bare`, and its delimiters are its cells' boundaries."""

    delimiter: str
    lines: list[str]  # the records of the text, quoted cells replaced by 'q', line ends taken out
    cells: int  # the most cells in one record
    first_multiline: str | None  # the first cell holding a line break, quotes taken off

    @classmethod
    def of(cls, text: str, delimiter: str, limits: ReadLimits) -> _Layout | None:
        """The layout, or None when the text is not for DuckDB (the csv module then reads it)."""
        first_multiline = None
        bare = text
        if '"' in text:
            quoted = _QUOTED_CELL[delimiter]
            bare = quoted.sub("q", text)
            if '"' in bare:  # a quote inside a cell, or one left open
                return None
            for match in quoted.finditer(text):
                cell = match.group()
                if "\n" in cell or "\r" in cell:
                    first_multiline = cell[1:-1].replace('""', '"')
                    break
        newline = _newline(bare)
        if newline is None:
            return None
        lines = bare.split(newline)
        if lines[-1] == "":  # the text ends with a line end: no record after it
            lines.pop()
        if len(lines) > limits.max_rows:  # near a row cap: the csv module counts them and stops there
            return None
        cells = max(map(str.count, lines, [delimiter] * len(lines)), default=0) + 1
        if cells > MAX_COLUMNS:
            return None
        return cls(delimiter, lines, cells, first_multiline)

    def record_cells(self, record: int) -> int:
        """How many cells the `record`-th non-empty record (from 0, as DuckDB numbers them) holds."""
        for line in self.lines:
            if line:
                if record == 0:
                    return line.count(self.delimiter) + 1
                record -= 1
        raise IndexError(record)


def _newline(bare: str) -> str | None:
    """The one kind of line end of the records, None when they are mixed (DuckDB reads one kind)."""
    returns = bare.count("\r")
    if returns == 0:
        return "\n"
    feeds = bare.count("\n")
    if feeds == 0:
        return "\r"
    return "\r\n" if returns == feeds == bare.count("\r\n") else None


_READ_DIR: list[Path] = []


@contextmanager
def _utf8_copy(path: Path, text: str, encoding: str) -> Iterator[Path]:
    """A path DuckDB can read the text from, under a name of ours (DuckDB reads a path as a glob pattern):
    a link to the file when it is UTF-8, else a temporary UTF-8 copy written out by Python's codec."""
    if not _READ_DIR:
        _READ_DIR.append(Path(tempfile.mkdtemp(prefix="smartcity-read-")))
    readable = _READ_DIR[0] / f"{os.getpid()}-{id(text)}.csv"
    try:
        if encoding == "cp874":
            with readable.open("w", encoding="utf-8", newline="") as target:
                target.write(text)
        else:
            readable.symlink_to(path.resolve())
        yield readable
    finally:
        readable.unlink(missing_ok=True)


def _read_with_duckdb(
    con: duckdb.DuckDBPyConnection, readable: Path, text: str, layout: _Layout, into: str, encoding: str
) -> LoadedTable | None:
    """The rows as DuckDB reads them, or None when the csv module must read the file (a cell over a cap, a
    file cut off, a quote left open: its words for each refusal are the ones a submitter gets)."""
    columns = [f"c{n}" for n in range(1, layout.cells + 1)]
    types = "{" + ", ".join(f"'{column}': 'VARCHAR'" for column in columns) + "}"
    try:
        con.execute(
            "create or replace temp table _reader_csv as select * from read_csv(?, header = false, "  # noqa: S608
            f"auto_detect = false, delim = ?, quote = '\"', escape = '\"', columns = {types}, "
            "null_padding = true, strict_mode = false, parallel = false)",
            [str(readable), layout.delimiter],
        )
    except duckdb.Error:
        return None
    blank = blank_row(columns)
    longest = "greatest(" + ", ".join(f"length({column})" for column in columns) + ")"
    # Row ids follow the order of the file; they start from 0 only outside a transaction.
    records, first, filled, header_at, longest_cell = con.execute(
        f"select count(*), min(rowid), count(*) filter (where not ({blank})), "  # noqa: S608 (our names)
        f"min(rowid) filter (where not ({blank})), max({longest}) from _reader_csv"
    ).fetchall()[0]
    if records != len(layout.lines) - layout.lines.count("") or (longest_cell or 0) > MAX_CELL_CHARS:
        return None
    if header_at is None:
        con.execute(f"create or replace temp table {into} (row_number integer, raw_record varchar)")
        return LoadedTable(into, [], 0, "csv", encoding, layout.delimiter)
    width = layout.record_cells(header_at - first)
    header = con.execute("select * from _reader_csv where rowid = ?", [header_at]).fetchall()[0]
    names = [cell or "" for cell in header[:width]]
    if any(len(name) > MAX_HEADER_CHARS for name in names):
        return None
    if layout.first_multiline and _looks_like_rows(layout.first_multiline, layout.delimiter, width):
        return None
    if filled == records - (header_at - first):  # no blank row under the header: the data rows follow it
        data = f"select rowid - {int(header_at)} as rn, * from _reader_csv where rowid > {int(header_at)}"  # noqa: S608
    else:
        data = (
            f"select row_number() over (order by rowid) as rn, * from _reader_csv "  # noqa: S608
            f"where rowid > {int(header_at)} and not ({blank})"
        )
    loaded = build_rows(
        con,
        Header.of(names),
        f"({data})",
        layout.cells,
        into,
        "csv",
        encoding,
        layout.delimiter,
        False,
        rows=filled - 1,
    )
    cut_off = not text.endswith(("\n", "\r")) and layout.lines[-1].count(layout.delimiter) + 1 < width
    return None if loaded.row_count and cut_off else loaded


# ------------------------------------------------------------------------------------ the csv module path


def _read_with_python(
    con: duckdb.DuckDBPyConnection, text: str, limits: ReadLimits, into: str, encoding: str, delimiter: str
) -> LoadedTable:
    records = _CsvRecords(csv_rows(text, delimiter))
    loaded = load_cell_rows(con, records, limits, into, "csv", encoding, delimiter)
    _check_unclosed_quote(records, delimiter)
    _check_cut_off(records, loaded.row_count, text)
    return loaded


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
            if self.header is None and not is_blank(record):
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


def _check_cut_off(records: _CsvRecords, data_rows: int, text: str) -> None:
    """A file whose last line has fewer cells than the header and no line end was cut off mid-row (an upload
    still in progress, a disk that filled up): its rows are not taken until the whole file arrives."""
    if not data_rows or records.last is None or text.endswith(("\n", "\r")):
        return
    width = len(records.header or ())
    if len(records.last) < width:
        raise UnreadableFile(
            f"the file ends in the middle of a row (its last line has {len(records.last)} of the header's "
            f"{width} columns and no line end): it was cut off, for example while it was still being "
            "uploaded; send the whole file again",
            code="INCOMPLETE",
        )


def csv_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    """Records one at a time, so that reading stops at the first row over a cap."""
    reader = csv.reader((line.group() for line in _LINE.finditer(text)), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as error:
        if "field larger than field limit" in str(error):  # the csv module's own cap, 131,072 characters
            raise UnreadableFile(
                cell_too_long(f"line {reader.line_num:,}", f"more than {csv.field_size_limit():,}")
                + ' (a quote " opened and never closed makes one cell of the rest of the file)'
            ) from None
        raise UnreadableFile(f"the CSV structure is broken ({error}); {EXPORT_CSV}") from None


# -------------------------------------------------------------------------------------------- registry


def read_registry_csv(path: Path, limits: ReadLimits | None = None) -> list[dict[str, str | None]]:
    """Rows of a registry CSV keyed by lower-cased header; same decoding rules and size cap as submissions.
    A registry is a few thousand rows read once a run: the csv module reads it."""
    text, _ = decode_csv_bytes(read_bytes(path, limits or ReadLimits()))
    rows = [row for row in csv_rows(text, sniff_delimiter(text)) if not is_blank(row)]
    if not rows:
        return []
    header = [(clean_text(name) or "").lower() for name in rows[0]]
    return [
        {name: (row[i] or None) if i < len(row) else None for i, name in enumerate(header) if name}
        for row in rows[1:]
    ]
