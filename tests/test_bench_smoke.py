"""Smoke run of the benchmark (scripts/bench.py --quick): every phase runs and reports sane numbers.

The targets themselves are not checked here (tiny sizes say nothing about them); the full benchmark is
`scripts/bench`. Needs nginx (installed by the benchmark with apt-get when missing and run as root) and
reader 3.x in a venv of its own under ~/.cache/aggregator-bench (created on first use, from PyPI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "scripts" / "bench.py"


def _nginx_available() -> bool:
    if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
        return True
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    if not _nginx_available():
        pytest.skip("nginx is not installed and cannot be installed here (needs root and apt-get)")
    out = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--out", str(out)],
        capture_output=True, text=True, timeout=280, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "met?" in done.stdout  # the table was printed
    return json.loads(out.read_text())


def test_every_phase_ran_without_error(results: dict) -> None:
    assert "error" not in results
    assert not results.get("phase_errors"), results.get("phase_errors")
    for section in ("corpus", "ingest", "repoll", "fulltext", "storage", "search", "memory", "sustained", "table"):
        assert section in results, section


def test_ingest_compares_like_with_like(results: dict) -> None:
    corpus = results["corpus"]
    expected = corpus["article_pages"]  # every entry of every feed links one page
    ingest = results["ingest"]
    for tool in ("aggregator", "reader"):
        assert ingest[tool]["entries"] == expected, tool
        assert ingest[tool]["feeds_per_s"] > 0
        assert ingest[tool]["server"]["by_status"] == {"200": corpus["feeds"]}, tool
    assert ingest["ratio"] > 0


def test_repoll_is_all_304_for_both(results: dict) -> None:
    repoll = results["repoll"]
    feeds = results["corpus"]["feeds"]
    for tool in ("aggregator", "reader"):
        assert repoll[tool]["server"]["by_status"] == {"304": feeds}, tool
    assert repoll["ratio"] > 0


def test_fulltext_extracts_every_page_and_has_a_cpu_limit(results: dict) -> None:
    full = results["fulltext"]
    pages = results["corpus"]["article_pages"]
    assert full["pages"] == pages
    assert full["aggregator"]["extracted"] == pages
    assert full["cpu_limit"]["extracted"] == pages
    assert full["cpu_limit"]["articles_per_s"] > 0
    # The limit is plain trafilatura; our own extraction call is measured beside it, and the ratio of the two
    # is the overhead per page.
    assert full["cpu_limit"]["halves_articles_per_s"] and full["extract_article"]["kind"] == "pipeline"
    assert full["extract_article"]["extracted"] == pages
    # both measured on the same pages, interleaved slice by slice: the ratio of their times
    beside = full["trafilatura_beside_it"]
    assert beside["kind"] == "trafilatura" and beside["extracted"] == pages
    assert full["extraction_cost_ratio"] == pytest.approx(
        beside["articles_per_s"] / full["extract_article"]["articles_per_s"])
    assert 0 < full["ratio"] < 10


def test_storage_and_search_figures(results: dict) -> None:
    assert results["storage"]["bytes_per_article"] > 1000  # full text, FTS and the kept page at least
    search = results["search"]
    small, middle, large = search["sizes"]
    assert search["expand"]["rows"] == large
    for rows in (small, middle, large):
        for page in ("search", "latest", "table_search", "table_latest"):
            for timed in (page, f"{page}_json"):
                timing = search[str(rows)][timed]
                assert 0 < timing["p50_ms"] <= timing["p95_ms"] < 60_000, (rows, timed)
    # reader searched the middle archive's entries, every one of them, with the same queries
    assert search["reader_fill"]["entries"] == middle
    assert search["reader"]["p95_ms"] > 0 and len(search["reader"]["results"]) == len(search["words"])


def test_memory_phase_sampled_the_daemon(results: dict) -> None:
    memory = results["memory"]
    assert not memory["exited_early"]
    assert memory["samples"] >= 5
    assert 20 < memory["peak_main_rss_mib"] < 4096
    assert memory["peak_tree_rss_mib"] >= memory["peak_main_rss_mib"]
    assert memory["polls"] >= memory["feeds"]  # every feed polled at least once
    # Then idle: the worker pool let go, the tree sampled a while longer, and the daemon with no feeds too.
    idle, bare = memory["idle"], memory["no_feeds"]
    assert idle["seconds"] >= 2 and 20 < idle["main_pss_mib"] <= idle["tree_pss_mib"] < memory["peak_tree_pss_mib"]
    assert 20 < bare["main_pss_mib"] < 4096
    assert 0 < memory["peak_main_pss_share_mib"] <= memory["peak_tree_pss_mib"]


def test_sustained_phase_polled_the_due_feeds_on_time(results: dict) -> None:
    sustained = results["sustained"]
    assert not sustained["exited_early"]
    assert sustained["due"] > 10 and sustained["polls"] > 10
    assert sustained["polls_not_modified"] >= sustained["polls"] - sustained["changing_feeds"]  # mostly 304s
    assert sustained["poll_errors"] == 0
    assert 0 <= sustained["lag_p50_s"] <= sustained["lag_p95_s"] <= sustained["lag_max_s"] < 60
    assert sustained["samples"] >= 5 and sustained["pss_peak_mib"] >= sustained["pss_typical_mib"] > 20
    assert sustained["cpu_per_wall_s"] > 0 and sustained["archive_growth_bytes"] >= 0


def test_table_has_a_row_per_target(results: dict) -> None:
    metrics = " ".join(row["metric"] for row in results["table"])
    for part in ("1. ingest", "2. re-poll", "3. full text", "4. ranked search", "4. latest", "4a. flat with size",
                 "4b. ranked search", "4c. rendering", "5. tree PSS at peak", "tree PSS idle", "6. storage",
                 "8. sustained"):
        assert part in metrics
