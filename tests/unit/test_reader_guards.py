"""Guards the compiled and SQL readers need beyond the reference's: calamine holds a sheet as a dense block
(one far cell would take gigabytes, so the block a sheet spans is bounded before it opens the workbook), and
DuckDB numbers the rows of a table created inside a transaction from a large offset (the pull reads every
file inside one)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from smartcity.readers import ReadLimits, fetch_table, load_table, read_table
from tests.unit.test_hostile_input import SHEET, bounded, refused, sheet_xml, with_part, workbook

CELL = '<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def far_cell_workbook(path: Path, far: str, row: int = 1048576) -> Path:
    rows = [
        f'<row r="1">{CELL.format(ref="A1", text="city_code")}</row>'.encode(),
        f'<row r="2">{CELL.format(ref="A2", text="AAA")}</row>'.encode(),
        f'<row r="{row}">{far}</row>'.encode(),
    ]
    path.write_bytes(with_part(workbook([["x"]]), SHEET, sheet_xml(rows)))
    return path


@pytest.mark.parametrize(
    "far",
    [
        CELL.format(ref="XFD1048576", text="x"),
        CELL.format(ref="XFD1048576", text="x").replace('"', "'"),  # single quotes
        CELL.format(ref="xfd1048576", text="x"),  # lower case
        CELL.format(ref="XFD1048576", text="x").replace(' r="', '  r = "'),  # spaces
    ],
)
def test_a_sheet_spanning_a_huge_block_is_refused_before_calamine_builds_it(tmp_path: Path, far: str) -> None:
    path = far_cell_workbook(tmp_path / "far.xlsx", far)
    assert path.stat().st_size < 10_000
    with bounded(megabytes=20):  # built, the block would be 17 billion cells
        reason = refused(path)
    assert "spans 1,048,576 rows and 16,384 columns, 17,179,869,184 cells" in reason


def test_cells_without_a_position_count_as_columns(tmp_path: Path) -> None:
    cells = "".join('<c t="inlineStr"><is><t>x</t></is></c>' for _ in range(200))
    rows = [f"<row>{cells}</row>".encode(), f"<row>{cells}</row>".encode()]
    (tmp_path / "wide.xlsx").write_bytes(with_part(workbook([["x"]]), SHEET, sheet_xml(rows)))
    assert "spans 2 rows and 400 columns" in refused(tmp_path / "wide.xlsx", ReadLimits(max_rows=10))


def test_a_block_within_the_bound_is_read(tmp_path: Path) -> None:
    path = far_cell_workbook(tmp_path / "near.xlsx", CELL.format(ref="C150000", text=" "), row=150_000)
    table = read_table(path, ReadLimits(max_rows=200_000))  # 150,000 rows x 3 columns
    assert [row.values for row in table.rows] == [{"city_code": "AAA"}]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_a_file_read_inside_a_transaction_gives_the_same_rows(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"a{suffix}"
    if suffix == ".csv":
        path.write_text("\n  \ncity_code,remarks\n\nAAA,one\n,\nBBB,two\n", encoding="utf-8")
    elif suffix == ".json":
        path.write_text('[{"city_code": "AAA"}, {}, {"city_code": "BBB", "remarks": 1.50}]', encoding="utf-8")
    else:
        path.write_bytes(workbook([["city_code", "remarks"], [None, None], ["AAA", "one"], ["BBB", 2.5]]))
    con = duckdb.connect()
    con.execute("create table earlier as select range as n from range(1000)")
    con.begin()
    con.execute("insert into earlier select range from range(1000)")
    inside = fetch_table(con, load_table(con, path))
    con.rollback()
    outside = read_table(path)
    assert inside == outside
    assert [row.row_number for row in inside.rows] == ([1, 3] if suffix == ".json" else [1, 2])
