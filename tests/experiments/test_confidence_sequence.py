"""The always-valid bounds: right numbers, valid under repeated looks, unlike a peeked Wilson."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hadrsim.experiments.confidence import confidence_bounds, log_evidence

P0, CONF = 0.95, 0.975
LEVEL = math.log(1 / (1 - CONF))


def test_bounds_stay_in_the_unit_interval_around_the_mean():
    for n, met in [(1, 0), (1, 1), (10, 5), (30, 29), (200, 190), (81, 81)]:
        b = confidence_bounds([1.0] * met + [0.0] * (n - met), P0, CONF)
        assert 0.0 <= b.lower <= b.mean <= b.upper <= 1.0
    empty = confidence_bounds([], P0, CONF)
    assert (empty.lower, empty.upper, empty.n) == (0.0, 1.0, 0)


def test_all_met_is_proven_after_81_runs_not_80():
    """The README's figure: a design that always meets is decided after 81 runs."""
    assert confidence_bounds([1.0] * 80, P0, CONF).lower < P0
    assert confidence_bounds([1.0] * 81, P0, CONF).lower >= P0


def test_the_bounds_agree_with_the_test_at_the_target():
    for n in (5, 20, 81, 150):
        for met in range(max(0, n - 8), n + 1):
            b = confidence_bounds([1.0] * met + [0.0] * (n - met), P0, CONF)
            assert (b.lower >= P0) == (log_evidence(met, n, P0, P0, True) >= LEVEL)
            assert (b.upper < P0) == (log_evidence(met, n, P0, P0, False) >= LEVEL)


def test_shares_outside_the_unit_interval_are_refused():
    with pytest.raises(ValueError):
        confidence_bounds([1.2], P0, CONF)


def _ever(p_true: float, claim, seed: int, looks: int = 40, batch: int = 10,
          sequences: int = 4000) -> float:
    """Share of sequences in which ``claim(met, n)`` (vectorised) holds at some look."""
    draws = np.random.default_rng(seed).random((looks * batch, sequences)) < p_true
    met = np.cumsum(draws, axis=0)[batch - 1::batch]
    n = np.arange(1, looks + 1)[:, None] * batch
    return float(claim(met, n).any(axis=0).mean())


def _wilson_low(met, n, z: float = 1.959964) -> np.ndarray:
    p = met / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half


@pytest.mark.slow
def test_repeated_looks_keep_the_stated_error():
    """At the boundary (true P = 95%), looking after every batch of 10 up to 400 runs
    must claim "meets" in at most 2.5% of studies (plus Monte Carlo slack); a Wilson
    bound peeked at the same looks claims it far more often — why hadrsim does not."""
    slack = 3 * math.sqrt(0.025 * 0.975 / 4000)
    valid = _ever(P0, lambda met, n: log_evidence(met, n, P0, P0, True) >= LEVEL, 12)
    peeked = _ever(P0, lambda met, n: _wilson_low(met, n) >= P0, 12)
    assert valid <= 0.025 + slack
    assert peeked > 0.025 + slack and peeked > 2 * valid
    fails = _ever(P0, lambda met, n: log_evidence(met, n, P0, P0, False) >= LEVEL, 13)
    assert fails <= 0.025 + slack
