"""Runs one aggregator poll of every configured feed and times it; executed by the project's Python.

usage: agg_runner.py CONFIG DB [--profile PATH]
The archive is opened and the feeds are registered before the clock starts (as reader's add_feed is
outside its timing); the timed part is `poll_once`, the whole poll of every feed.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import sqlite3
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("db")
    parser.add_argument("--profile", help="write cProfile stats of the timed part to this file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    from aggregator.api import poll_once
    from aggregator.config.model import feed_settings, load_config
    from aggregator.store import Archive

    config = load_config(args.config)
    archive = Archive(args.db)
    archive.sync_feeds(feed_settings(config))
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    cpu_started = time.process_time()
    if profiler is not None:
        profiler.enable()
    reports = asyncio.run(poll_once(config, archive))
    if profiler is not None:
        profiler.disable()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    archive.close()
    if profiler is not None:
        profiler.dump_stats(args.profile)
    with sqlite3.connect(args.db) as conn:
        entries = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
        from_pages = conn.execute("SELECT count(*) FROM entries WHERE full_text_source = 'page'").fetchone()[0]
    errors = [r.error for r in reports if r.error]
    print(json.dumps({
        "seconds": seconds,
        "cpu_seconds_main": cpu,
        "feeds": len(reports),
        "feed_errors": len(errors),
        "first_errors": errors[:3],
        "not_modified": sum(r.not_modified for r in reports),
        "unchanged_body": sum(r.unchanged_body for r in reports),
        "new_entries": sum(r.new_entries for r in reports),
        "extracted": sum(r.extracted for r in reports),
        "extraction_errors": sum(len(r.extraction_errors) for r in reports),
        "first_extraction_errors": [e for r in reports for e in r.extraction_errors][:3],
        "entries": entries,
        "entries_with_page_text": from_pages,
    }))


if __name__ == "__main__":
    main()
