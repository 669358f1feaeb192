"""The restore-time default stays inside calibration.md §1's range (issue 11, item 14).

calibration.md §1, S36 (ASM): a snapshot or PITR restore reaches "available" in
15 min, range 10-40 min; the default distribution must keep >= 95% of draws inside
10-40 min. The draws come from the same named stream a run uses.
"""

from __future__ import annotations

import numpy as np
import pytest

from hadrsim.spec.aurora import Aurora
from hadrsim.spec.rds import RdsSingleAz

DRAWS = 20_000


@pytest.mark.parametrize("spec", [RdsSingleAz(name="db", kind="rds_single_az"),
                                  Aurora(name="db", kind="aurora")])
def test_restore_default_keeps_95_percent_of_draws_inside_10_to_40_min(spec):
    """Median ~15 min; >= 95% in [10, 40] min; the lower tail is the one at risk."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(11)))
    minutes = spec.restore_s.draw(rng, DRAWS) / 60.0
    inside = np.mean((minutes >= 10.0) & (minutes <= 40.0))
    assert inside >= 0.95
    assert np.mean(minutes < 10.0) <= 0.05
    assert 14.0 <= np.median(minutes) <= 16.0
