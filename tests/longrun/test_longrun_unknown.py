"""What nobody observed is reported as unknown, never as 0 downtime or 100% availability."""

from __future__ import annotations

import pytest

from hadrsim.longrun import long_run
from hadrsim.spec.loader import parse_study

pytestmark = pytest.mark.slow


def _study(faults: list[dict]) -> dict:
    return {
        "name": "unseen", "seed": 2,
        "workload": {"observed_clients": 2, "idle_interval_s": 600,
                     "client_regions": ["us-east-1"]},
        "designs": [{"name": "single", "kind": "rds_single_az"}],
        "scenarios": [{"name": "faults", "stochastic": faults}],
        "longrun": {"years": 1, "runs": 20,
                    "library": {"min_episodes": 2, "max_episodes": 2, "max_compound": 2},
                    "downtime_cost_usd_per_min": 1},
    }


def test_a_region_outage_with_every_client_in_it_leaves_availability_unknown():
    """The design's only Region and all its clients go down together: no client is left
    to see the outage, so availability, downtime, SLA months and cost are unknown."""
    study = parse_study(_study([{"kind": "region_outage", "target": "primary_region",
                                 "mttf_h": 2000, "mttr_h": 1}]))
    design = long_run(study, workers=1).to_json()["designs"][0]
    assert design["availability"] is None and design["downtime_min_per_year"] is None
    assert design["p_meets_sla"] is None and design["incident_cost_usd_per_year"] is None
    assert "no surviving client" in design["unknown"][0]
    assert design["incidents_per_year"]["mean"] > 0  # what is known is still reported


def test_a_design_no_class_applies_to_is_not_reported_as_always_up():
    data = _study([{"kind": "instance_crash", "target": "standby", "mttf_h": 2000,
                    "mttr_h": 1}])
    data["designs"].append({"name": "maz", "kind": "rds_multi_az_instance"})
    design = long_run(parse_study(data), workers=1, designs=["single"]).to_json()["designs"][0]
    assert design["availability"] is None and design["p_meets_sla"] is None
    assert design["unknown"] == ["no fault class applies to this design: nothing was measured"]
