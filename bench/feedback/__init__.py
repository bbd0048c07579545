"""Benchmarks of the feedback service: `python -m bench.feedback [--events N]`."""
