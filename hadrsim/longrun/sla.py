"""The monthly uptime SLA AWS publishes for each design kind (calibration section 11).

SLAs are service-credit thresholds, not expected availability; the long-run view
asks how often a month falls below one. ``--sla`` / ``longrun.sla_pct`` replaces
them for every design.
"""

from __future__ import annotations

from typing import Any

# calibration 11: S27 (RDS), S28 (Aurora), S29 (DynamoDB)
RDS_SINGLE_AZ_SLA = 99.5        # S27: RDS Single-DB instance
RDS_MULTI_AZ_SLA = 99.95        # S27: Multi-AZ instance and Multi-AZ DB cluster
AURORA_MULTI_AZ_SLA = 99.99     # S28: Aurora with a replica in another AZ
AURORA_SINGLE_AZ_SLA = 99.9     # S28
DYNAMODB_SLA = 99.99            # S29: one Region
DYNAMODB_GLOBAL_SLA = 99.999    # S29: global tables


def aws_sla_pct(design: Any) -> float | None:
    """The published monthly SLA of ``design``'s kind (None for a kind AWS has none for)."""
    kind = design.kind
    if kind == "rds_single_az":
        return RDS_SINGLE_AZ_SLA
    if kind in ("rds_multi_az_instance", "rds_multi_az_cluster"):
        return RDS_MULTI_AZ_SLA
    if kind in ("aurora", "aurora_global"):
        return AURORA_MULTI_AZ_SLA if getattr(design, "readers", None) else AURORA_SINGLE_AZ_SLA
    if kind == "dynamodb_global_table":
        regions = getattr(design, "regions", None) or []
        return DYNAMODB_GLOBAL_SLA if len(regions) > 1 else DYNAMODB_SLA
    return None
