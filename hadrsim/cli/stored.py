"""Reading a results store from the CLI without ever creating or altering one.

The library does the work (:func:`hadrsim.experiments.results.open_results`, a
read-only :class:`~hadrsim.experiments.store.ResultsStore`); these wrappers turn
its errors into exit-2 messages and print its notes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hadrsim.cli.common import _bad_input, errors

if TYPE_CHECKING:  # the store's modules are imported by the commands that read one
    from hadrsim.experiments.results import Results
    from hadrsim.experiments.store import ResultsStore


def open_existing_store(url: str) -> ResultsStore:
    """A hadrsim store at ``url``, read-only: refuses anything that would create or alter
    one (a missing SQLite file, a database that is not a hadrsim store)."""
    from hadrsim.experiments.store import ResultsStore, StoreError

    try:
        return ResultsStore(url, readonly=True)
    except StoreError as exc:
        raise _bad_input(str(exc)) from None


def study_from_store(url: str, name: str | None, seed: int | None, runs: int | None,
                     prices: dict[str, float] | None = None) -> Results:
    """The stored study chosen by name and seed, with its stored runs (index < ``runs``)."""
    from hadrsim.experiments.results import open_results
    from hadrsim.experiments.store import StoreError

    try:
        results = open_results(url, study=name, seed=seed, runs=runs, prices=prices)
    except StoreError as exc:
        raise _bad_input(str(exc)) from None
    if results.versions > 1:
        errors.print(f"note: {results.versions} stored versions of {results.study.name} "
                     f"(seed {results.study.seed}); reporting the latest", markup=False,
                     highlight=False)
    return results
