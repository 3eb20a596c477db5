"""What every format shares once its cells are read: what a blank row is, the row, column and cell caps, the
header (its raw keys and the canonical column of each), and the tables a reader hands back.

A table is read into DuckDB, never into a Python object per row: `LoadedTable` names a temporary table of the
reading connection holding `row_number`, `raw_record` and one `value_<n>` column per canonical column.
`read_table` (readers/__init__.py) fetches it as a `RawTable` of `RawRow`s for callers that want Python rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from smartcity.normalize import canonical_header
from smartcity.parsing import WHITESPACE, ZERO_WIDTH, clean_text
from smartcity.readers.limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_HEADER_CHARS,
    UnreadableFile,
    cell_too_long,
    header_too_long,
)

# What clean_text strips, matched in linear time (clean_text's regex is quadratic on a long run of spaces).
BLANK_CHARACTERS = WHITESPACE + ZERO_WIDTH
_BLANK_CELL = re.compile(rf"[\s{ZERO_WIDTH}]*")
_BLANK_SET = frozenset(BLANK_CHARACTERS)


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


@dataclass(frozen=True)
class LoadedTable:
    """A file's rows in a temporary table of the connection that read it: `row_number`, `raw_record`, and
    `value_<n>` holding the values of `columns[n - 1]`."""

    table: str
    columns: list[str]  # canonical names, in file order
    row_count: int
    file_format: str
    encoding: str | None
    delimiter: str | None

    def value_column(self, name: str) -> str | None:
        """The table's column holding the canonical column `name`, None when the file has no such column."""
        return f"value_{self.columns.index(name) + 1}" if name in self.columns else None


def is_blank(cells: Iterable[str | None]) -> bool:
    """Whether clean_text would find nothing in any cell (in linear time). A cell starting with a visible
    character settles it without the regex: the usual case, decided in one comparison."""
    for cell in cells:
        if cell and (cell[0] not in _BLANK_SET or not _BLANK_CELL.fullmatch(cell)):
            return False
    return True


def without_padding(row: Sequence[Any]) -> Sequence[Any]:
    """The row cut to MAX_COLUMNS when every cell beyond is empty (a styled or padded sheet, trailing
    delimiters); unchanged otherwise, for `check_cells` to refuse. Counting is done in C: rows of a hostile
    sheet can be 16,384 cells wide."""
    if len(row) <= MAX_COLUMNS:
        return row
    tail = row[MAX_COLUMNS:]
    return row[:MAX_COLUMNS] if tail.count(None) + tail.count("") == len(tail) else row


def check_cells(cells: Iterable[str | None], where: Callable[[], str]) -> None:
    """`where` names the row, for the message only: a callable, so that no text is made for a good row."""
    cells = list(cells)
    if len(cells) > MAX_COLUMNS:
        column = MAX_COLUMNS + next(i for i, cell in enumerate(cells[MAX_COLUMNS:], start=1) if cell)
        raise UnreadableFile(
            f"{where()} has a value in column {column:,}, but a submission has 9 columns and at most "
            f"{MAX_COLUMNS} are read; delete what lies right of the table and send the file again"
        )
    longest = max(map(len, filter(None, cells)), default=0)
    if longest > MAX_CELL_CHARS:
        raise UnreadableFile(cell_too_long(where(), f"{longest:,}"))


class RowCounter:
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


def checked_rows(rows: Iterable[Sequence[str | None]], counter: RowCounter) -> Iterator[Sequence[str | None]]:
    """The non-blank rows, each counted and checked against the caps as it is read."""
    for row in rows:
        row = without_padding(row)
        blank = is_blank(row)
        counter.add(blank)
        if not blank:
            check_cells(row, counter.where)
            yield row


@dataclass(frozen=True)
class Header:
    """The header row of a CSV or XLSX table: the key of each position in `raw_record`, and the position whose
    cells are the values of each canonical column.

    A column whose header is blank is not a data column; its non-empty cells are kept in `raw_record` only, as
    `_column_<position>`, and cells beyond the header as `_extra_<n>`. When two headers mean the same column
    (say `city_code` and `รหัสเมือง`), the first one's cells are the values. A name typed twice is kept as
    `name (2)`.
    """

    raw_keys: tuple[str, ...]
    unnamed: frozenset[int]  # positions (from 0) whose header is blank
    value_positions: tuple[tuple[str, int], ...]  # canonical name -> position of its first column

    @classmethod
    def of(cls, cells: Sequence[str | None]) -> Header:
        for name in cells:
            if name and len(name) > MAX_HEADER_CHARS:
                raise UnreadableFile(header_too_long("a column name of the header row", len(name)))
        raw_keys: list[str] = []
        unnamed: set[int] = set()
        first_column: dict[str, int] = {}
        for index, name in enumerate(cells):
            if name is None or clean_text(name) is None:
                raw_keys.append(f"_column_{index + 1}")
                unnamed.add(index)
                continue
            repeat = cells[:index].count(name)
            raw_keys.append(f"{name} ({repeat + 1})" if repeat else name)
            first_column.setdefault(canonical_header(name), index)
        return cls(tuple(raw_keys), frozenset(unnamed), tuple(first_column.items()))

    @property
    def width(self) -> int:
        return len(self.raw_keys)

    @property
    def columns(self) -> list[str]:
        return [name for name, _ in self.value_positions]
