"""The history hash: every recorded field counts, object identity does not (issue 12).

The hash is what the store keeps per run and what the report's re-simulation and the
determinism tests compare, so it must change with any recorded value and only then.
"""

from __future__ import annotations

import math

import pytest

from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.records import (
    Apply,
    ClientOp,
    Commit,
    ControlEvent,
    Fault,
    FinalRead,
    ReplicaState,
    RoleChange,
)

SAMPLES = {
    "ops": ClientOp("c1", "us-east-1", "write", 3, 17, 1 << 40, 1.25, 1.5, "ok", "db-1",
                    None, 12),
    "commits": Commit(1.5, "db-1", 1, 10, 12, 3, (17, 18)),
    "applies": Apply(1.6, "db-2", "db-1", 1, 12),
    "faults": Fault(0, "instance_crash", "node:db-1", "Hardware", 300.0, None, ("a1",)),
    "roles": RoleChange(0.0, "db-1", "primary", 1, "orders", "a1"),
    "control": ControlEvent(301.5, "failure_detected", "db-1", "no heartbeat"),
}
REPLICA = ReplicaState("db-2", "orders", "replica", True, ((0, 17), (1, None)))
FINAL = FinalRead(1830.0, "db-1", True, 1, 12, frozenset({17, 18}), ((1, 1, 12),))


def _recorder(**changes) -> Recorder:
    rec = Recorder(horizon_s=1800.0)
    for name, record in SAMPLES.items():
        getattr(rec, name).append(changes.get(name, record))
    rec.replicas.append(changes.get("replicas", REPLICA))
    rec.final = changes.get("final", FINAL)
    return rec


def _other(value):
    """A different value of (mostly) the same type."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return not value
    if isinstance(value, float):
        return math.nextafter(value, math.inf)  # one bit
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, frozenset):
        return value | {99}
    if isinstance(value, tuple):
        return (*value[:-1], ("changed",))
    raise AssertionError(type(value))


CASES = [(name, record, field) for name, record in
         [*SAMPLES.items(), ("replicas", REPLICA), ("final", FINAL)]
         for field in record._fields]


@pytest.mark.parametrize(("name", "record", "field"), CASES,
                         ids=[f"{n}.{f}" for n, _, f in CASES])
def test_every_field_of_every_record_changes_the_hash(name, record, field):
    changed = record._replace(**{field: _other(getattr(record, field))})
    assert _recorder(**{name: changed}).history_hash() != _recorder().history_hash()


def test_types_count_not_only_printed_values():
    """1, 1.0 and True are different records; so are None and an empty string."""
    op = SAMPLES["ops"]
    hashes = {_recorder(ops=op._replace(value=v)).history_hash() for v in (1, 1.0, True)}
    assert len(hashes) == 3
    assert (_recorder(ops=op._replace(error=None)).history_hash()
            != _recorder(ops=op._replace(error="")).history_hash())


def test_equal_values_hash_equal_whatever_the_objects():
    """Strings built at run time and shared literals give the same hash (no identity)."""
    op = SAMPLES["ops"]
    built = op._replace(client="".join(["c", "1"]), node="-".join(["db", "1"]),
                        kind="".join(["wri", "te"]))
    assert _recorder(ops=built).history_hash() == _recorder().history_hash()
    assert (_recorder(final=FINAL._replace(write_ids=frozenset([18, 17]))).history_hash()
            == _recorder().history_hash())


def test_order_and_placement_of_records_count():
    """Two records swapped, or a value moved to the other record, change the hash."""
    a, b = SAMPLES["ops"], SAMPLES["ops"]._replace(key=4, value=18)
    first, second, third = Recorder(), Recorder(), Recorder()
    first.ops[:] = [a, b]
    second.ops[:] = [b, a]
    third.ops[:] = [a._replace(key=4), b._replace(key=3)]
    assert len({r.history_hash() for r in (first, second, third)}) == 3
    assert Recorder().history_hash() != first.history_hash()


def test_the_hash_format_is_pinned():
    """Stored runs keep their hash: changing the format is a decision (the report warns)."""
    assert _recorder().history_hash() == PINNED


PINNED = "c69ea8f3eee6ed99f9c6afd1d1efafaf33f7c1f5410d9872eaaf80cff02c8c5a"
