"""t-visibility: the chance a read sees a write, by time since its acknowledgement."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hadrsim.simulator.checkers import stale_reads, t_visibility
from hadrsim.simulator.records import ClientOp

EAST, WEST = "us-east-1", "us-west-2"

TS = (0.0, 0.1, 1.0)


def _as_dict(curve):
    return {t: (n, None if math.isnan(p) else p) for t, n, p in curve}


def test_lagging_replica_curve(write, read):
    """Reads soon after the write miss it; reads later see it."""
    ops = [
        write(0.0, 1.0, value=1, version=10),
        read(1.05),  # 0.05 s after: not yet visible
        read(1.06, value=1, version=10),  # 0.06 s after: visible
        read(1.5),  # 0.5 s after: still not visible
        read(1.6, value=1, version=10),
        read(1.7, value=1, version=10),
        read(5.0, value=1, version=10),  # open-ended last bin
    ]
    assert _as_dict(t_visibility(ops, TS)) == {
        0.0: (2, 0.5),
        0.1: (3, pytest.approx(2 / 3)),
        1.0: (1, 1.0),
    }


def test_across_regions_keeps_only_pairs_whose_write_came_from_elsewhere(write, read):
    """A read in the writer's own Region sees the write at once; across Regions only the
    replication delay shows: the local pair is left out, not counted as visible."""
    ops = [
        write(0.0, 1.0, value=1, version=10, region=EAST, client="e"),
        read(1.05, value=1, version=10, region=EAST, client="e"),  # local: seen
        read(1.06, region=WEST, client="w"),  # the other Region: not yet
        read(1.5, value=1, version=10, region=WEST, client="w"),  # replicated
    ]
    assert _as_dict(t_visibility(ops, TS)) == {0.0: (2, 0.5), 0.1: (1, 1.0), 1.0: (0, None)}
    assert _as_dict(t_visibility(ops, TS, across_regions=True)) == {
        0.0: (1, 0.0), 0.1: (1, 1.0), 1.0: (0, None)}


def test_empty_bins_are_nan(write, read):
    """A bin without pairs reports zero pairs and NaN, not a probability."""
    ops = [write(0.0, 1.0, value=1, version=10), read(1.5, value=1, version=10)]
    assert _as_dict(t_visibility(ops, TS)) == {0.0: (0, None), 0.1: (1, 1.0), 1.0: (0, None)}


def test_overwritten_write_is_not_invisible(write, read):
    """A read returning a later overwrite pairs with that overwrite, not the older write."""
    ops = [
        write(0.0, 1.0, value=1, version=10),
        write(2.0, 2.05, value=2, version=20),
        read(2.5, value=2, version=20),  # 0.45 s after write 2: visible
        read(2.6, value=1, version=10),  # misses write 2: invisible
    ]
    assert _as_dict(t_visibility(ops, TS)) == {0.0: (0, None), 0.1: (2, 0.5), 1.0: (0, None)}


def test_reads_before_any_acknowledged_write_make_no_pair(write, read):
    """No write acknowledged before the read, no pair: nothing was there to see."""
    ops = [read(0.5), write(0.0, 1.0, value=1, version=10), read(0.9, value=1, version=10)]
    assert all(n == 0 for _, n, _ in t_visibility(ops, TS))


def test_default_bins(write, read):
    """The default curve has ten bins starting at 0 s and ending open at 10 s."""
    curve = t_visibility([write(0.0, 1.0, value=1, version=10), read(100.0)])
    assert [t for t, _, _ in curve] == [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0]
    assert curve[-1][1:] == (1, 0.0)


@pytest.mark.parametrize("ts", [(), (0.0, 0.0), (1.0, 0.5)])
def test_bins_must_increase(ts):
    """Bin starts must be strictly increasing."""
    with pytest.raises(ValueError, match="strictly increasing"):
        t_visibility([], ts)


histories = st.lists(
    st.builds(
        lambda kind, key, version, invoke, duration, outcome: ClientOp(
            "a",
            "r",
            kind,
            key,
            version,
            version,
            invoke / 4,
            (invoke + duration) / 4,
            outcome,
            None,
            None,
        ),
        st.sampled_from(["write", "read"]),
        st.integers(0, 1),
        st.one_of(st.none(), st.integers(0, 5)),
        st.integers(0, 40),
        st.integers(0, 4),
        st.sampled_from(["ok", "ok", "unknown"]),
    ).filter(lambda op: op.kind == "read" or op.version is not None),
    max_size=40,
)


@given(histories)
def test_property_invisible_pairs_are_the_stale_reads(ops):
    """Summed over bins, invisible pairs are exactly the stale reads (one definition, two views)."""
    curve = t_visibility(ops)
    invisible = sum(round(n * (1 - p)) for _, n, p in curve if n)
    assert invisible == stale_reads(ops)[0]
    assert sum(n for _, n, _ in curve) <= stale_reads(ops)[1]
    assert all(0.0 <= p <= 1.0 for _, n, p in curve if n)
