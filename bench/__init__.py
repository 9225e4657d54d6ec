"""Benchmarks for tap-moco (`make bench`): figures next to their goals, never timed tests."""
