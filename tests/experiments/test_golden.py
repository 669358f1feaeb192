"""Golden regression figures: the bundled SecureCart study, run index 0, pinned.

These change only when the model changes on purpose; then re-pin them and say
why in the commit. They also guard determinism across machines (bit-exact).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hadrsim.experiments.run import run_once
from hadrsim.spec.loader import load_study

STUDY = Path(__file__).resolve().parents[2] / "experiments" / "securecart.yaml"

GOLDEN = {
    # issue 14: compressed failure streaks, then steady runs; their calls draw network delays
    # on their own streams (the same law), so times move by microseconds to milliseconds;
    # since session 6 a row per call on each client's own stream (RowSampler); since
    # session 7 a steady write's flushes too (CallLaws)
    ("multi-az", "instance-crash"): (72.256741, 75.802711, 0.0, 0.0),
    ("multi-az-cluster", "az-outage"): (22.122766, 17.226254, 0.0, 0.0),
    # issue 11: rpo_s = latest lost ack - recovery point, from commit records; issue 14
    # session 9: a window runs the replica's batches on their way, so a batch's delay is
    # drawn from its call's row more often (the same law): times move by milliseconds
    ("multi-az-dr", "region-outage"): (1025.984926, 1025.260938, 63.0, 18.124307),
    ("single-az", "instance-crash"): (958.435641, 957.355839, 0.0, 0.0),  # + detector sleep
    ("aurora-global", "region-outage"): (752.730414, 752.956288, 3.0, 0.402969),
    # issue 11: writes last-writer-wins discarded during the 10-min partition are lost
    ("dynamodb-global", "region-partition"): (0.0, 0.0, 339.0, 586.476086),
}


@pytest.mark.parametrize(("design", "scenario"), list(GOLDEN))
def test_securecart_run_zero_is_pinned(design, scenario):
    """RTO write/read, lost writes and RPO of run 0 match the pinned figures."""
    result = run_once(load_study(STUDY), design, scenario, 0)
    assert result.ok, result.error
    got = tuple(round(result.metrics[k], 6)
                for k in ("rto_write_s", "rto_read_s", "lost_writes", "rpo_s"))
    assert got == GOLDEN[(design, scenario)]
