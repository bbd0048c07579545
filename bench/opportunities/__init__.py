"""Benchmarks of the opportunities service: `python -m bench.opportunities [--quick]`."""
