"""AWS designs assembled from the generic engine, with calibrated defaults.

This package registers the models layer's hooks of the built-in design kinds
(:mod:`hadrsim.spec.kinds`): ``build`` (the simulator deployment) and ``price`` (monthly
cost lines). :func:`build_design` finds a design's builder through the registry.
"""

from hadrsim.models.aurora import build_aurora, build_aurora_global
from hadrsim.models.deployment import Deployment
from hadrsim.models.dynamodb import build_dynamodb
from hadrsim.models.pricing import aurora_cost_lines, dynamodb_cost_lines, rds_cost_lines
from hadrsim.models.rds import build_multi_az_cluster, build_multi_az_instance, build_single_az
from hadrsim.spec.designs import DesignSpec
from hadrsim.spec.kinds import extend_kind, hook

extend_kind("rds_single_az", build=build_single_az, price=rds_cost_lines)
extend_kind("rds_multi_az_instance", build=build_multi_az_instance, price=rds_cost_lines)
extend_kind("rds_multi_az_cluster", build=build_multi_az_cluster, price=rds_cost_lines)
extend_kind("aurora", build=build_aurora, price=aurora_cost_lines)
extend_kind("aurora_global", build=build_aurora_global, price=aurora_cost_lines)
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
