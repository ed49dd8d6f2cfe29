"""Benchmarks: every hot path as a ratio against its raw baseline (``python -m bench run``)."""
