"""Seeded random streams: one root seed per run, one named child stream per component.

A stream is keyed by a stable name (``"faults/instance_crash/0"``,
``"client/c1"``), not by creation order, so adding a component never shifts the
draws of another, and the same run index gives every design the same fault
arrivals and workload draws (common random numbers). Draws on hot paths come
from batched buffers: a scalar numpy draw costs ~1.5 us, a batched one ~0.2 us.
"""

from __future__ import annotations

import hashlib

import numpy as np

_BATCH = 256


def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class Streams:
    """Factory of independent generators for one run."""

    def __init__(self, root_seed: int, run_index: int):
        self.root_seed = root_seed
        self.run_index = run_index
        self._generators: dict[str, np.random.Generator] = {}

    def generator(self, name: str) -> np.random.Generator:
        """The generator for ``name``; the same name always gives the same stream."""
        rng = self._generators.get(name)
        if rng is None:
            key = (self.run_index, _name_key(name))
            seq = np.random.SeedSequence(self.root_seed, spawn_key=key)
            rng = self._generators[name] = np.random.Generator(np.random.PCG64(seq))
        return rng

    def sampler(self, name: str, dist, scale: float = 1.0) -> Sampler:
        """Batched draws of ``dist`` (times ``scale``, e.g. ms -> s) on stream ``name``."""
        return Sampler(dist, self.generator(name), scale)


class Sampler:
    """Draws one value at a time from a buffer refilled in batches."""

    __slots__ = ("_dist", "_rng", "_scale", "_buffer", "_next", "_peeked")

    def __init__(self, dist, rng: np.random.Generator, scale: float = 1.0):
        self._dist = dist
        self._rng = rng
        self._scale = scale
        self._buffer: list[float] = []
        self._next = 0
        self._peeked: np.ndarray | None = None  # what peek() showed, until skip()

    def __call__(self) -> float:
        if self._next >= len(self._buffer):
            self._buffer = self._refill()
            self._next = 0
        value = self._buffer[self._next]
        self._next += 1
        return value

    @property
    def mean(self) -> float:
        return self._dist.mean * self._scale

    def on(self, streams: Streams, name: str) -> Sampler:
        """The same law (and scale) drawn on another stream, ``name``."""
        return Sampler(self._dist, streams.generator(name), self._scale)

    def _refill(self) -> list[float]:
        return self._batch().tolist()

    def _batch(self) -> np.ndarray:
        assert self._peeked is None, "a draw between peek() and skip()"
        return self._draw()

    def _draw(self) -> np.ndarray:
        """One batch of fresh values."""
        return self._dist.draw(self._rng, _BATCH) * self._scale

    def peek(self, n: int) -> np.ndarray:
        """The next ``n`` values without using them: what ``n`` calls would return.

        :meth:`skip` must follow, before any other draw. The values come from the
        same batches the calls would have drawn, in order, kept as an array (a
        failure streak takes thousands at once); skip makes the rest a list again, so
        the stream is left exactly where the calls one by one would have left it.
        """
        short = n - (len(self._buffer) - self._next)
        if short <= 0:
            return np.array(self._buffer[self._next:self._next + n])
        batches = [np.array(self._buffer[self._next:], float)]
        while short > 0:
            batches.append(self._batch())
            short -= len(batches[-1])
        self._peeked = np.concatenate(batches)
        self._buffer, self._next = [], 0
        return self._peeked[:n]

    def peek_list(self, n: int) -> list[float]:
        """:meth:`peek` as a list, for a few values: the batches are drawn as the calls
        would draw them, kept in the buffer (no :meth:`skip` needed unless used)."""
        if self._next + n > len(self._buffer):
            assert self._peeked is None, "a draw between peek() and skip()"
            values = self._buffer[self._next:]
            while len(values) < n:
                values += self._batch().tolist()
            self._buffer, self._next = values, 0
        return self._buffer[self._next:self._next + n]

    def peek_one(self) -> float:
        """The next value without using it (:meth:`peek` of one, with no array)."""
        if self._next >= len(self._buffer):
            self._buffer = self._refill()
            self._next = 0
        return self._buffer[self._next]

    def skip(self, n: int) -> None:
        """Use the next ``n`` values (after :meth:`peek` showed them)."""
        if self._peeked is not None:
            self._buffer, self._next, self._peeked = self._peeked[n:].tolist(), 0, None
        else:
            self._next += n


class UniformSampler(Sampler):
    """Uniform [0, 1) draws, batched."""

    def __init__(self, rng: np.random.Generator):
        super().__init__(None, rng)

    def _draw(self) -> np.ndarray:
        return self._rng.random(_BATCH)



class RowSampler:
    """One law's draws, handed out as rows of ``width`` values, a row per call.

    A steady run (:mod:`hadrsim.simulator.steady_window`) gives every call of a client
    one row of network jitter, drawn on that client's own stream: which value goes to
    which message then depends only on the client's own calls, not on how the calls of
    all clients interleave (what working each client's calls out on their own, in bulk,
    needs). A row holds a value for every message the call may send; those it does not
    send are left unused. The draws are one sequence, cut into rows as they are taken (a
    row's width follows the group's followers): a row's values depend only on how many
    values the client's earlier calls took.
    """

    __slots__ = ("_dist", "_rng", "_values", "_next")

    def __init__(self, dist, rng: np.random.Generator):
        self._dist = dist
        self._rng = rng
        self._values: list[float] = []
        self._next = 0

    def take(self, width: int) -> list[float]:
        """The next call's row."""
        start = self._next
        if start + width > len(self._values):
            self._more(width)
            start = 0
        self._next = start + width
        return self._values[start:start + width]

    def peek(self, count: int) -> list[float]:
        """The next ``count`` values (rows one after the other), without using them;
        :meth:`skip` says how many were used."""
        if self._next + count > len(self._values):
            self._more(count)
        return self._values[self._next:self._next + count]

    def skip(self, count: int) -> None:
        """Use the next ``count`` values (after :meth:`peek`)."""
        self._next += count

    def _more(self, wanted: int) -> None:
        values = self._values[self._next:]
        while len(values) < wanted:
            values += self._dist.draw(self._rng, _BATCH).tolist()
        self._values, self._next = values, 0
