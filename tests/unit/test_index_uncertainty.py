"""The Monte Carlo behind the index's rank bands, tiers and Sobol indices (smartcity.index.uncertainty), on
generated pillar matrices. Bands are reported as drawn: the tests below would fail if a band were widened
to contain the nominal rank, or if a band belonged to another city than its own."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta, rankdata

from smartcity.index.pillars import DEFAULT_WEIGHTS, INTENDED_IMPORTANCE, PILLARS
from smartcity.index.uncertainty import (
    AGGREGATIONS,
    IMPUTATIONS,
    NO_EXCLUSION,
    NORMALISATIONS,
    SOURCES,
    Draws,
    MonthModel,
    competition_ranks,
    draw,
    imputed,
    normalise,
    normalised,
    rank_bands,
    ranks_overall_and_in_group,
    sensitivity,
    sobol_indices,
    tiers,
    weight_concentration,
)

WEIGHTS = normalised(dict(DEFAULT_WEIGHTS))
P = len(PILLARS)
values = st.floats(min_value=0, max_value=100, allow_nan=False)
pillar_matrices = st.integers(min_value=1, max_value=12).flatmap(
    lambda n: st.lists(st.lists(values, min_size=P, max_size=P), min_size=n, max_size=n)
)


def groups_for(n: int) -> np.ndarray:
    return np.array(["city" if i % 3 else "province" for i in range(n)])


def nominal_only(weights: np.ndarray, rows: int) -> Draws:
    """Draws that are all the nominal configuration: no uncertainty at all."""
    zero = np.zeros(rows, dtype=np.int64)
    return Draws(np.tile(weights, (rows, 1)), zero, zero, np.full(rows, NO_EXCLUSION), zero)


# ---- ranks -------------------------------------------------------------------------------------------


def test_competition_ranks_share_ties_and_skip_the_next():
    assert competition_ranks(np.array([50.0, 70.0, 50.0, 10.0])).tolist() == [2, 1, 2, 4]


def test_float_noise_does_not_split_a_tie():
    assert competition_ranks(np.array([0.1 + 0.2, 0.3])).tolist() == [1, 1]


@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda rows: st.integers(min_value=1, max_value=30).flatmap(
            lambda cities: st.tuples(
                st.lists(
                    st.lists(
                        st.sampled_from([0.0, 12.5, 50.0, 50.0, 99.9, 100.0]),
                        min_size=cities,
                        max_size=cities,
                    ),
                    min_size=rows,
                    max_size=rows,
                ),
                st.lists(st.sampled_from(["city", "province", "other"]), min_size=cities, max_size=cities),
            )
        )
    )
)
def test_ranks_overall_and_in_group_are_scipy_min_ranks_of_every_row(case):
    """The vectorised ranking against an independent implementation, on rows full of ties."""
    scores, group_list = np.array(case[0]), np.array(case[1])
    overall, in_group = ranks_overall_and_in_group(scores, group_list)
    assert (overall == np.array([rankdata(-row, method="min") for row in scores])).all()
    for group in set(group_list):
        members = group_list == group
        expected = np.array([rankdata(-row[members], method="min") for row in scores])
        assert (in_group[:, members] == expected).all()


# ---- the draws ---------------------------------------------------------------------------------------


def test_weights_are_normalised_and_must_be_positive():
    assert normalised({"progress": 2, "coverage": 2}).tolist() == [0.5, 0, 0, 0, 0.5]
    with pytest.raises(ValueError):
        normalised({})
    with pytest.raises(ValueError):
        normalised({"progress": -1, "coverage": 2})


def test_the_weight_concentration_is_the_narrowest_that_covers_both_readings_and_a_quarter_either_way():
    """The rule behind the spread of the weight draws: each weight's 90 % range must reach the intended
    importance (the other reading of the weights) and +/- 25 % of the weight itself."""
    intended = normalised(dict(INTENDED_IMPORTANCE))
    concentration = weight_concentration(WEIGHTS, also_cover=intended, coverage=0.90, min_spread=0.25)

    def interval(c):
        return beta.ppf(0.05, c * WEIGHTS, c * (1 - WEIGHTS)), beta.ppf(0.95, c * WEIGHTS, c * (1 - WEIGHTS))

    need_low, need_high = np.minimum(intended, 0.75 * WEIGHTS), np.maximum(intended, 1.25 * WEIGHTS)
    low, high = interval(concentration)
    assert (low <= need_low + 1e-9).all() and (high >= need_high - 1e-9).all()
    # Any narrower distribution misses one of them: the rule, not a taste, sets the spread.
    low, high = interval(concentration * 1.02)
    assert (low > need_low).any() or (high < need_high).any()
    # Without another reading to cover, only the quarter either way: narrower.
    assert weight_concentration(WEIGHTS) > concentration
    assert weight_concentration(normalised({"progress": 1})) is None


def test_draws_are_seeded_centred_uniform_over_choices_and_keep_zero_weights_at_zero():
    weights = normalised({"progress": 3, "schedule": 1, "plan_quality": 1})
    a, b = draw(weights, base_draws=4000, seed=7, concentration=20.0)
    again, _ = draw(weights, base_draws=4000, seed=7, concentration=20.0)
    assert np.array_equal(a.weights, again.weights) and np.array_equal(a.pillar_set, again.pillar_set)
    assert not np.array_equal(a.weights, b.weights)  # A and B are independent draws
    assert np.allclose(a.weights.sum(axis=1), 1)
    assert (a.weights[:, 3:] == 0).all()
    assert a.weights.mean(axis=0) == pytest.approx(weights, abs=0.01)
    for source, options in (
        ("normalisation", len(NORMALISATIONS)),
        ("aggregation", len(AGGREGATIONS)),
        ("imputation", len(IMPUTATIONS)),
    ):
        shares = np.bincount(getattr(a, source), minlength=options) / len(a)
        assert shares == pytest.approx(np.full(options, 1 / options), abs=0.03), source
    # The pillar set: all pillars, or one weighted pillar left out (never an unweighted one).
    assert set(np.unique(a.pillar_set)) == {NO_EXCLUSION, 0, 1, 2}


# ---- one month's alternatives ------------------------------------------------------------------------


def test_imputation_rules_fill_from_the_peer_group_or_everyone():
    measured = np.array([[np.nan], [10.0], [30.0], [np.nan], [100.0]])
    groups = np.array(["a", "a", "a", "b", "b"])
    assert imputed(measured, groups, "peer_median")[:, 0].tolist() == [20.0, 10.0, 30.0, 100.0, 100.0]
    assert imputed(measured, groups, "peer_minimum")[:, 0].tolist() == [10.0, 10.0, 30.0, 100.0, 100.0]
    assert imputed(measured, groups, "overall_median")[:, 0].tolist() == [30.0, 10.0, 30.0, 30.0, 100.0]
    nobody = np.array([[np.nan], [np.nan]])
    assert imputed(nobody, np.array(["a", "a"]), "peer_median")[:, 0].tolist() == [0.0, 0.0]


def test_normalisations_keep_the_order_of_cities_within_a_pillar():
    values = np.array([[10.0, 5.0], [55.0, 5.0], [100.0, 5.0]])
    assert normalise(values, "goalposts").tolist() == values.tolist()
    assert normalise(values, "min_max")[:, 0].tolist() == [0.0, 50.0, 100.0]
    z = normalise(values, "z_score")[:, 0]
    assert z.mean() == pytest.approx(50) and z.std() == pytest.approx(10)
    # A pillar on which every city is equal says nothing about their order.
    assert normalise(values, "min_max")[:, 1].tolist() == [50.0] * 3


# ---- bands -------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(pillar_matrices, st.lists(st.booleans(), min_size=12 * P, max_size=12 * P))
def test_without_uncertainty_every_band_is_the_nominal_rank_of_its_own_city(matrix, holes):
    """Any data, ties and missing values included: drawing only the nominal configuration must give each
    city exactly its nominal ranks, so a band can never belong to another city."""
    measured = np.array(matrix)
    measured[np.array(holes[: measured.size]).reshape(measured.shape) & (np.arange(P) == 1)] = np.nan
    model = MonthModel(measured, groups_for(len(matrix)))
    design = (nominal_only(WEIGHTS, 20), nominal_only(WEIGHTS, 20))
    bands = rank_bands(model, WEIGHTS, design, tier_confidence=0.9)
    for low, median, high in (
        (bands.rank_p05, bands.rank_median, bands.rank_p95),
        (bands.rank_peer_group_p05, bands.rank_peer_group_median, bands.rank_peer_group_p95),
    ):
        nominal = bands.nominal_rank if low is bands.rank_p05 else bands.nominal_rank_peer_group
        assert low.tolist() == median.tolist() == high.tolist() == nominal.tolist()


ordered_cities = st.integers(min_value=2, max_value=15).flatmap(
    lambda n: st.lists(
        st.lists(st.floats(min_value=0.5, max_value=6, allow_nan=False), min_size=n, max_size=n),
        min_size=P,
        max_size=P,
    )
)


@settings(max_examples=40, deadline=None)
@given(ordered_cities, st.integers(min_value=0, max_value=2**31))
def test_the_nominal_rank_lies_inside_its_band_when_the_order_is_clear(gaps, seed):
    """Generated cities each better than the next on every pillar (by random gaps): whatever the weights,
    normalisation, aggregation, pillar set or imputation, the order holds, so each band must contain the
    nominal rank, and be that rank. Bands are not widened: a band computed for the wrong city, or a wrong
    rank, fails here."""
    # Pillar values from 100 down by the gaps (all >= 1, so the geometric mean's floor changes nothing).
    measured = 100 - np.cumsum(np.array(gaps).T, axis=0)
    n = measured.shape[0]
    groups = groups_for(n)
    model = MonthModel(measured, groups)
    design = draw(WEIGHTS, base_draws=64, seed=seed, concentration=weight_concentration(WEIGHTS))
    bands = rank_bands(model, WEIGHTS, design, tier_confidence=0.9)
    assert ((bands.rank_p05 <= bands.nominal_rank) & (bands.nominal_rank <= bands.rank_p95)).all()
    group_nominal = bands.nominal_rank_peer_group
    assert ((bands.rank_peer_group_p05 <= group_nominal) & (group_nominal <= bands.rank_peer_group_p95)).all()
    assert bands.nominal_rank.tolist() == list(range(1, n + 1))
    assert bands.rank_p05.tolist() == bands.rank_p95.tolist() == bands.nominal_rank.tolist()
    assert bands.prob_first_in_peer_group.tolist() == [float(g == 1) for g in group_nominal]
    # Clearly ordered: every city is a tier of its own.
    for group in set(groups):
        assert sorted(bands.tier[groups == group].tolist()) == list(range(1, (groups == group).sum() + 1))


def test_a_band_that_misses_the_nominal_rank_is_published_as_it_is():
    """City 0 leads on the arithmetic mean only; every draw here uses the geometric mean, where its zero
    pillar sinks it. Its band is then 2-2 while its nominal rank is 1: reported so, not widened."""
    measured = np.array([[100.0, 100.0, 100.0, 100.0, 0.0], [60.0, 60.0, 60.0, 60.0, 60.0]])
    geometric = Draws(
        np.tile(WEIGHTS, (10, 1)),
        np.zeros(10, dtype=np.int64),
        np.ones(10, dtype=np.int64),
        np.full(10, NO_EXCLUSION),
        np.zeros(10, dtype=np.int64),
    )
    bands = rank_bands(MonthModel(measured, np.array(["city", "city"])), WEIGHTS, (geometric, geometric), 0.9)
    assert bands.nominal_rank.tolist() == [1, 2]
    assert bands.rank_p05.tolist() == [2, 1] and bands.rank_p95.tolist() == [2, 1]
    assert bands.prob_first_in_peer_group.tolist() == [0.0, 1.0]


def test_tiers_start_where_the_tier_leader_is_clearly_ahead():
    drawn = np.array([[1, 2, 3, 4], [1, 3, 2, 4], [2, 1, 3, 4], [1, 2, 3, 4]]).T  # cities x draws
    nominal = np.array([1, 2, 3, 4])
    tier = tiers(nominal, np.array(["city"] * 4), drawn, confidence=0.9)
    # City 0 is ahead of city 1 in 3 of 4 draws (< 90 %): same tier; ahead of city 2 in 4 of 4: new tier,
    # led by city 2, which is ahead of city 3 in every draw: another tier.
    assert tier.tolist() == [1, 1, 2, 3]


@settings(max_examples=40, deadline=None)
@given(pillar_matrices, st.randoms(use_true_random=False))
def test_the_order_of_cities_changes_no_city_s_bands(matrix, random):
    measured = np.array(matrix)
    order = list(range(len(matrix)))
    random.shuffle(order)
    groups = groups_for(len(matrix))
    design = draw(WEIGHTS, 50, seed=3, concentration=weight_concentration(WEIGHTS))
    original = rank_bands(MonthModel(measured, groups), WEIGHTS, design, 0.9)
    shuffled = rank_bands(MonthModel(measured[order], groups[order]), WEIGHTS, design, 0.9)
    for name in ("rank_p05", "rank_median", "rank_p95", "rank_peer_group_p05", "prob_first_in_peer_group"):
        assert getattr(original, name)[order].tolist() == getattr(shuffled, name).tolist(), name


@settings(max_examples=60, deadline=None)
@given(pillar_matrices, st.integers(min_value=0, max_value=11), st.floats(min_value=0, max_value=50))
def test_raising_one_pillar_of_a_city_never_worsens_its_nominal_rank(matrix, which, raise_by):
    pillars = np.array(matrix)
    city = which % len(matrix)
    before = competition_ranks(pillars @ WEIGHTS)[city]
    raised = pillars.copy()
    raised[city, 0] = min(raised[city, 0] + raise_by, 100)
    assert competition_ranks(raised @ WEIGHTS)[city] <= before


# ---- Sobol indices -----------------------------------------------------------------------------------


def random_month(seed: int, n: int = 25, missing: bool = True) -> MonthModel:
    rng = np.random.default_rng(seed)
    measured = rng.uniform(0, 100, (n, P))
    if missing:
        measured[rng.random(n) < 0.3, 2] = np.nan
    return MonthModel(measured, groups_for(n))


def test_a_source_that_changes_nothing_explains_nothing():
    """Nothing is missing, so the imputation rule changes no score: both of its indices are exactly 0."""
    design = draw(WEIGHTS, 128, seed=1, concentration=weight_concentration(WEIGHTS))
    indices = {(i.ranking, i.source): i for i in sobol_indices(random_month(2, missing=False), design, 128)}
    for ranking in ("overall", "peer_group"):
        assert indices[(ranking, "imputation")].first_order == 0.0
        assert indices[(ranking, "imputation")].total == 0.0
    assert indices[("peer_group", "weights")].total > 0.05


def test_when_only_the_weights_vary_they_explain_all_of_the_variance():
    weights_only = []
    for seed in (11, 12):
        rng = np.random.default_rng(seed)
        rows = 256
        zero = np.zeros(rows, dtype=np.int64)
        sampled = rng.dirichlet(WEIGHTS * 8, size=rows)
        weights_only.append(Draws(sampled, zero, zero, np.full(rows, NO_EXCLUSION), zero))
    indices = {(i.ranking, i.source): i for i in sobol_indices(random_month(5), tuple(weights_only), 256)}
    for ranking in ("overall", "peer_group"):
        weights = indices[(ranking, "weights")]
        assert weights.first_order == pytest.approx(1, abs=4 * weights.first_order_se + 0.05)
        assert weights.total == pytest.approx(1, abs=4 * weights.total_se + 0.05)
        for source in SOURCES[1:]:
            assert indices[(ranking, source)].total == 0.0


def test_total_indices_are_at_least_the_first_order_ones_within_their_error():
    design = draw(WEIGHTS, 256, seed=4, concentration=weight_concentration(WEIGHTS))
    for index in sobol_indices(random_month(9), design, 256):
        assert index.total >= 0
        assert index.first_order <= index.total + 4 * (index.first_order_se + index.total_se) + 0.02


def test_sensitivity_reports_each_pillar_moving_up_and_down():
    pillars = np.array([[90, 10, 50, 50, 50], [10, 90, 50, 50, 50], [50, 50, 50, 50, 50]], dtype=float)
    rows = sensitivity(pillars, normalised({"progress": 0.5, "schedule": 0.5}), step=0.3)
    moved = {(r["pillar"], r["weight_change"]): r for r in rows}
    assert set(p for p, _ in moved) == set(PILLARS)
    # All three tie at 50 (rank 1); tipping the balance to progress puts the first city ahead (still 1st),
    # the third 2nd and the second 3rd: two cities move, the farthest by two ranks.
    assert moved[("progress", 0.3)]["cities_moved"] == 2
    assert moved[("progress", 0.3)]["max_abs_rank_shift"] == 2
    # A pillar on which every city is equal moves nobody.
    assert moved[("coverage", 0.3)]["cities_moved"] == 0
