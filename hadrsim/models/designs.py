"""The union of every design kind a study file may name."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hadrsim.models.rds_spec import RdsMultiAzCluster, RdsMultiAzInstance, RdsSingleAz

DesignSpec = Annotated[
    RdsSingleAz | RdsMultiAzInstance | RdsMultiAzCluster,
    Field(discriminator="kind"),
]
