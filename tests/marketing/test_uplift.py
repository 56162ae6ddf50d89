"""The holdout uplift on simulated campaigns with a known effect."""

import random

from motormall.marketing import rules


def _simulate(rng, n_target, p_target, n_holdout, p_holdout):
    t = sum(rng.random() < p_target for _ in range(n_target))
    h = sum(rng.random() < p_holdout for _ in range(n_holdout))
    return rules.uplift(t, n_target, h, n_holdout)


def test_a_known_effect_is_found_and_its_interval_covers_it():
    lift = _simulate(random.Random(14), 18_000, 0.08, 2_000, 0.05)
    assert abs(lift.uplift - 0.03) < 0.012
    assert 0 < lift.low < 0.03 < lift.high


def test_the_95_percent_interval_covers_the_true_effect_about_95_percent_of_the_time():
    rng = random.Random(2026)
    runs = 400
    covered = sum(
        (lift := _simulate(rng, 900, 0.06, 100, 0.04)).low <= 0.02 <= lift.high for _ in range(runs)
    )
    assert 0.92 * runs <= covered <= 0.99 * runs


def test_no_effect_gives_an_interval_around_zero():
    lift = _simulate(random.Random(5), 9_000, 0.05, 1_000, 0.05)
    assert lift.low < 0 < lift.high


def test_holdout_size_and_groups_too_small_to_compare():
    assert rules.holdout_size(20, 10) == 2
    assert rules.holdout_size(5, 10) == 1 and rules.holdout_size(1, 10) == 0
    assert rules.holdout_size(100, 0) == 0
    assert rules.uplift(3, 10, 0, 0) is None
