"""DR tiers inferred from what a design keeps outside its Region; a label wins."""

from __future__ import annotations

from pathlib import Path

from hadrsim.spec.kinds import dr_tier_of as ha_architecture_of
from hadrsim.spec.loader import load_study

ROOT = Path(__file__).resolve().parents[2]


def test_unlabelled_dr_tier_designs_get_the_tier_the_study_labels_them():
    study = load_study(ROOT / "experiments" / "dr-tiers.yaml")
    for design in study.designs:
        label = design.ha_architecture
        assert ha_architecture_of(design) == (label, "label")
        unlabelled = design.model_copy(update={"ha_architecture": None})
        assert ha_architecture_of(unlabelled) == (label, "inferred"), design.name


def test_single_region_designs_have_no_dr_tier(make_study):
    study = make_study(designs=[
        {"name": "maz", "kind": "rds_multi_az_instance"},
        {"name": "same-region-replica", "kind": "rds_single_az",
         "replicas": [{"region": "us-east-1"}]},
        {"name": "aurora", "kind": "aurora"},
    ])
    for design in study.designs:
        assert ha_architecture_of(design) == (None, "single-Region")
