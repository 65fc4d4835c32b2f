"""`aggregator demo`: the local news site, a config for it, and the daemon with Datasette, in one process.

Offline and self-contained: the site (`aggregator.demo.site.NewsSite`) is served on 127.0.0.1, its OPML
file is imported into a temporary config (one feed per article chain, in the format the OPML lists), and
the daemon archives it with short intervals so that a newcomer sees a live, growing archive within a
minute. Everything temporary is removed when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import shutil
import socket
import tempfile
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aggregator.config.edit import add_feeds
from aggregator.config.model import Config, load_config
from aggregator.config.opml import parse_opml
from aggregator.demo.site import NewsSite

log = logging.getLogger("aggregator.demo")

DEFAULT_INTERVAL_S = 20.0
DEMO_CONFIG_HEAD = """\
# aggregator demo: the feeds of the local news site at {base_url}/, from its OPML file.
# Written by `aggregator demo`, removed when it stops.
settings:
  interval: {interval:g}s
  min_interval: {min_interval:g}s
  max_interval: {interval:g}s   # the site's feeds ask to be polled hourly (ttl); the demo wants news sooner
  adaptive: false
  allow_private_networks: true  # the demo site is on 127.0.0.1
  article_delay: 0
  per_host_concurrency: 4       # every feed and page is on that one host
  timeout: 10s
feeds:
"""


@dataclass(frozen=True, slots=True)
class DemoOptions:
    host: str = "127.0.0.1"
    port: int = 8001
    site_port: int = 0
    db_path: Path | None = None  # None: a temporary archive, removed at the end
    publish_every: float | None = None  # seconds between two new articles on the site
    interval: float = DEFAULT_INTERVAL_S
    seed: int = 1


class DemoError(Exception):
    """The demo cannot start (e.g. the port is taken); the message is one line."""


def check_port_free(host: str, port: int) -> None:
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise DemoError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port") from None


def write_demo_config(path: Path, site: NewsSite, interval: float = DEFAULT_INTERVAL_S) -> Config:
    """A config for the running site: its OPML's feeds, settings for a quick demo."""
    path.write_text(
        DEMO_CONFIG_HEAD.format(base_url=site.base_url, interval=interval, min_interval=min(5.0, interval)),
        encoding="utf-8",
    )
    with urllib.request.urlopen(site.opml_url, timeout=10) as response:  # our own site on 127.0.0.1
        document = parse_opml(response.read(), site.opml_url)
    add_feeds(path, document.feeds)
    return load_config(path)


class Publisher:
    """Publishes one new article every `every` seconds, taking the site's chains in turn."""

    def __init__(self, site: NewsSite, every: float) -> None:
        self.site = site
        self.every = every
        self.published = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-publisher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        chains = itertools.cycle(self.site.chain_names)
        while not self._stop.wait(self.every):
            chain = next(chains)
            try:
                article = self.site.publish(chain)[0]
            except Exception:  # the demo goes on without this one
                log.exception("publishing on %s failed", chain)
                continue
            self.published += 1
            log.info("published %s", article.url)


def run_demo(options: DemoOptions, echo: Callable[[str], None] = print) -> None:
    """Run until SIGINT/SIGTERM; cleans up the site, the publisher and the temporary directory."""
    from aggregator.daemon import Daemon, ServeOptions

    check_port_free(options.host, options.port)
    site = NewsSite(seed=options.seed, port=options.site_port)
    tmp = Path(tempfile.mkdtemp(prefix="aggregator-demo-"))
    publisher: Publisher | None = None
    try:
        try:
            site.start()
        except OSError as exc:
            raise DemoError(f"cannot serve the news site on 127.0.0.1:{options.site_port} ({exc})") from None
        config = write_demo_config(tmp / "feeds.yaml", site, options.interval)
        db_path = options.db_path or tmp / "archive.db"
        daemon = Daemon(config, db_path, ServeOptions(options.host, options.port))
        shown_host = f"[{options.host}]" if ":" in options.host else options.host
        archive = f"http://{shown_host}:{options.port}/{db_path.stem}"
        echo(f"aggregator demo: {len(config.feeds)} feeds of a local news site, archived live.")
        echo(f"  Archive (Datasette): {archive}/entries")
        echo(f"  News site:           {site.base_url}/  (OPML: {site.opml_url})")
        echo(f"  Config:              {config.path}")
        where = "temporary, removed when the demo stops" if options.db_path is None else "kept"
        echo(f"  Archive file:        {db_path} ({where})")
        echo(f"  Polling every {options.interval:g} s" + (
            f"; the site publishes a new article every {options.publish_every:g} s." if options.publish_every
            else "."))
        echo("The first articles appear within seconds. Ctrl-C stops.")
        if options.publish_every:
            publisher = Publisher(site, options.publish_every)
            publisher.start()
        asyncio.run(daemon.run())
    finally:
        if publisher is not None:
            publisher.stop()
        with contextlib.suppress(Exception):
            site.stop()
        shutil.rmtree(tmp, ignore_errors=True)
