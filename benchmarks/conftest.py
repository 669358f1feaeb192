"""Benchmarks: run with ``python -m pytest benchmarks --benchmark-only``.

They sit apart from the test suite (``testpaths = tests``) and hold the speed
targets of the project; figures are reported in the issue notes.
"""
