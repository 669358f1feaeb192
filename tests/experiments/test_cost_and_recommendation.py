"""Monthly cost from the price table (the recommendation: tests/experiments/test_decision.py)."""

from __future__ import annotations

import pytest

from hadrsim.models.pricing import DEFAULT_PRICES, load_prices, monthly_cost


def test_multi_az_instance_costs_twice_the_single_az_instance(make_study):
    """A Multi-AZ instance bills two instances and two volumes (calibration 14)."""
    study = make_study(designs=[{"name": "one", "kind": "rds_single_az"},
                                {"name": "two", "kind": "rds_multi_az_instance"}])
    one = monthly_cost(study.design("one"), study.workload, DEFAULT_PRICES)
    two = monthly_cost(study.design("two"), study.workload, DEFAULT_PRICES)
    assert one["instances"] == pytest.approx(0.225 * 730, abs=0.01)
    assert two["instances"] == pytest.approx(2 * one["instances"], abs=0.01)
    assert two["storage"] == pytest.approx(2 * one["storage"], abs=0.01)


def test_global_table_pays_replicated_writes_per_extra_region(make_study):
    """Each extra Region replays every write (replicated write request units)."""
    study = make_study(
        workload={"write_rate_per_s": 10.0},
        network={"regions": [{"name": "us-east-1", "azs": ["a1"]},
                             {"name": "us-east-2", "azs": ["b1"]},
                             {"name": "us-west-2", "azs": ["c1"]}],
                 "region_rtt_ms": [{"a": "us-east-2", "b": "us-west-2", "rtt_ms": 50}]},
        designs=[{"name": "g2", "kind": "dynamodb_global_table",
                  "regions": ["us-east-1", "us-west-2"]},
                 {"name": "g3", "kind": "dynamodb_global_table",
                  "regions": ["us-east-1", "us-east-2", "us-west-2"]}],
        scenarios=[{"name": "s", "scheduled": [{"kind": "region_outage", "at_s": 10.0}]}])
    g2 = monthly_cost(study.design("g2"), study.workload, DEFAULT_PRICES)
    g3 = monthly_cost(study.design("g3"), study.workload, DEFAULT_PRICES)
    writes_month = 10.0 * 730 * 3600
    assert g2["writes"] == pytest.approx(writes_month / 1e6 * 0.625, abs=0.01)
    assert g3["replicated_writes"] == pytest.approx(2 * g2["replicated_writes"], abs=0.01)


def test_price_file_overrides_and_refuses_unknown_keys(tmp_path):
    """A user file changes named prices; an unknown key is an error naming it."""
    good = tmp_path / "p.yaml"
    good.write_text("rds_instance_per_h: 0.5\n")
    assert load_prices(good)["rds_instance_per_h"] == 0.5
    bad = tmp_path / "q.yaml"
    bad.write_text("rds_instnce_per_h: 0.5\n")
    with pytest.raises(ValueError, match="rds_instnce_per_h: unknown price"):
        load_prices(bad)
