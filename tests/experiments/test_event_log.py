"""The RDS-style event log: control-plane records worded as rds.describe_events."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from hadrsim.cli import app
from hadrsim.experiments.event_log import describe_events, event_log
from hadrsim.experiments.run import simulate


def test_multi_az_crash_reads_as_a_failover_sequence(make_study):
    """Fault, health checks failed, failover started/completed, DNS: in that order."""
    study = make_study()
    world = simulate(study, "maz", "crash", 0)
    log = event_log(world.rec, "maz")
    assert list(log["time_s"]) == sorted(log["time_s"])
    order = list(log["event"])
    steps = ["fault_injected", "failure_detected", "promotion_started",
             "promotion_completed", "endpoint_updated"]
    positions = [order.index(step) for step in steps]
    assert positions == sorted(positions)
    failover = log[log["event"] == "promotion_completed"].iloc[0]
    assert failover["EventCategories"] == ["failover"]
    assert failover["SourceType"] == "db-instance"
    assert failover["SourceIdentifier"] in failover["Message"]
    assert log.iloc[0]["Date"] == "2026-01-01T00:02:00Z"  # the crash at 120 s


def test_describe_events_shape_and_fault_rows_can_be_left_out(make_study):
    world = simulate(make_study(), "maz", "crash", 0)
    document = describe_events(world.rec, "maz", include_faults=False)
    assert document["Events"]
    for event in document["Events"]:
        assert set(event) == {"SourceIdentifier", "SourceType", "Message", "EventCategories",
                              "Date", "SimulatedTimeS"}
        assert event["SourceType"] != "fault-injection"


def test_events_command_writes_json_and_csv(tmp_path, make_study):
    study_file = tmp_path / "s.yaml"
    study_file.write_text(
        "name: t\nseed: 7\nhorizon_s: 600\n"
        "workload: {observed_clients: 2, client_regions: [us-east-1]}\n"
        "designs: [{name: maz, kind: rds_multi_az_instance}]\n"
        "scenarios: [{name: crash, scheduled: [{kind: instance_crash, at_s: 120}]}]\n")
    out_json, out_csv = tmp_path / "e.json", tmp_path / "e.csv"
    result = CliRunner().invoke(app, ["events", str(study_file), "--design", "maz",
                                      "--scenario", "crash", "--json", str(out_json),
                                      "--csv", str(out_csv)])
    assert result.exit_code == 0, result.output
    events = json.loads(out_json.read_text())["Events"]
    assert any("failover" in e["EventCategories"] for e in events)
    assert "failover" in out_csv.read_text()
    bad = CliRunner().invoke(app, ["events", str(study_file), "--design", "nope",
                                   "--scenario", "crash", "--json", str(tmp_path / "x.json")])
    assert bad.exit_code == 2
    assert "--design 'nope'" in bad.output
    assert not (tmp_path / "x.json").exists()
