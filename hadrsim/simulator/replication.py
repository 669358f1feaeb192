"""Replication groups: a primary ships its log to followers under a commit policy.

The log is shipped in group-commit batches that carry a position (timeline, LSN):
a batch holds every write since the last one, background writes as a count.
Commit policies, the knob every HA design turns:

* ``async`` - acknowledge after the local flush; followers trail by their lag.
* ``sync`` - also wait for every in-sync ``sync`` follower (RDS Multi-AZ instance).
* ``quorum`` - also wait for ``k`` of the in-sync ``quorum`` followers (semi-sync,
  Multi-AZ DB cluster).
* ``strict_quorum`` - wait for ``k`` acks of *all* quorum followers, never
  degrading: a shared storage volume (Aurora's 4 of 6 copies) stops taking
  writes when the quorum is gone.

An optional *RPO lag limit* (Aurora Global's ``rds.global_db_rpo``) blocks
commits while every ``rpo`` follower (a secondary Region) lags by more than the
limit, trading availability for a bounded loss.

A follower that does not acknowledge within ``sync_timeout_s`` is no longer
waited for (commits go on without it, as RDS does when a standby fails) and
rejoins once it has caught up. It leaves the *in-sync* set only when the primary
acknowledges a commit it does not hold: a follower is in sync exactly as long as
it holds every commit the primary acknowledged. Only a primary that answers
judges its followers, so a dead primary (crashed, hung, its AZ or Region down)
never strands a healthy standby. Failover controllers only promote in-sync
followers, which is why a synchronous design loses nothing on any single failure.

Unless a client cancels. With PostgreSQL-style synchronous replication
(``cancel_acknowledges``: the Multi-AZ DB cluster, every emulated design) a commit
whose client cancels it while it waits for its standbys is acknowledged once it is
flushed locally, as PostgreSQL answers "canceling wait for synchronous replication"
with success and a warning. Nothing tells the primary, nor its failover controller,
that a standby now lacks an acknowledged commit: its followers stay in sync, and a
promotion loses the write. The checkers see it from the history (an ``ok`` write
missing from the final read), never from this flag.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from typing import TYPE_CHECKING

from hadrsim.simulator.log import version
from hadrsim.simulator.node import PRIMARY, REPLICA, STANDBY, FollowConfig, Node
from hadrsim.simulator.records import Apply, Commit
from hadrsim.simulator.vocabulary import Ev

if TYPE_CHECKING:
    from hadrsim.simulator.log import Timeline
    from hadrsim.simulator.network import Network
    from hadrsim.simulator.policies import Reply
    from hadrsim.simulator.random import Sampler
    from hadrsim.simulator.world import World


class FollowerLink:
    """The stream from a group's primary to one follower."""

    def __init__(self, group: ReplicationGroup, follower: Node):
        self.group = group
        self.follower = follower
        if follower.follow is None:
            raise ValueError(f"{follower.name} has no FollowConfig: it cannot follow")
        self.config: FollowConfig = follower.follow
        self.acked_lsn = -1
        self.in_sync = False
        self._lag = 0.0
        self._lag_until = -math.inf
        self._last_send = 0.0

    @property
    def counts_for_commit(self) -> bool:
        return self.config.mode in ("sync", "quorum")

    @property
    def acknowledges(self) -> bool:
        return self.counts_for_commit or self.config.rpo_secondary

    def ship(self, timeline: Timeline, lsn: int) -> None:
        if self.follower.inbound_broken:
            return
        world = self.group.world
        if self.config.ship_lag is None:
            self._send(timeline, lsn)
            return
        send_at = self.lagged_send_at(world.now)
        # the batch waits at the primary out its lag: it dies there if the primary does
        world.call_later(send_at - world.now, self._send_if_alive, timeline, lsn)

    def lagged_send_at(self, now: float) -> float:
        """When a batch committed at ``now`` leaves, under the link's ship lag (drawn per
        regime, never before the previous batch); the lag regime moves on."""
        assert self.config.ship_lag is not None
        if now >= self._lag_until:
            self._lag = self.config.ship_lag()
            self._lag_until = now + self.config.lag_regime_s
        send_at = max(now + self._lag, self._last_send)
        self._last_send = send_at
        return send_at

    def ack_wait(self) -> float:
        """How long the follower waits before acknowledging (its flush, when it
        acknowledges on flush)."""
        flush = self.config.flush
        return flush() if (flush is not None and self.config.ack_on == "flush") else 0.0

    def _send_if_alive(self, timeline: Timeline, lsn: int) -> None:
        primary = self.group.primary
        if primary.responsive and primary.timeline is timeline:
            self._send(timeline, lsn)

    def _send(self, timeline: Timeline, lsn: int) -> None:
        group = self.group
        group.net.send(group.primary.az, self.follower.az, self._receive, timeline, lsn)

    def _receive(self, timeline: Timeline, lsn: int) -> None:
        node, group = self.follower, self.group
        if node.inbound_broken or not node.responsive or group.links.get(node.name) is not self:
            return
        if node.timeline is timeline:
            if lsn <= node.lsn:
                return self._acknowledge(timeline, node.lsn)
        elif not (node.lsn == 0 or timeline.contains(lsn, node.timeline.tid, node.lsn)):
            # diverged (an old primary rejoining): rewind to the shared prefix first
            shared, shared_lsn = node.timeline.common_prefix(node.lsn, timeline, lsn)
            node.adopt(shared, shared_lsn)
            group.world.event(Ev.REWOUND, node.name, f"to timeline {shared.tid} lsn {shared_lsn}")
        apply_lag = self.config.apply_lag
        node.adopt(timeline, lsn, visible=apply_lag is None)
        group.world.rec.applies.append(
            Apply(group.world.now, node.name, group.primary.name, timeline.tid, lsn)
        )
        if apply_lag is not None:
            group.world.call_later(apply_lag(), node.make_visible, timeline, lsn)
        self._acknowledge(timeline, lsn)

    def _acknowledge(self, timeline: Timeline, lsn: int) -> None:
        if not self.acknowledges:
            return
        delay = self.ack_wait()
        group = self.group
        group.net.send_after(
            delay, self.follower.az, group.primary.az, group.on_ack, self, timeline, lsn
        )


class _Pending:
    __slots__ = (
        "lsn", "lsn_from", "writes", "write_id", "reply", "flushed", "timeline", "started", "prev",
        "cancelled",
    )

    def __init__(self, timeline: Timeline, lsn_from: int, lsn: int, writes: int, write_id: int,
                 reply: Reply, started: float, prev: int | None):
        self.started = started
        self.timeline = timeline
        self.lsn_from = lsn_from
        self.lsn = lsn
        self.writes = writes
        self.write_id = write_id
        self.reply = reply
        self.flushed = False
        self.prev = prev  # the write it replaced (ALL_OLD)
        self.cancelled = False  # its client cancelled the wait for the standbys


class ReplicationGroup:
    """A primary, its followers and the commit policy that binds them."""

    def __init__(
        self,
        world: World,
        net: Network,
        primary: Node,
        *,
        flush: Sampler,
        background_writes_per_s: float,
        quorum: int = 1,
        sync_timeout_s: float = 10.0,
        strict_quorum: bool = False,
        rpo_limit_s: float | None = None,
        cancel_acknowledges: bool = False,
        name: str = "group",
    ):
        self.world = world
        self.net = net
        self.name = name
        self.primary = primary
        self.flush = flush
        self.background_rate = background_writes_per_s
        self.quorum = quorum
        self.sync_timeout_s = sync_timeout_s
        self.strict_quorum = strict_quorum
        self.rpo_limit_s = rpo_limit_s
        self.cancel_acknowledges = cancel_acknowledges
        self.blocked_by_rpo = False
        self.fenced = False  # a planned switchover: no new writes accepted
        self.links: dict[str, FollowerLink] = {}
        self._pending: deque[_Pending] = deque()
        self._watchdog_armed = False
        self._last_commit_s = world.now
        self._carry = 0.0
        self.positions: list[tuple[float, Timeline, int]] = []
        primary.group = self
        primary.set_role(PRIMARY)

    # --- membership ----------------------------------------------------------------
    def members(self) -> list[Node]:
        return [self.primary] + [link.follower for link in self.links.values()]

    def add_follower(self, node: Node, in_sync: bool = False) -> FollowerLink:
        link = FollowerLink(self, node)
        link.in_sync = in_sync and link.counts_for_commit
        if in_sync:
            link.acked_lsn = node.lsn
        self.links[node.name] = link
        node.group = self
        node.set_role(STANDBY if link.counts_for_commit else REPLICA)
        return link

    def remove(self, node: Node) -> None:
        self.links.pop(node.name, None)
        if node.group is self:
            node.group = None
        self._try_release()

    def switch_primary(self, new_primary: Node, timeline: Timeline) -> None:
        """Promotion done: ``new_primary`` writes ``timeline``; everyone else follows it."""
        old = self.primary
        others = [n for n in self.members() if n is not new_primary]
        self.links.clear()
        self._pending.clear()
        new_primary.adopt(timeline, new_primary.lsn)
        self.primary = new_primary
        new_primary.group = self
        new_primary.set_role(PRIMARY)
        for node in others:
            self.add_follower(node, in_sync=False)
        self.world.event(Ev.PRIMARY_CHANGED, new_primary.name, f"from {old.name}")

    def has_pending(self) -> bool:
        return bool(self._pending)

    def in_sync_followers(self) -> list[Node]:
        """Followers a commit currently waits for (the synchronous or quorum set)."""
        return [link.follower for link in self.links.values() if link.in_sync]

    # --- the write path -----------------------------------------------------------------
    def commit(self, key: int, write_id: int, reply) -> None:
        """Append one observed write (plus background writes since the last batch)."""
        world = self.world
        now = world.now
        timeline, lsn_from, lsn, writes, prev = self.append(now, key, write_id)
        pending = _Pending(timeline, lsn_from, lsn, writes, write_id, reply, now, prev)
        self._pending.append(pending)
        for link in self.links.values():
            link.ship(timeline, lsn)
        world.call_later(self.flush(), self._flushed, pending)
        if not self._watchdog_armed and self.watches_commits():
            self._arm_watchdog(now + self.sync_timeout_s)

    def append(self, now: float, key: int, write_id: int
               ) -> tuple[Timeline, int, int, int, int | None]:
        """Append one observed write at ``now`` to the primary's log, after the background
        writes due since the last one: ``(timeline, lsn_from, lsn, writes, prev)``, where
        ``prev`` is the id the write replaced (also what a steady run's commit does)."""
        primary = self.primary
        due = self.background_rate * (now - self._last_commit_s) + self._carry
        background = int(due)
        self._carry = due - background
        self._last_commit_s = now
        lsn_from = primary.lsn + 1
        lsn = primary.lsn + background + 1
        timeline = primary.timeline
        prev = timeline.read(primary.lsn, key)[0]
        timeline.append(lsn, write_id, key)
        primary.adopt(timeline, lsn)
        self.positions.append((now, timeline, lsn))
        return timeline, lsn_from, lsn, background + 1, prev

    def watches_commits(self) -> bool:
        """A commit arms the watchdog (when it is not armed): some follower is waited for
        and may be given up on (never for a strict quorum, which stops instead)."""
        return not self.strict_quorum and any(link.in_sync for link in self.links.values())

    def _flushed(self, pending: _Pending) -> None:
        pending.flushed = True
        if pending.cancelled:
            self._release_cancelled(pending)
        self._try_release()

    def cancel_wait(self, write_id: int) -> None:
        """The client of ``write_id`` cancelled its commit (see the module docstring): with
        ``cancel_acknowledges`` a commit still waiting is acknowledged once flushed."""
        if not self.cancel_acknowledges:
            return
        for pending in self._pending:
            if pending.write_id == write_id:
                pending.cancelled = True
                if pending.flushed:
                    self._release_cancelled(pending)
                return

    def _release_cancelled(self, pending: _Pending) -> None:
        if pending not in self._pending or pending.timeline is not self.primary.timeline \
                or not self.primary.responsive:
            return  # released already, or lost with its primary
        self._pending.remove(pending)
        self._acknowledge(pending)

    def _needed_acks(self) -> tuple[int, list[FollowerLink]]:
        if self.strict_quorum:
            return self.quorum, [
                link for link in self.links.values() if link.config.mode == "quorum"
            ]
        voters = [link for link in self.links.values() if link.in_sync]
        if not voters:
            return 0, voters
        if all(link.config.mode == "sync" for link in voters):
            return len(voters), voters
        return min(self.quorum, len(voters)), voters

    def _try_release(self) -> None:
        primary = self.primary
        while self._pending:
            head = self._pending[0]
            if not head.flushed:
                return
            if head.timeline is not primary.timeline or not primary.responsive:
                self._pending.clear()  # lost with the old primary: clients time out
                return
            needed, voters = self._needed_acks()
            acks = sum(1 for link in voters if link.acked_lsn >= head.lsn)
            if acks < needed or self._rpo_blocks():
                return
            self._pending.popleft()
            self._acknowledge(head)

    def _acknowledge(self, pending: _Pending) -> None:
        """Record ``pending`` as an acknowledged commit and answer its client."""
        self.world.rec.commits.append(
            Commit(
                self.world.now, self.primary.name, pending.timeline.tid, pending.lsn_from,
                pending.lsn, pending.writes, (pending.write_id,),
            )
        )
        pending.reply(True, version(pending.timeline.tid, pending.lsn), None, pending.prev)

    def rpo_lag_s(self, link: FollowerLink) -> float:
        """How long the oldest commit this follower has not acknowledged has waited."""
        i = bisect_right(self.positions, link.acked_lsn, key=lambda p: p[2])
        if link.acked_lsn < 0:
            i = 0
        if i >= len(self.positions):
            return 0.0
        return self.world.now - self.positions[i][0]

    def _rpo_blocks(self) -> bool:
        if self.rpo_limit_s is None:
            return False
        secondaries = [link for link in self.links.values() if link.config.rpo_secondary]
        blocked = bool(secondaries) and all(
            self.rpo_lag_s(link) >= self.rpo_limit_s for link in secondaries
        )
        if blocked != self.blocked_by_rpo:
            self.blocked_by_rpo = blocked
            self.world.event(Ev.COMMITS_BLOCKED if blocked else "commits_resumed",
                             self.primary.name, f"rpo limit {self.rpo_limit_s:g} s")
        return blocked

    def _arm_watchdog(self, at_s: float) -> None:
        if not self._watchdog_armed:
            self._watchdog_armed = True
            self.world.call_later(at_s - self.world.now, self._watchdog)

    def _watchdog(self) -> None:
        """Drop followers that left the oldest pending commit waiting too long.

        Only a primary that answers judges: it drops a follower to acknowledge the
        commit without it. A dead primary acknowledges nothing more, so its followers
        hold every acknowledged commit and stay in sync (its pending commits are
        lost with it). One re-armed timer per group instead of one per commit.
        """
        self._watchdog_armed = False
        if not self._pending:
            return
        head = self._pending[0]
        if not self.primary.responsive or head.timeline is not self.primary.timeline:
            self._try_release()  # drops what the dead primary never acknowledged
            if self._pending:
                self._arm_watchdog(self.world.now + self.sync_timeout_s)
            return
        if self.strict_quorum:
            pass  # a storage quorum never degrades: writes wait for it
        elif self.world.now - head.started >= self.sync_timeout_s:
            dropped = False
            for link in self.links.values():
                if link.in_sync and link.acked_lsn < head.lsn:
                    link.in_sync = False
                    dropped = True
                    self.world.event(Ev.STANDBY_OUT_OF_SYNC, link.follower.name, f"lsn {head.lsn}")
            if dropped:
                self._try_release()
        if self._pending:
            due = self._pending[0].started + self.sync_timeout_s
            self._arm_watchdog(max(due, self.world.now + 1e-6))

    def on_ack(self, link: FollowerLink, timeline: Timeline, lsn: int) -> None:
        if self.links.get(link.follower.name) is not link or timeline is not self.primary.timeline:
            return
        if lsn > link.acked_lsn:
            link.acked_lsn = lsn
        if not link.counts_for_commit:
            if self._pending:
                self._try_release()  # an rpo secondary caught up: blocked commits may go
            return
        if not link.in_sync and lsn >= self.primary.lsn:
            link.in_sync = True
            self.world.event(Ev.STANDBY_IN_SYNC, link.follower.name, f"lsn {lsn}")
        self._try_release()

    def catch_up(self) -> None:
        """Ship the current position to every follower (after a follower returns).

        Only a primary that responds ships anything: a crashed one takes its
        unshipped log down with it.
        """
        if not self.primary.responsive:
            return
        for link in self.links.values():
            link.ship(self.primary.timeline, self.primary.lsn)

    def position_at(self, time_s: float) -> tuple[Timeline, int] | None:
        """The primary's committed position at ``time_s`` (for log archiving / PITR)."""
        i = bisect_right(self.positions, time_s, key=lambda p: p[0])
        if i == 0:
            return None
        _t, timeline, lsn = self.positions[i - 1]
        return timeline, lsn
