"""The extraction forkserver's preload: it builds what trafilatura builds on first use, and a failure to do so
costs only that head start (the forkserver survives nothing but an ImportError of its preload)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_preload_builds_the_lazy_state_the_workers_share() -> None:
    done = _run(
        """
        import trafilatura.external
        from justext.core import define_stoplist
        assert trafilatura.external.JT_STOPLIST is None and define_stoplist.cache_info().currsize == 0
        import aggregator.workers.preload
        print(len(trafilatura.external.JT_STOPLIST), define_stoplist.cache_info().currsize)
        """
    )
    assert done.returncode == 0, done.stderr
    words, cached = map(int, done.stdout.split())
    assert words > 100_000 and cached == 1


def test_a_failing_warm_up_is_logged_and_the_preload_still_imports() -> None:
    done = _run(
        """
        import aggregator.extract.article as extract

        def broken(body, url):
            raise extract.ExtractionError("no article text found on the page")

        extract.extract_article = broken
        import aggregator.workers.preload
        print("imported")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"
    assert "warming the extraction workers failed" in done.stderr and "no article text found" in done.stderr
