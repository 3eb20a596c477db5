"""Rank bands of the index from a seeded Monte Carlo over the weights (OECD/JRC handbook, step 7).

For each month, 1,000 weight vectors are drawn from a Dirichlet distribution centred on the configured
weights; each city's rank under every draw gives its median rank and its 5th-95th percentile band.
The computation is in smartcity.index.uncertainty (unit-tested); this model only feeds it.
Incremental like the state models: a run recomputes only the months from var('rebuild_from') on (each
month's bands depend on that month's pillars alone); a full refresh recomputes every month.
"""

import pandas as pd

from smartcity.index.uncertainty import PILLARS, normalised, rank_bands, weight_draws


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key=["city_code", "month"],
    )
    configured = dbt.ref("index_weights").df()
    weights = normalised(dict(zip(configured["pillar"], configured["weight"], strict=True)))
    draws = weight_draws(
        weights,
        draws=int(dbt.config.get("index_mc_draws")),
        concentration=float(dbt.config.get("index_mc_concentration")),
        seed=int(dbt.config.get("index_mc_seed")),
    )
    pillars = dbt.ref("int_city_index_pillars").df()
    if dbt.is_incremental:
        pillars = pillars[pillars["month"] >= pd.Timestamp(dbt.config.get("rebuild_from"))]
    frames = []
    for month, group in pillars.groupby("month", sort=True):
        group = group.sort_values("city_code", kind="stable")
        nominal, p05, p50, p95 = rank_bands(group[list(PILLARS)].to_numpy(dtype=float), weights, draws)
        frames.append(
            pd.DataFrame(
                {
                    "city_code": group["city_code"].to_numpy(),
                    "month": month,
                    "monte_carlo_nominal_rank": nominal,
                    "rank_p05": p05,
                    "rank_median": p50,
                    "rank_p95": p95,
                }
            )
        )
    columns = ["city_code", "month", "monte_carlo_nominal_rank", "rank_p05", "rank_median", "rank_p95"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
