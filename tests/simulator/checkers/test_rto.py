"""RTO: time from a fault until every surviving client succeeds again."""

import math

from hypothesis import given
from hypothesis import strategies as st

from hadrsim.simulator.checkers import Episode, rto_by_episode, rto_by_episodes
from hadrsim.simulator.records import ClientOp

EAST = "us-east-1"


def test_no_failure_means_zero_rto(write, episode):
    """A surviving client none of whose calls failed gives RTO 0, recovered."""
    ops = [write(5.0), write(15.0), write(25.0)]
    assert rto_by_episode(ops, episode(10.0, 100.0), "write") == (0.0, True)


def test_writes_no_client_tried_during_an_outage_are_not_an_rto_of_0(write, read, episode):
    """The checker fooled on purpose: a crash while every client waits on a read. Each
    read times out, none tries a write until the failover is over, so no write fails;
    writes were still down from the fault until the first one succeeded (a SecureCart-like
    Multi-AZ crash did this in 4 of 30 simulated runs and reported a write RTO of 0)."""
    ops = []
    for client in ("c1", "c2", "c3"):
        ops += [write(9.9, 9.91, client=client), read(10.0, 12.0, "fail", client=client),
                write(12.05, 12.06, client=client)]
    assert rto_by_episode(ops, episode(10.0, 100.0), "write") == (12.06 - 10.0, True)


def test_busy_failing_reads_and_no_write_since_the_fault_is_censored(write, read, episode):
    """Its reads failed, and its only write across the window answers after it: nothing
    shows its writes recovered inside the window."""
    ops = [read(10.0, 12.0, "fail"), write(90.0, 150.0)]
    assert rto_by_episode(ops, episode(10.0, 100.0), "write") == (90.0, False)


def test_rto_runs_to_first_success_after_last_failure(write, episode):
    """RTO ends when the first op invoked after the last failure completes ok."""
    ops = [
        write(9.0, 11.0, "unknown"),
        write(11.0, 13.0, "fail"),
        write(13.0, 14.0),  # a success between failures is not recovery yet
        write(14.0, 16.0, "fail"),
        write(16.0, 17.5),
        write(18.0, 18.5),
    ]
    assert rto_by_episode(ops, episode(10.0, 100.0), "write") == (7.5, True)


def test_client_failing_past_window_is_censored(write, episode):
    """A client still failing when the next fault starts is censored at the window end."""
    ops = [write(t, t + 1.0, "fail") for t in range(10, 40, 2)] + [write(45.0, 46.0)]
    assert rto_by_episode(ops, episode(10.0, 40.0), "write") == (30.0, False)


def test_success_completing_after_window_does_not_recover(write, episode):
    """Recovery must complete inside the window."""
    ops = [write(12.0, 13.0, "fail"), write(39.0, 41.0)]
    assert rto_by_episode(ops, episode(10.0, 40.0), "write") == (30.0, False)


def test_success_invoked_before_last_failure_does_not_recover(write, episode):
    """An overlapping success invoked before the last failure is not recovery."""
    ops = [write(11.0, 20.0), write(12.0, 13.0, "fail"), write(14.0, 15.0)]
    assert rto_by_episode(ops, episode(10.0, 40.0), "write") == (5.0, True)


def test_dead_client_in_failed_region_is_ignored(write, episode):
    """A client inside the failed region dies with it and does not count."""
    dead = [write(t, t + 1.0, "fail", client="dead", region=EAST) for t in range(10, 100, 5)]
    ops = [*dead, write(12.0, 12.5, client="alive")]
    assert rto_by_episode(ops, episode(10.0, 100.0), "write") == (0.0, True)


def test_only_dead_clients_means_unknown(write, episode):
    """With no surviving client observed the RTO is NaN, not 0."""
    ops = [write(12.0, 13.0, "fail", region=EAST)]
    rto, recovered = rto_by_episode(ops, episode(10.0, 100.0), "write")
    assert math.isnan(rto)
    assert recovered is False


def test_ops_outside_the_window_are_ignored(write, episode):
    """Failures before the fault, and ops invoked after the window, are not this episode's."""
    ops = [write(1.0, 2.0, "fail"), write(50.0, 51.0, "fail")]
    rto, recovered = rto_by_episode(ops, episode(10.0, 40.0), "write")
    assert math.isnan(rto)
    assert recovered is False


def test_op_in_flight_at_fault_start_is_relevant(write, episode):
    """An op invoked before the fault but failing after it counts as a failure."""
    ops = [write(8.0, 12.0, "unknown"), write(12.0, 12.5)]
    assert rto_by_episode(ops, episode(10.0, 40.0), "write") == (2.5, True)


def test_worst_client_sets_rto_and_all_must_recover(write, episode):
    """The episode RTO is the slowest client's; one censored client makes it unrecovered."""
    ops = [
        write(11.0, 12.0, "fail", client="a"),
        write(12.0, 13.0, client="a"),
        write(11.0, 12.0, "fail", client="b"),
        write(30.0, 31.0, client="b"),
        write(11.0, 12.0, client="c"),
    ]
    assert rto_by_episode(ops, episode(10.0, 100.0), "write") == (21.0, True)
    ops.append(write(35.0, 36.0, "fail", client="c"))
    assert rto_by_episode(ops, episode(10.0, 100.0), "write") == (90.0, False)


def test_kinds_are_measured_separately(write, read, episode):
    """Read failures do not make the write RTO worse, and vice versa."""
    ops = [read(11.0, 12.0, "fail"), read(20.0, 21.0), write(11.0, 12.0)]
    assert rto_by_episode(ops, episode(10.0, 100.0), "write") == (2.0, True)
    assert rto_by_episode(ops, episode(10.0, 100.0), "read") == (11.0, True)


def _reference(ops, ep, kind):
    """The contract, written as plainly as possible (quadratic)."""
    clients, every = {}, {}
    for op in ops:
        every.setdefault((op.client, op.client_region), []).append(op)
    for op in ops:
        if op.kind == kind and op.client_region not in ep.affected_locations:
            clients.setdefault((op.client, op.client_region), []).append(op)
    results = []
    for own in clients.values():
        relevant = [o for o in own if o.complete_s >= ep.start_s and o.invoke_s < ep.window_end_s]
        if not relevant:
            continue
        # a failure completing after the window belongs to the next episode's fault
        failures = [o for o in relevant if o.outcome != "ok" and o.complete_s < ep.window_end_s]
        if not failures:
            busy = [o for o in every[own[0].client, own[0].client_region]
                    if o.kind != kind and o.outcome != "ok"
                    and ep.start_s <= o.complete_s < ep.window_end_s]
            done = [o.complete_s for o in own if o.outcome == "ok"
                    and ep.start_s <= o.complete_s <= ep.window_end_s]
            if not busy:
                results.append((0.0, True))
            else:
                results.append((min(done) - ep.start_s, True) if done
                               else (ep.window_end_s - ep.start_s, False))
            continue
        last = max(failures, key=lambda o: o.invoke_s)
        done = [
            o.complete_s
            for o in own
            if o.outcome == "ok" and o.invoke_s > last.invoke_s and o.complete_s <= ep.window_end_s
        ]
        if done:
            results.append((max(0.0, min(done) - ep.start_s), True))
        else:
            results.append((ep.window_end_s - ep.start_s, False))
    if not results:
        return math.nan, False
    return max(r for r, _ in results), all(ok for _, ok in results)


ops_strategy = st.lists(
    st.builds(
        lambda client, region, kind, invoke, duration, outcome: ClientOp(
            client, region, kind, 0, None, None, invoke, invoke + duration, outcome, None, None
        ),
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from([EAST, "us-west-2"]),
        st.sampled_from(["write", "read"]),
        st.integers(0, 60).map(float),
        st.integers(0, 8).map(float),
        st.sampled_from(["ok", "ok", "fail", "unknown"]),
    ),
    max_size=40,
)
episodes_strategy = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 30), st.sampled_from([(), (EAST,)])).map(
        lambda t: Episode(0, "k", "s", "Region", float(t[0]), None, float(t[0] + t[1]), t[2])
    ),
    max_size=4,
)


@given(ops_strategy, episodes_strategy, st.sampled_from(["write", "read"]))
def test_property_indexed_rto_matches_plain_contract(ops, eps, kind):
    """The bisection index gives exactly what the contract's plain reading gives."""
    got = rto_by_episodes(ops, eps, kind)
    want = [_reference(ops, ep, kind) for ep in eps]
    assert [(None if math.isnan(r) else r, ok) for r, ok in got] == [
        (None if math.isnan(r) else r, ok) for r, ok in want
    ]
    assert all(
        math.isnan(r) or 0.0 <= r <= ep.window_end_s - ep.start_s
        for (r, _), ep in zip(got, eps, strict=True)
    )


def test_failure_in_flight_at_next_fault_belongs_to_next_episode(write, episode):
    """An op invoked just before the next fault and failing after it does not censor."""
    ep = episode(100.0, 200.0, affected=())
    ops = [
        write(101.0, 103.0, outcome="unknown"),
        write(104.0, 104.01),
        write(199.5, 201.5, outcome="unknown"),
    ]
    rto, recovered = rto_by_episode(ops, ep, "write")
    assert recovered and math.isclose(rto, 4.01)
