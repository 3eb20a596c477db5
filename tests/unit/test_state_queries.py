"""smartcity.state.one_row: the row of a query that gives exactly one, or a StorageError saying why not."""

from __future__ import annotations

import duckdb
import pytest

from smartcity.errors import StorageError
from smartcity.state import one_row


def test_one_row_gives_the_row_of_an_aggregate() -> None:
    con = duckdb.connect()
    assert one_row(con.execute("select count(*), 'x' from range(3)")) == (3, "x")


def test_one_row_says_the_database_is_damaged_when_a_one_row_table_is_empty() -> None:
    con = duckdb.connect()
    con.execute("create table publication (run_id varchar)")
    with pytest.raises(StorageError, match="gave none: the database is damaged or incomplete"):
        one_row(con.execute("select run_id from publication"))
