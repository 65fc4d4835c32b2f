"""reader 3.x's full-text search over the search phase's corpus; executed by the benchmark venv's Python.

usage: reader_search.py fill DB FEEDS_DIR
    Adds every feed file of FEEDS_DIR (RSS written from aggregator's archive, `file:` URLs under reader's
    feed_root), runs update_feeds() (reader's own parser and storage), then enable_search() and
    update_search(). Untimed set-up; prints its durations.
usage: reader_search.py measure DB QUERIES_FILE
    Times search_entries(query, limit=100) (reader's default sort: relevance) for each query, after one
    warm-up query. Prints one JSON object with the times in ms.
"""

import json
import os
import sys
import time


def fill(db: str, feeds_dir: str) -> dict:
    from reader import make_reader

    r = make_reader(db, feed_root=feeds_dir)
    names = sorted(n for n in os.listdir(feeds_dir) if n.endswith(".xml"))
    for name in names:
        r.add_feed(f"file:{name}", exist_ok=True)
    started = time.perf_counter()
    r.update_feeds()
    updated = time.perf_counter()
    r.enable_search()
    r.update_search()
    indexed = time.perf_counter()
    counts = r.get_entry_counts()
    r.close()
    return {"feeds": len(names), "entries": counts.total, "update_feeds_seconds": updated - started,
            "update_search_seconds": indexed - updated}


def measure(db: str, queries_file: str) -> dict:
    import reader
    from reader import make_reader

    with open(queries_file, encoding="utf-8") as handle:
        queries = [line.rstrip("\n") for line in handle if line.strip()]
    r = make_reader(db)
    list(r.search_entries(queries[-1], limit=100))
    times, found = [], []
    for query in queries:
        started = time.perf_counter()
        results = list(r.search_entries(query, limit=100))
        times.append((time.perf_counter() - started) * 1000)
        found.append(len(results))
    r.close()
    return {"version": reader.__version__, "times_ms": times, "results": found}


def main() -> None:
    mode = sys.argv[1]
    out = fill(sys.argv[2], sys.argv[3]) if mode == "fill" else measure(sys.argv[2], sys.argv[3])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
