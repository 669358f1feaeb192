"""Stale reads, read-your-writes and monotonic reads over hand-built histories."""

from hypothesis import given
from hypothesis import strategies as st

from hadrsim.simulator.checkers import (
    monotonic_read_violations,
    read_your_writes_violations,
    stale_reads,
)
from hadrsim.simulator.records import ClientOp

EAST = "us-east-1"


def test_read_after_acknowledged_write_seeing_it_is_fresh(write, read):
    """A read that returns the write acknowledged before it began is not stale."""
    ops = [write(1.0, 1.1, value=1, version=10), read(2.0, value=1, version=10)]
    assert stale_reads(ops) == (0, 1)


def test_read_missing_acknowledged_write_is_stale(write, read):
    """A read returning an older version, or an empty key, after an ack is stale."""
    ops = [
        write(1.0, 1.1, value=1, version=10),
        write(2.0, 2.1, value=2, version=20),
        read(3.0, value=1, version=10),
        read(3.5, client="c2"),  # the key looked empty: older than any write
    ]
    assert stale_reads(ops) == (2, 2)


def test_concurrent_write_sets_no_expectation(write, read):
    """A write still in flight when the read began may or may not be seen."""
    ops = [write(1.0, 3.0, value=1, version=10), read(2.0), read(3.0, client="c2")]
    # The second read began exactly at the acknowledgement: not strictly after it.
    assert stale_reads(ops) == (0, 2)


def test_only_acknowledged_writes_and_ok_reads_count(write, read):
    """Unknown and failed writes set no expectation; failed reads are not judged."""
    ops = [
        write(1.0, 2.0, "unknown", value=1, version=10),
        write(1.0, 2.0, "fail", value=2, version=20),
        read(3.0),
        write(4.0, 4.1, value=3, version=30),
        read(5.0, 6.0, "fail"),
    ]
    assert stale_reads(ops) == (0, 1)


def test_keys_are_independent(write, read):
    """A write to one key says nothing about reads of another."""
    ops = [write(1.0, value=1, version=10, key=1), read(2.0, key=2)]
    assert stale_reads(ops) == (0, 1)


def test_newest_version_not_latest_completion_sets_the_bar(write, read):
    """With concurrent writes the newest version is the bar, whenever it was acknowledged."""
    ops = [
        write(1.0, 1.5, value=2, version=20, client="a"),
        write(1.0, 1.8, value=1, version=10, client="b"),
        read(2.0, value=1, version=10, client="c"),
    ]
    assert stale_reads(ops) == (1, 1)


def test_read_your_writes_violation_is_flagged(write, read):
    """Reading an older version after one's own acknowledged write violates RYW."""
    ops = [
        write(1.0, 1.1, value=1, version=10),
        write(2.0, 2.1, value=2, version=20),
        read(3.0, value=1, version=10),
    ]
    assert read_your_writes_violations(ops) == 1


def test_read_your_writes_ignores_other_clients_writes(write, read):
    """Another client's newer write makes a read stale, but not an RYW violation."""
    ops = [
        write(1.0, 1.1, value=1, version=10, client="me"),
        write(2.0, 2.1, value=2, version=20, client="other"),
        read(3.0, value=1, version=10, client="me"),
    ]
    assert read_your_writes_violations(ops) == 0
    assert stale_reads(ops) == (1, 1)


def test_client_identity_includes_region(write, read):
    """Clients of the same name in two regions are two sessions."""
    ops = [write(1.0, value=1, version=10, region=EAST), read(2.0)]
    assert read_your_writes_violations(ops) == 0


def test_read_your_writes_passes_when_own_write_is_seen(write, read):
    """Seeing one's own write, or a newer one, satisfies RYW."""
    ops = [
        write(1.0, 1.1, value=1, version=10),
        read(2.0, value=1, version=10),
        read(3.0, value=9, version=90),
    ]
    assert read_your_writes_violations(ops) == 0


def test_monotonic_reads_going_back_in_time_are_flagged(read):
    """A later read older than an earlier one counts once, however many it undercuts."""
    ops = [
        read(1.0, value=2, version=20),
        read(2.0, value=3, version=30),
        read(3.0, value=1, version=10),  # older than both earlier reads: one violation
        read(4.0),  # empty: older still
        read(5.0, value=3, version=30),
    ]
    assert monotonic_read_violations(ops) == 2


def test_monotonic_reads_use_invocation_order(read):
    """Reads are ordered by invocation, not by record (completion) order."""
    ops = [read(2.0, value=1, version=10), read(1.0, value=2, version=20)]
    assert monotonic_read_violations(ops) == 1


def test_monotonic_reads_are_per_client_and_key(read):
    """Different clients, or different keys, do not constrain each other."""
    ops = [
        read(1.0, value=2, version=20, client="a"),
        read(2.0, value=1, version=10, client="b"),
        read(3.0, value=1, version=10, client="a", key=1),
    ]
    assert monotonic_read_violations(ops) == 0


def test_monotonic_non_decreasing_reads_pass(read):
    """Equal or newer versions, and failed reads, never violate."""
    ops = [
        read(1.0),
        read(2.0, value=1, version=10),
        read(3.0, value=1, version=10),
        read(4.0, 5.0, "fail"),
        read(5.0, value=2, version=20),
    ]
    assert monotonic_read_violations(ops) == 0


def _rank(op):
    return float("-inf") if op.version is None else op.version


def _acked(ops):
    return [o for o in ops if o.kind == "write" and o.outcome == "ok"]


def _ok_reads(ops):
    return [o for o in ops if o.kind == "read" and o.outcome == "ok"]


def _stale_reference(ops):
    """The contract, read plainly (quadratic)."""
    stale = sum(
        any(
            w.key == r.key and w.complete_s < r.invoke_s and w.version > _rank(r)
            for w in _acked(ops)
        )
        for r in _ok_reads(ops)
    )
    return stale, len(_ok_reads(ops))


def _ryw_reference(ops):
    return sum(
        any(
            (w.client, w.client_region, w.key) == (r.client, r.client_region, r.key)
            and w.complete_s < r.invoke_s
            and w.version > _rank(r)
            for w in _acked(ops)
        )
        for r in _ok_reads(ops)
    )


def _monotonic_reference(ops):
    reads = _ok_reads(ops)
    order = sorted(range(len(reads)), key=lambda i: (reads[i].invoke_s, i))
    return sum(
        any(
            (reads[j].client, reads[j].client_region, reads[j].key)
            == (reads[i].client, reads[i].client_region, reads[i].key)
            and order.index(j) < order.index(i)
            and _rank(reads[j]) > _rank(reads[i])
            for j in range(len(reads))
        )
        for i in range(len(reads))
    )


histories = st.lists(
    st.builds(
        lambda client, region, kind, key, version, invoke, duration, outcome: ClientOp(
            client,
            region,
            kind,
            key,
            version,
            version,
            float(invoke),
            float(invoke + duration),
            outcome,
            None,
            None,
        ),
        st.sampled_from(["a", "b"]),
        st.sampled_from([EAST, "us-west-2"]),
        st.sampled_from(["write", "read"]),
        st.integers(0, 2),
        st.one_of(st.none(), st.integers(0, 6)),
        st.integers(0, 20),
        st.integers(0, 3),
        st.sampled_from(["ok", "ok", "ok", "fail", "unknown"]),
    ).filter(lambda op: op.kind == "read" or op.version is not None),
    max_size=40,
)


@given(histories)
def test_property_checkers_match_plain_contract(ops):
    """The indexed checkers count exactly what the contract's plain reading counts."""
    assert stale_reads(ops) == _stale_reference(ops)
    assert read_your_writes_violations(ops) == _ryw_reference(ops)
    assert monotonic_read_violations(ops) == _monotonic_reference(ops)


@given(histories)
def test_property_ryw_violations_are_stale_reads(ops):
    """Every RYW violation is a stale read, and every count is bounded by the reads."""
    stale, reads = stale_reads(ops)
    assert read_your_writes_violations(ops) <= stale <= reads
    assert monotonic_read_violations(ops) <= reads


@given(st.lists(st.integers(0, 100), max_size=30))
def test_property_linearizable_register_has_no_anomalies(gaps):
    """Sequential writes, each read returning the latest: no anomaly at all."""
    ops, t, version = [], 0.0, None
    for i, gap in enumerate(gaps):
        t += gap + 1.0
        if gap % 3 == 0:
            version = i
            ops.append(ClientOp("a", EAST, "write", 0, i, i, t, t + 0.5, "ok", None, None))
        else:
            client = "a" if gap % 2 else "b"
            ops.append(
                ClientOp(client, EAST, "read", 0, version, version, t, t + 0.5, "ok", None, None)
            )
    assert stale_reads(ops)[0] == 0
    assert read_your_writes_violations(ops) == 0
    assert monotonic_read_violations(ops) == 0
