"""Moved to the registry (issue 13): :mod:`hadrsim.spec.kinds`. Kept until importers move."""

from hadrsim.spec.kinds import dr_tier_of as ha_architecture_of
from hadrsim.spec.kinds import engine_of

__all__ = ["engine_of", "ha_architecture_of"]
