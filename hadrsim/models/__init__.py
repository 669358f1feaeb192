"""AWS designs assembled from the generic engine, with calibrated defaults."""

from hadrsim.models.deployment import Deployment
from hadrsim.models.designs import DesignSpec
from hadrsim.models.rds import build_rds


def build_design(world, net, study, design) -> Deployment:
    """Build any design kind of the study into ``world``."""
    return build_rds(world, net, study, design)


__all__ = ["Deployment", "DesignSpec", "build_design"]
