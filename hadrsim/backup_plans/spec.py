"""Moved to :mod:`hadrsim.spec.backup_plans` (issue 13); this alias goes once no import uses it."""

import sys

from hadrsim.spec import backup_plans as _moved

sys.modules[__name__] = _moved
