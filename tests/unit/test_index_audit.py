"""Effective weights and their calibration (smartcity.index.audit), on pillar matrices made here with
known correlations, where the right answer is known in closed form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartcity.index.audit import calibrate_weights, effective_weights


def uncorrelated(spreads: list[float], cities: int = 40, seed: int = 0) -> np.ndarray:
    """Pillars with exactly zero sample correlation and the given standard deviations, around 50."""
    rng = np.random.default_rng(seed)
    raw = rng.normal(size=(cities, len(spreads)))
    q, _ = np.linalg.qr(raw - raw.mean(axis=0))
    return 50 + q / q.std(axis=0) * np.array(spreads)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(min_value=1, max_value=30), min_size=2, max_size=5).flatmap(
        lambda spreads: st.tuples(
            st.just(spreads),
            st.lists(st.floats(min_value=0.05, max_value=1), min_size=len(spreads), max_size=len(spreads)),
        )
    )
)
def test_for_uncorrelated_pillars_the_effective_weight_is_the_share_of_variance(case):
    """With uncorrelated pillars the score's variance is the sum of w_i^2 sd_i^2: each pillar's share of it
    is its effective weight."""
    spreads, raw_weights = case
    weights = np.array(raw_weights) / sum(raw_weights)
    shares = (weights * np.array(spreads)) ** 2
    assert effective_weights(uncorrelated(spreads), weights) == pytest.approx(shares / shares.sum(), abs=1e-9)


def test_a_pillar_weighted_zero_or_constant_has_no_effective_weight_and_copies_share_equally():
    pillars = uncorrelated([10, 10, 10])
    pillars[:, 2] = pillars[:, 0]  # a copy of the first pillar
    effective = effective_weights(pillars, np.array([0.7, 0.3, 0.0]))
    assert effective[2] == 0
    pillars[:, 1] = 42.0
    effective = effective_weights(pillars, np.array([0.2, 0.3, 0.5]))
    assert effective[1] == 0
    assert effective[0] == pytest.approx(effective[2]) == pytest.approx(0.5)


def test_calibration_recovers_the_weights_that_give_the_intended_importance():
    """Uncorrelated pillars with spreads sd: effective weights are proportional to (w sd)^2, so the weights
    that give importances t are proportional to sqrt(t) / sd."""
    spreads = np.array([20.0, 5.0, 10.0])
    intended = np.array([0.5, 0.3, 0.2])
    months = [uncorrelated(list(spreads), seed=seed) for seed in range(3)]
    expected = np.sqrt(intended) / spreads
    expected /= expected.sum()
    weights = calibrate_weights(months, intended, floor=0.0, decimals=3)
    assert weights.sum() == pytest.approx(1)
    assert weights == pytest.approx(expected, abs=0.002)
    assert effective_weights(months[0], weights) == pytest.approx(intended, abs=0.01)


def test_calibrated_weights_respect_the_floor():
    # The second pillar copies the first: it reaches any importance through it, at a weight near 0 unless
    # the floor keeps it in.
    base = uncorrelated([10, 10, 10])
    base[:, 1] = base[:, 0] + uncorrelated([1, 1, 1], seed=4)[:, 0] - 50
    weights = calibrate_weights([base], np.array([0.4, 0.4, 0.2]), floor=0.1)
    assert weights.min() >= 0.1 - 1e-12 and weights.sum() == pytest.approx(1)
