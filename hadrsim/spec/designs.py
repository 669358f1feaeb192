"""The ``designs`` entry of a study: a union of every registered design kind's spec.

The union is not written out: it is built from :mod:`hadrsim.spec.kinds` each time the
study schema is (re)built, so a kind registered by a plug-in is validated, listed by
``hadrsim schema`` and reported in errors like a built-in one. Pydantic picks the member
by the ``kind`` field (a discriminated union), so a design's errors are located at
``designs.N.<kind>.<field>``.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema

from hadrsim.spec.kinds import kinds

__all__ = ["DesignSpec", "design_union"]


def design_union() -> Any:
    """The discriminated union of the registered kinds' specs, as a type."""
    specs = tuple(kind.spec for kind in kinds())
    members = Union[specs] if len(specs) > 1 else specs[0]  # noqa: UP007 (built at run time)
    return Annotated[members, Field(discriminator="kind")]


class DesignSpec:
    """A study's design: any registered kind (see the module docstring)."""

    @classmethod
    def __get_pydantic_core_schema__(cls, _source: Any, handler: GetCoreSchemaHandler
                                     ) -> CoreSchema:
        return handler.generate_schema(design_union())
