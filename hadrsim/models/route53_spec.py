"""Moved to :mod:`hadrsim.spec.route53` (issue 13); this alias goes once no import uses it."""

import sys

from hadrsim.spec import route53 as _moved

sys.modules[__name__] = _moved
