"""Runs lemon24's reader (3.x) over a list of feed URLs; executed by the benchmark venv's Python, not the project's.

usage: reader_runner.py DB URLS_FILE MODE WORKERS
MODE "ingest": add every feed (untimed), then time update_feeds() on the empty database.
MODE "repoll": time update_feeds(scheduled=False) on a database that already holds the feeds and their
validators (ETag / Last-Modified), so every feed is asked again with a conditional GET.
Prints one JSON object.
"""

import json
import sys
import time


def main() -> None:
    db, urls_file, mode, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    import reader
    from reader import make_reader

    with open(urls_file, encoding="utf-8") as handle:
        urls = [line.strip() for line in handle if line.strip()]
    r = make_reader(db)
    if mode == "ingest":
        for url in urls:
            r.add_feed(url, exist_ok=True)
    started = time.perf_counter()
    cpu_started = time.process_time()
    if mode == "ingest":
        r.update_feeds(workers=workers)
    else:
        # reader >= 3.21 only updates feeds whose update_after has come; a re-poll asks every feed again.
        r.update_feeds(workers=workers, scheduled=False)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    counts = r.get_entry_counts()
    feeds = r.get_feed_counts()
    r.close()
    print(json.dumps({
        "version": reader.__version__,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "feeds": feeds.total,
        "broken_feeds": feeds.broken,
        "entries": counts.total,
        "workers": workers,
    }))


if __name__ == "__main__":
    main()
