"""Replication groups: commit policies, the in-sync set, lag, rewind, and the records."""

from __future__ import annotations

import numpy as np
import pytest

from hadrsim.simulator.log import Log
from hadrsim.simulator.network import Network
from hadrsim.simulator.node import PRIMARY, REPLICA, STANDBY, FollowConfig, Node
from hadrsim.simulator.random import Sampler
from hadrsim.simulator.records import Apply, Commit
from hadrsim.simulator.replication import ReplicationGroup
from hadrsim.simulator.world import World
from hadrsim.spec.distributions import constant

HOP = 0.0005  # one-way inter-AZ delay (1 ms RTT, no jitter)
FLUSH = 0.001  # the primary's local flush


def fixed(seconds: float) -> Sampler:
    return Sampler(constant(seconds), np.random.Generator(np.random.PCG64(0)))


class _Sequence:
    """A 'distribution' that hands out given values in order (then repeats the last)."""

    def __init__(self, *values: float):
        self.values = list(values)
        self.mean = sum(values) / len(values)

    def draw(self, rng, size: int) -> np.ndarray:
        values = self.values + [self.values[-1]] * max(0, size - len(self.values))
        return np.array(values[:size])


class Cluster:
    """A primary in a1 and whatever followers a test adds, on a jitter-free network."""

    def __init__(self, horizon_s: float = 100.0, background_per_s: float = 0.0, **group_kwargs):
        self.world = World(0, 0, horizon_s)
        self.net = Network(
            self.world, {"r1": ["a1", "a2", "a3"], "r2": ["b1"]}, 1.0, 0.2,
            lambda a, b: 60.0, jitter_sigma=0.0,
        )
        self.log = Log()
        self.primary = self.node("p", "a1")
        self.group = ReplicationGroup(
            self.world, self.net, self.primary, flush=fixed(FLUSH),
            background_writes_per_s=background_per_s, **group_kwargs,
        )
        self.replies: list[tuple[float, int, bool]] = []

    def node(self, name: str, az: str, follow: FollowConfig | None = None) -> Node:
        node = Node(self.world, self.net, name, az, self.log.root)
        node.follow = follow
        return node

    def follower(self, name: str, az: str, follow: FollowConfig, in_sync: bool = True) -> Node:
        node = self.node(name, az, follow)
        self.group.add_follower(node, in_sync=in_sync)
        return node

    def write(self, at_s: float, write_id: int, key: int = 0) -> None:
        """A client write reaching the primary at ``at_s``; its reply goes to ``replies``."""

        def reply(ok: bool, lsn, error, prev=None) -> None:
            self.replies.append((self.world.now, write_id, ok))

        self.world.call_later(at_s, self.group.commit, key, write_id, reply)

    def acked_at(self, write_id: int) -> float | None:
        times = [t for t, wid, ok in self.replies if wid == write_id and ok]
        return times[0] if times else None

    def events(self, name: str) -> list[tuple[float, str | None]]:
        return [(e.time_s, e.node) for e in self.world.rec.control if e.event == name]


def sync(flush_s: float = 0.002) -> FollowConfig:
    return FollowConfig(mode="sync", readable=False, flush=fixed(flush_s))


def quorum(flush_s: float) -> FollowConfig:
    return FollowConfig(mode="quorum", readable=True, flush=fixed(flush_s))


# --- commit policies -----------------------------------------------------------------


def test_async_commit_acknowledges_after_the_local_flush_only():
    """With no follower counting for commits, a write is acked when the primary has flushed."""
    c = Cluster()
    c.follower("r", "a2", FollowConfig(mode="async", readable=True, ship_lag=fixed(5.0)))
    c.write(1.0, 1)
    c.world.run()
    assert c.acked_at(1) == pytest.approx(1.0 + FLUSH)


def test_single_node_commit_acknowledges_after_the_flush():
    """A primary alone acks after its flush."""
    c = Cluster()
    c.write(1.0, 1)
    c.world.run()
    assert c.acked_at(1) == pytest.approx(1.0 + FLUSH)


def test_sync_commit_waits_for_the_standby_ack():
    """Sync: ship (half RTT) + standby flush + ack (half RTT), at least one inter-AZ RTT."""
    c = Cluster()
    c.follower("s", "a2", sync(flush_s=0.002))
    c.write(1.0, 1)
    c.world.run()
    latency = c.acked_at(1) - 1.0
    assert latency == pytest.approx(HOP + 0.002 + HOP)
    assert latency >= 2 * HOP


def test_sync_commit_latency_is_at_least_one_rtt_even_with_a_fast_standby():
    """When the standby's flush is shorter than the primary's, the RTT still bounds latency."""
    c = Cluster()
    c.follower("s", "a2", FollowConfig(mode="sync", readable=False, flush=fixed(0.0)))
    c.write(1.0, 1)
    c.world.run()
    assert c.acked_at(1) - 1.0 == pytest.approx(max(FLUSH, 2 * HOP))


def test_sync_commit_waits_for_every_sync_standby():
    """Two sync standbys: the commit waits for the slower one."""
    c = Cluster()
    c.follower("s1", "a2", sync(flush_s=0.001))
    c.follower("s2", "a3", sync(flush_s=0.004))
    c.write(1.0, 1)
    c.world.run()
    assert c.acked_at(1) == pytest.approx(1.0 + HOP + 0.004 + HOP)


def test_quorum_one_of_two_releases_on_the_first_ack():
    """k=1 of 2 quorum followers: the faster follower's ack releases the commit."""
    c = Cluster(quorum=1)
    c.follower("q1", "a2", quorum(flush_s=0.001))
    c.follower("q2", "a3", quorum(flush_s=0.010))
    c.write(1.0, 1)
    c.world.run()
    assert c.acked_at(1) == pytest.approx(1.0 + HOP + 0.001 + HOP)


def test_quorum_two_of_two_waits_for_the_second_ack():
    """k=2 of 2: the slower follower decides."""
    c = Cluster(quorum=2)
    c.follower("q1", "a2", quorum(flush_s=0.001))
    c.follower("q2", "a3", quorum(flush_s=0.010))
    c.write(1.0, 1)
    c.world.run()
    assert c.acked_at(1) == pytest.approx(1.0 + HOP + 0.010 + HOP)


def test_ack_on_receive_skips_the_follower_flush():
    """A semi-sync follower that acks on receipt costs one RTT, not RTT + its flush."""
    c = Cluster()
    c.follower("q", "a2", FollowConfig(mode="quorum", readable=True, ack_on="receive",
                                       flush=fixed(0.050)))
    c.write(1.0, 1)
    c.world.run()
    assert c.acked_at(1) == pytest.approx(1.0 + max(FLUSH, 2 * HOP))


def test_commits_are_acknowledged_in_order():
    """A later write is never acknowledged before an earlier one."""
    c = Cluster()
    c.follower("q1", "a2", quorum(flush_s=0.0))
    for i in range(10):
        c.write(1.0 + i * 0.0001, i)
    c.world.run()
    assert [wid for _, wid, _ in c.replies] == list(range(10))
    times = [t for t, _, _ in c.replies]
    assert times == sorted(times)


def test_roles_follow_the_commit_mode():
    """Sync and quorum followers are standbys; async ones are replicas."""
    c = Cluster()
    s = c.follower("s", "a2", sync())
    r = c.follower("r", "a3", FollowConfig(mode="async", readable=True))
    assert (c.primary.role, s.role, r.role) == (PRIMARY, STANDBY, REPLICA)
    assert c.group.in_sync_followers() == [s]


# --- the in-sync set -----------------------------------------------------------------


def test_dead_sync_standby_is_dropped_after_the_timeout_and_commits_resume():
    """A crashed sync standby holds commits for sync_timeout_s, then leaves the in-sync set."""
    c = Cluster(sync_timeout_s=10.0)
    s = c.follower("s", "a2", sync())
    s.crashed = 1
    c.write(1.0, 1)
    c.write(2.0, 2)
    c.write(12.0, 3)
    c.world.run()
    assert c.acked_at(1) == pytest.approx(11.0)
    assert c.acked_at(2) == pytest.approx(11.0)  # queued behind the first
    assert c.acked_at(3) == pytest.approx(12.0 + FLUSH)  # no longer waits
    assert c.events("standby_out_of_sync") == [(pytest.approx(11.0), "s")]
    assert c.group.in_sync_followers() == []


def test_standby_rejoins_the_in_sync_set_after_catching_up():
    """Once it acks the primary's position again, commits wait for it again."""
    c = Cluster(sync_timeout_s=10.0)
    s = c.follower("s", "a2", sync(flush_s=0.002))
    s.crashed = 1
    c.write(1.0, 1)
    c.world.call_later(20.0, setattr, s, "crashed", 0)
    c.write(21.0, 2)  # ships the whole position: the standby catches up at once
    c.write(22.0, 3)
    c.world.run()
    rejoined = 21.0 + HOP + 0.002 + HOP
    assert c.events("standby_in_sync") == [(pytest.approx(rejoined), "s")]
    assert c.acked_at(2) == pytest.approx(21.0 + FLUSH)  # it was not in sync yet
    assert c.acked_at(3) == pytest.approx(22.0 + HOP + 0.002 + HOP)
    assert s.lsn == c.primary.lsn


def test_catch_up_ships_the_current_position():
    """``catch_up`` brings a returning follower to the primary's tip without a new write."""
    c = Cluster(sync_timeout_s=1.0)
    s = c.follower("s", "a2", sync(flush_s=0.002))
    s.crashed = 1
    c.write(1.0, 1)
    c.world.call_later(5.0, setattr, s, "crashed", 0)
    c.world.call_later(5.0, c.group.catch_up)
    c.world.run()
    assert s.lsn == c.primary.lsn == 1
    assert s in c.group.in_sync_followers()


def test_only_the_silent_standby_is_dropped():
    """Of two sync standbys, the one that keeps acking stays in sync."""
    c = Cluster(sync_timeout_s=5.0)
    alive = c.follower("s1", "a2", sync())
    dead = c.follower("s2", "a3", sync())
    dead.crashed = 1
    c.write(1.0, 1)
    c.world.run()
    assert c.acked_at(1) == pytest.approx(6.0)
    assert c.group.in_sync_followers() == [alive]


def test_commits_pending_on_a_primary_that_stops_are_never_acknowledged():
    """A write not yet flushed when the primary crashes gets no reply (the client times out)."""
    c = Cluster()
    c.write(1.0, 1)
    c.world.call_later(1.0 + FLUSH / 2, setattr, c.primary, "crashed", 1)
    c.world.run()
    assert c.replies == []
    assert c.world.rec.commits == []


# --- lag and visibility --------------------------------------------------------------


def test_async_replica_lags_by_its_ship_lag():
    """An async replica receives a batch ship_lag + one-way delay after the commit."""
    c = Cluster()
    r = c.follower("r", "a2", FollowConfig(mode="async", readable=True, ship_lag=fixed(2.0)))
    c.write(1.0, 1)
    c.world.run()
    (apply,) = c.world.rec.applies
    assert apply == Apply(pytest.approx(3.0 + HOP), "r", "p", 1, 1)
    assert r.lsn == 1


def test_batch_not_yet_shipped_dies_with_a_crashed_primary():
    """Ship lag is data still on the primary: if it crashes first, the replica never gets it."""
    c = Cluster()
    r = c.follower("r", "a2", FollowConfig(mode="async", readable=True, ship_lag=fixed(5.0)))
    c.write(1.0, 1)  # acked at 1.001, due to leave at 6.0
    c.world.call_later(3.0, setattr, c.primary, "crashed", 1)
    c.world.run()
    assert c.acked_at(1) == pytest.approx(1.0 + FLUSH)
    assert r.lsn == 0
    assert c.world.rec.applies == []


def test_a_crashed_primary_ships_nothing_on_catch_up():
    """A follower returning after the primary died cannot fetch the primary's unshipped log."""
    c = Cluster()
    r = c.follower("r", "a2", FollowConfig(mode="async", readable=True))
    r.inbound_broken = 1
    c.write(1.0, 1)
    c.world.call_later(2.0, setattr, c.primary, "crashed", 1)
    c.world.call_later(3.0, setattr, r, "inbound_broken", 0)
    c.world.call_later(3.0, c.group.catch_up)
    c.world.run()
    assert r.lsn == 0


def test_async_replica_without_lag_applies_after_the_network_delay():
    """No ship lag: the batch arrives one hop later, across Regions too."""
    c = Cluster()
    c.follower("r", "b1", FollowConfig(mode="async", readable=True))
    c.write(1.0, 1)
    c.world.run()
    assert c.world.rec.applies[0].time_s == pytest.approx(1.030)


def test_ship_lag_keeps_batches_in_order():
    """A shorter lag drawn later never lets a newer batch overtake an older one."""
    c = Cluster()
    lag = Sampler(_Sequence(3.0, 0.5), np.random.Generator(np.random.PCG64(0)))
    c.follower("r", "a2", FollowConfig(mode="async", readable=True, ship_lag=lag,
                                       lag_regime_s=0.1))
    c.write(1.0, 1)
    c.write(2.0, 2)
    c.world.run()
    applied = [(a.time_s, a.lsn) for a in c.world.rec.applies]
    assert applied == [(pytest.approx(4.0 + HOP), 1), (pytest.approx(4.0 + HOP), 2)]


def test_apply_lag_delays_only_what_readers_see():
    """With apply lag the follower's log is durable on receipt; readers see it later."""
    c = Cluster()
    r = c.follower("r", "a2", FollowConfig(mode="async", readable=True, apply_lag=fixed(0.5)))
    c.write(1.0, 7, key=3)
    reads = []

    def read() -> None:
        r.receive_read(3, lambda ok, value, version, error: reads.append((c.world.now, value)))

    c.world.call_later(1.1, read)
    c.world.call_later(1.6, read)
    c.world.run()
    assert r.lsn == 1
    assert reads == [(pytest.approx(1.1), None), (pytest.approx(1.6), 7)]


def test_visibility_never_goes_backwards_across_timelines():
    """A late apply of an older position must not hide writes readers already saw."""
    c = Cluster()
    lag = Sampler(_Sequence(5.0, 0.1), np.random.Generator(np.random.PCG64(0)))
    r = c.follower("r", "a2", FollowConfig(mode="async", readable=True, apply_lag=lag))
    c.write(1.0, 1, key=0)  # timeline 1, LSN 1: visible only at ~6.0
    # a failover at 2.0: the primary moves to timeline 2 branched at LSN 1
    c.world.call_later(2.0, lambda: c.primary.adopt(c.log.branch(c.primary.timeline, 1), 1))
    c.write(3.0, 2, key=0)  # timeline 2, LSN 2: visible at ~3.1
    seen = []
    c.world.call_later(
        7.0, r.receive_read, 0, lambda ok, value, version, error: seen.append(value)
    )
    c.world.run()
    assert (r.applied_timeline.tid, r.applied_lsn) == (2, 2)
    assert seen == [2]


# --- rewind after failover -----------------------------------------------------------


def test_old_primary_rejoining_is_rewound_to_the_shared_prefix():
    """pg_rewind: writes only the old primary had are discarded when it follows the new one."""
    c = Cluster(sync_timeout_s=1.0)
    c.primary.follow = sync()  # how it will follow once demoted
    s = c.follower("s", "a2", sync())
    c.write(1.0, 1)  # replicated: LSN 1 on both
    c.world.call_later(2.0, setattr, s, "inbound_broken", 1)
    c.write(3.0, 2)  # LSN 2 on the old primary only (acked once s is dropped)

    def failover() -> None:
        s.inbound_broken = 0
        c.group.switch_primary(s, c.log.branch(s.timeline, s.lsn))

    c.world.call_later(10.0, failover)
    c.write(11.0, 3)  # LSN 2 on timeline 2, shipped to the old primary
    c.world.run()

    old = c.primary
    assert old.role == STANDBY and c.group.primary is s
    assert (old.timeline.tid, old.lsn) == (2, 2)
    assert old.timeline.write_ids_upto(old.lsn) == {1, 3}
    assert c.events("rewound") == [(pytest.approx(11.0 + HOP), "p")]
    rewound = next(e for e in c.world.rec.control if e.event == "rewound")
    assert rewound.detail == "to timeline 1 lsn 1"


def test_follower_on_an_ancestor_timeline_is_not_rewound():
    """A follower behind the branch point just moves onto the new timeline."""
    c = Cluster()
    r = c.follower("r", "a2", FollowConfig(mode="async", readable=True))
    c.write(1.0, 1)
    c.world.call_later(2.0, lambda: c.primary.adopt(c.log.branch(c.primary.timeline, 1), 1))
    c.write(3.0, 2)
    c.world.run()
    assert (r.timeline.tid, r.lsn) == (2, 2)
    assert c.events("rewound") == []


def test_back_to_back_failovers_rewind_nobody_who_lost_nothing():
    """Two promotions with no write in between discard nothing, so nobody is rewound."""
    c = Cluster()
    c.primary.follow = sync()
    s1 = c.follower("s1", "a2", sync())
    s2 = c.follower("s2", "a3", sync())
    c.write(1.0, 1)  # LSN 1 everywhere

    def failover(node: Node) -> None:
        c.group.switch_primary(node, c.log.branch(node.timeline, node.lsn))
        c.group.catch_up()  # as Service does on the change

    c.world.call_later(2.0, failover, s1)
    c.world.call_later(3.0, failover, s2)
    c.world.run()
    assert all(n.lsn == 1 and n.timeline.tid == 3 for n in (c.primary, s1, s2))
    assert c.events("rewound") == []


# --- records -------------------------------------------------------------------------


def test_commit_and_apply_records_are_written():
    """Each released batch leaves a Commit; each follower receipt an Apply."""
    c = Cluster()
    c.follower("s", "a2", sync(flush_s=0.002))
    c.write(1.0, 11)
    c.write(2.0, 12)
    c.world.run()
    assert c.world.rec.commits == [
        Commit(pytest.approx(1.003), "p", 1, 1, 1, 1, (11,)),
        Commit(pytest.approx(2.003), "p", 1, 2, 2, 1, (12,)),
    ]
    assert c.world.rec.applies == [
        Apply(pytest.approx(1.0005), "s", "p", 1, 1),
        Apply(pytest.approx(2.0005), "s", "p", 1, 2),
    ]


def test_background_writes_advance_the_log_between_observed_writes():
    """A batch carries the background writes due since the last one, fractions carried."""
    c = Cluster(background_per_s=4.0)
    c.write(1.0, 1)  # 4 background + 1
    c.write(1.125, 2)  # 0.5 due: none yet, carried
    c.write(1.5, 3)  # 1.5 + 0.5 = 2 background + 1
    c.world.run()
    spans = [(m.lsn_from, m.lsn_to, m.writes) for m in c.world.rec.commits]
    assert spans == [(1, 5, 5), (6, 6, 1), (7, 9, 3)]


def test_position_at_answers_from_the_commit_history():
    """``position_at`` gives the primary's last position at or before a time."""
    c = Cluster()
    c.write(1.0, 1)
    c.write(2.0, 2)
    c.world.run()
    assert c.group.position_at(0.5) is None
    timeline, lsn = c.group.position_at(1.5)
    assert (timeline.tid, lsn) == (1, 1)
    assert c.group.position_at(2.0)[1] == 2


def test_broken_replication_stream_ships_nothing():
    """A follower with a broken inbound stream receives no batches until it is repaired."""
    c = Cluster()
    r = c.follower("r", "a2", FollowConfig(mode="async", readable=True))
    r.inbound_broken = 1
    c.write(1.0, 1)
    c.world.call_later(2.0, setattr, r, "inbound_broken", 0)
    c.write(3.0, 2)
    c.world.run()
    assert [a.lsn for a in c.world.rec.applies] == [2]
