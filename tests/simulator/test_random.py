"""Seeded streams: one root seed per run, named child streams, batched samplers."""

from __future__ import annotations

import numpy as np
import pytest

from hadrsim.simulator.random import RowSampler, Sampler, Streams, UniformSampler
from hadrsim.spec.distributions import constant, exponential, lognormal, uniform


def test_same_seed_run_and_name_give_the_same_draws():
    """A stream is a pure function of (root seed, run index, name)."""
    a = Streams(7, 3).generator("client/c1").random(10)
    b = Streams(7, 3).generator("client/c1").random(10)
    assert a.tolist() == b.tolist()


def test_generator_is_cached_per_name():
    """Asking twice for a name returns the same generator, which continues its sequence."""
    streams = Streams(7, 0)
    assert streams.generator("x") is streams.generator("x")


@pytest.mark.parametrize(
    "other",
    [Streams(8, 3), Streams(7, 4)],
    ids=["other-seed", "other-run-index"],
)
def test_a_different_seed_or_run_index_gives_different_draws(other):
    """Changing the root seed or the run index changes the stream."""
    mine = Streams(7, 3).generator("client/c1").random(10)
    theirs = other.generator("client/c1").random(10)
    assert mine.tolist() != theirs.tolist()


def test_different_names_give_different_streams():
    """Two names in one run are different streams."""
    streams = Streams(7, 0)
    assert streams.generator("a").random(5).tolist() != streams.generator("b").random(5).tolist()


def test_streams_do_not_depend_on_creation_order():
    """Adding or reordering components never shifts another component's draws."""
    first = Streams(1, 0)
    a1 = first.generator("faults/instance_crash/0").random(8)
    b1 = first.generator("client/c1").random(8)

    second = Streams(1, 0)
    second.generator("some/new/component").random(100)
    b2 = second.generator("client/c1").random(8)
    a2 = second.generator("faults/instance_crash/0").random(8)

    assert a1.tolist() == a2.tolist()
    assert b1.tolist() == b2.tolist()


def test_drawing_from_one_stream_does_not_move_another():
    """Consuming one stream leaves every other stream where it was."""
    quiet = Streams(1, 0).generator("b").random(3)
    streams = Streams(1, 0)
    streams.generator("a").random(10_000)
    assert streams.generator("b").random(3).tolist() == quiet.tolist()


@pytest.mark.parametrize(
    "dist",
    [lognormal(1.0, 5.0), exponential(2.0), uniform(1.0, 3.0)],
    ids=["lognormal", "exponential", "uniform"],
)
def test_sampler_batches_give_the_same_sequence_as_one_big_draw(dist):
    """Refilling the buffer batch by batch reproduces a single large draw exactly."""
    n = 1000  # several batches of 256, the last one partly used
    sampler = Sampler(dist, np.random.Generator(np.random.PCG64(5)), scale=1e-3)
    batched = [sampler() for _ in range(n)]
    big = dist.draw(np.random.Generator(np.random.PCG64(5)), 1024)[:n] * 1e-3
    assert batched == big.tolist()


def test_sampler_scales_values_and_mean():
    """``scale`` converts units (e.g. ms -> s) for the values and the mean alike."""
    sampler = Sampler(constant(250.0), np.random.Generator(np.random.PCG64(0)), scale=1e-3)
    assert [sampler() for _ in range(3)] == [0.25, 0.25, 0.25]
    assert sampler.mean == 0.25


def test_sampler_from_streams_uses_the_named_stream():
    """``Streams.sampler`` draws on the stream of that name."""
    dist = exponential(1.0)
    via_streams = Streams(3, 1).sampler("replica/0/lag", dist)
    direct = Sampler(dist, Streams(3, 1).generator("replica/0/lag"))
    assert [via_streams() for _ in range(300)] == [direct() for _ in range(300)]


def test_uniform_sampler_matches_one_big_draw():
    """Batched uniforms are the generator's own uniforms, in order."""
    sampler = UniformSampler(np.random.Generator(np.random.PCG64(9)))
    batched = [sampler() for _ in range(600)]
    big = np.random.Generator(np.random.PCG64(9)).random(768)[:600]
    assert batched == big.tolist()
    assert all(0.0 <= u < 1.0 for u in batched)


@pytest.mark.parametrize("shown, used", [(3, 3), (300, 200), (700, 700), (1000, 5)])
def test_peek_then_skip_leaves_the_stream_where_calls_would(shown, used):
    """A failure streak peeks thousands of draws and uses some: the values it sees and
    every later draw are the ones the calls one by one would have made."""
    dist = lognormal(1.0, 5.0)
    one_by_one = Sampler(dist, np.random.Generator(np.random.PCG64(4)))
    calls = [one_by_one() for _ in range(1500)]
    bulk = Sampler(dist, np.random.Generator(np.random.PCG64(4)))
    first = [bulk() for _ in range(10)]
    seen = bulk.peek(shown)
    assert seen.tolist() == calls[10:10 + shown]
    bulk.skip(used)
    assert first + [bulk() for _ in range(1500 - 10 - used)] == calls[:10] + calls[10 + used:]


def test_a_draw_between_peek_and_skip_is_refused():
    """Drawing new batches before skip() would break the stream's order: it is refused."""
    sampler = UniformSampler(np.random.Generator(np.random.PCG64(2)))
    sampler.peek(600)
    with pytest.raises(AssertionError, match="between peek"):
        sampler.peek(5000)


def test_rows_cut_one_sequence_of_draws_whatever_their_width():
    """A change of width (the group gained or lost a follower) wastes nothing and
    reuses nothing: the rows are the law's draws in order."""
    rows = RowSampler(lognormal(1.0, 3.0), np.random.default_rng(3))
    widths = [2, 2, 6, 4, 2] * 40
    got = [value for width in widths for value in rows.take(width)]
    plain = Sampler(lognormal(1.0, 3.0), np.random.default_rng(3))
    assert got == [plain() for _ in range(len(got))]
    assert [len(rows.take(width)) for width in (3, 300)] == [3, 300]
