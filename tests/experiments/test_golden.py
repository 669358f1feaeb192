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
    ("multi-az", "instance-crash"): (75.36716, 73.492626, 0.0, 0.0),
    ("multi-az-cluster", "az-outage"): (22.060967, 18.460835, 0.0, 0.0),
    ("multi-az-dr", "region-outage"): (1022.845503, 1020.157388, 1.0, 0.147059),
    ("single-az", "instance-crash"): (955.469916, 955.004652, 0.0, 0.0),
}


@pytest.mark.parametrize(("design", "scenario"), list(GOLDEN))
def test_securecart_run_zero_is_pinned(design, scenario):
    """RTO write/read, lost writes and RPO of run 0 match the pinned figures."""
    result = run_once(load_study(STUDY), design, scenario, 0)
    assert result.ok, result.error
    got = tuple(round(result.metrics[k], 6)
                for k in ("rto_write_s", "rto_read_s", "lost_writes", "rpo_s"))
    assert got == GOLDEN[(design, scenario)]
