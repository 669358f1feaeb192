"""Strict JSON out: what every ``--json`` file holds (no NaN, no infinities)."""

from __future__ import annotations

import json
import math
from typing import Any


def strict_json(value: Any) -> Any:
    """NaN and infinities become null: strict JSON readers reject them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def to_json(document: Any) -> str:
    """The exact text the CLI's ``--json`` files hold (strict JSON, indent 2)."""
    return json.dumps(strict_json(document), indent=2, allow_nan=False)
