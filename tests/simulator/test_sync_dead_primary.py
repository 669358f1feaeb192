"""A dead primary does not judge its standby (issue 11, item 1).

A standby is in sync as long as it holds every commit the primary acknowledged.
A commit in flight when the primary dies (crash, hang, its AZ or Region down)
is never acknowledged, so the standby it was waiting for stays in sync and can
be promoted; only a primary that answers drops a silent standby.
"""

from __future__ import annotations

import numpy as np
import pytest

from hadrsim.simulator.log import Log
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import FollowConfig, Node
from hadrsim.simulator.random import Sampler
from hadrsim.simulator.replication import ReplicationGroup
from hadrsim.simulator.world import World
from hadrsim.spec.distributions import constant

FLUSH = 0.001


def _fixed(seconds: float) -> Sampler:
    return Sampler(constant(seconds), np.random.Generator(np.random.PCG64(0)))


def _pair():
    world = World(0, 0, 100.0)
    net = Network(world, {"r1": ["a1", "a2", "a3"], "r2": ["b1"]}, 1.0, 0.2,
                  lambda a, b: 60.0, jitter_sigma=0.0)
    log = Log()
    primary = Node(world, net, "p", "a1", log.root)
    standby = Node(world, net, "s", "a2", log.root)
    standby.follow = FollowConfig(mode="sync", readable=False, flush=_fixed(0.002))
    group = ReplicationGroup(world, net, primary, flush=_fixed(FLUSH),
                             background_writes_per_s=0.0, sync_timeout_s=10.0)
    group.add_follower(standby, in_sync=True)
    replies: list[bool] = []
    world.call_later(1.0, group.commit, 0, 1, lambda ok, *_: replies.append(ok))
    return world, net, primary, group, replies


def _kill(how: str, net: Network, primary: Node) -> None:
    if how == "crash":
        primary.crashed += 1
    elif how == "hang":
        primary.hung += 1
    elif how == "az":
        net.set_down("a1", True)
    else:
        net.set_down("r1", True)


@pytest.mark.parametrize("how", ["crash", "hang", "az", "region"])
def test_commit_in_flight_when_the_primary_dies_keeps_the_standby_in_sync(how):
    """The commit started at 1.0 is flushed locally (1.001) and waits for the standby's
    ack (due at 1.003) when the primary dies at 1.002."""
    world, net, primary, group, replies = _pair()
    world.call_later(1.002, _kill, how, net, primary)
    world.run()
    assert replies == []  # never acknowledged: the client times out
    assert group.links["s"].in_sync
    assert group.in_sync_followers() == [group.links["s"].follower]
    assert not [e for e in world.rec.control if e.event == "standby_out_of_sync"]
    assert not group.has_pending()


def test_a_primary_that_answers_still_drops_a_silent_standby():
    """The standby's AZ is lost instead: the live primary acknowledges without it."""
    world, net, primary, group, replies = _pair()
    world.call_later(1.0005, net.set_down, "a2", True)
    world.run()
    assert replies == [True]
    assert not group.links["s"].in_sync
    assert [e.time_s for e in world.rec.control
            if e.event == "standby_out_of_sync"] == [pytest.approx(11.0)]
