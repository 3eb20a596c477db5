"""Sobol sensitivity indices of the index ranking, per month and source of uncertainty (OECD/JRC handbook,
step 7): the share of the variance of the cities' ranks that each modelling choice explains alone
(first order) and with its interactions (total), with their Monte Carlo standard errors. Same draws as the
rank bands (int_city_index_rank_bands), same seed; the computation is in smartcity.index.uncertainty.

Incremental: a run recomputes the months from the run's rebuild_from on.
"""

from smartcity.index.frames import typed_relation
from smartcity.index.uncertainty import MonthModel, sobol_indices
from smartcity.index.uncertainty_inputs import design_from_config, measured_matrix

COLUMNS = {
    "month": "date",
    "source": "varchar",
    "sobol_first": "double",
    "sobol_first_se": "double",
    "sobol_total": "double",
    "sobol_total_se": "double",
    "sobol_first_overall": "double",
    "sobol_total_overall": "double",
    "cities": "integer",
    "evaluations": "integer",
}


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
    sobol_draws = int(dbt.config.get("index_mc_sobol_draws"))
    # Only the ranked cities of the months this run rebuilds are read (filtered in DuckDB, not pandas).
    pillars = dbt.ref("int_city_index_pillars").filter("ranked")
    if dbt.is_incremental:
        ((since,),) = session.execute("select rebuild_from from pipeline.run_parameters").fetchall()
        pillars = pillars.filter(f"month >= date '{since}'")
    pillars = pillars.df()
    rows = []
    for month, group in pillars.groupby("month", sort=True):
        group = group.sort_values("city_code", kind="stable")
        month_model = MonthModel(measured_matrix(group), group["peer_group"].to_numpy())
        indices = {(i.ranking, i.source): i for i in sobol_indices(month_model, design, sobol_draws)}
        used = min(sobol_draws, len(design[0]))
        for (ranking, source), index in indices.items():
            if ranking != "peer_group":
                continue
            overall = indices[("overall", source)]
            rows.append(
                {
                    "month": month,
                    "source": source,
                    "sobol_first": index.first_order,
                    "sobol_first_se": index.first_order_se,
                    "sobol_total": index.total,
                    "sobol_total_se": index.total_se,
                    "sobol_first_overall": overall.first_order,
                    "sobol_total_overall": overall.total,
                    "cities": len(group),
                    "evaluations": used * (2 + len(indices) // 2),
                }
            )
    return typed_relation(session, rows, COLUMNS)
