"""The recorder: tidy records to DataFrames in one call; a history hash."""

from __future__ import annotations

from hadrsim.experiments.run import simulate
from hadrsim.simulator.recorder import Recorder
from hadrsim.simulator.records import RECORD_TYPES, ClientOp


def test_frames_have_one_column_per_field(make_study):
    """Every record list becomes a DataFrame whose columns are the record's fields."""
    rec = simulate(make_study(), "maz", "crash", 0).rec
    frames = rec.frames()
    assert set(frames) == set(RECORD_TYPES)
    for name, frame in frames.items():
        assert list(frame.columns) == list(RECORD_TYPES[name]._fields)
        assert len(frame) == len(getattr(rec, name))
    ops = frames["ops"]
    assert set(ops["outcome"]) <= {"ok", "fail", "unknown"}
    assert (ops["complete_s"] >= ops["invoke_s"]).all()


def test_empty_recorder_gives_empty_frames():
    """No records still gives typed, empty frames (columns present)."""
    frames = Recorder().frames()
    assert frames["ops"].empty and "invoke_s" in frames["ops"].columns


def test_history_hash_sees_a_one_bit_change():
    """Changing one float in one record changes the hash."""
    a, b = Recorder(), Recorder()
    op = ClientOp("c1", "r", "write", 1, 7, 3, 0.1, 0.2, "ok", "n", None)
    a.ops.append(op)
    b.ops.append(op._replace(complete_s=0.2 + 1e-15))
    assert a.history_hash() != b.history_hash()
