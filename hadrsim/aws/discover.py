"""``hadrsim discover``: read an existing deployment and write a study that simulates it.

Reading is :mod:`hadrsim.aws.discover_read` (describe/list calls through an injected
:class:`~hadrsim.aws.session.AwsContext`), building is :mod:`hadrsim.aws.discover_build`
(pure). The result is validated with the same loader as any study file, so the YAML of
:meth:`Discovery.to_yaml` is accepted by ``hadrsim validate`` and runs with ``hadrsim run``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from hadrsim.aws.discover_build import build_study, referenced_regions
from hadrsim.spec.loader import SpecError, parse_study

if TYPE_CHECKING:
    from hadrsim.aws.session import AwsContext
    from hadrsim.spec.study import Study

__all__ = ["Discovery", "discover"]


@dataclass
class Discovery:
    """The study found (as data and validated), what was read, and what was assumed."""

    data: dict[str, Any]
    study: Study
    inventory: dict[str, Any] = field(repr=False)
    warnings: list[str] = field(default_factory=list)

    def to_yaml(self) -> str:
        header = [f"# Discovered by hadrsim discover in {', '.join(self.inventory['scanned'])}.",
                  "# Failover timings and lags are hadrsim's calibrated defaults (not read).",
                  *(f"# note: {w}" for w in self.warnings)]
        body = yaml.safe_dump(self.data, sort_keys=False, default_flow_style=False)
        return "\n".join(header) + "\n" + body


def discover(ctx: AwsContext, regions: list[str], name: str | None = None) -> Discovery:
    """Read ``regions`` and build a validated study; AwsError when AWS cannot be read,
    ValueError when nothing is found."""
    from hadrsim.aws.discover_read import read_azs, read_inventory

    inventory = read_inventory(ctx, regions)
    inventory["scanned"] = list(regions)
    for region in sorted(referenced_regions(inventory) - set(inventory["regions"])):
        azs = read_azs(ctx, region)
        if not azs:
            azs = [f"{region}{c}" for c in "abc"]
            inventory["warnings"].append(f"{region} (referenced) could not be read: AZs "
                                         f"assumed {azs}")
        inventory["regions"][region] = azs
    data, warnings = build_study(inventory, name)
    try:
        study = parse_study(data, "<discovered>")
    except SpecError as exc:  # a bug here, not the user's: say what was built
        raise ValueError(f"the discovered study does not validate: {exc}") from None
    return Discovery(data, study, inventory, warnings)

