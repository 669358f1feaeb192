"""Names and tags of the AWS resources hadrsim builds: shared by plan, apply, destroy,
the FIS export (targets by tag) and discover.

Every resource carries ``hadrsim:study``, ``hadrsim:design`` and, for database
instances, ``hadrsim:node`` (the simulator's node name, so a fault target ``node:NAME``
maps to one resource) and ``hadrsim:role`` (primary, standby, replica, reader,
secondary). Identifiers are ``<study>-<design>[-<suffix>]`` lowercased to what RDS
accepts: letters, digits and hyphens, starting with a letter, at most 63 characters.
"""

from __future__ import annotations

import re

__all__ = ["MANAGED_TAG", "identifier", "tag_list", "tags_of"]

MANAGED_TAG = "hadrsim:managed"


def identifier(study: str, design: str, suffix: str = "") -> str:
    """An RDS-safe identifier for a resource of ``design`` in ``study``."""
    raw = "-".join(part for part in (study, design, suffix) if part)
    clean = re.sub(r"[^a-z0-9-]+", "-", raw.lower())
    clean = re.sub(r"-{2,}", "-", clean).strip("-")
    if not clean or not clean[0].isalpha():
        clean = f"h-{clean}"
    return clean[:63].rstrip("-")


def tags_of(study: str, design: str, **extra: str) -> dict[str, str]:
    """The tags every resource of a design carries (extra: ``node=``, ``role=``)."""
    tags = {MANAGED_TAG: "true", "hadrsim:study": study, "hadrsim:design": design}
    tags.update({f"hadrsim:{key}": value for key, value in extra.items()})
    return tags


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    """``[{"Key": ..., "Value": ...}]``, the shape RDS, DynamoDB and DMS take."""
    return [{"Key": key, "Value": value} for key, value in tags.items()]
