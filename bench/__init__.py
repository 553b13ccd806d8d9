"""The benchmark (`make bench`): see run.py and docs/performance.md."""
