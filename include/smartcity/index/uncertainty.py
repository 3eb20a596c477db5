"""Uncertainty and sensitivity analysis of the index (OECD/JRC handbook, step 7): a seeded Monte Carlo over
every modelling choice, rank bands, the probability of leading a peer group, tiers, and Sobol indices.

Five sources of uncertainty are drawn independently for every evaluation of the index:

- `weights`: a Dirichlet vector centred on the configured weights (pillars weighted 0 stay 0); its
  concentration follows from a stated rule, `weight_concentration`, not from a chosen number;
- `normalisation`: the fixed goalposts (nominal), min-max over the month's ranked cities, or z-scores
  (50 + 10 z);
- `aggregation`: the weighted arithmetic mean (nominal) or the weighted geometric mean (pillars floored at 1);
- `pillar_set`: all pillars (nominal), or one weighted pillar left out (the others renormalised);
- `imputation`: a missing pillar takes the peer group's median (nominal), the median of every ranked city,
  or the peer group's minimum.

Each discrete choice is uniform over its options. The design is Saltelli's (matrices A and B of N draws
each, and for every source the matrix A with that source's column taken from B): bands and probabilities
come from the 2N draws of A and B, first-order (Saltelli 2010) and total (Jansen) Sobol indices from all
N x (5 + 2) evaluations. Nothing is widened or clamped: a band is the 5th-95th percentile of the draws as
drawn.

Pure functions of a month's pillar matrix (cities x pillars, 0-100, NaN where not measured), the cities'
peer groups and the configured weights: no I/O, no global state, one seeded generator. Cities must be given
in a fixed order (the caller sorts them by code), so the input order never changes a result.

One module on purpose (over 400 lines): its sections (ranks, the design, the model, bands and Sobol indices,
tiers, sensitivity) are the steps of one computation, read in order against the handbook's step 7.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from smartcity.index.pillars import PILLARS

SOURCES = ("weights", "normalisation", "aggregation", "pillar_set", "imputation")
NORMALISATIONS = ("goalposts", "min_max", "z_score")
AGGREGATIONS = ("arithmetic", "geometric")
IMPUTATIONS = ("peer_median", "overall_median", "peer_minimum")
NO_EXCLUSION = -1
RANKINGS = ("overall", "peer_group")
# Scores are rounded before ranking so that float noise never splits a true tie.
_TIE_DECIMALS = 9
# The geometric mean floors every pillar at 1 so that a single 0 does not zero the score.
GEOMETRIC_FLOOR = 1.0
# Rows of draws evaluated at once: small blocks keep the arrays in the cache (64 x 7,850 cities x 8 bytes =
# 4 MB), which is twice as fast at national scale as blocks of 512.
_BLOCK = 64


def normalised(weights: dict[str, float]) -> np.ndarray:
    vector = np.array([float(weights.get(p, 0.0)) for p in PILLARS])
    if vector.sum() <= 0 or (vector < 0).any():
        raise ValueError("index weights must be >= 0 with at least one above 0")
    return vector / vector.sum()


# ------------------------------------------------------------------------------------------------------
# Ranks
# ------------------------------------------------------------------------------------------------------


def competition_ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks along the last axis: 1 = highest; ties share a rank and the next rank skips ('min' method)."""
    flat = np.asarray(scores, dtype=float).reshape(-1, np.shape(scores)[-1])
    overall, _ = _ranks(flat, np.zeros(flat.shape[1], dtype=np.int64))
    return overall.reshape(np.shape(scores))


def ranks_overall_and_in_group(scores: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Competition ranks of every row of `scores` (draws x cities), overall and within each city's group,
    from one sort per row."""
    return _ranks(np.asarray(scores, dtype=float), np.asarray(groups))


def _ranks(scores: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, cities = scores.shape
    rounded = np.round(scores, _TIE_DECIMALS)
    order = np.argsort(-rounded, axis=1)
    ordered = np.take_along_axis(rounded, order, axis=1)
    # The position of the first city of each run of equal scores: a city's rank is that position + 1.
    starts_run = np.empty((rows, cities), dtype=bool)
    starts_run[:, 0] = True
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts_run[:, 1:])
    first_of_run = np.where(starts_run, np.arange(cities, dtype=np.int32), np.int32(0))
    np.maximum.accumulate(first_of_run, axis=1, out=first_of_run)
    # Within a group: 1 + the number of the group's cities found before that position (all of them score
    # strictly higher). Counted for every group but the last; the last group's count is what remains.
    codes = np.unique(groups, return_inverse=True)[1].astype(np.int32)
    code_sorted = codes[order]
    before_in_own_group = np.zeros((rows, cities), dtype=np.int32)
    before_in_other_groups = np.zeros((rows, cities), dtype=np.int32)
    for code in range(codes.max(initial=0)):
        in_group = code_sorted == code
        counted = np.take_along_axis(
            np.cumsum(in_group, axis=1, dtype=np.int32) - in_group, first_of_run, axis=1
        )
        before_in_own_group += np.where(in_group, counted, np.int32(0))
        before_in_other_groups += counted
    last_group = code_sorted == codes.max(initial=0)
    before_in_own_group += np.where(last_group, first_of_run - before_in_other_groups, np.int32(0))
    inverse = np.empty_like(order)
    np.put_along_axis(inverse, order, np.arange(cities), axis=1)
    overall = np.take_along_axis(first_of_run, inverse, axis=1) + 1
    in_group = np.take_along_axis(before_in_own_group, inverse, axis=1) + 1
    return overall.astype(np.int64), in_group.astype(np.int64)


# ------------------------------------------------------------------------------------------------------
# The draws
# ------------------------------------------------------------------------------------------------------


def weight_concentration(
    weights: np.ndarray,
    also_cover: np.ndarray | None = None,
    coverage: float = 0.90,
    min_spread: float = 0.25,
) -> float | None:
    """The Dirichlet concentration of the weight draws, from a rule rather than a chosen number: the largest
    (so the narrowest distribution) for which every weighted pillar's central `coverage` interval contains
    its nominal weight +/- `min_spread` of itself and, when given, its weight in `also_cover` (the method
    passes the intended importances: the other defensible reading of the weights, see step 7). None when
    only one pillar is weighted (nothing to vary)."""
    from scipy.stats import beta

    weighted = weights > 0
    active = weights[weighted]
    if len(active) < 2:
        return None
    other = active if also_cover is None else np.asarray(also_cover, dtype=float)[weighted]
    tail = (1 - coverage) / 2
    need_low = np.minimum(other, (1 - min_spread) * active)
    need_high = np.maximum(other, (1 + min_spread) * active)

    def wide_enough(concentration: float) -> bool:
        a, b = concentration * active, concentration * (1 - active)
        return bool(
            (beta.ppf(tail, a, b) <= need_low).all() and (beta.ppf(1 - tail, a, b) >= need_high).all()
        )

    low, high = np.log(0.01), np.log(1e5)  # the interval narrows as the concentration grows
    if wide_enough(np.exp(high)):
        return float(np.exp(high))
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if wide_enough(np.exp(middle)) else (low, middle)
    return float(np.exp(low))


@dataclass(frozen=True)
class Draws:
    """N evaluations of the index: one value of every source per row."""

    weights: np.ndarray  # (N, pillars), each row sums to 1
    normalisation: np.ndarray  # (N,), index into NORMALISATIONS
    aggregation: np.ndarray  # (N,), index into AGGREGATIONS
    pillar_set: np.ndarray  # (N,), the pillar left out, or NO_EXCLUSION
    imputation: np.ndarray  # (N,), index into IMPUTATIONS

    def __len__(self) -> int:
        return len(self.normalisation)

    def with_source_from(self, source: str, other: Draws) -> Draws:
        """These draws with one source's values taken from `other` (Saltelli's matrix A_B^(i))."""
        return dataclasses.replace(self, **{source: getattr(other, source)})

    def rows(self, selected: np.ndarray) -> Draws:
        return Draws(*(getattr(self, f.name)[selected] for f in dataclasses.fields(self)))

    @classmethod
    def nominal(cls, weights: np.ndarray) -> Draws:
        """The published configuration as a single draw."""
        zero = np.zeros(1, dtype=np.int64)
        return cls(weights[None, :], zero, zero, np.full(1, NO_EXCLUSION), zero)


def draw(weights: np.ndarray, base_draws: int, seed: int, concentration: float | None) -> tuple[Draws, Draws]:
    """Saltelli's matrices A and B: 2 x `base_draws` independent draws of every source, from one seeded
    generator (A first, then B, each source in the order of SOURCES)."""
    rng = np.random.default_rng(seed)
    active = np.flatnonzero(weights > 0)
    exclusions = np.concatenate([[NO_EXCLUSION], active]) if len(active) > 1 else np.array([NO_EXCLUSION])

    def one_matrix() -> Draws:
        sampled = np.tile(weights, (base_draws, 1))
        if concentration is not None:
            sampled[:, :] = 0.0
            sampled[:, active] = rng.dirichlet(weights[active] * concentration, size=base_draws)
        return Draws(
            weights=sampled,
            normalisation=rng.integers(0, len(NORMALISATIONS), base_draws),
            aggregation=rng.integers(0, len(AGGREGATIONS), base_draws),
            pillar_set=rng.choice(exclusions, size=base_draws),
            imputation=rng.integers(0, len(IMPUTATIONS), base_draws),
        )

    first = one_matrix()
    return first, one_matrix()


# ------------------------------------------------------------------------------------------------------
# One month: the index under a set of draws
# ------------------------------------------------------------------------------------------------------


def imputed(measured: np.ndarray, groups: np.ndarray, rule: str) -> np.ndarray:
    """The pillar matrix with every missing value filled by `rule`; a rule with nothing to go on (no city
    of the group measured) falls back to the median of all cities, then to 0."""
    values = np.array(measured, dtype=float)
    missing = np.isnan(values)
    if not missing.any():
        return values
    overall = np.nan_to_num(_by_column(np.nanmedian, values), nan=0.0)
    for group in np.unique(groups):
        rows = groups == group
        if rule == "overall_median":
            fill = overall
        else:
            fill = _by_column(np.nanmedian if rule == "peer_median" else np.nanmin, values[rows])
            fill = np.where(np.isnan(fill), overall, fill)
        values[rows] = np.where(missing[rows], fill, values[rows])
    return values


def _by_column(summary, values: np.ndarray) -> np.ndarray:
    """`summary` (nanmedian, nanmin) of each column, NaN for a column with no value (without numpy's
    warning, which is process-wide state and not thread-safe to silence: dbt runs models in threads)."""
    result = np.full(values.shape[1], np.nan)
    measured = ~np.isnan(values).all(axis=0)
    if measured.any():
        result[measured] = summary(values[:, measured], axis=0)
    return result


def normalise(values: np.ndarray, method: str) -> np.ndarray:
    """0-100 goalposts (the pillars as they are), min-max over the cities, or 50 + 10 z; a pillar on which
    every city is equal becomes 50 under the two relative methods."""
    if method == "goalposts":
        return np.clip(values, 0.0, 100.0)
    if method == "min_max":
        low, spread = values.min(axis=0), np.ptp(values, axis=0)
        return np.where(spread > 0, 100 * (values - low) / np.where(spread > 0, spread, 1), 50.0)
    mean, deviation = values.mean(axis=0), values.std(axis=0)
    return np.where(deviation > 0, 50 + 10 * (values - mean) / np.where(deviation > 0, deviation, 1), 50.0)


def effective_weights(draws: Draws) -> np.ndarray:
    weights = draws.weights.copy()
    excluded = draws.pillar_set != NO_EXCLUSION
    weights[np.flatnonzero(excluded), draws.pillar_set[excluded]] = 0.0
    return weights / weights.sum(axis=1, keepdims=True)


class MonthModel:
    """One month's index under any draw: the pillar matrix imputed and normalised once per option, so that
    each draw costs a matrix product and a sort."""

    def __init__(self, measured: np.ndarray, groups: np.ndarray) -> None:
        self.groups = np.asarray(groups)
        self.cities = measured.shape[0]
        self._matrices: dict[tuple[int, int, int], np.ndarray] = {}
        for imputation, rule in enumerate(IMPUTATIONS):
            filled = imputed(measured, self.groups, rule)
            for normalisation, method in enumerate(NORMALISATIONS):
                values = normalise(filled, method)
                self._matrices[(imputation, normalisation, 0)] = values
                self._matrices[(imputation, normalisation, 1)] = np.log(np.maximum(values, GEOMETRIC_FLOOR))

    def scores(self, draws: Draws) -> np.ndarray:
        """The index score of every city under every draw (draws x cities). The geometric mean is ranked on
        its logarithm, which orders cities the same way."""
        result = np.empty((len(draws), self.cities))
        weights = effective_weights(draws)
        combination = (draws.imputation * len(NORMALISATIONS) + draws.normalisation) * 2 + draws.aggregation
        for code in np.unique(combination):
            rows = np.flatnonzero(combination == code)
            key = (int(code) // 2 // len(NORMALISATIONS), int(code) // 2 % len(NORMALISATIONS), int(code) % 2)
            result[rows] = weights[rows] @ self._matrices[key].T
        return result

    def ranks(self, draws: Draws) -> tuple[np.ndarray, np.ndarray]:
        """Overall and in-group ranks of every city under every draw (each draws x cities), block by block."""
        overall = np.empty((len(draws), self.cities), dtype=np.int32)
        in_group = np.empty_like(overall)
        for start in range(0, len(draws), _BLOCK):
            block = draws.rows(np.arange(start, min(start + _BLOCK, len(draws))))
            block_overall, block_group = ranks_overall_and_in_group(self.scores(block), self.groups)
            overall[start : start + len(block)] = block_overall
            in_group[start : start + len(block)] = block_group
        return overall, in_group


@dataclass(frozen=True)
class RankBands:
    """Per city (in the order given): the nominal ranks, the 5th/50th/95th percentile ranks over the draws,
    the probability of leading the peer group, and the tier within it."""

    nominal_rank: np.ndarray
    nominal_rank_peer_group: np.ndarray
    rank_p05: np.ndarray
    rank_median: np.ndarray
    rank_p95: np.ndarray
    rank_peer_group_p05: np.ndarray
    rank_peer_group_median: np.ndarray
    rank_peer_group_p95: np.ndarray
    prob_first_in_peer_group: np.ndarray
    tier: np.ndarray


def rank_bands(
    model: MonthModel, weights: np.ndarray, design: tuple[Draws, Draws], tier_confidence: float
) -> RankBands:
    """Bands, probabilities and tiers over all draws of A and B, as drawn."""
    a, b = design
    nominal_overall, nominal_group = model.ranks(Draws.nominal(weights))
    a_ranks, b_ranks = model.ranks(a), model.ranks(b)
    # City by city (cities x draws, contiguous): quantiles and tiers then read each city's draws in one run.
    overall = np.ascontiguousarray(np.concatenate([a_ranks[0], b_ranks[0]]).T)
    in_group = np.ascontiguousarray(np.concatenate([a_ranks[1], b_ranks[1]]).T)
    quantiles = [0.05, 0.5, 0.95]
    p05, median, p95 = np.quantile(overall, quantiles, axis=1, method="inverted_cdf").astype(np.int64)
    group_p05, group_median, group_p95 = np.quantile(
        in_group, quantiles, axis=1, method="inverted_cdf"
    ).astype(np.int64)
    return RankBands(
        nominal_rank=nominal_overall[0],
        nominal_rank_peer_group=nominal_group[0],
        rank_p05=p05,
        rank_median=median,
        rank_p95=p95,
        rank_peer_group_p05=group_p05,
        rank_peer_group_median=group_median,
        rank_peer_group_p95=group_p95,
        prob_first_in_peer_group=(in_group == 1).mean(axis=1),
        tier=tiers(nominal_group[0], model.groups, in_group, tier_confidence),
    )


@dataclass(frozen=True)
class SobolIndex:
    ranking: str  # "peer_group" or "overall"
    source: str
    first_order: float
    first_order_se: float
    total: float
    total_se: float


def sobol_indices(model: MonthModel, design: tuple[Draws, Draws], sobol_draws: int) -> list[SobolIndex]:
    """First-order (Saltelli 2010) and total (Jansen 1999) Sobol indices of each source, for the variance of
    the cities' ranks pooled over the month's cities (each city's rank variance, summed), from the first
    `sobol_draws` rows of A and B: (2 + 5) x `sobol_draws` evaluations. Each estimate is a mean over
    independent rows, so its Monte Carlo standard error comes with it (sd of the row terms / sqrt(rows))."""
    rows = np.arange(min(sobol_draws, len(design[0])))
    a, b = design[0].rows(rows), design[1].rows(rows)
    f_a, f_b = model.ranks(a), model.ranks(b)
    results = []
    mixed = {source: model.ranks(a.with_source_from(source, b)) for source in SOURCES}
    for i, ranking in enumerate(RANKINGS):
        ranks_a, ranks_b = f_a[i].astype(float), f_b[i].astype(float)
        variance = np.concatenate([ranks_a, ranks_b]).var(axis=0).sum()
        for source in SOURCES:
            ranks_mixed = mixed[source][i].astype(float)
            first_terms = (ranks_b * (ranks_mixed - ranks_a)).sum(axis=1)
            total_terms = 0.5 * ((ranks_a - ranks_mixed) ** 2).sum(axis=1)
            results.append(
                SobolIndex(ranking, source, *_ratio(first_terms, variance), *_ratio(total_terms, variance))
            )
    return results


def _ratio(terms: np.ndarray, variance: float) -> tuple[float, float]:
    """The mean of `terms` over `variance`, and its standard error; 0 and 0 when nothing varies."""
    if variance <= 0:
        return 0.0, 0.0
    error = terms.std(ddof=1) / np.sqrt(len(terms)) if len(terms) > 1 else float("nan")
    return float(terms.mean() / variance), float(error / variance)


def tiers(nominal: np.ndarray, groups: np.ndarray, drawn: np.ndarray, confidence: float) -> np.ndarray:
    """Tiers within each group, 1 = top: going down the nominal ranking, a city starts a new tier when the
    first city of the current tier ranks ahead of it in at least `confidence` of the draws; otherwise their
    order is not meaningful and it joins the tier (like the IMD Smart City Index's rating groups).
    `drawn` holds each city's ranks over the draws (cities x draws)."""
    tier = np.zeros(len(nominal), dtype=np.int64)
    needed = confidence * drawn.shape[1]
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        ordered = members[np.lexsort((members, nominal[members]))]
        current, leader = 1, ordered[0]
        tier[leader] = 1
        for city in ordered[1:]:
            if np.count_nonzero(drawn[leader] < drawn[city]) >= needed:
                current, leader = current + 1, city
            tier[city] = current
    return tier


# ------------------------------------------------------------------------------------------------------
# One-at-a-time sensitivity to each weight
# ------------------------------------------------------------------------------------------------------


def sensitivity(pillars: np.ndarray, weights: np.ndarray, step: float) -> list[dict]:
    """How far ranks move when one pillar's weight moves by +/- step (then renormalised)."""
    nominal = competition_ranks(pillars @ weights)
    rows = []
    for index, pillar in enumerate(PILLARS):
        for change in (-step, step):
            moved = weights.copy()
            moved[index] = max(moved[index] + change, 0.0)
            if moved.sum() <= 0 or np.isclose(moved[index], weights[index]):
                continue
            moved /= moved.sum()
            shift = np.abs(competition_ranks(pillars @ moved) - nominal)
            rows.append(
                {
                    "pillar": pillar,
                    "weight_change": change,
                    "weight_after": float(moved[index]),
                    "mean_abs_rank_shift": float(shift.mean()),
                    "max_abs_rank_shift": int(shift.max()),
                    "cities_moved": int((shift > 0).sum()),
                }
            )
    return rows
