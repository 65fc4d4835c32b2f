"""Helpers of scripts/bench.py: corpus, static server, baselines, measurements (not part of the package)."""
