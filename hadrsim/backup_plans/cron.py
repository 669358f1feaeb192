"""Moved to :mod:`hadrsim.spec.cron` (issue 13); this alias goes once no import uses it."""

import sys

from hadrsim.spec import cron as _moved

sys.modules[__name__] = _moved
