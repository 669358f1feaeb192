"""The vectorised renewal Monte Carlo: counts, overlaps and month binning."""

from __future__ import annotations

import numpy as np
import pytest

from hadrsim.longrun.library import van_der_corput
from hadrsim.longrun.renewal import (
    Occurrences,
    bin_durations,
    compound_groups,
    draw_class,
)
from hadrsim.spec.distributions import exponential, weibull


def test_an_alternating_renewal_process_has_horizon_over_cycle_occurrences():
    """Up ~ exp(900 s), down 100 s: 1 occurrence per 1000 s, on every history."""
    rng = np.random.default_rng(1)
    run, episode, start, duration = draw_class(exponential(900.0), np.array([100.0]),
                                                1e6, 400, rng)
    per_run = np.bincount(run, minlength=400)
    assert per_run.mean() == pytest.approx(1000.0, rel=0.01)
    assert (episode == 0).all() and (duration == 100.0).all() and (start < 1e6).all()
    for r in (0, 17, 399):  # within a history, a fault starts only after the last repair
        mine = np.sort(start[run == r])
        assert (np.diff(mine) >= 100.0).all()


def test_weibull_times_to_failure_give_the_renewal_rate():
    """Any family draws: the long-run rate is 1 / (mean up + mean down)."""
    law = weibull(2.0, mean=400.0)
    run, *_ = draw_class(law, np.array([100.0, 300.0]), 5e5, 200, np.random.default_rng(2))
    assert np.bincount(run, minlength=200).mean() == pytest.approx(5e5 / 600.0, rel=0.02)


def _occ(run, start, duration, cls=None):
    n = len(run)
    return Occurrences(np.array(run), np.array(cls or [0] * n), np.zeros(n, int),
                       np.array(start, float), np.array(duration, float))


def test_overlapping_windows_form_one_group_per_history():
    occ = _occ([0, 0, 0, 1, 1], [0.0, 50.0, 500.0, 10.0, 60.0], [100.0] * 5)
    groups = compound_groups(occ, np.full(5, 100.0))
    # 0 and 50 overlap; 500 is alone; history 1 starts new groups (10 and 60 overlap)
    assert groups.tolist() == [0, 0, 1, 2, 2]


def test_a_chain_of_overlaps_is_one_group_and_histories_never_merge():
    occ = _occ([0, 0, 0, 1], [0.0, 90.0, 180.0, 0.0], [100.0] * 4)
    assert compound_groups(occ, np.full(4, 100.0)).tolist() == [0, 0, 0, 1]


def test_an_outage_across_a_month_boundary_counts_in_both_months():
    totals = bin_durations(np.array([0, 1]), np.array([90.0, 10.0]), np.array([20.0, 5.0]),
                           100.0, 3, 2)
    assert totals.tolist() == [[10.0, 10.0, 0.0], [5.0, 0.0, 0.0]]


def test_outages_past_the_last_bin_are_not_counted():
    totals = bin_durations(np.array([0]), np.array([250.0]), np.array([100.0]), 100.0, 3, 1)
    assert totals.tolist() == [[0.0, 0.0, 50.0]]


def test_van_der_corput_spreads_every_prefix():
    assert [van_der_corput(k) for k in range(5)] == [0.0, 0.5, 0.25, 0.75, 0.125]
