"""reader 3.x driven step by step from stdin, for the completeness phase; executed by the benchmark venv's Python.

usage: reader_steps.py DB URLS_FILE
Reads one command a line: "update" runs update_feeds(scheduled=False) (every feed polled now, as a daemon on
a fixed interval would when its time comes) and answers {"entries": N}; "links" answers {"links": [...]} with
the link of every entry, and ends.
"""

import json
import sys


def main() -> None:
    db, urls_file = sys.argv[1], sys.argv[2]
    from reader import make_reader

    with open(urls_file, encoding="utf-8") as handle:
        urls = [line.strip() for line in handle if line.strip()]
    r = make_reader(db)
    for url in urls:
        r.add_feed(url, exist_ok=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "update":
            r.update_feeds(scheduled=False, workers=1)
            print(json.dumps({"entries": r.get_entry_counts().total}), flush=True)
        elif command == "links":
            print(json.dumps({"links": [entry.link for entry in r.get_entries() if entry.link]}), flush=True)
            break
    r.close()


if __name__ == "__main__":
    main()
