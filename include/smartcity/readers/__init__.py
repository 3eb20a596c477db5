"""Read one received file (CSV, XLSX or JSON) into rows of raw text, without judging the values.

Readers only decode: every cell keeps the text the city typed, so that validation can quarantine a bad value
with the value itself as evidence, and `raw_record` can always be traced back to the file. A file that cannot
be decoded at all raises `UnreadableFile` with a reason a submitter can act on; the run goes on without it.

The rows go into DuckDB, not into Python objects: `load_table` reads a file into a temporary table of the
caller's connection (the pull step inserts from it), `read_table` fetches that table as `RawRow`s (for
`smartcity check` and tests). One module per format (csv_reader, xlsx_reader, json_reader); `rows` holds what
they share once cells are read (blank rows, caps, the header), `table_sql` the SQL that builds values and
`raw_record` from cells, `limits` the caps on a file and the error that refuses one.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from smartcity.readers.csv_reader import read_csv, read_registry_csv
from smartcity.readers.json_reader import read_json
from smartcity.readers.limits import MB, ReadLimits, UnreadableFile
from smartcity.readers.rows import LoadedTable, RawRow, RawTable
from smartcity.readers.xlsx_reader import read_xlsx

_READERS = {".csv": read_csv, ".xlsx": read_xlsx, ".json": read_json}


def load_table(
    con: duckdb.DuckDBPyConnection, path: Path, limits: ReadLimits | None = None, into: str = "reader_rows"
) -> LoadedTable:
    """Read the file at `path` into the temporary table `into` of `con` (replaced if it exists). Dispatch on
    the suffix; a missing or unopenable path is the caller's error and is not caught."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise UnreadableFile(
            f"a file of type '{path.suffix.lower() or '(none)'}' is not accepted; send the data as .csv, "
            ".xlsx or .json"
        )
    return reader(con, path, limits or ReadLimits(), into)


def read_table(path: Path, limits: ReadLimits | None = None) -> RawTable:
    """The file's rows as Python objects, through the same readers (an in-memory DuckDB of its own)."""
    with duckdb.connect() as con:
        loaded = load_table(con, path, limits)
        return fetch_table(con, loaded)


def fetch_table(con: duckdb.DuckDBPyConnection, loaded: LoadedTable) -> RawTable:
    values = "".join(f", value_{n}" for n in range(1, len(loaded.columns) + 1))
    sql = f"select row_number, raw_record{values} from {loaded.table} order by row_number"  # noqa: S608
    rows = con.execute(sql)
    return RawTable(
        loaded.columns,
        [
            RawRow(number, dict(zip(loaded.columns, cells, strict=True)), record)
            for number, record, *cells in rows.fetchall()
        ],
        loaded.file_format,
        loaded.encoding,
        loaded.delimiter,
    )


__all__ = [
    "MB",
    "LoadedTable",
    "RawRow",
    "RawTable",
    "ReadLimits",
    "UnreadableFile",
    "fetch_table",
    "load_table",
    "read_registry_csv",
    "read_table",
]
