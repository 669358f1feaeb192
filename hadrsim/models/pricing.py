"""Estimated monthly cost of a design from a price table.

Defaults are calibration.md section 14 (us-east-1, on-demand, USD, as dated
there); a user file (YAML mapping of the same keys) overrides any of them.
The estimate covers what differs between HA/DR designs: instances (a Multi-AZ
instance is billed twice, S41), storage, Aurora I/O and replicated writes,
DynamoDB request units and replicated writes, cross-Region transfer of the
change stream, and Route 53 health checks. It is a planning figure, not a bill.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hadrsim.spec.kinds import hook

HOURS_PER_MONTH = 730.0
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600.0

# calibration.md section 14 (us-east-1 on-demand USD; sources and dates there)
DEFAULT_PRICES: dict[str, float] = {
    "rds_instance_per_h": 0.225,           # db.r6g.large PostgreSQL Single-AZ (S41, 2025)
    "rds_storage_gb_month": 0.115,         # gp3 (2026); Multi-AZ pays it twice
    "rds_backup_gb_month": 0.095,          # beyond the free 100% of provisioned storage
    "aurora_instance_per_h": 0.26,         # db.r6g.large Aurora PostgreSQL (2025-26)
    "aurora_storage_gb_month": 0.10,       # S42
    "aurora_io_per_million": 0.20,         # S42
    "aurora_replicated_write_io_per_million": 0.20,  # Global Database (S42)
    "dynamodb_write_per_million": 0.625,   # on-demand (prices of 1 Nov 2024)
    "dynamodb_read_per_million": 0.125,
    "dynamodb_replicated_write_per_million": 0.625,
    "dynamodb_storage_gb_month": 0.25,
    "inter_region_transfer_gb": 0.02,
    "route53_health_check_month": 0.50,    # AWS endpoint; fast interval +1 USD
    "route53_fast_check_extra_month": 1.00,
    "dms_instance_per_h": 0.154,           # dms.c5.large (ASM, verify)
    "change_record_bytes": 512.0,          # ASM: bytes a write adds to the change stream
}


def load_prices(path: str | Path | None = None) -> dict[str, float]:
    """The default table, overridden by a YAML file of ``key: price`` (unknown keys refused)."""
    prices = dict(DEFAULT_PRICES)
    if path is None:
        return prices
    data = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a price file is a mapping of key: price")
    for key, value in data.items():
        if key not in prices:
            raise ValueError(f"{path}: {key}: unknown price; known: {sorted(prices)}")
        if not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{path}: {key}: value {value!r}: a price is a number >= 0")
        prices[key] = float(value)
    return prices


def monthly_cost(design: Any, workload: Any, prices: dict[str, float]) -> dict[str, float]:
    """Cost lines (USD/month) of one design under the study's workload, and their total.

    The kind's ``price`` hook (registry) gives its own lines; a Route 53 failover record in
    front of any design adds its health check.
    """
    lines = dict(hook(design, "price")(design, Usage(workload, prices), prices))
    route53 = getattr(design, "route53", None)
    if route53 is not None:
        checkers = 1.0  # one health check (Route 53 runs it from many Regions)
        extra = prices["route53_fast_check_extra_month"] if route53.request_interval_s == 10 else 0
        lines["route53"] = checkers * (prices["route53_health_check_month"] + extra)
    lines["total"] = sum(lines.values())
    return {k: round(v, 2) for k, v in lines.items()}


class Usage:
    """What a workload does in a month, as price hooks need it."""

    def __init__(self, workload: Any, prices: dict[str, float]):
        self.writes_month = workload.write_rate_per_s * SECONDS_PER_MONTH
        self.reads_month = workload.read_rate_per_s * SECONDS_PER_MONTH
        self.stream_gb = self.writes_month * prices["change_record_bytes"] / 1e9


def rds_cost_lines(design: Any, use: Usage, prices: dict[str, float]) -> dict[str, float]:
    """Instances and storage per copy and replica, cross-Region streams, backup copies."""
    copies = {"rds_single_az": 1, "rds_multi_az_instance": 2, "rds_multi_az_cluster": 3}[
        design.kind]
    gb = design.allocated_storage_gb
    lines = {
        "instances": (copies + len(design.replicas)) * prices["rds_instance_per_h"]
        * HOURS_PER_MONTH,
        "storage": (copies + len(design.replicas)) * gb * prices["rds_storage_gb_month"],
    }
    remote = [r for r in design.replicas if r.region != design.region]
    copies_out = len(remote) + (1 if design.backups.copy_to_region else 0)
    lines["cross_region_transfer"] = copies_out * use.stream_gb * prices[
        "inter_region_transfer_gb"]
    if design.backups.copy_to_region:
        lines["backup_copy_storage"] = gb * prices["rds_backup_gb_month"]
    return lines


def aurora_cost_lines(design: Any, use: Usage, prices: dict[str, float]) -> dict[str, float]:
    """Instances, one storage volume per cluster, I/O, replicated write I/O and streams."""
    clusters = 1 + len(getattr(design, "secondaries", []))
    instances = 1 + len(design.readers) + (clusters - 1)
    lines = {
        "instances": instances * prices["aurora_instance_per_h"] * HOURS_PER_MONTH,
        "storage": clusters * design.allocated_storage_gb * prices["aurora_storage_gb_month"],
        "io": use.writes_month / 1e6 * prices["aurora_io_per_million"],
    }
    if clusters > 1:
        lines["replicated_write_io"] = (clusters - 1) * use.writes_month / 1e6 * prices[
            "aurora_replicated_write_io_per_million"]
        lines["cross_region_transfer"] = (clusters - 1) * use.stream_gb * prices[
            "inter_region_transfer_gb"]
    return lines


def dynamodb_cost_lines(design: Any, use: Usage, prices: dict[str, float]) -> dict[str, float]:
    """Requests, replicated writes, storage per replica Region and streams.

    Replicas only: an MRSC witness Region holds no table and calibration.md gives it no
    price, so 2 replicas + witness cost what 2 MREC replicas cost here.
    """
    regions = len(design.regions or [])
    return {
        "writes": use.writes_month / 1e6 * prices["dynamodb_write_per_million"],
        "replicated_writes": (regions - 1) * use.writes_month / 1e6 * prices[
            "dynamodb_replicated_write_per_million"],
        "reads": use.reads_month / 1e6 * prices["dynamodb_read_per_million"],
        "storage": regions * design.table_gb * prices["dynamodb_storage_gb_month"],
        "cross_region_transfer": (regions - 1) * use.stream_gb * prices[
            "inter_region_transfer_gb"],
    }
