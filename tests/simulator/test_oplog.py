"""The op log: failure streaks kept as columns read exactly as the same calls kept as rows.

A checker, the history hash or the records store given an :class:`OpLog` whose streaks
are blocks of columns must answer exactly what it answers given the same calls as
``ClientOp`` rows (issue 14: "both encodings give identical checker results").
"""

from __future__ import annotations

import copy
import marshal
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hadrsim.experiments.record_store import decode_records, encode_records
from hadrsim.simulator.checkers import run_metrics
from hadrsim.simulator.checkers._table import OpTable
from hadrsim.simulator.checkers.lww import lost_updates
from hadrsim.simulator.oplog import (
    OpBlock,
    OpLog,
    Pick,
    Same,
    as_list,
    codes,
    floats,
    ints,
    none_mask,
    pick_pieces,
)
from hadrsim.simulator.recorder import Recorder, _marshal_pieces
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


def _array_block(t0: float, n: int, writes: list[bool]) -> OpBlock:
    """``n`` failed calls kept as a streak keeps them: numpy columns where it can."""
    w = np.array(writes)
    values = np.full(n, None, dtype=object)
    values[w] = (500 + np.flatnonzero(w)).tolist()
    return OpBlock(n, (
        Same("c2"), Same("eu-west-1"), Pick(("read", "write"), w.astype(np.intp)),
        np.arange(n, dtype=np.int64) % 3, values if 0 < w.sum() < n else np.arange(n) + 7,
        Same(None), t0 + np.arange(n) * 0.5, t0 + np.arange(n) * 0.5 + 0.1,
        ["unknown" if x else "fail" for x in writes], Same("db-2"),
        Pick(("timeout", None, "unused"), np.where(w, 0, 1)), Same(None)))


def test_numpy_columns_read_back_as_python_values_and_check_as_rows(crash_run):
    """A block's numpy columns give the same rows, columns, hash and checker answers as
    rows, and the piece helpers give what the rows give."""
    log, rows = _mixed()
    mixed, all_writes = _array_block(60.0, 6, [True, False] * 3), _array_block(70.0, 4, [True] * 4)
    log.add_block(mixed)
    log.add_block(all_writes)
    log.append(_op(80.0))
    rows += [*mixed.rows(), *all_writes.rows(), _op(80.0)]
    assert list(log) == rows
    assert all(type(v) is int for v in log.column("key"))  # not numpy scalars
    as_rows = OpLog(rows)
    for name in ("kind", "key", "value", "invoke_s", "client", "version", "error"):
        column = [getattr(op, name) for op in rows]
        book = dict.fromkeys(column)
        found, found_book = codes(log.pieces(name))
        assert list(found_book) == list(book)  # in order of first appearance
        assert [list(found_book)[c] for c in found.tolist()] == column
        assert none_mask(log.pieces(name)).tolist() == [v is None for v in column]
        assert marshal.dumps(tuple(column), 2) == _marshal_pieces(len(rows), log.pieces(name))
    assert floats(log.pieces("invoke_s")).tolist() == [op.invoke_s for op in rows]
    assert ints(log.pieces("value")).tolist() == [op.value or 0 for op in rows]
    assert Recorder(ops=log).history_hash() == Recorder(ops=as_rows).history_hash()
    final = crash_run.final  # a final read that holds none of these writes
    assert repr(run_metrics(Recorder(ops=log, final=final))) == repr(
        run_metrics(Recorder(ops=as_rows, final=final)))
    table = OpTable(log)
    suspects = lost_updates(table, final_values={})
    assert suspects == lost_updates(as_rows, final_values={}) > 0
    table = OpTable(log)
    table.value_ints = None  # as if an id were beyond int64: the values themselves
    assert lost_updates(table, final_values={}) == suspects
    mask = np.array([op.kind == "write" for op in rows])
    assert pick_pieces(log.pieces("value"), mask) == [op.value for op in rows if op.kind == "write"]


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40),
                    st.floats(allow_nan=False), st.text(max_size=4))


@given(st.lists(st.one_of(
    st.lists(_VALUES, min_size=1, max_size=5),
    st.tuples(st.integers(1, 4), _VALUES).map(lambda t: [Same(t[1])] * t[0]),
    st.lists(st.floats(allow_nan=False), min_size=1, max_size=5).map(np.array),
    st.lists(st.integers(-2**40, 2**40), min_size=1, max_size=5).map(np.array),
    st.lists(_VALUES, min_size=1, max_size=3).flatmap(lambda choices: st.lists(
        st.integers(0, len(choices) - 1), min_size=1, max_size=6).map(
        lambda index: Pick(choices, np.array(index, np.intp))))),
    max_size=6))
def test_marshal_of_pieces_is_marshal_of_the_column(parts):
    """The history hash composes a column's marshal bytes piece by piece: byte for byte
    what marshal gives for the whole column (so history hashes never change)."""
    pieces, column = [], []
    for part in parts:
        if isinstance(part, Pick):
            pieces.append((len(part.index), part))
            column += [part.choices[i] for i in part.index.tolist()]
        elif isinstance(part, list) and part and isinstance(part[0], Same):
            pieces.append((len(part), part[0]))
            column += [part[0].value] * len(part)
        else:
            pieces.append((len(part), part))
            column += part.tolist() if isinstance(part, np.ndarray) else part
    assert _marshal_pieces(len(column), pieces) == marshal.dumps(tuple(column), 2)


def _flat(parts: list) -> tuple[list, list]:
    pieces, column = [], []
    for part in parts:
        n = len(part.index) if isinstance(part, Pick) else len(part)
        pieces.append((n, part))
        column += ([part.choices[i] for i in part.index.tolist()] if isinstance(part, Pick)
                   else part.tolist() if isinstance(part, np.ndarray) else part)
    return pieces, column


def _assert_coded_as_flat(pieces: list, column: list) -> None:
    """codes() of the pieces is a dict's coding of the flat column, in first appearance."""
    found, book = codes(pieces)
    expected: dict = {}
    for value in column:
        expected.setdefault(value, len(expected))
    assert list(book) == list(expected)
    assert found.tolist() == [expected[v] for v in column]


_LONG = st.integers(1, 300)  # past the short-piece cut (oplog.SHORT) and the hash's 64


@given(st.lists(st.one_of(
    st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=1, max_size=4),
    _LONG.flatmap(lambda n: st.lists(st.integers(-3, 3), min_size=n, max_size=n)).map(np.array),
    st.lists(st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["a", "bb"])),
             min_size=1, max_size=3).flatmap(lambda choices: _LONG.flatmap(
                 lambda n: st.lists(st.integers(0, len(choices) - 1), min_size=n, max_size=n)
             ).map(lambda index: Pick(choices, np.array(index, np.intp))))),
    max_size=5))
def test_long_and_short_pieces_code_hash_and_count_as_their_column(parts):
    """Short pieces are coded together in one dict pass, long ones in numpy, and a long
    pick whose choices encode to one width is hashed in numpy: all as the flat column."""
    pieces, column = _flat(parts)
    _assert_coded_as_flat(pieces, column)
    assert _marshal_pieces(len(column), pieces) == marshal.dumps(tuple(column), 2)
    choices = [c for part in parts if isinstance(part, Pick) for c in part.choices]
    if not any(isinstance(v, str) for v in column + choices):  # ints() is for int fields
        assert ints(pieces).tolist() == [0 if v is None else v for v in column]
    assert none_mask(pieces).tolist() == [v is None for v in column]


_SHORT_PART = st.integers(0, 200).flatmap(lambda n: st.one_of(
    st.sampled_from([None, 1, True, "a", 2.5]).map(lambda v: (n, Same(v))),
    st.lists(st.sampled_from([None, 0, 1, 2, "a", False, 3.0]), min_size=1, max_size=3,
             unique=True).flatmap(lambda choices: st.lists(
                 st.integers(0, len(choices) - 1), min_size=n, max_size=n).map(
                 lambda index: (n, Pick(choices, np.array(index, np.intp))))),
    st.lists(st.integers(-3, 120), min_size=n, max_size=n).map(
        lambda v: (n, np.array(v, np.int64))),
    st.lists(st.integers(0, 5), min_size=n, max_size=n).map(
        lambda v: (n, np.array(v, np.uint8))),
    st.lists(st.integers(0, 10**12), min_size=n, max_size=n).map(
        lambda v: (n, np.array(v, np.int64))),
    st.lists(st.sampled_from([None, 3, 4]), min_size=n, max_size=n).map(
        lambda v: (n, np.array(v, dtype=object))),  # a streak's ids and None
    st.lists(st.sampled_from([None, 0, 5, "x", 2.0]), min_size=n, max_size=n).map(
        lambda v: (n, v))))


@given(st.lists(_SHORT_PART, max_size=8))
def test_short_pieces_code_as_one_dict_pass(pieces):
    """A steady window's short pieces are coded piece by piece, not value by value
    (oplog._short_codes): the codes and their book are a dict pass over the column."""
    column = [v for n, values in pieces for v in as_list(n, values)]
    _assert_coded_as_flat(pieces, column)


@pytest.mark.parametrize("parts", [
    [Pick(("x", None, 7), np.array([2, 0, 2, 1] * 100, np.intp))],
    [np.array([5, 3, 5, 0, 9] * 80)],  # small non-negative ints: coded without a sort
    [np.array([5, -3, 5, 0, 2**50] * 80)],  # negative or large: np.unique
    [[7, "x"], Pick((None, 3), np.array([1, 1, 0] * 100, np.intp)), np.array([3, 8] * 200)],
])
def test_long_pieces_code_in_order_of_first_appearance(parts):
    """Long pieces take numpy paths (no sort of a streak's column where it can be
    avoided): the codes and their book are still those of the flat column."""
    pieces, column = _flat(parts)
    _assert_coded_as_flat(pieces, column)


def test_an_object_column_of_ids_and_none_counts_as_its_values():
    """A streak of writes and reads keeps its values as an object array (ids and None):
    numpy reads it, and the answers are those of the values one by one."""
    values = np.full(300, None, dtype=object)
    values[::3] = list(range(100, 200))
    values[1] = 2**40
    pieces = [(3, [None, 5, None]), (300, values)]
    column = [None, 5, None, *values.tolist()]
    assert none_mask(pieces).tolist() == [v is None for v in column]
    assert ints(pieces).tolist() == [0 if v is None else v for v in column]
    values[2] = 2**70  # beyond int64: as the list path, an OverflowError
    with pytest.raises(OverflowError):
        ints([(300, values)])
