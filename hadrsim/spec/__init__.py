"""Validated study specs (pydantic 2): what a user writes, separate from what runs.

Import from the modules (``hadrsim.spec.loader``, ``hadrsim.spec.study``) or from
the top-level ``hadrsim`` package; this package imports nothing itself, because
design specs (in ``hadrsim.models``) build on its distributions.
"""
