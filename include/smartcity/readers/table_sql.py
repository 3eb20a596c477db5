"""The one rule that turns the cells of a CSV or XLSX table into rows: values per canonical column and
`raw_record`, built by DuckDB in one statement, never by a Python loop over cells.

The cells come in a relation `rn, c1 .. c<n>` (`rn` the data row number from 1; only the non-blank rows under
the header). `raw_record` is the row as JSON, byte for byte what Python's `json` module writes for the dict
{raw key: cell} (", " and ": " between items, non-ASCII kept, a cell that is empty or missing as null): the
readers before this one wrote it that way, and published quarantine rows keep it. Only DuckDB's `to_json` of
a text differs from Python's, in the case of hexadecimal escapes (\\u001F against \\u001f): `_json_text` fixes
that.

Keys come from the file: they reach the SQL as bound parameters, never as SQL text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import duckdb
import pandas as pd

from smartcity.readers.limits import ReadLimits
from smartcity.readers.rows import BLANK_CHARACTERS, Header, LoadedTable, RowCounter, checked_rows

# Control characters whose JSON escape has a letter in its hexadecimal digits (\u000b, \u000e, \u000f,
# \u001a-\u001f): DuckDB writes it upper case, Python lower case. \b \f \n \r \t have short escapes in both.
_UPPER_HEX = [chr(code) for code in (0x0B, 0x0E, 0x0F, *range(0x1A, 0x20))]
_UPPER_HEX_CLASS = "[" + "".join(f"\\x{{{ord(char):x}}}" for char in _UPPER_HEX) + "]"
# A blank cell, matched by RE2 against the characters listed (trim() by a set of 35 characters takes 30 times
# longer).
_BLANK_CELL = "[" + "".join(f"\\x{{{ord(char):x}}}" for char in BLANK_CHARACTERS) + "]*"


def json_text(cell: str, control_characters: bool) -> str:
    """SQL: the JSON string of the text `cell` as Python writes it. `control_characters=False` when no cell
    can hold one (a CSV holding one is refused): `to_json` alone then."""
    plain = f"to_json({cell})::varchar"
    if not control_characters:
        return plain
    fixed = plain
    for char in _UPPER_HEX:
        fixed = f"replace({fixed}, '\\u{ord(char):04X}', '\\u{ord(char):04x}')"
    return f"case when regexp_matches({cell}, '{_UPPER_HEX_CLASS}') then {fixed} else {plain} end"


def blank_row(columns: list[str]) -> str:
    """SQL: every cell of the row is empty or only white space (what clean_text finds nothing in)."""
    cells = [f"({column} is null or regexp_full_match({column}, '{_BLANK_CELL}'))" for column in columns]
    return " and ".join(cells) or "true"


def build_rows(
    con: duckdb.DuckDBPyConnection,
    header: Header,
    cells: str,
    cell_count: int,
    into: str,
    file_format: str,
    encoding: str | None,
    delimiter: str | None,
    control_characters: bool = True,
    rows: int | None = None,
) -> LoadedTable:
    """Build the temporary table `into` from the relation `cells` (rn, c1 .. c<cell_count>) under `header`;
    `rows` is how many it holds, when the caller knows (else counted)."""
    parameters: list[str] = []

    def key(text: str) -> str:
        parameters.append(json.dumps(text, ensure_ascii=False))
        return "?"

    width = header.width
    keys = list(header.raw_keys) + [f"_extra_{n}" for n in range(1, cell_count - width + 1)]
    positions_of: dict[str, list[int]] = {}
    for position, name in enumerate(keys):
        positions_of.setdefault(name, []).append(position)

    def text(position: int) -> str:  # the cell, None when empty or missing
        return f"nullif(c{position + 1}, '')"

    def assigns(position: int) -> str:
        """SQL: whether the cell at `position` sets its key in the row's record: a named column always (its
        empty cell as null), a blank-headed column or one beyond the header only with a value."""
        if position < width and position not in header.unnamed:
            return "true"
        return f"({text(position)} is not null)"

    parts = []
    for position, name in enumerate(keys):
        group = positions_of[name]
        if len(group) == 1:
            value = f"coalesce({json_text(text(position), control_characters)}, 'null')"
            condition = assigns(position)
        else:
            # A key written twice (a header named like a generated key): as a Python dict builds it, the
            # key stands where it is first set and holds the last value set.
            earlier = [assigns(other) for other in group if other < position]
            condition = " and ".join([assigns(position), *(f"not {e}" for e in earlier)])
            last = " ".join(f"when {assigns(other)} then {text(other)}" for other in reversed(group))
            value = f"coalesce({json_text(f'case {last} end', control_characters)}, 'null')"
        entry = f"{key(name)} || ': ' || {value}"
        parts.append(entry if condition == "true" else f"case when {condition} then {entry} end")
    record = "'{' || concat_ws(', ', " + ", ".join(parts) + ") || '}'" if parts else "'{}'"
    values = [f"{text(position)} as value_{n}" for n, (_, position) in enumerate(header.value_positions, 1)]
    con.execute(
        f"create or replace temp table {into} as "  # noqa: S608 (our names; keys are bound)
        f"select rn::integer as row_number, {record} as raw_record{''.join(', ' + v for v in values)} "
        f"from {cells}",
        parameters,
    )
    if rows is None:
        (rows,) = con.execute(f"select count(*) from {into}").fetchall()[0]  # noqa: S608
    return LoadedTable(into, header.columns, rows, file_format, encoding, delimiter)


def load_cell_rows(
    con: duckdb.DuckDBPyConnection,
    rows: Iterable[Sequence[str | None]],
    limits: ReadLimits,
    into: str,
    file_format: str,
    encoding: str | None,
    delimiter: str | None,
) -> LoadedTable:
    """A table read in Python, row by row (an XLSX sheet, a CSV the csv module had to read): the first
    non-blank row is the header, the next non-blank rows are the data, each counted and checked against the
    caps as it is read; then the cells reach DuckDB as one frame of text columns and `build_rows` makes the
    rows."""
    counter = RowCounter(limits.max_rows, header_rows=1)
    checked = checked_rows(rows, counter)
    first = next(checked, None)
    if first is None:
        con.execute(f"create or replace temp table {into} (row_number integer, raw_record varchar)")
        return LoadedTable(into, [], 0, file_format, encoding, delimiter)
    header = Header.of(first)
    data = list(checked)
    cell_count = max([header.width, *map(len, data)])
    padded = [row if len(row) == cell_count else [*row, *[None] * (cell_count - len(row))] for row in data]
    columns = list(zip(*padded, strict=True)) or [()] * cell_count
    frame = pd.DataFrame(
        {
            "rn": pd.Series(range(1, len(data) + 1), dtype="int64"),
            **{f"c{n}": pd.Series(column, dtype=object) for n, column in enumerate(columns, 1)},
        }
    )
    con.register("_reader_cells_frame", frame)
    try:
        return build_rows(
            con,
            header,
            "_reader_cells_frame",
            cell_count,
            into,
            file_format,
            encoding,
            delimiter,
            rows=len(data),
        )
    finally:
        con.unregister("_reader_cells_frame")
