"""Benchmarks: `python -m bench.run` prints them all as one table."""
