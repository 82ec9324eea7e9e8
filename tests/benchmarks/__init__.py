"""Benchmarks for ``make bench``: each ``bench_*.py`` module reports ratios measured in one run."""
