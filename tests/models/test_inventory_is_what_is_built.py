"""A kind's inventory is the one list of node names and roles (issue 13): every builder
builds exactly the nodes its kind's inventory names, in the same order for the primary."""

from __future__ import annotations

from pathlib import Path

import pytest

from hadrsim.models import build_design
from hadrsim.simulator.network import Network, region_rtt_lookup
from hadrsim.simulator.world import World
from hadrsim.spec.kinds import kind_of
from hadrsim.spec.loader import load_study

ROOT = Path(__file__).resolve().parents[2]
STUDIES = sorted((ROOT / "experiments").glob("*.yaml"))


def _built(study, design):
    world = World(study.seed, 0, study.horizon_s)
    spec = study.network
    net = Network(world, {r.name: list(r.azs) for r in spec.regions},
                  inter_az_rtt_ms=spec.inter_az_rtt_ms, intra_az_rtt_ms=spec.intra_az_rtt_ms,
                  region_rtt_ms=region_rtt_lookup(spec), jitter_sigma=spec.jitter_sigma)
    return build_design(world, net, study, design)


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.stem)
def test_builders_build_the_inventory(path):
    """Names match; the first slot is the node that starts as primary or writer."""
    study = load_study(path)
    for design in study.designs:
        inventory = kind_of(design).inventory(design)
        built = _built(study, design)
        assert set(built.nodes) == {slot.name for slot in inventory}, design.name
        for slot in inventory:
            assert built.nodes[slot.name].az == slot.az or slot.az is None, slot
