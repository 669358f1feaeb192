"""Automatic repair of failed replicas of a shared storage volume.

Aurora keeps each 10 GB segment in six copies and re-replicates a lost copy
from its peers in seconds (S13: 10 s at 10 Gbps). A repaired copy starts empty
and is filled by the next shipment (the group's catch-up on the change this
repair announces). A copy in an AZ that is down waits for the AZ.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hadrsim.simulator.vocabulary import Ev

if TYPE_CHECKING:
    from hadrsim.simulator.log import Log
    from hadrsim.simulator.network import Network
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.random import Sampler
    from hadrsim.simulator.world import World


class AutoRepair:
    """Re-creates crashed or lost copies among ``nodes`` after ``repair`` seconds."""

    def __init__(self, world: World, net: Network, log: Log, nodes: list[Node],
                 repair: Sampler):
        self.world = world
        self.net = net
        self.log = log
        self.nodes = nodes
        self.repair = repair
        self._repairing: set[str] = set()
        world.on_change(self._check)

    def retire(self) -> None:
        """Stop repairing: the volume was replaced (a restore)."""
        self.nodes = []

    def _check(self) -> None:
        for node in self.nodes:
            broken = node.crashed or node.storage_lost
            if broken and node.name not in self._repairing and self.net.is_up(node.az):
                self._repairing.add(node.name)
                self.world.event(Ev.SEGMENT_REPAIR_STARTED, node.name)
                self.world.call_later(self.repair(), self._done, node)

    def _done(self, node: Node) -> None:
        self._repairing.discard(node.name)
        if not self.net.is_up(node.az):
            return  # the AZ went down meanwhile: try again when it is back
        node.crashed = 0
        node.storage_lost = False
        node.adopt(self.log.root, 0)
        self.world.event(Ev.SEGMENT_REPAIR_COMPLETED, node.name)
        self.world.changed()
