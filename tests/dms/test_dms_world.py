"""The DMS model runs on the one engine, :class:`World`, and never touches SimPy itself."""

from __future__ import annotations

import math
import re
from pathlib import Path

import hadrsim.dms
from hadrsim.dms.simulate import DmsTaskSpec, TaskFailure, run_migration, simulate_migration
from hadrsim.dms.sizing import TableSize
from hadrsim.simulator.random import Streams
from hadrsim.simulator.world import World

TABLES = [TableSize(name=f"t{i}", rows=20_000 * (i + 1), bytes=40_000_000) for i in range(4)]


def test_a_migration_runs_on_a_world_and_ends_when_the_target_accepts_writes():
    """run_migration on World(seed, run) is simulate_migration(seed, run); the clock stops
    at the cutover and the model drew from the world's named streams."""
    spec = DmsTaskSpec(faults=(TaskFailure(at_s=5.0),))
    world = World(3, 2, math.inf)
    run = run_migration(world, TABLES, spec)
    assert run == simulate_migration(TABLES, spec, seed=3, run_index=2)
    assert (run.seed, run.run_index) == (3, 2)
    assert world.now == run.total_migration_s
    assert world.events_scheduled > 0
    fresh = Streams(3, 2)
    for name in ("dms/source-writes", "dms/cdc-latency", "dms/cutover"):  # drawn from
        assert _state(world.streams, name) != _state(fresh, name)


def _state(streams: Streams, name: str) -> dict:
    return streams.generator(name).bit_generator.state


def test_no_dms_module_imports_simpy():
    """Only hadrsim.simulator.world touches SimPy; the DMS package schedules through World."""
    package = Path(hadrsim.dms.__file__).parent
    pattern = re.compile(r"^\s*(import simpy|from simpy\b)", re.MULTILINE)
    offenders = [p.name for p in package.glob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
