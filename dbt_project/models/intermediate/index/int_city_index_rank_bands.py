"""Rank bands of the index from the seeded Monte Carlo over every modelling choice (OECD/JRC handbook,
step 7): for each month and ranked city, the 5th, 50th and 95th percentile of its overall and peer-group
ranks over the draws, as drawn (never widened), the probability of being first in its peer group, and its
tier. The computation is in smartcity.index.uncertainty (unit-tested); this model only feeds it.

Incremental like the state models: a run recomputes only the months from the run's rebuild_from on (each
month's bands depend on that month's pillars alone); a full refresh recomputes every month.
"""

import pandas as pd

from smartcity.index.frames import typed_relation
from smartcity.index.uncertainty import MonthModel, rank_bands
from smartcity.index.uncertainty_inputs import design_from_config, measured_matrix


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="replace_months",
        on_schema_change="fail",
    )
    # dbt passes a Python model only the settings it reads with dbt.config.get("<literal name>").
    settings = {
        "index_mc_draws": dbt.config.get("index_mc_draws"),
        "index_mc_seed": dbt.config.get("index_mc_seed"),
        "index_mc_weight_coverage": dbt.config.get("index_mc_weight_coverage"),
        "index_mc_weight_min_spread": dbt.config.get("index_mc_weight_min_spread"),
    }
    weights, design = design_from_config(dbt.ref("int_index_weights").df(), settings)
    confidence = float(dbt.config.get("index_tier_confidence"))
    # Only the ranked cities of the months this run rebuilds are read (filtered in DuckDB, not pandas).
    pillars = dbt.ref("int_city_index_pillars").filter("ranked")
    if dbt.is_incremental:
        ((since,),) = session.execute("select rebuild_from from pipeline.run_parameters").fetchall()
        pillars = pillars.filter(f"month >= date '{since}'")
    pillars = pillars.df()
    frames = []
    for month, group in pillars.groupby("month", sort=True):
        group = group.sort_values("city_code", kind="stable")
        month_model = MonthModel(measured_matrix(group), group["peer_group"].to_numpy())
        bands = rank_bands(month_model, weights, design, confidence)
        frames.append(
            pd.DataFrame(
                {
                    "city_code": group["city_code"].to_numpy(),
                    "month": month,
                    "monte_carlo_nominal_rank": bands.nominal_rank,
                    "monte_carlo_nominal_rank_peer_group": bands.nominal_rank_peer_group,
                    "rank_p05": bands.rank_p05,
                    "rank_median": bands.rank_median,
                    "rank_p95": bands.rank_p95,
                    "rank_peer_group_p05": bands.rank_peer_group_p05,
                    "rank_peer_group_median": bands.rank_peer_group_median,
                    "rank_peer_group_p95": bands.rank_peer_group_p95,
                    "prob_first_in_peer_group": bands.prob_first_in_peer_group,
                    "tier": bands.tier,
                }
            )
        )
    types = {
        "city_code": "varchar",
        "month": "date",
        **{name: "integer" for name in ("monte_carlo_nominal_rank", "monte_carlo_nominal_rank_peer_group")},
        **{f"rank_{kind}": "integer" for kind in ("p05", "median", "p95")},
        **{f"rank_peer_group_{kind}": "integer" for kind in ("p05", "median", "p95")},
        "prob_first_in_peer_group": "double",
        "tier": "integer",
    }
    return typed_relation(session, pd.concat(frames, ignore_index=True) if frames else [], types)
