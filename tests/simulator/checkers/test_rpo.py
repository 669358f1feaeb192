"""RPO: acknowledged writes missing from the final read, charged to the fault that lost them."""

import math

from hypothesis import given
from hypothesis import strategies as st

from hadrsim.simulator.checkers import (
    Episode,
    EpisodeLoss,
    episode_losses,
    is_acknowledged,
    losses_known,
    lost_writes,
    lost_writes_from_commits,
)
from hadrsim.simulator.records import ClientOp, FinalRead


def test_acked_write_missing_from_final_is_lost(write, final):
    """An ok write whose id is absent from the surviving database is lost."""
    ops = [write(1.0, value=1), write(2.0, value=2)]
    assert lost_writes(ops, final(write_ids={1})) == [ops[1]]


def test_unknown_and_failed_writes_are_never_lost(write, final):
    """A write the client never saw succeed is not required to survive."""
    ops = [write(1.0, outcome="unknown", value=1), write(2.0, outcome="fail", value=2)]
    assert lost_writes(ops, final()) == []


def test_reads_are_not_writes(read, final):
    """Reads carry a value but are never counted as lost writes."""
    assert lost_writes([read(1.0, value=5)], final()) == []


def _losses(ops, eps, survived=(), commits=(), ranges=(), roles=()):
    final = FinalRead(1e9, "db-2", True, 1, 0, frozenset(survived), ranges)
    return episode_losses(ops, eps, final, commits, roles)


def test_loss_window_runs_from_recovery_point_to_last_lost_ack(write, episode):
    """rpo_s = last lost ack - newest surviving ack older than the earliest lost one."""
    ops = [write(10.0, 10.5, value=1), write(20.0, 20.5, value=2), write(30.0, 30.5, value=3)]
    losses = _losses(ops, [episode(40.0, 100.0)], survived={1})
    assert losses.episodes == [EpisodeLoss(lost_writes=2, rpo_s=20.0)]
    assert losses.unexplained == 0
    assert losses.charged_s == {2: 40.0, 3: 40.0}


def test_each_loss_goes_to_first_fault_at_or_after_ack(write, episode):
    """Without a recorded branch, losses split between faults by acknowledgement time."""
    ops = [write(0.0, 2.0, value=9), write(1.0, 5.0, value=1), write(6.0, 10.0, value=2),
           write(11.0, 12.0, value=3)]
    eps = [episode(10.0, 20.0, fault_id=1), episode(20.0, 50.0, fault_id=2)]
    losses = _losses(ops, eps, survived={9})
    assert losses.episodes == [EpisodeLoss(2, 8.0), EpisodeLoss(1, 10.0)]


def test_loss_after_last_permanent_fault_goes_to_it(write, episode):
    """A write acknowledged during the last (permanent) fault is charged to it."""
    ops = [write(0.0, 5.0, value=9), write(30.0, 31.0, value=1)]
    losses = _losses(ops, [episode(20.0, 50.0)], survived={9})
    assert losses.episodes == [EpisodeLoss(1, 26.0)]
    assert losses.unexplained == 0


def test_nothing_survived_before_means_recovery_point_zero(write, episode):
    """With no surviving acknowledged write before the loss, the window starts at 0 s."""
    losses = _losses([write(7.0, 8.0, value=1)], [episode(10.0, 20.0)])
    assert losses.episodes == [EpisodeLoss(1, 8.0)]


def test_simultaneous_faults_first_one_takes_the_loss(write, episode):
    """Among faults starting together, the first listed is charged."""
    eps = [episode(10.0, 50.0, fault_id=1), episode(10.0, 50.0, fault_id=2)]
    losses = _losses([write(1.0, 2.0, value=1)], eps)
    assert losses.episodes == [EpisodeLoss(1, 2.0), EpisodeLoss(0, 0.0)]


def test_loss_without_any_fault_is_unexplained(write):
    """With no fault to blame, a lost write is flagged as unexplained."""
    losses = _losses([write(1.0, value=1)], [])
    assert losses.episodes == []
    assert losses.unexplained == 1


def test_no_loss_means_zero_window(episode):
    """An episode that lost nothing has rpo_s 0."""
    assert _losses([], [episode(10.0, 20.0)]).episodes == [EpisodeLoss(0, 0.0)]


def test_unknown_losses_of_a_censored_episode(episode, final):
    """A censored episode's losses are known only once its data settled after it began
    (a promotion or restore in its window or a later one), never before."""
    ep = episode(10.0, 100.0)
    assert losses_known(ep, True, final(), [])
    assert not losses_known(ep, False, final(), [])
    assert not losses_known(ep, False, final(available=False), [50.0])
    assert not losses_known(ep, False, final(), [5.0])
    assert losses_known(ep, False, final(), [150.0])
    assert losses_known(ep, False, final(), [50.0])


def test_commits_outside_surviving_ranges_are_lost(commit, final):
    """Batches past the surviving tip or on a dead timeline count as lost."""
    commits = [
        commit(1, 1, 10, write_ids=(1, 2)),
        commit(1, 11, 20, write_ids=(3,)),
        commit(2, 11, 12, write_ids=(4,), writes=5),
    ]
    observed, total = lost_writes_from_commits(commits, final(ranges=((1, 1, 15),)))
    assert (observed, total) == (2, 15)


def test_commit_range_bounds_are_inclusive(commit, final):
    """A batch whose lsn_to equals a range end, or its start, survives."""
    commits = [commit(1, 5, 5, write_ids=(1,)), commit(1, 8, 10, write_ids=(2,))]
    assert lost_writes_from_commits(commits, final(ranges=((1, 5, 10),))) == (0, 0)


def test_commit_survives_in_any_of_several_ranges(commit, final):
    """Overlapping and nested ranges, on several timelines, are each honoured."""
    ranges = ((1, 1, 100), (1, 2, 3), (2, 101, 150), (2, 200, 210))
    commits = [commit(1, 90, 99), commit(2, 140, 150), commit(2, 201, 205), commit(2, 160, 170)]
    assert lost_writes_from_commits(commits, final(ranges=ranges)) == (0, 11)


def test_no_surviving_ranges_loses_everything(commit, final):
    """With nothing surviving, every committed write is lost."""
    commits = [commit(1, 1, 4, write_ids=(1, 2))]
    assert lost_writes_from_commits(commits, final()) == (2, 4)


writes = st.lists(
    st.builds(
        lambda i, invoke, duration, outcome: ClientOp(
            "c1", "r", "write", 0, i, None, invoke, invoke + duration, outcome, None, None
        ),
        st.integers(0, 50),
        st.floats(0, 100),
        st.floats(0, 10),
        st.sampled_from(["ok", "fail", "unknown"]),
    ),
    max_size=30,
)
faults = st.lists(
    st.floats(0, 120).map(lambda s: Episode(0, "k", "s", "AZ", s, None, s + 1.0, ())),
    max_size=5,
).map(lambda eps: sorted(eps, key=lambda e: e.start_s))


@given(writes, st.frozensets(st.integers(0, 50)), faults)
def test_property_lost_are_acknowledged_and_windows_non_negative(ops, survived, eps):
    """Lost writes are always acknowledged writes, and every rpo_s is >= 0."""
    lost = lost_writes(ops, FinalRead(0.0, None, True, 1, 0, survived, ()))
    assert all(is_acknowledged(op) and op.value not in survived for op in lost)
    losses = _losses(ops, eps, survived=survived)
    assert all(loss.rpo_s >= 0.0 and not math.isnan(loss.rpo_s) for loss in losses.episodes)
    lost_ids = {op.value for op in lost}
    charged = sum(loss.lost_writes for loss in losses.episodes) + losses.unexplained
    assert charged == len(lost_ids)
