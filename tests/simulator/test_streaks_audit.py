"""A failure streak never takes as certain what did not happen: an audit in per-op mode.

In ``history: per_op`` every call is simulated. After each failure that a compressed
run would turn into a streak (:func:`hadrsim.simulator.streaks.predict`), every later
call of that client, until something changes (:meth:`World.touched`) or the
prediction expires, must end exactly as predicted: same outcome, error, node and
duration. A change the model forgot to announce shows here as a call that succeeded,
or failed otherwise, while the prediction stood.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import pytest

from hadrsim.experiments.run import simulate
from hadrsim.simulator.client import ObservedClient
from hadrsim.simulator.streaks import DROPPED, IGNORED, NO_ENDPOINT, REFUSED, predict
from hadrsim.simulator.vocabulary import OpKind, Outcome
from hadrsim.simulator.world import World
from hadrsim.spec.loader import load_study

ROOT = Path(__file__).resolve().parents[2]
STUDIES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "experiments").glob("*.yaml"))


@cache
def _per_op(path: str):
    return load_study(ROOT / path).with_history("per_op")


def _cases():
    for path in STUDIES:
        study = _per_op(path)
        for design in study.designs:
            for scenario in study.scenarios:
                if "year" in path and scenario.stochastic:
                    continue  # a simulated year each: the long-run tests cover them
                yield pytest.param(path, design.name, scenario.name,
                                   id=f"{Path(path).stem}-{design.name}-{scenario.name}")


class _Audit:
    def __init__(self) -> None:
        self.predictions: dict[ObservedClient, tuple[dict, float, float]] = {}
        self.checked = 0
        self.wrong: list[str] = []

    def expect(self, client: ObservedClient, kind: str, key, value, invoke: float,
               complete: float, outcome: str, node: str | None, error: str | None) -> None:
        prediction = self.predictions.get(client)
        if prediction is None:
            return
        failures, first, valid_until = prediction
        if not first <= invoke < valid_until:
            return
        failure = failures.get(kind == OpKind.WRITE)
        assert failure is not None, "a kind the workload never issues"
        timed_out = failure.how not in (NO_ENDPOINT, REFUSED)
        want_outcome = Outcome.UNKNOWN if timed_out and kind == OpKind.WRITE else Outcome.FAIL
        want_node = failure.node.name if failure.node is not None else None
        got = (outcome, error, node)
        want = (want_outcome, failure.error, want_node)
        duration_ok = (not timed_out
                       or math.isclose(complete - invoke, client.spec.op_timeout_s, abs_tol=1e-6))
        if failure.how == NO_ENDPOINT:
            duration_ok = complete == invoke
        self.checked += 1
        if got != want or not duration_ok:
            self.wrong.append(f"{client.name} {kind} at {invoke:.3f}: got {got} in "
                              f"{complete - invoke:.3f} s, predicted {want} ({failure.how})")


@pytest.fixture
def audit(monkeypatch) -> _Audit:
    audit = _Audit()
    log_op, record, touched = ObservedClient.log_op, ObservedClient._record, World.touched

    def checked_log_op(self, kind, key, value, version, invoke, complete, outcome, node,
                       error, prev=None):
        audit.expect(self, kind, key, value, invoke, complete, outcome, node, error)
        log_op(self, kind, key, value, version, invoke, complete, outcome, node, error, prev)

    def predicting_record(self, kind, key, value, version, invoke, outcome, node, error,
                          prev=None):
        record(self, kind, key, value, version, invoke, outcome, node, error, prev)
        audit.predictions.pop(self, None)
        if outcome != Outcome.OK and not self._waiting_for_region:
            prediction = predict(self, self._wake_at)
            if prediction is not None:
                audit.predictions[self] = (prediction[0], self._wake_at, prediction[1])

    def forgetting_touched(self):
        audit.predictions.clear()
        touched(self)

    monkeypatch.setattr(ObservedClient, "log_op", checked_log_op)
    monkeypatch.setattr(ObservedClient, "_record", predicting_record)
    monkeypatch.setattr(World, "touched", forgetting_touched)
    return audit


@pytest.mark.slow
@pytest.mark.parametrize(("path", "design", "scenario"), list(_cases()))
def test_every_predicted_failure_happens(audit, path, design, scenario):
    simulate(_per_op(path), design, scenario, 0)
    assert not audit.wrong, "\n".join(audit.wrong[:10])


@pytest.mark.slow
def test_the_audit_sees_streaks_of_every_kind(audit, monkeypatch):
    """The audit is not vacuous: bundled outages give long predicted streaks of calls that
    are dropped, ignored and refused (a name with no answer: test_streaks.py)."""
    import hadrsim.simulator.streaks as streaks

    seen: set[str] = set()
    real_predict = streaks.predict

    def noting_predict(client, next_invoke):
        prediction = real_predict(client, next_invoke)
        if prediction is not None:
            seen.update(failure.how for failure in prediction[0].values())
        return prediction

    monkeypatch.setattr(f"{__name__}.predict", noting_predict)
    runs = [("experiments/securecart.yaml", "multi-az", "region-outage"),
            ("experiments/securecart.yaml", "multi-az-dr", "region-outage"),
            ("experiments/securecart.yaml", "single-az", "instance-crash"),
            ("experiments/securecart.yaml", "aurora", "az-outage"),
            ("experiments/dr-tiers.yaml", "warm-standby", "region-outage")]
    for path, design, scenario in runs:
        simulate(_per_op(path), design, scenario, 0)
    assert not audit.wrong, "\n".join(audit.wrong[:10])
    assert audit.checked > 1000
    assert {DROPPED, IGNORED, REFUSED} <= seen
