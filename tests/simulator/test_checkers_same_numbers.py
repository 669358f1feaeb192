"""The column-based checkers (issue 14) give exactly the numbers of the per-op code they replaced.

Each ``_ref_*`` below is the plain implementation the checkers had before they were
vectorised, kept here as the specification. Random histories crowd ties (equal times,
equal versions), missing versions and values, corrupt ids, several clients and
regions into a few keys, where a vectorised rewrite would go wrong first.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from itertools import accumulate

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hadrsim.simulator.checkers import (
    corruption_rto,
    discarded_writes,
    episode_losses,
    episodes,
    final_values_by_version,
    latency_percentiles_ms,
    lost_updates,
    lost_writes,
    lost_writes_from_commits,
    lww_conflicts,
    monotonic_read_violations,
    read_your_writes_violations,
    rto_by_episodes,
    stale_reads,
    success_ratio,
    t_visibility,
)
from hadrsim.simulator.checkers._table import CommitTable, OpTable
from hadrsim.simulator.checkers.attribution import Branches, Charger
from hadrsim.simulator.records import ClientOp, Commit, Fault, FinalRead, RoleChange
from hadrsim.simulator.vocabulary import corrupting_fault, is_corrupt

INF = -math.inf
TIMES = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0]


def _rank(op):
    return INF if op.version is None else op.version


def _ok_read(op):
    return op.kind == "read" and op.outcome == "ok"


def _acked(op):
    return op.kind == "write" and op.outcome == "ok"


def _ref_newest(ops, group):
    """name -> (completions, running best (version, complete_s))."""
    groups = {}
    for op in ops:
        if _acked(op) and op.version is not None:
            groups.setdefault(group(op), []).append((op.complete_s, op.version))
    index = {}
    for name, writes in groups.items():
        writes.sort()
        best, top = [], None
        for complete_s, version in writes:
            if top is None or version >= top[0]:
                top = (version, complete_s)
            best.append(top)
        index[name] = ([c for c, _ in writes], best)
    return index


def _ref_before(index, name, t):
    if name not in index:
        return None
    complete, best = index[name]
    i = bisect_left(complete, t)
    return best[i - 1] if i else None


def _ref_consistency(ops):
    by_key = _ref_newest(ops, lambda op: op.key)
    own = _ref_newest(ops, lambda op: (op.client, op.client_region, op.key))
    stale = reads = ryw = 0
    starts = [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0]
    pairs, visible = [0] * len(starts), [0] * len(starts)
    sessions = {}
    for op in ops:
        if not _ok_read(op):
            continue
        reads += 1
        b = _ref_before(by_key, op.key, op.invoke_s)
        stale += b is not None and b[0] > _rank(op)
        o = _ref_before(own, (op.client, op.client_region, op.key), op.invoke_s)
        ryw += o is not None and o[0] > _rank(op)
        if b is not None and (i := bisect_right(starts, op.invoke_s - b[1]) - 1) >= 0:
            pairs[i] += 1
            visible[i] += _rank(op) >= b[0]
        sessions.setdefault((op.client, op.client_region, op.key), []).append(
            (op.invoke_s, _rank(op)))
    mono = 0
    for session in sessions.values():
        session.sort(key=lambda r: r[0])
        seen = INF
        for _, version in session:
            if version < seen:
                mono += 1
            else:
                seen = version
    curve = [(t, n, s / n if n else math.nan) for t, n, s in zip(starts, pairs, visible,
                                                                     strict=True)]
    return (stale, reads), ryw, mono, curve


def _ref_final_values(ops):
    best = {}
    for op in ops:
        if _acked(op):
            rank = (_rank(op), op.complete_s, op.value)
            if op.key not in best or rank[:2] >= best[op.key][:2]:
                best[op.key] = rank
    return {key: rank[2] for key, rank in best.items()}


def _ref_lww(ops, discarded):
    groups = {}
    for op in ops:
        if _acked(op):
            groups.setdefault((op.key, op.prev), Counter())[op.client_region] += 1
    conflicts = sum(sum(r.values()) * (sum(r.values()) - 1) // 2
                    - sum(n * (n - 1) // 2 for n in r.values()) for r in groups.values())
    acked = [op for op in ops if _acked(op) and op.value is not None]
    ids = {op.value for op in acked}
    replaced = {op.prev for op in acked if op.prev is not None}
    final = _ref_final_values(acked)
    maybe = {}
    for op in ops:
        if op.kind == "write" and op.outcome == "unknown" and op.value is not None:
            maybe.setdefault(op.key, set()).add(op.value)
    for op in acked:
        if op.prev is not None and op.prev not in ids:
            maybe.setdefault(op.key, set()).add(op.prev)
    suspects = Counter(op.key for op in acked if op.value not in replaced
                       and final.get(op.key) != op.value and op.value not in discarded)
    lost = sum(max(0, n - len(maybe.get(k, ()))) for k, n in suspects.items())
    return conflicts, lost


class _RefClientLog:
    def __init__(self, ops, busy=()):
        self.busy = list(busy)  # completions of the client's failed calls of the other kind
        ops = sorted(ops, key=lambda op: (op.invoke_s, op.complete_s))
        complete = [op.complete_s for op in ops]
        self.complete, self.ok = complete, [op.outcome == "ok" for op in ops]
        self.invoke = [op.invoke_s for op in ops]
        self.complete_max = list(accumulate(complete, max))
        self.fail_pos = [i for i, op in enumerate(ops) if op.outcome != "ok"]
        self.fail_invoke = [self.invoke[i] for i in self.fail_pos]
        self.fail_complete = [complete[i] for i in self.fail_pos]
        self.fail_complete_max = list(accumulate(self.fail_complete, max))
        self.ok_from = [math.inf] * (len(ops) + 1)
        for i in range(len(ops) - 1, -1, -1):
            ok = complete[i] if ops[i].outcome == "ok" else math.inf
            self.ok_from[i] = min(self.ok_from[i + 1], ok)

    def rto(self, start_s, end_s):
        before_end = bisect_left(self.invoke, end_s)
        if not before_end or self.complete_max[before_end - 1] < start_s:
            return None
        last = bisect_left(self.fail_pos, before_end) - 1
        while last >= 0 and self.fail_complete_max[last] >= start_s:
            if start_s <= self.fail_complete[last] < end_s:
                break
            last -= 1
        else:
            if not any(start_s <= t < end_s for t in self.busy):
                return 0.0, True
            first_ok = min((t for t, ok in zip(self.complete, self.ok, strict=True)
                            if ok and t >= start_s), default=math.inf)
            return (first_ok - start_s, True) if first_ok <= end_s else (end_s - start_s, False)
        recovered_s = self.ok_from[bisect_right(self.invoke, self.fail_invoke[last])]
        if recovered_s <= end_s:
            return max(0.0, recovered_s - start_s), True
        return end_s - start_s, False


def _ref_worst(clients, episode, window, busy=None):
    worst, recovered = -math.inf, True
    for (client, region), group in clients.items():
        if region in episode.affected_locations:
            continue
        rto = _RefClientLog(group, (busy or {}).get((client, region), ())).rto(*window)
        if rto is not None:
            worst, recovered = max(worst, rto[0]), recovered and rto[1]
    return worst, recovered


def _ref_rto(ops, episode, kind, useless):
    clients, busy = {}, {}
    for op in ops:
        if op.kind != kind and op.outcome != "ok":
            busy.setdefault((op.client, op.client_region), []).append(op.complete_s)
        if op.kind == kind:
            useful = (op.value not in useless) if kind == "write" else not is_corrupt(op.value)
            if op.outcome == "ok" and not useful:
                op = op._replace(outcome="fail")
            clients.setdefault((op.client, op.client_region), []).append(op)
    worst, recovered = _ref_worst(clients, episode, (episode.start_s, episode.window_end_s),
                                  busy)
    return (math.nan, False) if worst == -math.inf else (worst, recovered)


def _ref_corruption(ops, episode, final, fault_ids):
    window = (episode.start_s, episode.window_end_s)
    if any(corrupting_fault(v) == episode.fault_id for v in final.write_ids if is_corrupt(v)):
        return window[1] - window[0], False

    def ours(value):
        owner = corrupting_fault(value)
        return owner == episode.fault_id or (owner is not None and owner not in fault_ids)

    clients, seen = {}, False
    for op in ops:
        if not _ok_read(op) or op.client_region in episode.affected_locations:
            continue
        if ours(op.value):
            seen = seen or window[0] <= op.complete_s < window[1]
            op = op._replace(outcome="fail")
        elif corrupting_fault(op.value) is not None:
            continue
        clients.setdefault((op.client, op.client_region), []).append(op)
    if not seen and episode.kind != "logical_corruption":
        return None
    worst, recovered = _ref_worst(clients, episode, window)
    return max(0.0, worst), recovered


def _ref_held(final, timeline, lsn):
    return any(t == timeline and lo <= lsn <= hi for t, lo, hi in final.surviving_ranges)


def _ref_losses(ops, eps, final, commits, roles):
    """``(per-episode (count, rpo_s), unexplained, charged_s, overwritten)`` before issue 14."""
    acked = {op.value: op for op in ops if _acked(op) and op.value is not None}
    lost_ids = {v for v in acked if v not in final.write_ids}
    branches, charger = Branches(final, commits, roles), Charger(eps)
    acks, counts = [[] for _ in eps], [0] * len(eps)
    survived, charged, unexplained, recorded, overwritten = [], {}, 0, set(), set()

    def lost(ack_s, cut_off_s, ids):
        nonlocal unexplained
        index = charger.charge(cut_off_s, ack_s)
        if index is None:
            unexplained += len(ids)
            charged.update(dict.fromkeys(ids, math.inf))
            return
        acks[index].append(ack_s)
        counts[index] += len(ids)
        charged.update(dict.fromkeys(ids, eps[index].start_s))

    for c in commits:
        observed = [w for w in c.write_ids if w in acked]
        recorded.update(observed)
        if not observed and c.writes <= len(c.write_ids):
            continue
        held = _ref_held(final, c.timeline, c.lsn_to)
        gone = [w for w in observed if w in lost_ids]
        if held and not gone:
            survived.append(c.time_s)
            continue
        if held or not branches.past_end(c.timeline, c.lsn_to):
            overwritten.update(gone)
        lost(c.time_s, math.nan if held else branches.cut_off_s(c.timeline, c.lsn_to), gone)
    for value, op in acked.items():
        if value not in recorded:
            if value in lost_ids:
                lost(op.complete_s, math.nan, [value])
            else:
                survived.append(op.complete_s)
    survived.sort()
    rows = []
    for a, n in zip(acks, counts, strict=True):
        if not a:
            rows.append((0, 0.0))
            continue
        older = bisect_left(survived, min(a))
        rows.append((n, max(0.0, max(a) - (survived[older - 1] if older else 0.0))))
    return rows, unexplained, charged, overwritten


def _ref_commits(commits, final):
    ends = {}
    for t, _, hi in final.surviving_ranges:
        ends[t] = max(ends.get(t, hi), hi)
    gone = [c for c in commits if not _ref_held(final, c.timeline, c.lsn_to)]
    observed = sum(1 for c in gone for w in c.write_ids if not is_corrupt(w))
    discarded = frozenset(w for c in commits if c.lsn_to > ends.get(c.timeline, -1)
                          for w in c.write_ids if not is_corrupt(w))
    return (observed, sum(c.writes for c in gone)), discarded


def _corrupt_id(fault_id: int, key: int) -> int:
    return -(fault_id * 1_000_000 + key)


@st.composite
def histories(draw) -> list[ClientOp]:
    ops = []
    for i in range(draw(st.integers(0, 40))):
        kind = draw(st.sampled_from(["write", "read"]))
        key = draw(st.integers(0, 2))
        value = draw(st.one_of(st.just(i + 1), st.none(), st.integers(1, 8),
                               st.integers(1, 3).map(lambda f, k=key: _corrupt_id(f, k))))
        invoke = draw(st.sampled_from(TIMES))
        ops.append(ClientOp(
            draw(st.sampled_from(["c1", "c2", "c3"])), draw(st.sampled_from(["east", "west"])),
            kind, key, value, draw(st.one_of(st.none(), st.integers(0, 5))),
            invoke, invoke + draw(st.sampled_from([0.0, 0.01, 0.5, 1.0, 4.0])),
            draw(st.sampled_from(["ok", "ok", "fail", "unknown"])), "db", None,
            draw(st.one_of(st.none(), st.integers(1, 8))) if kind == "write" else None))
    return ops


@st.composite
def runs(draw):
    ops = draw(histories())
    ids = sorted({op.value for op in ops if op.value is not None})
    pick = st.lists(st.sampled_from(ids), max_size=3).map(tuple) if ids else st.just(())
    commits = []
    for _ in range(draw(st.integers(0, 12))):
        lo = draw(st.integers(1, 12))
        hi = lo + draw(st.integers(0, 2))
        commits.append(Commit(draw(st.sampled_from(TIMES)), "db", draw(st.integers(1, 3)), lo, hi,
                              draw(st.integers(0, 3)), draw(pick)))
    ranges = tuple(draw(st.lists(st.tuples(st.integers(1, 3), st.integers(1, 8),
                                           st.integers(1, 12)), max_size=3)))
    survivors = draw(st.sets(st.sampled_from(ids))) if ids else set()
    final = FinalRead(9.0, "db", draw(st.booleans()), 1, 0, frozenset(survivors), ranges)
    faults = [Fault(i + 1, draw(st.sampled_from(["logical_corruption", "outage"])), "az:a", "AZ",
                    draw(st.sampled_from(TIMES)), draw(st.sampled_from([None, 2.0, 4.0])),
                    draw(st.sampled_from([(), ("east",), ("west",)])))
              for i in range(draw(st.integers(0, 3)))]
    roles = [RoleChange(draw(st.sampled_from(TIMES)), "db", "primary", draw(st.integers(1, 3)))
             for _ in range(draw(st.integers(0, 3)))]
    return ops, commits, final, episodes(faults, 6.0), roles


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(deadline=None)
@given(histories())
def test_consistency_checkers_match_the_per_op_definitions(ops):
    """Stale reads, read-your-writes, monotonic reads and t-visibility, table or list."""
    stale, ryw, mono, curve = _ref_consistency(ops)
    for given_ops in (ops, OpTable(ops)):
        assert stale_reads(given_ops) == stale
        assert read_your_writes_violations(given_ops) == ryw
        assert monotonic_read_violations(given_ops) == mono
        assert _same(t_visibility(given_ops), curve)


@settings(deadline=None)
@given(histories(), st.sets(st.integers(1, 8)))
def test_lww_checkers_match(ops, discarded):
    """Conflicts, final values by version and lost updates."""
    conflicts, lost = _ref_lww(ops, discarded)
    assert lww_conflicts(ops) == conflicts
    assert lost_updates(ops, discarded=discarded) == lost
    assert final_values_by_version(ops) == _ref_final_values(ops)


@settings(deadline=None)
@given(histories())
def test_latency_and_success_ratio_match(ops):
    """Percentiles of ok ops' latencies and the share of ok ops, per kind."""
    for kind in ("write", "read"):
        ok = [(op.complete_s - op.invoke_s) * 1000.0 for op in ops
              if op.kind == kind and op.outcome == "ok"]
        expected = ([float(v) for v in np.percentile(ok, [50, 99, 99.9])] if ok
                    else [math.nan] * 3)
        assert _same(list(latency_percentiles_ms(ops, kind).values()), expected)
        total = sum(op.kind == kind for op in ops)
        ok_n = sum(op.kind == kind and op.outcome == "ok" for op in ops)
        assert _same(success_ratio(ops, kind), ok_n / total if total else math.nan)


@settings(deadline=None)
@given(runs())
def test_rto_and_corruption_rule_match(run):
    """Client RTOs per episode (lost writes charged) and the corruption rule."""
    ops, commits, final, eps, roles = run
    charged = _ref_losses(ops, eps, final, commits, roles)[2]
    fault_ids = frozenset(ep.fault_id for ep in eps)
    got = rto_by_episodes(OpTable(ops), eps, "write", charged_s=charged)
    for ep, rto in zip(eps, got, strict=True):
        useless = {w for w, s in charged.items() if s <= ep.start_s}
        assert _same(rto, _ref_rto(ops, ep, "write", useless))
    for ep, rto in zip(eps, rto_by_episodes(ops, eps, "read"), strict=True):
        assert _same(rto, _ref_rto(ops, ep, "read", set()))
        assert _same(corruption_rto(ops, ep, final, fault_ids),
                     _ref_corruption(ops, ep, final, fault_ids))


@settings(deadline=None)
@given(runs())
def test_rpo_checkers_match(run):
    """Lost writes, their charge to episodes and loss windows, and the commit cross-check."""
    ops, commits, final, eps, roles = run
    rows, unexplained, charged, overwritten = _ref_losses(ops, eps, final, commits, roles)
    for batches in (commits, CommitTable(commits)):
        losses = episode_losses(OpTable(ops), eps, final, batches, roles)
        assert _same([tuple(loss) for loss in losses.episodes], rows)
        assert (losses.unexplained, losses.charged_s) == (unexplained, charged)
        assert list(losses.charged_s) == list(charged)  # same order too
        assert losses.overwritten == overwritten
        expected, discarded = _ref_commits(commits, final)
        assert lost_writes_from_commits(batches, final) == expected
        assert discarded_writes(batches, final) == discarded
    assert lost_writes(ops, final) == [op for op in ops if _acked(op)
                                       and op.value not in final.write_ids]
