"""Imported once by the extraction pool's forkserver, before it forks any worker.

py3langid loads its 74 MiB model on first use; loaded here, every worker shares the one copy (copy-on-write)
instead of loading its own after the fork. Not imported by the main process, which never detects languages.
"""

from __future__ import annotations

import gc

import py3langid

import aggregator.extract  # noqa: F401  (trafilatura, lxml and the parser, imported once for every worker)

py3langid.classify("warm-up: loads the language model")
# Objects made so far live for the life of every worker: keep them out of the collector's scans, whose
# writes to object headers would copy the shared pages into each worker.
gc.collect()
gc.freeze()
