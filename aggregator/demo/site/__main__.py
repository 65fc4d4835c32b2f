"""Serve the test site by hand: ``python -m aggregator.demo.site [--port N] [--seed N]``."""

from __future__ import annotations

import argparse
import threading

from .server import NewsSite


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m aggregator.demo.site", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--seed", type=int, default=1, help="content seed (default: 1)")
    parser.add_argument("--window", type=int, default=10, help="entries per feed (default: 10)")
    parser.add_argument("--slow", type=float, default=30.0, help="delay of the slow feed in seconds")
    args = parser.parse_args(argv)
    site = NewsSite(seed=args.seed, feed_window=args.window, slow_seconds=args.slow, port=args.port)
    base = site.start()
    try:
        print(f"Test site: {base}/  (OPML: {site.opml_url})")
        print("Feeds:")
        for name, info in site.feeds.items():
            print(f"  {name:38} {info.language}  {info.url}")
        print("Broken endpoints:")
        for key, url in site.broken_urls.items():
            print(f"  {key:38} {url}")
        print(f"Seed article: {site.seed_article.url}")
        print("Serving until Ctrl-C.", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


if __name__ == "__main__":
    main()
