"""A database node: where it lives, what it holds, whether it answers.

A node's durable log is a position ``(timeline, lsn)`` into the shared
:class:`~hadrsim.simulator.log.Log`; what it shows to readers is its *applied*
position, which may trail (reader apply lag). Liveness is derived, never stored:
a node answers only if it is not crashed, not hung, and its AZ and Region are up.
Faults nest by counting, so overlapping faults compose.

What a design changes about a node is given as policies
(:mod:`hadrsim.simulator.policies`) at construction, or through
:meth:`Node.reconfigure` when the behaviour changes mid-run (a promotion, a
restore). Fault injection changes a node's state only through its counters
and :meth:`Node.skew_clock`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Final

from hadrsim.simulator.policies import ColdStart
from hadrsim.simulator.records import RoleChange

if TYPE_CHECKING:
    from collections.abc import Callable

    from hadrsim.simulator.log import Timeline
    from hadrsim.simulator.network import Network
    from hadrsim.simulator.policies import ReadGuard, Reply, WriteForwarding
    from hadrsim.simulator.random import Sampler
    from hadrsim.simulator.replication import ReplicationGroup
    from hadrsim.simulator.world import World

PRIMARY = "primary"
STANDBY = "standby"  # synchronous or quorum follower
REPLICA = "replica"  # asynchronous follower
PROMOTING = "promoting"


@dataclass(frozen=True)
class FollowConfig:
    """How this node follows a primary: its commit role and its delays.

    ``mode`` is ``"sync"`` (every commit waits for it), ``"quorum"`` (counts
    towards a k-of-n commit quorum) or ``"async"``. ``ship_lag`` delays shipping
    (async replica lag, which is what promotion loses); ``apply_lag`` delays only
    visibility to readers; ``ack_on`` is ``"flush"`` or ``"receive"``.
    """

    mode: str
    readable: bool
    flush: Sampler | None = None
    ack_on: str = "flush"
    ship_lag: Sampler | None = None
    lag_regime_s: float = 30.0
    apply_lag: Sampler | None = None
    rpo_secondary: bool = False  # acknowledges, so a primary can bound its RPO lag


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP  # reconfigure(): leave this policy as it is


class Node:
    """One database instance.

    ``follow`` says how it follows a primary (None: it never follows one),
    ``dataset`` which dataset it holds, ``internal`` that it is a storage copy
    clients never read; ``read_guard`` and ``forward_writes`` are the policies
    of :mod:`hadrsim.simulator.policies`.
    """

    def __init__(
        self,
        world: World,
        net: Network,
        name: str,
        az: str,
        timeline: Timeline,
        *,
        follow: FollowConfig | None = None,
        dataset: str = "db",
        internal: bool = False,
        read_guard: ReadGuard | None = None,
        forward_writes: WriteForwarding | None = None,
    ):
        self.world = world
        self.net = net
        self.name = name
        self.az = az
        self.region = net.region_of(az)
        self.timeline = timeline
        self.lsn = 0
        self.applied_timeline = timeline
        self.applied_lsn = 0
        self.crashed = 0
        self.hung = 0
        self.storage_lost = False
        self.storage_lost_at = 0.0
        self.deleted = False  # an operator deleted this instance: nothing replaces it
        self.inbound_broken = 0
        self.role = "new"  # set_role records the first real role
        self.group: ReplicationGroup | None = None
        self.follow = follow
        self.dataset = dataset
        self.internal = internal  # a storage copy: not a replica clients read
        # policies: read and set only through __init__ and reconfigure()
        self.read_guard = read_guard
        self.forward_writes = forward_writes
        self.cold_start: ColdStart | None = None
        self.clock_skew_s = 0.0  # only last-writer-wins timestamps read the clock

    def __repr__(self) -> str:
        where = f"tl={self.timeline.tid}, lsn={self.lsn}"
        return f"Node({self.name!r}, {self.az}, {self.role}, {where})"

    # --- the one place a node's behaviour changes after construction --------------------
    def reconfigure(
        self,
        *,
        follow: FollowConfig | None | _Keep = KEEP,
        read_guard: ReadGuard | None | _Keep = KEEP,
        forward_writes: WriteForwarding | None | _Keep = KEEP,
        cold_start: ColdStart | None | _Keep = KEEP,
    ) -> None:
        """Change policies mid-run (promotion, switchover, restore); KEEP leaves one as is.

        ``follow`` takes effect the next time a group adds this node as a follower.
        """
        self.world.touched()
        if not isinstance(follow, _Keep):
            self.follow = follow
        if not isinstance(read_guard, _Keep):
            self.read_guard = read_guard
        if not isinstance(forward_writes, _Keep):
            self.forward_writes = forward_writes
        if not isinstance(cold_start, _Keep):
            self.cold_start = cold_start

    def skew_clock(self, delta_s: float) -> None:
        """A clock-skew fault starts (``+skew``) or ends (``-skew``)."""
        self.clock_skew_s += delta_s

    def mark_deleted(self) -> None:
        """An operator deleted this instance: it stops answering and is never replaced."""
        self.world.touched()
        self.deleted = True
        self.crashed += 1

    # --- state -----------------------------------------------------------------------------
    @property
    def responsive(self) -> bool:
        return not self.crashed and not self.hung and self.net.is_up(self.az)

    @property
    def readable(self) -> bool:
        if self.role == PRIMARY:
            return True
        return self.role in (STANDBY, REPLICA) and self.follow is not None and self.follow.readable

    def set_role(self, role: str) -> None:
        if role != self.role:
            self.world.touched()
            self.role = role
            self.world.rec.roles.append(
                RoleChange(self.world.now, self.name, role, self.timeline.tid, self.dataset,
                           self.az)
            )

    def adopt(self, timeline: Timeline, lsn: int, visible: bool = True) -> None:
        """Make ``(timeline, lsn)`` this node's durable (and, if visible, applied) tip."""
        self.timeline, self.lsn = timeline, lsn
        if visible:
            self.applied_timeline, self.applied_lsn = timeline, lsn

    def make_visible(self, timeline: Timeline, lsn: int) -> None:
        """Readers see up to ``(timeline, lsn)``, if it is still part of the durable log.

        Visibility only moves forward: a position already visible is ignored.
        """
        if self.applied_timeline.contains(self.applied_lsn, timeline.tid, lsn):
            return
        if self.timeline.contains(self.lsn, timeline.tid, lsn):
            self.applied_timeline, self.applied_lsn = timeline, lsn

    # --- requests from clients ---------------------------------------------------
    def receive_write(self, key: int, write_id: int, reply: Reply) -> None:
        """A client's write arrived. No answer at all if the node does not respond."""
        cold = self.cold_start
        if cold is not None and cold.penalty is not None and cold.until_s > self.world.now:
            self.world.call_later(cold.penalty(), self._receive_write, key, write_id, reply)
            return
        self._receive_write(key, write_id, reply)

    def _receive_write(self, key: int, write_id: int, reply: Reply) -> None:
        if not self.responsive:
            return
        refusal = self.write_refusal()
        if refusal is not None:
            reply(False, None, refusal)
        elif self.role != PRIMARY:
            self.forward_writes.forward_write(self, key, write_id, reply)  # type: ignore[union-attr]
        else:
            self.group.commit(key, write_id, reply)  # type: ignore[union-attr]

    def receive_cancel(self, write_id: int) -> None:
        """A client's cancel request for its write ``write_id`` arrived: a primary passes it
        to its group (which may acknowledge the commit: ``ReplicationGroup.cancel_wait``)."""
        group = self.group
        if self.responsive and self.role == PRIMARY and group is not None \
                and group.primary is self:
            group.cancel_wait(write_id)

    def write_refusal(self) -> str | None:
        """Why this node refuses a client's write now; None when it commits or forwards it.

        The one statement of the rule, also read by failure streaks
        (:mod:`hadrsim.simulator.streaks`) to know a refusal will repeat.
        """
        group = self.group
        if group is not None and group.fenced and group.primary is self:
            return "writes fenced for a switchover"
        if self.role != PRIMARY or group is None or group.primary is not self:
            if self.forward_writes is not None and self.role != PRIMARY:
                return None
            return "read-only"
        return None

    def receive_read(self, key: int, reply: Reply) -> None:
        cold = self.cold_start
        if cold is not None and cold.penalty is not None and cold.until_s > self.world.now:
            self.world.call_later(cold.penalty(), self._receive_read, key, reply)
            return
        self._receive_read(key, reply)

    def _receive_read(self, key: int, reply: Reply) -> None:
        if not self.responsive:
            return
        refusal = self.read_refusal()
        if refusal is not None:
            reply(False, None, None, refusal)
            return
        if self.role == PRIMARY:
            value, version = self.timeline.read_version(self.lsn, key)
        else:
            value, version = self.applied_timeline.read_version(self.applied_lsn, key)
        reply(True, value, version, None)

    def read_refusal(self) -> str | None:
        """Why this node refuses a client's read now; None when it answers it."""
        if not self.readable:
            return "not readable"
        if self.read_guard is not None and not self.read_guard.readable():
            return "storage read quorum lost"
        return None

    def state(self, keys: range) -> tuple[tuple[int, int | None], ...]:
        """What a read of each key would return here (for divergence checks)."""
        timeline, lsn = (
            (self.timeline, self.lsn) if self.role == PRIMARY
            else (self.applied_timeline, self.applied_lsn)
        )
        return tuple((key, timeline.read(lsn, key)[0]) for key in keys)

    def receive_ping(self, reply: Callable[[], None]) -> None:
        if self.responsive:
            reply()
