"""The long-run view: yearly availability, downtime, SLA months and loss per design.

:func:`long_run` measures each fault class's impact with the full model (the
episode library) and draws many years of fault occurrences that resample it
(a vectorised renewal Monte Carlo); see :mod:`hadrsim.longrun.view`.
"""

from hadrsim.longrun.view import LongRun, long_run

__all__ = ["LongRun", "long_run"]
