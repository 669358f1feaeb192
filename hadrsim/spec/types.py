"""Strict scalar types shared by every spec, and the escaping of control characters.

YAML 1.1 reads ``true``, ``yes`` and ``on`` as booleans, and pydantic's lax mode
turns a boolean into 1 or 0 wherever a number is expected: ``horizon_s: true``
would silently mean one second. :data:`Number` and :data:`Integer` refuse booleans
and accept everything else lax mode accepts (an int where a float is expected, and
``"1e3"``, which PyYAML reads as a string). Names are printed in tables and
messages, so :data:`Name` refuses control characters (ANSI escapes would reach
the terminal raw).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

BOOLEAN_IS_NOT_A_NUMBER = (
    "a boolean is not a number: write the number itself (YAML reads true/false, "
    "yes/no and on/off as booleans)"
)


def _refuse_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(BOOLEAN_IS_NOT_A_NUMBER)
    return value


Number = Annotated[float, BeforeValidator(_refuse_bool)]
"""A float field that accepts ints but not booleans (``Field(ge=...)`` still applies)."""

Integer = Annotated[int, BeforeValidator(_refuse_bool)]
"""An int field that does not take ``true`` for 1."""


def is_control(char: str) -> bool:
    """A character a terminal may act on: C0/C1 controls, DEL, format and line separators."""
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def escape_controls(text: str, keep: str = "") -> str:
    """``text`` with every control character (except those in ``keep``) as ``\\xNN``."""
    if not any(is_control(c) and c not in keep for c in text):
        return text
    return "".join(
        ascii(c)[1:-1] if is_control(c) and c not in keep else c for c in text
    )


def _printable_name(value: str) -> str:
    if any(is_control(c) for c in value):
        raise ValueError(
            "control characters are not allowed in names (they would reach the "
            "terminal); use letters, digits, spaces, '-', '_' or '.'"
        )
    return value


Name = Annotated[str, Field(min_length=1), AfterValidator(_printable_name)]
"""A non-empty name without control characters."""
