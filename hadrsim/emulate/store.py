"""An emulation in the results store: each run kept as it finishes, never pooled with others.

An emulated run is stored under the *time-scaled* study it ran (its own study row: the
spec differs from the unscaled study's), with the parameters ``{"source": "emulation",
"time_scale": X, "postgresql": VERSION}``; the side-by-side simulation under the twin
study it ran (PostgreSQL's semantics: :func:`~hadrsim.emulate.emulation.emulated_semantics`)
with ``{"source": "simulation", "semantics": "emulated", "time_scale": X}``. Stores key a
run by (study, parameters, design, scenario, run index), so neither is ever counted with
``hadrsim run``'s runs of the same study, nor with each other; ``hadrsim results`` shows
the ``source`` column. Each run keeps its records, as a stored simulated run does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hadrsim.experiments.record_store import encode_records

if TYPE_CHECKING:
    from hadrsim.experiments.run import RunResult
    from hadrsim.experiments.store import ResultsStore
    from hadrsim.simulator.recorder import Recorder


def emulated_params(time_scale: float, postgresql: str) -> dict[str, Any]:
    """The stored parameters of an emulated run."""
    return {"source": "emulation", "time_scale": time_scale, "postgresql": postgresql}


def twin_params(time_scale: float) -> dict[str, Any]:
    """The stored parameters of a run of the side-by-side simulation."""
    return {"source": "simulation", "semantics": "emulated", "time_scale": time_scale}


class EmulationStore:
    """Where an emulation's runs go, one transaction each, as they finish."""

    def __init__(self, store: ResultsStore, time_scale: float, postgresql: str) -> None:
        self.store = store
        self.time_scale = time_scale
        self.postgresql = postgresql
        self.added = {"emulation": 0, "simulation": 0}

    def add_emulated(self, study: Any, result: RunResult, recorder: Recorder) -> None:
        """One emulated run of the scaled ``study``, with its records."""
        result.records = encode_records(recorder)
        study_id = self.store.study_id(study.name, study.seed, study.model_dump_json())
        params = emulated_params(self.time_scale, self.postgresql)
        self.added["emulation"] += self.store.add(study_id, result, params)

    def add_simulated(self, twin: Any, result: RunResult) -> None:
        """One run of the side-by-side simulation of the ``twin`` study."""
        study_id = self.store.study_id(twin.name, twin.seed, twin.model_dump_json())
        self.added["simulation"] += self.store.add(study_id, result,
                                                   twin_params(self.time_scale))


__all__ = ["EmulationStore", "emulated_params", "twin_params"]
