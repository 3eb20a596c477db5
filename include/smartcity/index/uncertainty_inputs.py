"""What the dbt Python models of the index hand to smartcity.index.uncertainty: the configured weights, the
Monte Carlo design from the project's settings, and a month's matrix of measured pillars."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from smartcity.index.pillars import IMPUTABLE_PILLARS, PILLARS
from smartcity.index.uncertainty import Draws, draw, normalised, weight_concentration


def weights_from(index_weights: pd.DataFrame, column: str = "weight") -> np.ndarray:
    """A column of marts.index_weights (`weight`, `intended_importance`) as a vector in PILLARS order,
    summing to 1."""
    return normalised(dict(zip(index_weights["pillar"], index_weights[column], strict=True)))


def design_from_config(
    index_weights: pd.DataFrame, settings: Mapping[str, object]
) -> tuple[np.ndarray, tuple[Draws, Draws]]:
    """The nominal weights, and Saltelli's matrices A and B from the dbt settings index_mc_*
    (dbt_project.yml): the weight draws cover the intended importances too."""
    weights = weights_from(index_weights)
    concentration = weight_concentration(
        weights,
        also_cover=weights_from(index_weights, "intended_importance"),
        coverage=float(settings["index_mc_weight_coverage"]),
        min_spread=float(settings["index_mc_weight_min_spread"]),
    )
    return weights, draw(
        weights,
        base_draws=int(settings["index_mc_draws"]),
        seed=int(settings["index_mc_seed"]),
        concentration=concentration,
    )


def measured_matrix(pillars: pd.DataFrame) -> np.ndarray:
    """Cities x pillars, 0-100, NaN where a pillar was not measured (the imputation rule is drawn)."""
    columns = [f"{p}_measured" if p in IMPUTABLE_PILLARS else p for p in PILLARS]
    return pillars[columns].to_numpy(dtype=float, na_value=np.nan)
