"""The weight audit (OECD/JRC handbook, steps 4 and 6): effective weights, and weights calibrated on them.

The nominal weights of a weighted mean are not the importance each pillar has in the ranking: that depends
on how much the pillar varies and how it correlates with the others. Paruolo, Saisana and Saltelli (2013)
measure a pillar's importance by its correlation ratio, the share of the score's variance its values
explain (the first-order sensitivity index of the score to the pillar); with ~30 cities a month we estimate
it by a linear fit, i.e. the squared Pearson correlation of pillar and score, and normalise over the
weighted pillars: the effective weight. (marts.index_weight_audit computes the same in SQL every month.)

Becker, Paruolo, Saisana and Saltelli (2017) then choose the weights so that the effective weights match the
intended ones: `calibrate_weights` does that for months of data, by least squares over the simplex.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def effective_weights(pillars: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Effective weight of each pillar (columns of `pillars`, cities x pillars) in the weighted arithmetic
    mean with `weights`; 0 for a pillar weighted 0 or not varying."""
    scores = pillars @ weights
    ratios = np.zeros(pillars.shape[1])
    if scores.std() == 0:
        return ratios
    for column in range(pillars.shape[1]):
        if weights[column] > 0 and pillars[:, column].std() > 0:
            ratios[column] = np.corrcoef(pillars[:, column], scores)[0, 1] ** 2
    total = ratios.sum()
    return ratios / total if total > 0 else ratios


def calibrate_weights(
    months: Sequence[np.ndarray], intended: np.ndarray, floor: float = 0.05, decimals: int = 2
) -> np.ndarray:
    """The weights (summing to 1, each intended pillar at least `floor`, rounded to `decimals`) whose
    effective weights come closest to `intended` over the given months (the mean squared gap), found from
    the intended weights by Nelder-Mead over a softmax parameterisation of the simplex, then the best
    rounding nearby. The floor keeps every pillar's own information in the score: without it a pillar that
    correlates with another can reach its importance through the other alone, at a weight near 0."""
    from scipy.optimize import minimize

    active = intended > 0
    free = 1 - floor * active.sum()
    if free < 0:
        raise ValueError(f"a floor of {floor} per pillar leaves no weight to share")

    def weights_of(parameters: np.ndarray) -> np.ndarray:
        weights = np.zeros(len(intended))
        exponentials = np.exp(parameters - parameters.max())
        weights[active] = floor + free * exponentials / exponentials.sum()
        return weights

    def gap(weights: np.ndarray) -> float:
        return float(np.mean([np.sum((effective_weights(m, weights) - intended) ** 2) for m in months]))

    start = np.log(intended[active])
    best = minimize(lambda p: gap(weights_of(p)), start, method="Nelder-Mead", options={"maxiter": 4000})
    return round_on_simplex(weights_of(best.x), decimals, gap, floor)


def round_on_simplex(weights: np.ndarray, decimals: int, gap, floor: float = 0.0) -> np.ndarray:
    """Weights rounded to `decimals` and summing to 1 exactly, none of the positive ones below `floor`: of
    the roundings up or down of each weight that sum to 1, the one with the smallest gap."""
    step = 10.0**-decimals
    floors = np.floor(weights / step + 1e-9) * step
    units = int(round((1 - floors.sum()) / step))
    active = np.flatnonzero(weights > 0)
    best, best_gap = None, np.inf
    for chosen in _combinations(active, units):
        candidate = floors.copy()
        candidate[list(chosen)] += step
        candidate = np.round(candidate, decimals)
        valid = abs(candidate.sum() - 1) < 1e-9 and (candidate[active] >= floor - 1e-9).all()
        if valid and (value := gap(candidate)) < best_gap:
            best, best_gap = candidate, value
    return best if best is not None else np.round(weights, decimals)


def _combinations(items: np.ndarray, count: int):
    from itertools import combinations

    return combinations(items.tolist(), count) if 0 <= count <= len(items) else ()
