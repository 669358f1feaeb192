"""How one node differs from a plain database instance: small policy objects.

A :class:`~hadrsim.simulator.node.Node` answers reads and writes the same way
for every design; what an AWS service changes is given to it as a policy, at
construction (``Node(..., read_guard=volume)``) or, where the behaviour truly
changes mid-run (a promotion, a restore), through :meth:`Node.reconfigure`.
No model sets a behaviour attribute on a node after building it.

- :class:`ReadGuard` -- reads need something besides the node itself (Aurora:
  the shared volume's read quorum).
- :class:`WriteForwarding` -- a read-only node passes writes on instead of
  refusing them (Aurora Global write forwarding: :class:`ForwardToPrimary`).
- :class:`ColdStart` -- a restored volume still hydrating from S3: first
  touches pay a penalty until ``until_s`` (S36).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from hadrsim.simulator.network import Network
    from hadrsim.simulator.node import Node
    from hadrsim.simulator.random import Sampler

# ``reply(ok, version, error, prev=None)`` for a write; ``reply(ok, value, version,
# error)`` for a read: how a node answers the client (or the node) that asked.
Reply = Callable[..., None]


class ReadGuard(Protocol):
    """Whether reads may be served now (besides the node answering at all)."""

    def readable(self) -> bool: ...


class WriteForwarding(Protocol):
    """What a non-primary node does with a client's write instead of refusing it."""

    def forward_write(self, node: Node, key: int, write_id: int, reply: Reply) -> None: ...


class ForwardToPrimary:
    """Relay the write to the current primary and its answer back, over the network."""

    def __init__(self, net: Network, primary: Callable[[], Node]):
        self.net = net
        self.primary = primary

    def __repr__(self) -> str:
        return "ForwardToPrimary()"

    def forward_write(self, node: Node, key: int, write_id: int, reply: Reply) -> None:
        net, primary = self.net, self.primary()

        def back(ok: bool, version: Any, error: Any, prev: Any = None) -> None:
            net.send(primary.az, node.az, reply, ok, version, error, prev)

        net.send(node.az, primary.az, primary.receive_write, key, write_id, back)


@dataclass(frozen=True)
class ColdStart:
    """Until ``until_s`` each request first waits a draw of ``penalty`` (lazy loading)."""

    until_s: float
    penalty: Sampler | None
