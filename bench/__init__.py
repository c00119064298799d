"""Benchmarks: `make bench` (or `python -m bench [name …]`). Never run as tests."""
