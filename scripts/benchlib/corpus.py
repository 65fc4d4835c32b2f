"""The benchmark corpus: N feeds x M entries and their article pages, written to disk for a static server.

Content comes from the project's own local news site (``aggregator.demo.site``): one ``World`` per seed gives
seven chains (WordPress, Ghost and Hugo markup, German and English), each chain becomes one feed in one of the
four formats, rendered by the site's own ``Router``. A share of the article pages is replaced by real article
pages from ``../shared/data/aeb/html_gz`` when that folder exists (read at run time, never copied into the repo),
so page sizes and extraction costs are those of real news pages.
"""

from __future__ import annotations

import gzip
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from aggregator.demo.site.content import World
from aggregator.demo.site.routes import Router

# Feed format -> file extension; the static server maps extensions to content types.
FORMAT_EXT = {"rss20": "xml", "atom10": "atom", "json11": "json", "rss10": "rdf"}
CONTENT_TYPES = {
    "xml": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
    "rdf": "application/rdf+xml",
    "html": "text/html",
    "txt": "text/plain",
}
FORMAT_ORDER = ("rss20", "atom10", "json11", "rss10")
REAL_PAGES_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "aeb" / "html_gz"


@dataclass
class Corpus:
    root: Path  # document root
    base_url: str  # http://127.0.0.1:PORT
    feed_paths: list[str] = field(default_factory=list)  # URL paths of the feeds, /feeds/0001.xml
    article_paths: list[str] = field(default_factory=list)  # URL paths of every article page linked by a feed
    real_pages: int = 0  # article pages that are real pages from ../shared
    page_bytes: int = 0  # total uncompressed size of the article pages
    feed_bytes: int = 0
    formats: dict[str, int] = field(default_factory=dict)

    @property
    def feed_urls(self) -> list[str]:
        return [self.base_url + p for p in self.feed_paths]

    def page_file(self, path: str) -> Path:
        """The file a URL path of an article page is served from."""
        return self.root / path.lstrip("/") / "index.html"

    def summary(self) -> dict[str, object]:
        n = len(self.article_paths)
        return {
            "feeds": len(self.feed_paths),
            "article_pages": n,
            "real_pages": self.real_pages,
            "avg_page_bytes": round(self.page_bytes / n) if n else 0,
            "avg_feed_bytes": round(self.feed_bytes / len(self.feed_paths)) if self.feed_paths else 0,
            "formats": self.formats,
        }


def real_page_files() -> list[Path]:
    return sorted(REAL_PAGES_DIR.glob("*.html.gz")) if REAL_PAGES_DIR.is_dir() else []


def _write(path: Path, body: bytes, gz: bytes | None = None) -> None:
    """The file and its precompressed twin (served by nginx gzip_static, so the server spends no CPU on it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    path.with_name(path.name + ".gz").write_bytes(gz if gz is not None else gzip.compress(body, 6, mtime=0))


def build(root: Path, base_url: str, feeds: int, entries: int, real_fraction: float = 0.25,
          seed: int = 1) -> Corpus:
    """Write `feeds` feeds of `entries` entries each, and every linked article page, under `root`."""
    if entries < 10:
        raise ValueError("entries per feed must be at least 10 (the test site's shortest chain)")
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    corpus = Corpus(root, base_url)
    real_files = real_page_files() if real_fraction > 0 else []
    real_cache: dict[Path, tuple[bytes, bytes]] = {}
    rng = random.Random(seed)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (root / "feeds").mkdir()
    world_seed = seed * 1000
    while len(corpus.feed_paths) < feeds:
        world = World(seed=world_seed, chain_length=(entries, entries + 4))
        prefix = f"/w{world_seed}"
        world.set_base_url(base_url + prefix)
        router = Router(world, feed_window=entries)
        for chain in world.chains.values():
            if len(corpus.feed_paths) >= feeds:
                break
            index = len(corpus.feed_paths)
            fmt = FORMAT_ORDER[index % len(FORMAT_ORDER)]
            spec = router.feeds[f"{chain.name}.{fmt}"]
            feed = router.resolve(spec.path, {})
            assert feed is not None
            ext = FORMAT_EXT[fmt]
            feed_path = f"/feeds/{index:05d}.{ext}"
            _write(root / feed_path.lstrip("/"), feed.body)
            corpus.feed_paths.append(feed_path)
            corpus.feed_bytes += len(feed.body)
            corpus.formats[fmt] = corpus.formats.get(fmt, 0) + 1
            for article in router.feed_articles(spec.name):
                path = prefix + article.path
                target = corpus.page_file(path)
                if real_files and rng.random() < real_fraction:
                    source = real_files[corpus.real_pages % len(real_files)]
                    if source not in real_cache:
                        packed = source.read_bytes()
                        real_cache[source] = (gzip.decompress(packed), packed)
                    body, packed = real_cache[source]
                    _write(target, body, packed)
                    corpus.real_pages += 1
                else:
                    page = router.resolve(article.path, {})
                    assert page is not None
                    body = page.body
                    _write(target, body)
                corpus.page_bytes += len(body)
                corpus.article_paths.append(path)
        world_seed += 1
    return corpus
