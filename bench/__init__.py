"""Chorus benchmarks: each runs its baseline beside it and writes `bench/results/<name>.json`."""
