"""Sensitivity of the index ranking to each pillar's weight: how far ranks move when one weight moves.

For each month and pillar, the weight is moved down and up by a fixed step (then all weights are
renormalised) and the overall ranks of the ranked cities are compared with the published ones (one weight
at a time, beside the Monte Carlo over every choice in marts.index_uncertainty). The computation is in
smartcity.index.uncertainty; this model only feeds it. Incremental like the rank bands: a run recomputes
the months from the run's rebuild_from on.
"""

import pandas as pd

from smartcity.index.frames import typed_relation
from smartcity.index.pillars import PILLARS
from smartcity.index.uncertainty import sensitivity
from smartcity.index.uncertainty_inputs import weights_from


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="replace_months",
        on_schema_change="fail",
    )
    weights = weights_from(dbt.ref("int_index_weights").df())
    step = float(dbt.config.get("index_sensitivity_step"))
    # Only the ranked cities of the months this run rebuilds are read (filtered in DuckDB, not pandas).
    pillars = dbt.ref("int_city_index_pillars").filter("ranked")
    if dbt.is_incremental:
        ((since,),) = session.execute("select rebuild_from from pipeline.run_parameters").fetchall()
        pillars = pillars.filter(f"month >= date '{since}'")
    pillars = pillars.df()
    rows = []
    for month, group in pillars.groupby("month", sort=True):
        group = group.sort_values("city_code", kind="stable")
        for row in sensitivity(group[list(PILLARS)].to_numpy(dtype=float), weights, step):
            rows.append({"month": pd.Timestamp(month).date(), **row})
    types = {
        "month": "date",
        "pillar": "varchar",
        "weight_change": "double",
        "weight_after": "double",
        "mean_abs_rank_shift": "double",
        "max_abs_rank_shift": "integer",
        "cities_moved": "integer",
    }
    return typed_relation(session, rows, types)
