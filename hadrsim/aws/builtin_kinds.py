"""The aws layer's hooks of the built-in design kinds, registered in one place.

Each kind gets ``plan`` (the calls that build it, :mod:`hadrsim.aws.plan`), ``alarms``
(the CloudWatch metrics standing for simulated ones, :mod:`hadrsim.aws.plan_alarms`) and
``fis`` (what FIS can do to its resources, :mod:`hadrsim.aws.fis`); those modules document
each hook's signature. Imported by :mod:`hadrsim.aws`, so any use of the aws layer has them.
A kind added by a third party registers its own hooks the same way; one without ``alarms``
or ``fis`` is still planned (its AWS metrics and FIS export are left out with a note).
"""

from __future__ import annotations

from hadrsim.aws import plan_alarms, plan_dynamodb, plan_rds
from hadrsim.aws.fis_nodes import FisProfile
from hadrsim.spec.kinds import extend_kind

__all__ = ["register"]

_STANDBY = {"hidden_standby": "a Multi-AZ standby is not an addressable DB instance"}
_AURORA = {"storage": "Aurora storage copies are not addressable resources",
           "secondary": "a global secondary cluster's host is not addressable"}
_TABLE = {"table": "DynamoDB is a Regional managed service: it has no host to crash"}


def _fis_single_az(design) -> FisProfile:
    return FisProfile()


def _fis_multi_az_instance(design) -> FisProfile:
    # forceFailover: the standby takes over, as after a host loss
    return FisProfile(primary_crash="forced_reboot", unaddressable=_STANDBY,
                      az_failover="forced_reboot")


def _fis_multi_az_cluster(design) -> FisProfile:
    return FisProfile(
        primary_crash="cluster_failover", az_failover="cluster_failover",
        other_crash_unsupported="RDS reboots a Multi-AZ DB cluster's instances only through "
                                "the cluster (RebootDBCluster), which FIS has no action for")


def _fis_aurora(design) -> FisProfile:
    # with no reader to fail over to, the writer is rebooted in place
    return FisProfile(primary_crash="cluster_failover" if design.readers else "reboot",
                      unaddressable=_AURORA, az_failover="cluster_failover")


def _fis_dynamodb(design) -> FisProfile:
    return FisProfile(unaddressable=_TABLE, global_table=True,
                      no_az="DynamoDB is a Regional service: it hides the loss of an AZ")


def register() -> None:
    """Attach the aws hooks to the six built-in kinds (idempotent)."""
    extend_kind("rds_single_az", plan=plan_rds.plan_single_az,
                alarms=plan_alarms.rds_instance_metrics, fis=_fis_single_az)
    extend_kind("rds_multi_az_instance", plan=plan_rds.plan_multi_az_instance,
                alarms=plan_alarms.rds_instance_metrics, fis=_fis_multi_az_instance)
    extend_kind("rds_multi_az_cluster", plan=plan_rds.plan_multi_az_cluster,
                alarms=plan_alarms.rds_cluster_metrics, fis=_fis_multi_az_cluster)
    extend_kind("aurora", plan=plan_rds.plan_aurora,
                alarms=plan_alarms.aurora_metrics, fis=_fis_aurora)
    extend_kind("aurora_global", plan=plan_rds.plan_aurora_global,
                alarms=plan_alarms.aurora_metrics, fis=_fis_aurora)
    extend_kind("dynamodb_global_table", plan=plan_dynamodb.plan_table,
                alarms=plan_alarms.dynamodb_metrics, fis=_fis_dynamodb)


register()
