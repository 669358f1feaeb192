"""A Route 53 record's TTL is not added to an in-Region failover (issue 11, item 8).

The failover record names the RDS (or Aurora) writer endpoint, a CNAME with its
own 5-s TTL (calibration.md §2/§5, S11): an AZ failover inside the primary Region
flips that endpoint, not the record, so clients follow it after the endpoint's
TTL whatever the record's. A Region outage still pays detection + propagation +
the record's TTL (calibration.md §8).
"""

from __future__ import annotations

import numpy as np
import pytest

from hadrsim.experiments.run import simulate
from hadrsim.simulator.checkers import run_metrics

FAULT_AT = 120.0
DESIGNS = {
    "rds_multi_az_cluster": {"kind": "rds_multi_az_cluster",
                             "replicas": [{"region": "us-west-2", "promotion_s": 5.0}]},
    "aurora_global": {"kind": "aurora_global", "readers": [{}],
                      "secondaries": [{"region": "us-west-2", "promotion_s": 5.0}]},
}


def _study(make_study, kind: str, route53: dict | None, fault: dict, *,
           clients: str = "us-east-1", horizon_s: float = 420.0):
    design = {"name": "d", **DESIGNS[kind]}
    if route53 is not None:
        design["route53"] = route53
    return make_study(
        horizon_s=horizon_s,
        workload={"client_regions": [clients], "observed_clients": 2},
        failover={"mode": "automatic"},
        designs=[design],
        scenarios=[{"name": "fault", "scheduled": [
            {**fault, "at_s": FAULT_AT, "duration_s": 7200.0}]}],
    )


def _write_rto(study, run: int) -> tuple[float, object]:
    rec = simulate(study, "d", "fault", run).rec
    metrics, _ = run_metrics(rec)
    return metrics["rto_write_s"], rec


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(DESIGNS))
def test_an_az_failover_behind_route53_costs_the_endpoint_ttl_not_the_record_ttl(
        make_study, kind):
    """Route 53 with TTL 300 s in front: the client RTO of an AZ outage stays within
    a few seconds of the same design without Route 53 (same seed)."""
    fault = {"kind": "az_outage", "target": "primary_az"}
    plain = _study(make_study, kind, None, fault)
    fronted = _study(make_study, kind, {"ttl_s": 300.0}, fault)
    for run in range(5):
        without, _ = _write_rto(plain, run)
        with_r53, rec = _write_rto(fronted, run)
        assert without < 60.0  # an in-Region failover (S2, S9)
        assert abs(with_r53 - without) <= 5.0, (run, without, with_r53)
        # the record itself never failed over: the primary Region stayed healthy
        assert not [e for e in rec.control if e.event == "dns_health_changed"]


@pytest.mark.slow
def test_a_region_outage_still_pays_detection_propagation_and_the_record_ttl(make_study):
    """Clients move to the secondary only when their cached record answer expires."""
    ttl = 300.0
    study = _study(make_study, "rds_multi_az_cluster", {"ttl_s": ttl},
                   {"kind": "region_outage", "target": "primary_region"},
                   clients="us-west-2", horizon_s=FAULT_AT + 94.0 + 30.0 + ttl + 60.0)
    waits = []
    for run in range(5):
        rto, rec = _write_rto(study, run)
        updated = [e.time_s for e in rec.control
                   if e.event == "endpoint_updated" and e.detail.startswith("d.route53 ->")]
        assert updated
        switch = updated[0] - FAULT_AT
        assert 64.0 + 30.0 - 0.1 < switch <= 94.0 + 30.0 + 0.1  # detection + propagation
        assert switch <= rto <= switch + ttl + 10.0
        waits.append(rto - switch)
    assert np.mean(waits) > 30.0  # the cached record answer, up to one TTL
