"""AWS designs assembled from the generic engine, with calibrated defaults."""

from hadrsim.models.aurora import build_aurora
from hadrsim.models.deployment import Deployment
from hadrsim.models.designs import DesignSpec
from hadrsim.models.dynamodb import build_dynamodb
from hadrsim.models.rds import build_rds

_BUILDERS = {
    "rds_single_az": build_rds,
    "rds_multi_az_instance": build_rds,
    "rds_multi_az_cluster": build_rds,
    "aurora": build_aurora,
    "aurora_global": build_aurora,
    "dynamodb_global_table": build_dynamodb,
}


def build_design(world, net, study, design) -> Deployment:
    """Build any design kind of the study into ``world``.

    The deployment keeps its spec: fault applicability is decided from it
    (:mod:`hadrsim.models.applicability`) before any fault is recorded.
    """
    deployment = _BUILDERS[design.kind](world, net, study, design)
    deployment.design = design
    return deployment


__all__ = ["Deployment", "DesignSpec", "build_design"]
