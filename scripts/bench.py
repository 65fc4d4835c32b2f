#!/usr/bin/env python3
"""Speed and memory of aggregator, measured side by side with a baseline in one run.

    scripts/bench                 # the full benchmark (about 15 minutes on 2 cores)
    scripts/bench --quick         # a smoke run in well under a minute (CI)

Every figure that has a target is a ratio or a latency measured in this one run, because the machines are
shared and noisy; absolute throughputs are printed too but are not targets. See README "Performance".

Phases (all on 127.0.0.1; nginx serves a generated corpus with ETag/Last-Modified and precompressed gzip):
  ingest    feed-only ingest (full text off) of N feeds x M entries into an empty archive; baseline: reader 3.x
            update_feeds() on the same corpus into an empty database (in a venv of its own)
  repoll    every feed polled again, every one answered 304; baseline: reader update_feeds(scheduled=False)
  fulltext  full-text ingest of the same entries into an empty archive; baseline: the CPU limit, plain
            trafilatura (bare_extraction with metadata) over the same pages in one process per core; and the
            pipeline's own extraction call (extract_article) over them, whose cost ratio is our overhead
  quality   text F1 on the ScrapingHub benchmark's 181 pages (../shared/data/aeb): extract_article's text against
            plain trafilatura's (the cost work must not lower it); skipped when ../shared is absent
  storage   bytes per archived article of the full-text archive (and where they go)
  search    Datasette latency (p50/p95) of full-text search and of the latest-articles page at three sizes
            (10k, 100k, 1M): p95 at the largest over p95 at the smallest (flat with size), each HTML page's p50
            over the same page as JSON, and the ranked search at the middle size against reader 3.x's
            search_entries over the same corpus and queries (reader fed the archive's entries as feed files)
  memory    memory of `aggregator run` (Datasette included) with many feeds polled every 30 minutes: the process
            tree's PSS at its peak (the first poll of every feed) and while idle between polls (once the worker
            pool has been let go, after a short extract_idle), with the main process's share; and the main
            process with no feeds configured, to show what the feeds cost it
  completeness  a simulated week of four feeds of the local site (steady posts, a burst larger than the window,
            quiet days, edits, a deletion, a move, the window shrinking to 3, an hour of 503s): the share of posts
            published that week archived by `aggregator run` (simulated clock) and by reader 3.x (update_feeds
            every 30 minutes of the same simulated time); not part of the default phases
  sustained `aggregator run` (Datasette on) over 100,000 feeds polled every 30 minutes, for 10 minutes of wall
            time, from an archive seeded at its steady state (every feed polled before, next polls spread over the
            interval; 1% of the feeds have 2 new posts, with full text, the others answer 304): schedule lag
            p50/p95/max, polls/s, CPU and PSS of the process tree, archive growth; not part of the default phases
            (in --quick, 300 feeds every minute for 10 s)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import baseline, corpus, cpu_limit, memory, quality, search, server

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("ingest", "repoll", "fulltext", "quality", "storage", "search", "memory", "completeness", "sustained")
# The sustained phase takes 10 minutes of wall time at full size: asked for by name (--phases sustained), and run
# at its tiny size by --quick.
DEFAULT_PHASES = tuple(p for p in PHASES if p != "sustained")
TARGETS = {
    "ingest_ratio": 6.0,
    "repoll_ratio": 8.0,
    "fulltext_ratio": 0.85,
    "extraction_cost_ratio": 1.25,
    "flat_ratio": 1.3,  # p95 at the largest search size / p95 at the smallest
    "reader_search_ratio": 0.2,  # ranked search p95 / reader's search_entries p95, middle size
    "html_json_ratio": 1.5,  # a page's HTML p50 / the same page as JSON
    "memory_idle_pss_mib": 250.0,
    "memory_peak_pss_mib": 450.0,
    "sustained_lag_p95_s": 60.0,
}


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run for CI (well under a minute)")
    parser.add_argument("--out", type=Path, default=Path("bench-results.json"), help="JSON result file")
    parser.add_argument("--phases", help=f"comma-separated subset of {','.join(PHASES)} [all but sustained; quick: "
                        "all]")
    parser.add_argument("--feeds", type=int, help="feeds in the corpus [500; quick 8]")
    parser.add_argument("--entries", type=int, help="entries per feed (>= 10) [20; quick 10]")
    parser.add_argument("--real-fraction", type=float, default=0.25,
                        help="share of article pages taken from the real pages in ../shared when present [0.25]")
    parser.add_argument("--search-rows",
                        help="three archive sizes for the search phase; the third a multiple of the second "
                             "[10000,100000,1000000; quick 300,1000,3000]")
    parser.add_argument("--queries", type=int, help="search queries and latest-page requests per size [50; quick 10]")
    parser.add_argument("--memory-feeds", type=int, help="configured feeds for the memory phase [10000; quick 100]")
    parser.add_argument("--memory-seconds", type=float,
                        help="longest run of the daemon in the memory phase (it ends after --memory-idle-sample "
                             "seconds of idle) [900; quick 60]")
    parser.add_argument("--memory-extract-idle", type=float,
                        help="the daemon's extract_idle setting in the memory phase, seconds [15; quick 2]")
    parser.add_argument("--memory-idle-sample", type=float,
                        help="seconds of idle sampled once the worker pool has been let go [30; quick 4]")
    parser.add_argument("--memory-no-serve", action="store_true", help="run the daemon with --no-serve")
    parser.add_argument("--sustained-feeds", type=int,
                        help="configured feeds of the sustained phase [100000; quick 300]")
    parser.add_argument("--sustained-seconds", type=float, help="wall time of the sustained phase [600; quick 10]")
    parser.add_argument("--sustained-interval", type=float, help="poll interval of the sustained phase, seconds "
                        "[1800; quick 60]")
    parser.add_argument("--serial", action="store_true",
                        help="do not build the search archives while the memory phase runs (slower)")
    parser.add_argument("--concurrency", type=int, default=50,
                        help="aggregator concurrency and per_host_concurrency (all feeds are on one host) [50]")
    parser.add_argument("--reader-workers", type=int, default=None,
                        help="reader update_feeds(workers=) [the --concurrency value]")
    parser.add_argument("--repeat", type=int, help="runs of ingest and re-poll per tool, the best kept [2; quick 1]")
    parser.add_argument("--profile", type=Path, help="also write cProfile stats of aggregator's timed polls here")
    parser.add_argument("--workdir", type=Path, help="working directory (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument("--reuse-search", action="store_true",
                        help="reuse the search archives a kept --workdir holds when their sizes match (they are "
                             "migrated to the current schema as `aggregator serve` would); build them otherwise")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "feeds": (500, 8), "entries": (20, 10), "search_rows": ("10000,100000,1000000", "300,1000,3000"),
        "queries": (50, 10), "memory_feeds": (10000, 100), "memory_seconds": (900.0, 60.0),
        "memory_extract_idle": (15.0, 2.0), "memory_idle_sample": (30.0, 4.0), "repeat": (2, 1),
        "sustained_feeds": (100000, 300), "sustained_seconds": (600.0, 10.0), "sustained_interval": (1800.0, 60.0),
        "phases": (",".join(DEFAULT_PHASES), ",".join(PHASES)),
    }
    for key, (full, small) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, small if quick else full)
    args.reader_workers = args.reader_workers or args.concurrency
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(args.phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    sizes = [int(x) for x in args.search_rows.split(",")]
    if len(sizes) != 3 or sizes[2] % sizes[1] or not sizes[0] <= sizes[1] <= sizes[2]:
        parser.error("--search-rows takes three growing sizes, the third a multiple of the second")
    args.search_sizes = sizes
    return args


# -- configs --------------------------------------------------------------------------------------------------


def aggregator_config(path: Path, feed_urls: list[str], *, full_text: bool, concurrency: int,
                      extra: dict[str, object] | None = None, feed_lines: list[str] | None = None) -> Path:
    """A config for the benchmark: private addresses allowed (127.0.0.1), no politeness delays (one host
    serves every feed here), the same concurrency as the baseline's workers."""
    settings: dict[str, object] = {
        "allow_private_networks": True,
        "full_text": full_text,
        "concurrency": concurrency,
        "per_host_concurrency": min(concurrency, 100),
        "article_delay": 0,
        "respect_robots": False,
        "extract_workers": os.cpu_count() or 1,
    }
    settings.update(extra or {})
    lines = ["settings:"]
    lines += [f"  {k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in settings.items()]
    lines.append("feeds:")
    lines += feed_lines if feed_lines is not None else [f"  - {url}" for url in feed_urls]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# -- phases ---------------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.work = workdir
        self.results: dict[str, object] = {}
        self.nginx: server.Nginx | None = None
        self.corpus: corpus.Corpus | None = None
        self.reader_python: Path | None = None

    # setup
    def setup(self) -> None:
        args = self.args
        binary = server.ensure_nginx()
        needs_reader = {"ingest", "repoll", "completeness", "search"} & set(args.phases)
        if needs_reader:
            self.reader_python = baseline.ensure_reader_venv()
        needs_corpus = {"ingest", "repoll", "fulltext", "storage", "memory", "sustained"} & set(args.phases)
        port = server.free_port()
        if needs_corpus:
            started = time.perf_counter()
            self.corpus = corpus.build(self.work / "www", f"http://127.0.0.1:{port}", args.feeds, args.entries,
                                       real_fraction=args.real_fraction)
            summary = self.corpus.summary()
            summary["build_seconds"] = round(time.perf_counter() - started, 1)
            self.results["corpus"] = summary
            log(f"corpus: {summary}")
            (self.work / "feed-urls.txt").write_text("\n".join(self.corpus.feed_urls) + "\n")
            self.nginx = server.Nginx(self.work / "www", self.work / "nginx", port, binary)
            self.nginx.start()
            self.results["server"] = {"nginx": nginx_version(binary), "port": port}

    def close(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()

    def _agg(self, config: Path, db: Path, label: str, timeout: float = 600) -> dict:
        profile = None
        if self.args.profile:
            self.args.profile.mkdir(parents=True, exist_ok=True)
            profile = self.args.profile / f"{label}.prof"
        assert self.nginx is not None
        self.nginx.mark()
        try:
            result = baseline.run_aggregator(config, db, profile, timeout=timeout)
        finally:
            server_side = self.nginx.requests_since_mark()
            if server_side["unexpected"]:
                log(f"  warning: the server answered {server_side['by_status']}")
        result["server"] = server_side
        return result

    def _reader(self, db: Path, mode: str) -> dict:
        assert self.nginx is not None and self.reader_python is not None
        self.nginx.mark()
        result = baseline.run_reader(self.reader_python, db, self.work / "feed-urls.txt", mode,
                                     self.args.reader_workers, timeout=600)
        result["server"] = self.nginx.requests_since_mark()
        if result["server"]["unexpected"]:
            log(f"  warning: the server answered {result['server']['by_status']}")
        return result

    def ingest_and_repoll(self) -> None:
        args, work = self.args, self.work
        assert self.corpus is not None
        urls = self.corpus.feed_urls
        config = aggregator_config(work / "feeds-only.yaml", urls, full_text=False, concurrency=args.concurrency)
        ingest_runs: dict[str, list[dict]] = {"aggregator": [], "reader": []}
        for i in range(args.repeat):
            log(f"ingest {i + 1}/{args.repeat}: reader")
            ingest_runs["reader"].append(self._reader(fresh(work / f"reader-{i}.db"), "ingest"))
            log(f"  reader: {ingest_runs['reader'][-1]['seconds']:.2f} s; aggregator")
            ingest_runs["aggregator"].append(self._agg(config, fresh(work / f"feeds-only-{i}" / "archive.db"),
                                                       f"ingest-{i}"))
            log(f"  aggregator: {ingest_runs['aggregator'][-1]['seconds']:.2f} s")
        if "ingest" in args.phases:
            self.results["ingest"] = summarize_pair(ingest_runs, len(urls), "entries")
        if "repoll" in args.phases:
            repoll_runs: dict[str, list[dict]] = {"aggregator": [], "reader": []}
            rounds = max(args.repeat, 2) if not args.quick else 1
            for i in range(rounds):
                log(f"re-poll {i + 1}/{rounds}: reader, aggregator")
                repoll_runs["reader"].append(self._reader(work / "reader-0.db", "repoll"))
                repoll_runs["aggregator"].append(self._agg(config, work / "feeds-only-0" / "archive.db",
                                                           f"repoll-{i}"))
            self.results["repoll"] = summarize_pair(repoll_runs, len(urls), None)

    def fulltext(self) -> None:
        args, work = self.args, self.work
        assert self.corpus is not None
        urls = self.corpus.feed_urls
        config = aggregator_config(work / "full-text.yaml", urls, full_text=True, concurrency=args.concurrency)
        jobs = [(str(self.corpus.page_file(p)), self.corpus.base_url + p) for p in self.corpus.article_paths]
        # The CPU limit is measured in two halves, one before and one after the pipeline's run, so that a
        # change of the machine's speed during the phase (it is shared) weighs on both sides alike.
        log(f"full text: CPU limit, first half (trafilatura's bare_extraction with metadata over {len(jobs) // 2} "
            f"of {len(jobs)} pages in {os.cpu_count()} processes)")
        first = cpu_limit.measure(jobs[: len(jobs) // 2])
        log(f"  {first['articles_per_s']:.1f} articles/s; aggregator full-text ingest")
        db = fresh(work / "full-text" / "archive.db")
        # A pipeline slower than a quarter of the CPU limit misses the target anyway: stop it there.
        timeout = max(60.0, 8 * first["seconds"] + 30)
        started = time.perf_counter()
        try:
            run = self._agg(config, db, "fulltext", timeout=timeout)
        except baseline.PhaseError as exc:
            # What it managed before the limit, read from its archive (a lower bound of its speed).
            with sqlite3.connect(db) as conn:
                extracted = conn.execute("SELECT count(*) FROM entries WHERE full_text_source = 'page'").fetchone()[0]
                errors = dict(conn.execute(
                    "SELECT substr(extraction_error, 1, 60), count(*) FROM entries WHERE extraction_error IS NOT NULL "
                    "GROUP BY 1 ORDER BY 2 DESC LIMIT 5").fetchall())
            run = {"error": str(exc), "seconds": time.perf_counter() - started, "extracted": extracted,
                   "extraction_errors_by_message": errors, "partial": True}
            log(f"  {exc}; {extracted} articles extracted by then")
        run["articles_per_s"] = run["extracted"] / run["seconds"]
        log(f"  {run['articles_per_s']:.1f} articles/s ({run['extracted']} extracted, "
            f"{run.get('extraction_errors', '?')} errors); CPU limit, second half")
        second = cpu_limit.measure(jobs[len(jobs) // 2 :])
        seconds = first["seconds"] + second["seconds"]
        limit = {"seconds": seconds, "articles": len(jobs), "extracted": first["extracted"] + second["extracted"],
                 "articles_per_s": len(jobs) / seconds, "workers": first["workers"],
                 "halves_articles_per_s": [first["articles_per_s"], second["articles_per_s"]]}
        log(f"  {second['articles_per_s']:.1f} articles/s (both halves: {limit['articles_per_s']:.1f}); the pipeline's "
            "own extraction call (extract_article) over the same pages")
        # Our extraction's own cost against trafilatura's on the same pages, the two interleaved slice by slice.
        pair = cpu_limit.measure_interleaved(jobs)
        own = pair["pipeline"]
        assert isinstance(own, dict)
        log(f"  {own['articles_per_s']:.1f} articles/s, {pair['cost_ratio']:.2f}x trafilatura's cost per page")
        self.results["fulltext"] = {
            "aggregator": run,
            "cpu_limit": limit,
            "ratio": run["articles_per_s"] / limit["articles_per_s"],
            "extract_article": own,
            "trafilatura_beside_it": pair["trafilatura"],
            # cost per page of extract_article over trafilatura's bare_extraction (1.0: no overhead)
            "extraction_cost_ratio": pair["cost_ratio"],
            "pages": len(jobs),
        }

    def quality(self) -> None:
        log("quality: text F1 on the ScrapingHub pages, extract_article and plain trafilatura")
        found = quality.measure()
        if not found:
            log(f"  skipped: {quality.AEB} is absent")
            return
        self.results["quality"] = found
        log(f"  extract_article {found['extract_article']}, trafilatura {found['trafilatura']}")

    def storage(self) -> None:
        db = self.work / "full-text" / "archive.db"
        if not db.exists():
            log("storage: no full-text archive (run the fulltext phase)")
            return
        self.results["storage"] = storage_report(db)

    def search_db(self, rows: int) -> Path:
        return self.work / f"search-{rows}" / "archive.db"

    def search_build(self) -> None:
        """Three archives: the two smaller written through Archive.store_entries, the largest grown from the
        middle one inside SQLite; reader's database of the middle one's entries is filled meanwhile."""
        args = self.args
        small, middle, large = args.search_sizes
        log("search: composing synthetic articles")
        pool = search.TextPool()
        words = pool.query_words(args.queries)
        reader_db = self.work / "reader-search" / "reader.db"
        out: dict[str, object] = {"words": words, "sizes": [small, middle, large]}
        self.results["search"] = out
        if args.reuse_search:
            reused = search.reuse([(self.search_db(n), n) for n in (small, middle, large)])
            if reused is not None and reader_db.exists():
                log(f"search: reusing the archives in {self.work} ({reused['migrated']})")
                out["reused"] = reused
                return
        for rows in (small, middle):
            fresh(self.search_db(rows))
            log(f"search: writing {rows} rows through Archive.store_entries")
            built = search.build(self.search_db(rows), rows, pool)
            log(f"  {built['rows_per_s']:.0f} rows/s")
            out[f"build_{rows}"] = built
        # reader reads the middle archive's entries as RSS files through its own update_feeds (its parser and
        # storage), then builds its search index (update_search): set-up, not timed, run beside the growing.
        feeds_dir = self.work / "reader-search" / "feeds"
        shutil.rmtree(feeds_dir, ignore_errors=True)
        written = search.write_reader_feeds(self.search_db(middle), feeds_dir)
        fresh(reader_db)
        assert self.reader_python is not None
        log(f"search: reader reads {written['entries']} entries from {written['feeds']} feed files and builds its "
            f"search index, while a copy grows to {large} rows inside SQLite")
        filling = baseline.start_reader_search_fill(self.reader_python, reader_db, feeds_dir)
        fresh(self.search_db(large))
        shutil.copy(self.search_db(middle), self.search_db(large))
        grown = search.expand(self.search_db(large), large // middle)
        log(f"  grown in {grown['seconds']:.0f} s")
        out["expand"] = grown
        filled = baseline.finish_reader_search_fill(filling)
        log(f"  reader: update_feeds {filled['update_feeds_seconds']:.0f} s, update_search "
            f"{filled['update_search_seconds']:.0f} s, {filled['entries']} entries")
        out["reader_fill"] = filled

    def search_measure(self) -> None:
        args = self.args
        out = self.results["search"]
        assert isinstance(out, dict)
        sizes = out["sizes"]
        diagnostics = max(3, args.queries // 6)
        for rows in sizes:
            log(f"search: timing Datasette at {rows} rows")
            db = self.search_db(rows)
            measured = search.measure(db, out["words"], args.queries, diagnostics)
            measured["db_bytes"] = db.stat().st_size
            out[str(rows)] = measured
            log("  " + ", ".join(f"{page} p95 {data['p95_ms']:.1f} ms" for page, data in measured.items()
                                 if isinstance(data, dict) and "p95_ms" in data))
            diagnosed = measured.get("diagnostics") or {}
            log("  one click away: " + ", ".join(
                f"{page} p50 {data['p50_ms']:.0f} ms" for page, data in diagnosed.items() if "p50_ms" in data))
        assert self.reader_python is not None
        queries = self.work / "reader-search" / "queries.txt"
        queries.write_text("\n".join(out["words"]) + "\n", encoding="utf-8")
        log(f"search: timing reader's search_entries at {sizes[1]} rows")
        found = baseline.run_reader_search(self.reader_python, self.work / "reader-search" / "reader.db", queries)
        reader_stats = search.summarize_ms(found.pop("times_ms"))
        out["reader"] = {**found, **reader_stats}
        log(f"  reader {found['version']}: search_entries p95 {reader_stats['p95_ms']:.1f} ms "
            f"(p50 {reader_stats['p50_ms']:.1f})")

    def completeness(self) -> None:
        from benchlib import completeness

        assert self.reader_python is not None
        days = 7.0 if not self.args.quick else 2.0
        log(f"completeness: a simulated {days:g} days of {len(completeness.CHAINS)} feeds, aggregator and reader")
        ours = completeness.run_aggregator(self.work, seed=3, interval="30m", days=days)
        theirs = completeness.run_reader(self.reader_python, self.work, seed=3, interval_s=1800, days=days)
        self.results["completeness"] = {"days": days, "aggregator": ours, "reader": theirs}
        log(f"  aggregator archived {ours['archived']}/{ours['published']} ({ours['percent']:.1f}%), "
            f"{ours['gaps']} gaps, {ours['recovered']} posts recovered, {ours['pairs_linked']}/{ours['pairs']} "
            f"pairs linked both ways; reader {theirs['archived']}/{theirs['published']} ({theirs['percent']:.1f}%)")

    def memory(self) -> None:
        args, work = self.args, self.work
        assert self.corpus is not None
        paths = self.corpus.feed_paths
        count = args.memory_feeds
        # Distinct feed URLs beyond the corpus are aliases of its files (?copy=K; nginx ignores the query).
        # Full text only for the first copy of each feed: 10k feeds x 20 new entries each would be 200k
        # pages to extract, far more than minutes allow; the others are feed-only.
        lines = []
        for i in range(count):
            copy, index = divmod(i, len(paths))
            url = self.corpus.base_url + paths[index] + (f"?copy={copy}" if copy else "")
            lines.append(f"  - url: {url}" + ("" if copy == 0 else "\n    full_text: false"))
        # Polled every 30 minutes, as a daemon is: the first poll of every feed is the peak, then it is idle.
        interval = "30m"
        settings = {"interval": interval, "min_interval": interval, "adaptive": False,
                    "extract_idle": args.memory_extract_idle}
        config = aggregator_config(work / "memory.yaml", [], full_text=True, concurrency=args.concurrency,
                                   extra=settings, feed_lines=lines)
        executable = Path(sys.executable).with_name("aggregator")
        empty = aggregator_config(work / "memory-empty.yaml", [], full_text=True, concurrency=args.concurrency,
                                  extra=settings, feed_lines=[])
        log("memory: aggregator run with no feeds, idle")
        bare = memory.run_daemon(executable, empty, fresh(work / "memory-empty" / "archive.db"), 60,
                                 server.free_port(), serve=not args.memory_no_serve,
                                 idle_seconds=args.memory_idle_sample, no_feeds=True)
        db = fresh(work / "memory" / "archive.db")
        log(f"memory: aggregator run with {count} feeds, every {interval}, until idle for "
            f"{args.memory_idle_sample:g} s after extract_idle {args.memory_extract_idle:g} s (at most "
            f"{args.memory_seconds:g} s; {'--no-serve' if args.memory_no_serve else 'with Datasette'})")
        result = memory.run_daemon(executable, config, db, args.memory_seconds, server.free_port(),
                                   serve=not args.memory_no_serve, log_path=work / "memory-daemon.log",
                                   idle_seconds=args.memory_idle_sample)
        result["interval"] = interval
        result["extract_idle"] = args.memory_extract_idle
        result["no_feeds"] = bare["idle"]
        self.results["memory"] = result
        idle = result["idle"] or {}
        log(f"  peak tree PSS {result['peak_tree_pss_mib']:.0f} MiB (main {result['peak_main_pss_share_mib']:.0f}), "
            f"idle tree PSS {idle.get('tree_pss_mib', float('nan')):.0f} MiB (main "
            f"{idle.get('main_pss_mib', float('nan')):.0f}; with no feeds "
            f"{(bare['idle'] or {}).get('main_pss_mib', float('nan')):.0f}); peak RSS main "
            f"{result['peak_main_rss_mib']:.0f} MiB, tree {result['peak_tree_rss_mib']:.0f} MiB; {result['polls']} "
            f"polls, {result['articles_extracted']} articles")

    def sustained(self) -> None:
        from benchlib import sustained

        args, work = self.args, self.work
        assert self.corpus is not None and self.nginx is not None
        log(f"sustained: aggregator run over {args.sustained_feeds} feeds every {args.sustained_interval:g} s for "
            f"{args.sustained_seconds:g} s (seeding the archive first)")
        self.nginx.mark()
        result = sustained.run(
            Path(sys.executable).with_name("aggregator"), work, self.corpus.root, self.corpus.base_url,
            self.corpus.feed_paths, self.corpus.article_paths, args.sustained_feeds, args.sustained_interval,
            args.sustained_seconds, 0.01, args.concurrency, server.free_port(),
        )
        result["server"] = self.nginx.requests_since_mark()
        self.results["sustained"] = result
        log(f"  lag p50/p95/max {result['lag_p50_s']}/{result['lag_p95_s']}/{result['lag_max_s']} s over "
            f"{result['due']} due ({result['due_not_polled']} not polled); {result['polls_per_s']:.1f} polls/s, "
            f"CPU {result.get('cpu_per_wall_s', 0):.2f} s/s, PSS peak {result.get('pss_peak_mib', 0):.0f} MiB "
            f"typical {result.get('pss_typical_mib', 0):.0f} MiB; seeded in {result['seed_seconds']} s")


def summarize_pair(runs: dict[str, list[dict]], feeds: int, per: str | None) -> dict[str, object]:
    best = {tool: min(results, key=lambda r: r["seconds"]) for tool, results in runs.items()}
    out: dict[str, object] = {"runs": runs, "feeds": feeds}
    for tool, result in best.items():
        summary = {"seconds": result["seconds"], "feeds_per_s": feeds / result["seconds"]}
        if per:
            summary["entries"] = result["entries"]
            summary["entries_per_s"] = result["entries"] / result["seconds"]
        summary["server"] = result.get("server")
        out[tool] = summary
    out["ratio"] = out["aggregator"]["feeds_per_s"] / out["reader"]["feeds_per_s"]  # type: ignore[index]
    return out


def storage_report(db: Path) -> dict[str, object]:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        entries = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
        text_bytes = conn.execute(
            "SELECT coalesce(sum(length(CAST(full_text AS BLOB))), 0), "
            "coalesce(sum(length(CAST(content_html AS BLOB))), 0) FROM entries").fetchone()
        owner = {name: table for name, table in conn.execute("SELECT name, tbl_name FROM sqlite_master")}
        breakdown: dict[str, int] = {}
        try:
            for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
                table = owner.get(name, name)
                if name.startswith("sqlite_autoindex_"):
                    table = name.removeprefix("sqlite_autoindex_").rsplit("_", 1)[0]
                group = ("entries_fts (FTS5)" if table.startswith("entries_fts") else
                         f"{table} indexes" if name != table else table)
                breakdown[group] = breakdown.get(group, 0) + size
        except sqlite3.OperationalError:  # SQLite built without dbstat
            breakdown = {}
    size = db.stat().st_size
    return {
        "db_bytes": size,
        "entries": entries,
        "bytes_per_article": size / entries if entries else None,
        "full_text_bytes_per_article": text_bytes[0] / entries if entries else None,
        "content_html_bytes_per_article": text_bytes[1] / entries if entries else None,
        "breakdown_bytes_per_article": {
            k: round(v / entries) for k, v in sorted(breakdown.items(), key=lambda kv: -kv[1])
        } if entries else {},
    }


# -- report ---------------------------------------------------------------------------------------------------


def nginx_version(binary: str) -> str:
    done = subprocess.run([binary, "-v"], capture_output=True, text=True)
    return (done.stderr or done.stdout).strip().split("/")[-1]


def versions(reader_python: Path | None) -> dict[str, object]:
    out: dict[str, object] = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for package in ("aggregator", "feedparser", "trafilatura", "datasette", "sqlite-utils", "aiohttp", "lxml"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    if reader_python is not None:
        done = subprocess.run([str(reader_python), "-c", "import reader; print(reader.__version__)"],
                              capture_output=True, text=True)
        out["reader"] = done.stdout.strip() or None
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "aggregator"],
                               capture_output=True, text=True).stdout.strip()
        out["commit"] = commit + ("+dirty" if dirty else "")
    except OSError:
        out["commit"] = None
    import aggregator

    out["aggregator_path"] = str(Path(aggregator.__file__).parent)
    return out


def machine() -> dict[str, object]:
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpus": os.cpu_count(), "cpu_model": model, "loadavg_at_start": load, "platform": platform.platform()}


def rows(results: dict[str, object], args: argparse.Namespace) -> list[dict[str, object]]:
    """The table: metric, aggregator, baseline, ratio, target, met."""
    table: list[dict[str, object]] = []

    def add(metric: str, value: object, base: object = None, ratio: float | None = None, target: str = "",
            met: bool | None = None, unit: str = "") -> None:
        table.append({"metric": metric, "aggregator": value, "baseline": base, "ratio": ratio, "target": target,
                      "met": met, "unit": unit})

    ingest = results.get("ingest")
    if isinstance(ingest, dict):
        agg, ref = ingest["aggregator"], ingest["reader"]
        add(f"1. ingest {ingest['feeds']} feeds, feeds/s", agg["feeds_per_s"], ref["feeds_per_s"], ingest["ratio"],
            f">= {TARGETS['ingest_ratio']:g}x reader", ingest["ratio"] >= TARGETS["ingest_ratio"])
        add("   ingest entries/s", agg["entries_per_s"], ref["entries_per_s"],
            agg["entries_per_s"] / ref["entries_per_s"])
    repoll = results.get("repoll")
    if isinstance(repoll, dict):
        add("2. re-poll, all 304, feeds/s", repoll["aggregator"]["feeds_per_s"], repoll["reader"]["feeds_per_s"],
            repoll["ratio"], f">= {TARGETS['repoll_ratio']:g}x reader", repoll["ratio"] >= TARGETS["repoll_ratio"])
    full = results.get("fulltext")
    if isinstance(full, dict):
        partial = " (cut at time limit: lower bound)" if full["aggregator"].get("partial") else ""
        add(f"3. full text {full['pages']} pages, articles/s{partial}", full["aggregator"]["articles_per_s"],
            full["cpu_limit"]["articles_per_s"], full["ratio"], f">= {TARGETS['fulltext_ratio']:g}x trafilatura",
            full["ratio"] >= TARGETS["fulltext_ratio"])
        if "extraction_cost_ratio" in full:
            add("   extract_article's cost per page / trafilatura's", full["extract_article"]["articles_per_s"],
                full.get("trafilatura_beside_it", full["cpu_limit"])["articles_per_s"], full["extraction_cost_ratio"],
                f"<= {TARGETS['extraction_cost_ratio']:g}x",
                full["extraction_cost_ratio"] <= TARGETS["extraction_cost_ratio"])
    scored = results.get("quality")
    if isinstance(scored, dict) and "extract_article" in scored:
        ours_f1, plain_f1 = scored["extract_article"]["f1"], scored["trafilatura"]["f1"]
        precision = scored["extract_article"]["precision"]
        add(f"3. text F1, ScrapingHub's {scored['pages']} pages (precision {precision:.3f})", f"{ours_f1:.4f}",
            f"{plain_f1:.4f}", None, ">= trafilatura's", ours_f1 >= plain_f1)
    found = results.get("search")
    if isinstance(found, dict) and "sizes" in found:
        search_rows(add, found)
    mem = results.get("memory")
    if isinstance(mem, dict):
        feeds = mem["feeds"]
        idle, bare = mem.get("idle"), mem.get("no_feeds")
        peak, peak_limit = mem["peak_tree_pss_mib"], TARGETS["memory_peak_pss_mib"]
        add(f"5. tree PSS at peak, {feeds} feeds, MiB (main process {mem['peak_main_pss_share_mib']:.0f})", peak,
            None, None, f"<= {peak_limit:g} MiB", peak <= peak_limit)
        idle_limit = TARGETS["memory_idle_pss_mib"]
        if isinstance(idle, dict):
            add(f"   tree PSS idle between polls, MiB (main process {idle['main_pss_mib']:.0f})",
                idle["tree_pss_mib"], None, None, f"<= {idle_limit:g} MiB", idle["tree_pss_mib"] <= idle_limit)
        else:
            add("   tree PSS idle between polls: never idle (pool not let go)", None, None, None,
                f"<= {idle_limit:g} MiB", False)
        if isinstance(bare, dict) and isinstance(idle, dict):
            add(f"   main process idle PSS, {feeds} feeds (baseline: no feeds), MiB", idle["main_pss_mib"],
                bare["main_pss_mib"])
        add(f"   peak RSS, main process (tree {mem['peak_tree_rss_mib']:.0f}), MiB",
            max(mem["peak_main_rss_mib"], mem["peak_main_hwm_mib"]))
    store = results.get("storage")
    if isinstance(store, dict) and store.get("bytes_per_article"):
        add("6. storage, bytes per archived article", store["bytes_per_article"])
    complete = results.get("completeness")
    if isinstance(complete, dict):
        ours, theirs = complete["aggregator"], complete["reader"]
        add(f"7. completeness, simulated {complete['days']:g} days: posts archived, %", ours["percent"],
            theirs["percent"], None, "100%", ours["percent"] >= 100.0)
        add("   consecutive pairs linked both ways, %", 100 * ours["pairs_linked"] / max(ours["pairs"], 1), None,
            None, "100%", ours["pairs_linked"] == ours["pairs"])
    sus = results.get("sustained")
    if isinstance(sus, dict) and sus.get("lag_p95_s") is not None:
        head = (f"8. sustained, {sus['feeds']:,} feeds every {sus['interval_s'] / 60:g} min, "
                f"{sus['seconds'] / 60:.1f} min")
        add(f"{head}: schedule lag p95, s (p50 {sus['lag_p50_s']:g}, max {sus['lag_max_s']:g}; "
            f"{sus['due']:,} due, {sus['due_not_polled']:,} not polled)", sus["lag_p95_s"], None, None,
            f"< {TARGETS['sustained_lag_p95_s']:g} s", sus["lag_p95_s"] < TARGETS["sustained_lag_p95_s"])
        add(f"   polls/s ({sus['polls_not_modified']:,} of {sus['polls']:,} answered 304, {sus['extracted']} "
            "articles extracted)", sus["polls_per_s"])
        if "cpu_per_wall_s" in sus:
            add("   CPU of the process tree, user+sys s per wall s", sus["cpu_per_wall_s"])
            add("   tree PSS, typical (median after start-up), MiB", sus["pss_typical_mib"], None, None,
                f"<= {TARGETS['memory_idle_pss_mib']:g} MiB", sus["pss_typical_mib"] <= TARGETS["memory_idle_pss_mib"])
            add("   tree PSS, peak, MiB", sus["pss_peak_mib"], None, None, f"<= {TARGETS['memory_peak_pss_mib']:g} MiB",
                sus["pss_peak_mib"] <= TARGETS["memory_peak_pss_mib"])
            add("   main process's PSS, typical (peak), MiB "
                f"({sus['main_pss_peak_mib']:.0f})", sus["main_pss_typical_mib"])
        add("   archive growth, bytes", sus["archive_growth_bytes"])
    for step, error in (results.get("phase_errors") or {}).items():  # type: ignore[union-attr]
        add(f"{step}: FAILED ({error[:60]})", None, None, None, "see JSON", False)
    return table


SEARCH_LABELS = {
    "search": "ranked search (/db/search?q=)",
    "table_search": "entries page search (?_search=)",
    "latest": "latest articles (/db/latest)",
    "table_latest": "entries page sorted by date",
}


def _size(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows >= 1_000_000 and rows % 1_000_000 == 0 else (
        f"{rows // 1000}k" if rows >= 1000 else str(rows))


def search_rows(add: Callable[..., None], found: dict[str, Any]) -> None:
    """Latencies are reported, not targeted; the targets are ratios: flat with size, against reader, HTML over
    JSON (issue 19 item 2)."""
    sizes = found["sizes"]
    measured = {rows: found.get(str(rows)) for rows in sizes}
    # (rows, page label, its HTML timing, its JSON timing) of every page measured both ways
    pairs = [
        (rows, label, data[page], data[f"{page}_json"])
        for rows, data in measured.items() if isinstance(data, dict)
        for page, label in SEARCH_LABELS.items()
        if isinstance(data.get(page), dict) and isinstance(data.get(f"{page}_json"), dict)
    ]
    for rows, label, html, json_ in pairs:
        add(f"4. {label}, {_size(rows)} rows: p95 ms (p50 {html['p50_ms']:.1f}; JSON p95 "
            f"{json_['p95_ms']:.1f}, p50 {json_['p50_ms']:.1f})", html["p95_ms"])
    small, large = measured.get(sizes[0]), measured.get(sizes[-1])
    if isinstance(small, dict) and isinstance(large, dict):
        limit = TARGETS["flat_ratio"]
        for page, label in SEARCH_LABELS.items():
            if isinstance(small.get(page), dict) and isinstance(large.get(page), dict):
                ratio = large[page]["p95_ms"] / small[page]["p95_ms"]
                add(f"4a. flat with size, {label}: p95 at {_size(sizes[-1])} / at {_size(sizes[0])}",
                    large[page]["p95_ms"], small[page]["p95_ms"], ratio, f"<= {limit:g}x", ratio <= limit)
    middle, theirs = measured.get(sizes[1]), found.get("reader")
    if isinstance(middle, dict) and isinstance(middle.get("search"), dict) and isinstance(theirs, dict):
        limit = TARGETS["reader_search_ratio"]
        ours = middle["search"]["p95_ms"]
        ratio = ours / theirs["p95_ms"]
        add(f"4b. ranked search p95 ms at {_size(sizes[1])}, reader {theirs.get('version', '3.x')} search_entries "
            f"(p50 {middle['search']['p50_ms']:.1f} / {theirs['p50_ms']:.1f})", ours, theirs["p95_ms"], ratio,
            f"<= {limit:g}x reader", ratio <= limit)
    limit = TARGETS["html_json_ratio"]
    for rows, label, html, json_ in pairs:
        ratio = html["p50_ms"] / json_["p50_ms"]
        add(f"4c. rendering, {label}, {_size(rows)} rows: HTML p50 ms / JSON p50 ms", html["p50_ms"],
            json_["p50_ms"], ratio, f"<= {limit:g}x JSON", ratio <= limit)


def fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def print_table(table: list[dict[str, object]]) -> None:
    headers = ["metric", "aggregator", "baseline", "ratio", "target", "met?"]
    body = [[r["metric"], fmt(r["aggregator"]), fmt(r["baseline"]),
             f"{r['ratio']:.2f}x" if isinstance(r["ratio"], float) else "-", r["target"] or "-", fmt(r["met"])]
            for r in table]
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *body, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in body:
        cells = [str(c).ljust(w) if i == 0 or i == 4 else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        print("  ".join(cells))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="aggregator-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    bench = Bench(args, workdir)
    results = bench.results
    results["meta"] = {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": args.quick,
        "argv": sys.argv[1:] if argv is None else argv,
        "machine": machine(),
        "settings": {"feeds": args.feeds, "entries": args.entries, "concurrency": args.concurrency,
                     "reader_workers": args.reader_workers, "repeat": args.repeat,
                     "search_rows": args.search_sizes, "queries": args.queries, "memory_feeds": args.memory_feeds,
                     "memory_seconds": args.memory_seconds,
                     "memory_extract_idle": args.memory_extract_idle, "memory_idle_sample": args.memory_idle_sample,
                     "real_fraction": args.real_fraction,
                     "sustained_feeds": args.sustained_feeds, "sustained_seconds": args.sustained_seconds,
                     "sustained_interval": args.sustained_interval},
        "workdir": str(workdir),
    }
    log(f"bench: working in {workdir}")
    failed = False
    try:
        bench.setup()
        results["meta"]["versions"] = versions(bench.reader_python)
        selected = set(args.phases)

        def step(name: str, func: Callable[[], None]) -> None:
            phase_started = time.perf_counter()
            try:
                func()
            except (baseline.PhaseError, RuntimeError, sqlite3.Error) as exc:
                log(f"{name}: {type(exc).__name__}: {exc}")
                results.setdefault("phase_errors", {})[name] = f"{type(exc).__name__}: {exc}"
            results.setdefault("phase_seconds", {})[name] = round(time.perf_counter() - phase_started, 1)

        if selected & {"ingest", "repoll"}:
            step("ingest_and_repoll", bench.ingest_and_repoll)
        if selected & {"fulltext", "storage"}:
            step("fulltext", bench.fulltext)
        if "quality" in selected and not args.quick:
            step("quality", bench.quality)
        if "storage" in selected:
            step("storage", bench.storage)
        overlap = not args.serial and {"search", "memory"} <= selected
        memory_thread = None
        if overlap:
            # Only the daemon's peak memory is measured while the search archives are being built, never a
            # speed; the Datasette timings come afterwards, on a quiet machine.
            memory_thread = threading.Thread(target=step, args=("memory", bench.memory), daemon=True)
            memory_thread.start()
        elif "memory" in selected:
            step("memory", bench.memory)
        if "completeness" in selected:
            step("completeness", bench.completeness)
        if "search" in selected:
            step("search_build", bench.search_build)
            if memory_thread is not None:
                memory_thread.join()
            if "search_build" not in results.get("phase_errors", {}):
                step("search_measure", bench.search_measure)
        if "sustained" in selected:  # last, once the memory phase's daemon is gone: it measures time
            step("sustained", bench.sustained)
        results["meta"]["memory_overlapped_search_build"] = overlap
    except Exception as exc:
        failed = True
        results["error"] = f"{type(exc).__name__}: {exc}"
        log(f"bench failed: {results['error']}")
        raise
    finally:
        bench.close()
        results["meta"]["seconds"] = round(time.perf_counter() - started, 1)
        table = rows(results, args)
        results["table"] = table
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        if not failed:
            print_table(table)
            print(f"\n{results['meta']['seconds']:.0f} s in all; results in {args.out}")
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
