"""The Monte Carlo and sensitivity functions behind the index's rank bands."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from smartcity.index.uncertainty import (
    PILLARS,
    competition_ranks,
    normalised,
    rank_bands,
    sensitivity,
    weight_draws,
)

DEFAULT = {
    "progress": 0.3,
    "schedule": 0.2,
    "investment": 0.1,
    "plan_quality": 0.2,
    "reporting": 0.1,
    "coverage": 0.1,
}
pillar_matrices = st.integers(min_value=1, max_value=12).flatmap(
    lambda n: st.lists(
        st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=6, max_size=6),
        min_size=n,
        max_size=n,
    )
)


def test_competition_ranks_share_ties_and_skip_the_next():
    assert competition_ranks(np.array([50.0, 70.0, 50.0, 10.0])).tolist() == [2, 1, 2, 4]


def test_float_noise_does_not_split_a_tie():
    assert competition_ranks(np.array([0.1 + 0.2, 0.3])).tolist() == [1, 1]


def test_weights_are_normalised_and_must_be_positive():
    assert normalised({"progress": 2, "coverage": 2}).tolist() == [0.5, 0, 0, 0, 0, 0.5]
    with pytest.raises(ValueError):
        normalised({})
    with pytest.raises(ValueError):
        normalised({"progress": -1, "coverage": 2})


def test_draws_are_seeded_centred_and_keep_zero_weights_at_zero():
    weights = normalised({"progress": 3, "schedule": 1})
    first = weight_draws(weights, draws=2000, concentration=50, seed=7)
    assert np.array_equal(first, weight_draws(weights, draws=2000, concentration=50, seed=7))
    assert np.allclose(first.sum(axis=1), 1)
    assert (first[:, 2:] == 0).all()
    assert first.mean(axis=0) == pytest.approx(weights, abs=0.01)


@settings(max_examples=60, deadline=None)
@given(pillar_matrices)
def test_bands_contain_the_median_and_ranks_are_within_the_field(matrix):
    pillars = np.array(matrix)
    weights = normalised(DEFAULT)
    nominal, p05, p50, p95 = rank_bands(pillars, weights, weight_draws(weights, 200, 50, seed=1))
    n = len(matrix)
    assert ((1 <= nominal) & (nominal <= n)).all()
    assert ((p05 <= p50) & (p50 <= p95)).all()


@settings(max_examples=60, deadline=None)
@given(pillar_matrices, st.integers(min_value=0, max_value=11), st.floats(min_value=0, max_value=50))
def test_raising_one_pillar_of_a_city_never_worsens_its_rank(matrix, which, raise_by):
    pillars = np.array(matrix)
    city = which % len(matrix)
    weights = normalised(DEFAULT)
    before = competition_ranks(pillars @ weights)[city]
    raised = pillars.copy()
    raised[city, 0] = min(raised[city, 0] + raise_by, 100)
    assert competition_ranks(raised @ weights)[city] <= before


@settings(max_examples=40, deadline=None)
@given(pillar_matrices, st.randoms(use_true_random=False))
def test_the_order_of_cities_changes_no_city_s_ranks(matrix, random):
    pillars = np.array(matrix)
    order = list(range(len(matrix)))
    random.shuffle(order)
    weights = normalised(DEFAULT)
    draws = weight_draws(weights, 100, 50, seed=3)
    original = rank_bands(pillars, weights, draws)
    shuffled = rank_bands(pillars[order], weights, draws)
    for a, b in zip(original, shuffled, strict=True):
        assert a[order].tolist() == b.tolist()


def test_sensitivity_reports_each_pillar_moving_up_and_down():
    pillars = np.array(
        [[90, 10, 50, 50, 50, 50], [10, 90, 50, 50, 50, 50], [50, 50, 50, 50, 50, 50]], dtype=float
    )
    rows = sensitivity(pillars, normalised({"progress": 0.5, "schedule": 0.5}), step=0.3)
    moved = {(r["pillar"], r["weight_change"]): r for r in rows}
    assert set(p for p, _ in moved) == set(PILLARS)
    # All three tie at 50 (rank 1); tipping the balance to progress puts the first city ahead (still 1st),
    # the third 2nd and the second 3rd: two cities move, the farthest by two ranks.
    assert moved[("progress", 0.3)]["cities_moved"] == 2
    assert moved[("progress", 0.3)]["max_abs_rank_shift"] == 2
    # A pillar on which every city is equal moves nobody.
    assert moved[("coverage", 0.3)]["cities_moved"] == 0


@given(
    st.integers(min_value=1, max_value=6).flatmap(
        lambda rows: st.integers(min_value=1, max_value=40).flatmap(
            lambda cities: st.lists(
                st.lists(
                    st.sampled_from([0.0, 12.5, 50.0, 50.0, 99.9, 100.0]), min_size=cities, max_size=cities
                ),
                min_size=rows,
                max_size=rows,
            )
        )
    )
)
def test_competition_ranks_are_scipy_min_ranks_of_every_row(scores):
    """The vectorised ranking against an independent implementation, on rows full of ties."""
    matrix = np.array(scores)
    expected = np.array([rankdata(-row, method="min") for row in matrix])
    assert (competition_ranks(matrix) == expected).all()
