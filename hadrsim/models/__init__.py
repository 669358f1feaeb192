"""AWS designs assembled from the generic engine, with calibrated defaults."""

from hadrsim.models.aurora import build_aurora
from hadrsim.models.deployment import Deployment
from hadrsim.models.dynamodb import build_dynamodb
from hadrsim.models.pricing import aurora_cost_lines, dynamodb_cost_lines, rds_cost_lines
from hadrsim.models.rds import build_rds
from hadrsim.spec.designs import DesignSpec
from hadrsim.spec.kinds import extend_kind, hook

for _kind in ("rds_single_az", "rds_multi_az_instance", "rds_multi_az_cluster"):
    extend_kind(_kind, build=build_rds, price=rds_cost_lines)
for _kind in ("aurora", "aurora_global"):
    extend_kind(_kind, build=build_aurora, price=aurora_cost_lines)
extend_kind("dynamodb_global_table", build=build_dynamodb, price=dynamodb_cost_lines)


def build_design(world, net, study, design) -> Deployment:
    """Build any design kind of the study into ``world``.

    The deployment keeps its spec: fault applicability is decided from it
    (:mod:`hadrsim.spec.applicability`) before any fault is recorded.
    """
    deployment = hook(design, "build")(world, net, study, design)
    deployment.design = design
    return deployment


__all__ = ["Deployment", "DesignSpec", "build_design"]
