"""Benchmarks: they print their figures; results go to bench/RESULTS.md with the command that made them."""
