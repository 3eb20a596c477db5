"""The typed result of the index's Python models.

A pandas frame does not carry SQL types: a month with no ranked city gives an empty frame whose text columns
have no type at all, and the incremental table built from it then refuses the next run's rows ("schema out
of sync"). Every Python model therefore returns its rows as a DuckDB relation cast to the same SQL types,
rows or none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pandas as pd


def typed_relation(
    session: duckdb.DuckDBPyConnection,
    rows: Sequence[Mapping[str, Any]] | pd.DataFrame,
    types: Mapping[str, str],
) -> duckdb.DuckDBPyRelation:
    """`rows` (dicts or a frame) with exactly the columns of `types`, each cast to its SQL type."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), columns=list(types))
    relation = session.from_df(frame[list(types)])
    # Column names and types are fixed by the models, never taken from data.
    return relation.project(
        ", ".join(f'cast("{name}" as {kind}) as "{name}"' for name, kind in types.items())
    )
