"""Give freed heap back to the system: a worker's after each job, the main process's when the pool goes idle.

lxml's trees (feeds, article pages) and the main process's transient objects are freed to glibc's malloc,
which keeps the pages: between jobs a worker held tens of MiB it no longer used, and the main process kept its
busy period's high-water mark through the idle time after it.
Imported by the parse workers: nothing heavy here.
"""

from __future__ import annotations

import ctypes


def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    try:
        return ctypes.CDLL(None).malloc_trim  # the process's own symbols: glibc's, when it is glibc
    except (OSError, AttributeError):
        return None


_trim = _malloc_trim()


def trim_heap() -> None:
    if _trim is not None:
        _trim(0)
