"""The op log: failure streaks kept as columns read exactly as the same calls kept as rows.

A checker, the history hash or the records store given an :class:`OpLog` whose streaks
are blocks of columns must answer exactly what it answers given the same calls as
``ClientOp`` rows (issue 14: "both encodings give identical checker results").
"""

from __future__ import annotations

import copy
import pickle
import sys
from pathlib import Path

import pytest

from hadrsim.experiments.record_store import decode_records, encode_records
from hadrsim.simulator.checkers import run_metrics
from hadrsim.simulator.oplog import OpBlock, OpLog, Same
from hadrsim.simulator.records import ClientOp
from hadrsim.spec.loader import parse_study

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from test_bench_engine import CRASH_STUDY  # noqa: E402


def _op(t: float, kind: str = "write", value: int | None = 1, outcome: str = "ok") -> ClientOp:
    return ClientOp("c1", "us-east-1", kind, 3, value, None, t, t + 0.5, outcome, "db-1", None)


def _block(t0: float, n: int) -> OpBlock:
    """``n`` failed calls from ``t0``: writes (unknown) and reads (fail) alternating."""
    writes = [i % 2 == 0 for i in range(n)]
    return OpBlock(n, (
        Same("c1"), Same("us-east-1"), ["write" if w else "read" for w in writes],
        list(range(n)), [100 + i if w else None for i, w in enumerate(writes)], Same(None),
        [t0 + i for i in range(n)], [t0 + i + 0.25 for i in range(n)],
        ["unknown" if w else "fail" for w in writes], Same("db-1"), Same("timeout"),
        Same(None)))


def _mixed() -> tuple[OpLog, list[ClientOp]]:
    log = OpLog([_op(1.0), _op(2.0, "read")])
    log.add_block(_block(10.0, 5))
    log.append(_op(20.0))
    log.add_block(_block(30.0, 3))
    log.add_block(_block(40.0, 2))
    log.extend([_op(50.0), _op(51.0, "read", None, "fail")])
    rows = [_op(1.0), _op(2.0, "read"), *_block(10.0, 5).rows(), _op(20.0),
            *_block(30.0, 3).rows(), *_block(40.0, 2).rows(), _op(50.0),
            _op(51.0, "read", None, "fail")]
    return log, rows


def test_an_op_log_is_its_rows_in_record_order():
    log, rows = _mixed()
    assert len(log) == len(rows) == 15
    assert list(log) == rows and log == rows and rows == log
    assert [log[i] for i in range(len(rows))] == rows
    assert log[-1] == rows[-1] and log[-9] == rows[-9] and log[3:12] == rows[3:12]
    with pytest.raises(IndexError):
        log[15]  # noqa: B018
    assert log.columns() == [list(c) for c in zip(*rows, strict=True)]
    assert OpLog().columns() == []
    mask = [op.outcome == "ok" for op in rows]
    assert log.pick(mask) == [op for op in rows if op.outcome == "ok"]
    assert pickle.loads(pickle.dumps(log)) == rows


def test_appending_after_reading_keeps_the_order():
    log, rows = _mixed()
    assert log[3] == rows[3]  # the sealed parts made into rows once
    log.append(_op(60.0))
    log.add_block(_block(70.0, 2))
    log.append(_op(80.0))
    rows += [_op(60.0), *_block(70.0, 2).rows(), _op(80.0)]
    assert list(log) == rows and log[-3] == rows[-3] and log[16] == rows[16]


def test_a_block_must_have_every_column():
    with pytest.raises(ValueError, match="12 columns"):
        OpBlock(1, (Same("c1"),))


@pytest.fixture(scope="module")
def crash_run():
    """A compressed run of a single-AZ instance down for 5 minutes: its failure streaks
    are kept as blocks, between rows."""
    from hadrsim.experiments.run import simulate

    study = {**CRASH_STUDY, "designs": [{"name": "single", "kind": "rds_single_az"}],
             "scenarios": [{"name": "crash", "scheduled": [
                 {"kind": "instance_crash", "at_s": 30.0, "duration_s": 300.0}]}],
             "horizon_s": 600.0}
    world = simulate(parse_study(study), "single", "crash", 3)
    parts = world.rec.ops._parts
    assert any(isinstance(p, OpBlock) for p in parts), "no streak block"
    assert any(isinstance(p, list) and p for p in parts), "no rows before a block"
    return world.rec


def test_blocks_and_rows_give_identical_checkers_hash_and_store(crash_run):
    as_rows = copy.copy(crash_run)
    as_rows.ops = OpLog(list(crash_run.ops))  # the same calls, every one a row
    assert not as_rows.ops._parts
    assert repr(run_metrics(crash_run)) == repr(run_metrics(as_rows))  # NaN as text
    assert crash_run.history_hash() == as_rows.history_hash()
    blob = encode_records(crash_run)
    assert blob == encode_records(as_rows)
    assert decode_records(blob).ops == list(crash_run.ops)
