"""XLSX: the archive checked before anything opens it, then the sheet read by calamine (compiled, Rust).

An XLSX file is a zip archive. Before calamine opens it, every part is unpacked once, in chunks, and counted:
its size (a zip bomb is refused before it is unpacked, on the sizes the archive declares, then on what
unpacking really gives), its rows and shared strings, and the block of rows and columns each sheet spans
(calamine holds a sheet as a dense block: one stray cell at XFD1048576 would take gigabytes). A DTD, which
no spreadsheet writes, is refused (entities that expand without bound).

Each cell becomes the text a person sees in Excel (numbers with 15 significant digits), so it parses like a
CSV cell. A cell showing an error (#DIV/0!, #N/A) keeps that text: calamine gives such cells empty, so they
are taken from the sheet's XML. The sheet read is the one whose header row is the contract's (contract
section 2).

One module on purpose (over 400 lines): the archive checks exist only for the sheet reader that follows them
(calamine is handed nothing they have not counted), so the two halves are read and changed together.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO

import duckdb
import python_calamine

from smartcity.normalize import canonical_header
from smartcity.readers.limits import (
    EXPORT_XLSX,
    MAX_HEADER_CHARS,
    MB,
    XLSX_UNPACKED_FACTOR,
    ReadLimits,
    UnreadableFile,
    read_bytes,
    shorten,
    size_text,
)
from smartcity.readers.rows import LoadedTable, RowCounter, checked_rows
from smartcity.readers.table_sql import load_cell_rows

# Apache POI refuses parts that inflate more than 100 times (its MIN_INFLATE_RATIO 0.01); spreadsheet XML
# compresses 5-20 times. Parts under 1 MB are too small to matter.
_MAX_RATIO = 100
_RATIO_FROM = MB
_MAX_PARTS = 10_000  # a workbook has a dozen parts
_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
_STREAMED_PART = re.compile(r"xl/worksheets/[^/]+\.xml|xl/sharedstrings\.xml")
_MAX_WHOLE_PART = 16 * MB  # styles, workbook, relations: tens of kilobytes in a real workbook
_STRINGS_PER_ROW = 10  # different texts a row can bring: a submission row has 9 cells
_SPARE_ELEMENTS = 1_000  # <rowBreaks>, pivot tables' <rowFields>: a few more matches of the patterns
# The block a sheet spans (rows x columns, from A1 to its farthest cell) is held whole by calamine, about 30
# bytes a cell: a submission of the most rows and 32 columns fits, 200 MB at the default cap.
_SPAN_CELLS_PER_ROW = 32
_CARRY = 64  # bytes carried from one chunk to the next: longer than any pattern matched across them
_CELL_REF = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]+)([0-9]+)["']""")
_PLAIN_ROW = re.compile(rb' r="[A-Za-z]+([0-9]+)"')
_PLAIN_COLUMN = re.compile(rb' r="([A-Za-z]+)[0-9]')
# Anything but <c r="..."> and <row r="..."> with double quotes: a prefix, other white space, single quotes.
_OTHER_SPELLINGS = (b":c ", b":c>", b"<c\t", b"<c\n", b"<c\r", b"<c/", b"r='", b"r =", b"r= ", b":row")
_ROW_REF = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*?\sr\s*=\s*["']([0-9]+)["']""")
# A cell without a position (r="B5"): calamine places it after the one before it in its row.
_CELL_WITHOUT_POSITION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s>/])(?![^>]*\sr\s*=)")
_ERROR_CELL = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\bt=\"e\"[^>]*>.*?</(?:[A-Za-z_][\w.-]*:)?c>", re.S
)
_ERROR_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v>([^<]*)</")
_WORKBOOK_VIEW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?workbookView\b([^>]*)>")
_ACTIVE_TAB = re.compile(rb"""\bactiveTab=["']([0-9]{1,5})["']""")
_SHEET_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\b([^>]*)>")
_RELATION_ID = re.compile(rb"""\b[A-Za-z_][\w.-]*:id=["']([^"']*)["']""")
_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\b([^>]*)>")
_ATTRIBUTE = {
    name: re.compile(rb"\b" + name.encode() + rb"""=["']([^"']*)["']""") for name in ("Id", "Target")
}

# A sheet holds a submission when its header row names these columns (English or Thai, contract section 2).
_KEY_COLUMNS = ("city_code", "project_code", "report_month", "progress_pct")


def read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, limits: ReadLimits, into: str) -> LoadedTable:
    data = read_bytes(path, limits)
    archive = _check_archive(data, limits)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as error:  # a damaged archive or XML can fail in any of calamine's layers
        raise _not_xlsx(error) from None
    try:
        rows = _submission_sheet(workbook, archive, data, limits)
        return load_cell_rows(con, rows, limits, into, "xlsx", None, None)
    finally:
        workbook.close()


# ------------------------------------------------------------------------------------------ the sheet


def _submission_sheet(
    workbook: python_calamine.CalamineWorkbook, archive: _Archive, data: bytes, limits: ReadLimits
) -> list[list[str | None]]:
    """The rows of the sheet to read (contract section 2): the one whose header row (its first non-blank
    row) is the contract's, visible sheets before hidden ones and the active sheet first; else the active
    visible sheet (a cover page, say, when no sheet has the header: its rows are then quarantined for what
    they lack)."""
    try:
        listed = workbook.sheets_metadata
    except Exception as error:
        raise _not_xlsx(error) from None
    sheets = [sheet for sheet in listed if sheet.typ == python_calamine.SheetTypeEnum.WorkSheet]
    if not sheets:
        raise UnreadableFile(f"the workbook has no worksheet; {EXPORT_XLSX}")
    active = listed[archive.active_tab] if archive.active_tab < len(listed) else None
    active = active if active in sheets else None
    visible = [sheet for sheet in sheets if sheet.visible == python_calamine.SheetVisibleEnum.Visible]
    order = [s for s in (active,) if s in visible] + [s for s in visible if s is not active]
    order += [s for s in sheets if s not in visible]
    active_rows: list[list[str | None]] = []
    for sheet in order:
        rows = list(_sheet_rows(workbook, sheet.name, archive, data, listed.index(sheet)))
        header = next(checked_rows(rows, RowCounter(limits.max_rows, header_rows=1)), None)
        names = {canonical_header(name) for name in header or () if name and len(name) <= MAX_HEADER_CHARS}
        if all(column in names for column in _KEY_COLUMNS):
            return rows
        if sheet is active:
            active_rows = rows
    if active is not None and active in visible:
        return active_rows
    shown = ", ".join(repr(sheet.name) for sheet in sheets[:10])
    raise UnreadableFile(
        f"no sheet of the workbook starts with the submission's header row (city_code, project_code, "
        f"report_month, progress_pct, ... or รหัสเมือง, รหัสโครงการ, ...), and no sheet is shown as the active "
        f"one (sheets: {shown}); put the rows on a sheet whose first row is that header"
    )


def _sheet_rows(
    workbook: python_calamine.CalamineWorkbook, name: str, archive: _Archive, data: bytes, position: int
) -> Iterator[list[str | None]]:
    """The sheet's rows as text, from row 1 and column A (the empty rows above the table are blank rows, as
    in the sheet), each ending at its last value."""
    try:
        values = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as error:  # damaged XML is met while the sheet is read
        raise _not_xlsx(error) from None
    errors = _error_cells(archive, data, position)
    for index, row in enumerate(values):
        cells = [(value or None) if type(value) is str else _cell_text(value) for value in row]
        for column, text in errors.get(index, ()):
            cells[column] = text
        while cells and cells[-1] is None:  # calamine gives every row the sheet's width: a row ends at its
            cells.pop()  # last value (what lies beyond a header is extra, not a column without a name)
        yield cells


def _cell_text(value: object) -> str | None:
    """A cell as the text a person sees in Excel (15 significant digits), so it parses like a CSV cell."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))  # -0.0 too: Excel shows 0
        shortest = repr(value)  # already the text when it has 15 significant digits or fewer (not inf, nan)
        if (
            shortest[-1].isdigit()
            and "e" not in shortest
            and len(shortest.lstrip("-0.").replace(".", "")) <= 15
        ):
            return shortest
        return format(Decimal(format(value, ".15g")).normalize(), "f")
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _error_cells(archive: _Archive, data: bytes, position: int) -> dict[int, list[tuple[int, str]]]:
    """The cells of a sheet that show an error, by row (from 0): (column from 0, text)."""
    part = archive.sheet_parts.get(position)
    if part is None or part not in archive.parts_with_errors:
        return {}
    found: dict[int, list[tuple[int, str]]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zipped, zipped.open(part) as stream:
        for element in _matches(stream, _ERROR_CELL, carry=4096):
            reference = _CELL_REF.search(element)
            value = _ERROR_VALUE.search(element)
            if reference is None:
                raise UnreadableFile(
                    f"not a valid XLSX workbook (a cell showing an error has no position); {EXPORT_XLSX}"
                )
            row = int(reference.group(2)) - 1
            column = _column_number(reference.group(1)) - 1
            text = html.unescape(value.group(1).decode(errors="replace")) if value else None
            if text and row >= 0:
                found.setdefault(row, []).append((column, text))
    return found


def _matches(stream: IO[bytes], pattern: re.Pattern[bytes], carry: int) -> Iterator[bytes]:
    """Every match of `pattern` (shorter than `carry` bytes) in a stream read in chunks, each once."""
    pending = b""
    while chunk := stream.read(MB):
        text = pending + chunk
        end = 0
        for match in pattern.finditer(text):
            yield match.group()
            end = match.end()
        pending = text[max(end, len(text) - carry) :]
    yield from (match.group() for match in pattern.finditer(pending))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


# ---------------------------------------------------------------------------------------- the archive


@dataclass
class _Archive:
    """What the archive check learnt: the active tab, the part of each sheet (by its place in the workbook),
    and the sheet parts holding cells that show an error."""

    active_tab: int = 0
    sheet_parts: dict[int, str] = field(default_factory=dict)
    parts_with_errors: set[str] = field(default_factory=set)


@dataclass
class _PartCount:
    rows: int = 0
    strings: int = 0
    last_row: int = 0  # the farthest row and column a cell names
    last_column: int = 0
    cells_without_position: int = 0
    errors: int = 0


def _check_archive(data: bytes, limits: ReadLimits) -> _Archive:
    """Refuse a zip bomb before calamine opens the workbook: first on the sizes the archive declares, before
    anything is unpacked; then on what unpacking every part once, in chunks, actually gives."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            _check_declared_sizes(parts, limits)
            counts = _unpack_counting(archive, parts, limits)
            found = _Archive()
            _read_workbook_index(archive, found)
    except UnreadableFile:
        raise
    except zipfile.BadZipFile:
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise UnreadableFile(
                "the file is an old Excel 97-2003 (.xls) or a password-protected workbook, not an XLSX "
                "workbook; save it as .xlsx without a password, or as CSV UTF-8"
            ) from None
        raise UnreadableFile(
            f"not a valid XLSX workbook (the zip archive is corrupt); {EXPORT_XLSX}"
        ) from None
    except Exception as error:  # zlib errors, encrypted or unknown compression, a truncated part
        raise _not_xlsx(error) from None
    rows = sum(count.rows for count in counts.values())
    strings = sum(count.strings for count in counts.values())
    if rows > 2 * limits.max_rows + _SPARE_ELEMENTS:  # more than data rows and blank rows together
        raise UnreadableFile(
            f"the workbook has more than {2 * limits.max_rows:,} rows, and at most {limits.max_rows:,} data "
            "rows are accepted in one file; split it into several files (for example one per city or per "
            "group of cities) and delete empty rows"
        )
    if strings > _STRINGS_PER_ROW * limits.max_rows + _SPARE_ELEMENTS:
        raise UnreadableFile(
            f"the workbook holds more than {_STRINGS_PER_ROW * limits.max_rows:,} different texts, far "
            f"more than {limits.max_rows:,} rows of a submission need; {EXPORT_XLSX}"
        )
    for name, count in counts.items():
        _check_span(name, count, limits)
        if count.errors:
            found.parts_with_errors.add(name)
    return found


def _check_declared_sizes(parts: list[zipfile.ZipInfo], limits: ReadLimits) -> None:
    if len(parts) > _MAX_PARTS:
        raise UnreadableFile(
            f"not a valid XLSX workbook (the archive holds {len(parts):,} parts; a workbook has a dozen); "
            f"{EXPORT_XLSX}"
        )
    if sum(part.file_size for part in parts) > limits.max_unpacked_bytes:
        raise UnreadableFile(_unpacks_to_more(limits))
    for part in parts:
        _check_part_size(part, part.file_size)
        if part.file_size > _RATIO_FROM and part.file_size > _MAX_RATIO * part.compress_size:
            ratio = part.file_size // max(part.compress_size, 1)
            raise UnreadableFile(
                f"the workbook's part {shorten(part.filename, 60)!r} is compressed {ratio:,} to 1, more "
                f"than the {_MAX_RATIO} to 1 a real spreadsheet reaches, so it is not unpacked (a 'zip "
                f"bomb'); {EXPORT_XLSX}"
            )


def _check_part_size(part: zipfile.ZipInfo, size: int) -> None:
    """Only the sheets and the shared strings may be large: the small XML parts (styles, relations) are
    parsed whole."""
    name = part.filename.lower()
    streamed = _STREAMED_PART.fullmatch(name) or not name.endswith((".xml", ".rels"))
    if not streamed and size > _MAX_WHOLE_PART:
        raise UnreadableFile(
            f"the workbook's part {shorten(part.filename, 60)!r} unpacks to more than "
            f"{size_text(_MAX_WHOLE_PART)}, far more than a real spreadsheet's; {EXPORT_XLSX}"
        )


def _unpack_counting(
    archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo], limits: ReadLimits
) -> dict[str, _PartCount]:
    """Unpack every part once, in chunks, and count: its bytes (a part may unpack to more than it
    declares), the row and shared-string elements in it, and for a sheet the farthest cell it names."""
    unpacked = 0
    counts: dict[str, _PartCount] = {}
    for part in parts:
        part_bytes, carry, tail = 0, b"", b""
        count = counts[part.filename] = _PartCount()
        sheet = _SHEET_PART.fullmatch(part.filename) is not None
        with archive.open(part) as stream:
            while chunk := stream.read(MB):
                part_bytes += len(chunk)
                unpacked += len(chunk)
                if part_bytes > part.file_size or unpacked > limits.max_unpacked_bytes:
                    raise UnreadableFile(_unpacks_to_more(limits))
                _check_part_size(part, part_bytes)
                # Four-byte patterns and three bytes carried over: none is missed or counted twice.
                text = carry + chunk
                count.rows += text.count(b"<row") + text.count(b":row")
                count.strings += text.count(b"<si>") + text.count(b":si>")
                if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
                    raise UnreadableFile(
                        f"not a valid XLSX workbook (the part {shorten(part.filename, 60)!r} declares "
                        f"entities, which no spreadsheet program writes); {EXPORT_XLSX}"
                    )
                if sheet:
                    _count_cells(count, tail + chunk, chunk)
                carry, tail = text[-3:], chunk[-_CARRY:]
    return counts


def _count_cells(count: _PartCount, window: bytes, chunk: bytes) -> None:
    """The farthest row and column the cells of a sheet name, in `window` (the chunk and the end of the one
    before: a reference cut in two is matched whole there, and matching one twice changes no maximum); the
    cells without a position and those showing an error, in the chunk (one cut in two may be missed or
    counted twice: these counts only bound the block a sheet spans and say where to look for errors). Cells
    written as every program writes them (<c r="B5" ...>) are matched by patterns that start with a literal,
    several times faster; any other spelling by the general ones."""
    plain = chunk.count(b"<c ") + chunk.count(b"<c>") == chunk.count(b'<c r="') and not any(
        spelling in chunk for spelling in _OTHER_SPELLINGS
    )
    if plain:
        rows, columns = _PLAIN_ROW.findall(window), set(_PLAIN_COLUMN.findall(window))
    else:
        refs = _CELL_REF.findall(window)
        rows = [digits for _, digits in refs] + _ROW_REF.findall(window)
        columns = {letters for letters, _ in refs}
        count.cells_without_position += len(_CELL_WITHOUT_POSITION.findall(chunk))
    count.last_row = max(count.last_row, *map(int, rows), 0)
    count.last_column = max(count.last_column, *map(_column_number, columns), 0)
    count.errors += chunk.count(b' t="e"')


def _check_span(name: str, count: _PartCount, limits: ReadLimits) -> None:
    """A sheet's block (its rows times its columns, from A1) within what calamine may hold."""
    columns = count.last_column + count.cells_without_position  # those may all stand in one row
    rows = max(count.last_row, count.rows)
    budget = _SPAN_CELLS_PER_ROW * limits.max_rows
    if rows * columns > budget:
        raise UnreadableFile(
            f"the workbook's sheet {shorten(name, 60)!r} spans {rows:,} rows and {columns:,} columns, "
            f"{rows * columns:,} cells, more than the {budget:,} read from one sheet; delete what lies below "
            "or right of the table (or copy the table alone into a new workbook) and send it again"
        )


def _read_workbook_index(archive: zipfile.ZipFile, found: _Archive) -> None:
    """The active tab (the first window's), and the part of each sheet, from the workbook's own small XML
    parts (their size is checked above)."""
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names:
        return
    book = archive.read("xl/workbook.xml")
    view = _WORKBOOK_VIEW.search(book)
    tab = _ACTIVE_TAB.search(view.group(1)) if view else None
    found.active_tab = int(tab.group(1)) if tab else 0
    targets: dict[bytes, str] = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for relation in _RELATIONSHIP.finditer(archive.read("xl/_rels/workbook.xml.rels")):
            ident = _ATTRIBUTE["Id"].search(relation.group(1))
            target = _ATTRIBUTE["Target"].search(relation.group(1))
            if ident and target:
                path = html.unescape(target.group(1).decode(errors="replace"))
                targets[ident.group(1)] = path.lstrip("/") if path.startswith("/") else "xl/" + path
    for position, sheet in enumerate(_SHEET_ELEMENT.finditer(book)):
        ident = _RELATION_ID.search(sheet.group(1))
        if ident and ident.group(1) in targets:
            found.sheet_parts[position] = targets[ident.group(1)]


def _unpacks_to_more(limits: ReadLimits) -> str:
    return (
        f"the workbook unpacks to more than {size_text(limits.max_unpacked_bytes)}, the most read from one "
        f"file ({XLSX_UNPACKED_FACTOR} times the {size_text(limits.max_bytes)} limit); split it into several "
        "workbooks (for example one per city), or send it as .csv"
    )


def _not_xlsx(error: Exception) -> UnreadableFile:
    return UnreadableFile(
        f"not a valid XLSX workbook ({type(error).__name__}: {shorten(str(error))}); {EXPORT_XLSX}"
    )
