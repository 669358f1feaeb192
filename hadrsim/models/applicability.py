"""Moved to :mod:`hadrsim.spec.applicability` (issue 13); this alias goes once no import uses it."""

import sys

from hadrsim.spec import applicability as _moved

sys.modules[__name__] = _moved
