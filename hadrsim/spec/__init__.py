"""Validated study specs (pydantic 2): what a user writes, separate from what runs.

Start with :mod:`hadrsim.spec.kinds`, the design-kind registry: every ``kind:`` a study
may name is registered there with its spec, node inventory, location resolution,
applicability traits and DR tier, and the later layers (models, aws) attach their hooks
to the same entry. The built-in kinds' specs are :mod:`~hadrsim.spec.rds`,
:mod:`~hadrsim.spec.aurora` and :mod:`~hadrsim.spec.dynamodb`
(:mod:`~hadrsim.spec.builtin_kinds` registers them); :mod:`~hadrsim.spec.study` is the
root of a study file and :mod:`~hadrsim.spec.loader` reads one with field-path errors.

This is the lowest layer: it imports no other hadrsim package (import-linter checks it).
Import from the modules; this package imports nothing itself.
"""
