"""Moved to :mod:`hadrsim.spec.aurora` (issue 13); this alias goes once no import uses it."""

import sys

from hadrsim.spec import aurora as _moved

sys.modules[__name__] = _moved
