"""Intervals of the long-run view stay in their domain and carry the library's uncertainty."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from hadrsim.longrun.estimate import interval


def test_a_share_near_one_keeps_its_interval_below_one():
    plain = [0.9999, 0.99, 1.0, 0.97, 0.9995] * 4
    low, high = interval(plain, None, "share")
    assert 0.0 < low < np.mean(plain) < high < 1.0


def test_a_small_positive_figure_never_gets_a_negative_bound():
    plain = [0.0, 0.0, 0.0, 5.0] * 5
    low, high = interval(plain, None, "positive")
    assert 0.0 < low < 1.25 < high


def test_a_share_seen_as_one_everywhere_gets_the_rule_of_three():
    low, high = interval([1.0] * 20, [1.0] * 20, "share", trials=3000)
    assert (low, high) == (1.0 - 3 / 3000, 1.0)
    assert interval([0.0] * 20, None, "share", trials=300) == (0.0, 0.01)


def test_library_uncertainty_widens_the_interval_and_does_not_shrink_with_batches():
    rng = np.random.default_rng(3)
    plain = 10 + rng.normal(0, 0.1, 20)      # Monte Carlo noise only
    boot = 10 + rng.normal(0, 1.0, 20)       # plus the library's own spread
    narrow = interval(plain, None, "positive")
    wide = interval(plain, boot, "positive")
    assert wide[0] < narrow[0] and wide[1] > narrow[1]
    # the library part is the batch variance itself, not divided by the 20 batches
    assert wide[1] - wide[0] > 2 * 1.9 * 0.9


def test_the_t_quantile_constant_is_scipys():
    from scipy import stats

    from hadrsim.longrun.estimate import T975_19
    assert T975_19 == pytest.approx(float(stats.t.ppf(0.975, 19)), abs=1e-12)


def test_the_long_run_view_imports_no_scipy_or_pandas():
    """The warm path (library from the store, numpy Monte Carlo) starts in a fraction of
    a second: neither scipy (~1 s) nor pandas (~0.5 s) is imported for it."""
    code = ("import sys, hadrsim.cli.longrun, hadrsim.longrun.view, hadrsim.experiments.store;"
            "import hadrsim.experiments.montecarlo;"
            "print([m for m in ('scipy', 'pandas', 'matplotlib') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
