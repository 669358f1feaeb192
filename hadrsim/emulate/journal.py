"""The emulation's own records: faults injected, roles taken, control-plane events.

The same record types as the simulation's (:mod:`hadrsim.simulator.records`), stamped with
the emulation's clock (seconds since its clients started), so the same checkers read them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hadrsim.simulator.records import ControlEvent, Fault, RoleChange


@dataclass
class Journal:
    """Append-only lists of what the nemesis and the control plane did."""

    clock: Callable[[], float]
    faults: list[Fault] = field(default_factory=list)
    roles: list[RoleChange] = field(default_factory=list)
    control: list[ControlEvent] = field(default_factory=list)

    def event(self, name: str, node: str | None, detail: str = "") -> None:
        self.control.append(ControlEvent(self.clock(), name, node, detail))

    def role(self, node: str, role: str, timeline: int, az: str, at: float | None = None,
             dataset: str = "") -> None:
        when = self.clock() if at is None else at
        self.roles.append(RoleChange(when, node, role, timeline, dataset, az))


__all__ = ["Journal"]
