"""One study and one seed give the same run on any machine: draws do not take numpy's
SIMD paths, whose last bits depend on the CPU (AVX-512 against the rest).

Found when run 0's pinned history hashes of Aurora Global moved on an AVX-512 machine:
numpy's float64 ``exp`` there is SVML's, elsewhere the C library's. The child process
below runs with numpy's AVX-512 and AVX2 dispatch switched off
(``NPY_DISABLE_CPU_FEATURES``), as a machine without them would; both must agree.
On an x86-64 machine without AVX-512 both sides take the same paths and the test
cannot tell anything; it is meant for the machines that have it (CI's has).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hadrsim.experiments.confidence import confidence_bounds, log_evidence
from hadrsim.simulator.network import _Jitter
from hadrsim.spec.distributions import exponential, lognormal, weibull

ROOT = Path(__file__).resolve().parents[2]

_CHILD = """
import json, sys
import numpy as np
import pytest
sys.path.insert(0, {tests!r})
from test_machine_independent import figures
print(json.dumps(figures()))
"""


def figures() -> dict:
    """Draws and quantiles of every family that computes with exp, log or powers, the
    decision rule's evidence and bounds, and a whole run's history hash, as exact
    decimal strings."""
    from hadrsim.experiments.run import simulate
    from hadrsim.spec.loader import load_study

    rng = np.random.default_rng(7)
    levels = np.linspace(0.0, 1.0, 101)
    laws = {"lognormal": lognormal(0.5, 9.0), "weibull": weibull(1.7, scale=3.0),
            "exponential": exponential(2.0)}
    out = {name: [law.draw(rng, 300).tolist(), law.ppf(levels).tolist()]
           for name, law in laws.items()}
    out["jitter"] = _Jitter(0.3).draw(rng, 300).tolist()
    shares = rng.random(40)  # the sequential decision's evidence and reported bounds
    out["evidence"] = [log_evidence(np.cumsum(shares)[:k], k, p, 0.95, above).tolist()
                       for k in (5, 40) for p in (0.3, 0.9, 0.97) for above in (True, False)]
    out["bounds"] = [(b.lower, b.upper) for b in
                     (confidence_bounds(shares[:k], 0.95, 0.95) for k in (5, 20, 40))]
    study = load_study(ROOT / "experiments" / "securecart.yaml").with_history("per_op")
    out["run"] = simulate(study, "aurora-global", "az-outage", 0).rec.history_hash()
    return {key: repr(value) for key, value in out.items()}


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="the switched-off features are x86-64 ones")
def test_draws_and_runs_do_not_depend_on_the_cpus_simd():
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES="AVX512_ICL AVX512_SKX X86_V4 X86_V3")
    child = subprocess.run(
        [sys.executable, "-c", _CHILD.format(tests=str(Path(__file__).parent))],
        env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(child.stdout.strip().splitlines()[-1]) == figures()
