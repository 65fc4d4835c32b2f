"""Maps request paths to rendered resources (pages, feeds, images, broken endpoints) of one World.

No HTTP here: the server asks ``Router.resolve(path, query)`` for a ``Resource`` and turns it into a
response (validators, 304, gzip). Rendering is lazy and cached until the content changes.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from xml.sax.saxutils import quoteattr

from .content import FEED_FORMATS, Article, SectionSpec, SiteSpec, TaxonomyKind, World
from .feeds import CONTENT_TYPES, FeedMeta, render_feed, render_rss20
from .media import solid_jpeg
from .templates import SiteContext, render_article, render_index, render_listing, render_not_found, render_text_page

HTML = "text/html; charset=utf-8"
BROKEN_PATHS: dict[str, str] = {
    "invalid_xml": "/broken/invalid-xml/feed/",  # RSS content type, body not well-formed
    "not_found": "/broken/missing/feed/",  # 404
    "slow": "/broken/slow/feed/",  # valid RSS after `slow_seconds`
    "server_error": "/broken/error/feed/",  # 500
    "html_instead": "/broken/html-instead/feed/",  # an HTML page with <link rel="alternate"> to a real feed
    "dead_links": "/broken/dead-links/feed/",  # valid RSS whose entry links all 404
    "redirect_permanent": "/broken/moved/feed/",  # 301 to a real feed
    "redirect_temporary": "/broken/temporary/feed/",  # 302 to a real feed
    "rate_limited": "/broken/rate-limited/feed/",  # 429 with Retry-After
    "gone": "/broken/gone/feed/",  # 410
}
BROKEN_SOURCE_CHAIN = "harbour-times-news"  # the real feed the broken endpoints imitate or point to


@dataclass(slots=True, eq=False)
class Resource:
    body: bytes
    content_type: str
    status: int = 200
    last_modified: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = True  # send ETag/Last-Modified and answer conditional requests with 304
    compressible: bool = True
    delay: float = 0.0  # seconds to wait before answering
    etag: str = field(init=False)
    _gzipped: bytes | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.etag = '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, mtime=0)
        return self._gzipped


def redirect(location: str, status: int = 301) -> Resource:
    return Resource(b"", HTML, status=status, headers={"Location": location}, conditional=False)


@dataclass(frozen=True, slots=True)
class FeedSpec:
    name: str  # "<chain>.<format>", e.g. "newsportal-nachrichten.rss20"
    chain: str
    format: str
    site: SiteSpec
    section: SectionSpec
    path: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def primary(self) -> bool:
        return self.format == self.section.primary_format


class Router:
    def __init__(self, world: World, *, feed_window: int = 10, page_size: int = 10,
                 slow_seconds: float = 30.0) -> None:
        self.world = world
        self.feed_window = feed_window
        self.page_size = page_size
        self.slow_seconds = slow_seconds
        self.feeds: dict[str, FeedSpec] = {}
        for chain in world.chains.values():
            for fmt in FEED_FORMATS:
                name = f"{chain.name}.{fmt}"
                self.feeds[name] = FeedSpec(name, chain.name, fmt, chain.site, chain.section,
                                            chain.site.feed_path(chain.section, fmt))
        self._table: dict[str, Callable[[], Resource]] | None = None
        self._cache: dict[str, Resource] = {}
        self._contexts: dict[str, SiteContext] = {}

    @property
    def base_url(self) -> str:
        return self.world.base_url

    def invalidate(self) -> None:
        """Forget rendered output; call after every change to the world or settings."""
        self._table = None
        self._cache.clear()
        self._contexts.clear()

    def feed_articles(self, name: str) -> list[Article]:
        spec = self.feeds[name]
        return self.world.chains[spec.chain].newest(self.feed_window)

    def resolve(self, path: str, query: Mapping[str, str]) -> Resource | None:
        table = self._routes()
        if path in self.world.moved:
            return redirect(self.world.moved[path].url)
        if path in self.world.deleted:
            return Resource(render_not_found(path).encode(), HTML, status=410, conditional=False)
        name = self._feed_paths().get(path)
        if name is not None:
            spec = self.feeds[name]
            # WordPress answers ?paged=N on its feeds; the other themes' Atom feeds ?page=N (their RFC 5005 links).
            # Like real servers, a query the feed does not know is ignored.
            key = "paged" if spec.site.theme == "wordpress" else "page" if spec.format == "atom10" else None
            page = query.get(key, "") if key else ""
            if page.isdigit() and int(page) > 1:
                return self._feed(name, int(page))
        post_id = query.get("p", "")
        if post_id.isdigit() and any(path == s.home_path for s in self.world.sites if s.theme == "wordpress"):
            target = self.world.by_id(int(post_id))  # WordPress shortlink, the guid in its feeds
            return redirect(target.url) if target is not None and path == target.site.home_path else None
        if path not in table:
            if not path.endswith("/") and path + "/" in table:
                return redirect(self.base_url + path + "/")  # as WordPress and most servers do
            return None
        if path not in self._cache:
            self._cache[path] = table[path]()
        return self._cache[path]

    def not_found(self, path: str) -> Resource:
        return Resource(render_not_found(path).encode(), HTML, status=404, conditional=False)

    # -- the route table ----------------------------------------------------------------------------------

    def _routes(self) -> dict[str, Callable[[], Resource]]:
        if self._table is None:
            table: dict[str, Callable[[], Resource]] = {
                "/": self._index,
                "/feeds.opml": self._opml,
                "/robots.txt": lambda: Resource(
                    f"User-agent: *\nAllow: /\nSitemap: {self.base_url}/sitemap_index.xml\n".encode(),
                    "text/plain; charset=utf-8"),
                "/sitemap_index.xml": self._sitemap_index,
            }
            for site in self.world.sites:
                self._add_site(table, site)
            for name, spec in self.feeds.items():
                table[spec.path] = partial(self._feed, name)
            self._add_broken(table)
            self._table = table
        return self._table

    def _context(self, site: SiteSpec) -> SiteContext:
        if site.slug not in self._contexts:
            self._contexts[site.slug] = self._make_context(site)
        return self._contexts[site.slug]

    def _make_context(self, site: SiteSpec) -> SiteContext:
        lab_home = {"de": "Startseite", "en": "Home"}[site.language]
        menu = [(lab_home, self.base_url + site.home_path)]
        menu += [(s.title, self.base_url + site.section_path(s)) for s in site.sections]
        if site.theme == "wordpress":  # topic categories get menu entries too, as on the seed site
            sections = {s.title for s in site.sections}
            categories = dict.fromkeys(c for a in self.world.site_articles(site.slug) for c in a.categories)
            menu += [(c, self.base_url + site.taxonomy_path("category", c)) for c in categories if c not in sections]
        feeds = [
            (f"{site.title} » {section.title} ({label})", CONTENT_TYPES[fmt].split(";")[0],
             self.base_url + site.feed_path(section, fmt))
            for section in site.sections
            for fmt, label in (("rss20", "RSS"), ("atom10", "Atom"), ("json11", "JSON Feed"))
        ]
        return SiteContext(site, self.base_url, tuple(menu), tuple(feeds))

    def _add_site(self, table: dict[str, Callable[[], Resource]], site: SiteSpec) -> None:
        articles = self.world.site_articles(site.slug)
        archives: dict[str, tuple[str, list[Article]]] = {site.home_path: (site.title, articles)}
        for article in articles:
            terms: list[tuple[TaxonomyKind, str]] = [("author", article.author)]
            terms.extend(("tag", t) for t in article.tags)
            if site.theme != "ghost":
                terms.extend(("category", c) for c in article.categories)
            for taxonomy, term in terms:
                archives.setdefault(site.taxonomy_path(taxonomy, term), (term, []))[1].append(article)
        for section in site.sections:
            chain = self.world.chains[f"{site.slug}-{section.slug}"]
            archives[site.section_path(section)] = (section.title, chain.articles[::-1])
        for base_path, (heading, listed) in archives.items():
            pages = max(1, math.ceil(len(listed) / self.page_size))
            for page in range(1, pages + 1):
                path = base_path if page == 1 else f"{base_path}page/{page}/"
                table[path] = partial(self._listing, site, heading, listed, base_path, page, pages)
        for article in articles:
            table[article.path] = partial(self._article, article)
            table[article.image.path] = partial(self._image, article)
        table[f"/{site.slug}/sitemap.xml"] = partial(self._sitemap, site)
        for path, kind in ((site.imprint_path, "imprint"), (site.privacy_path, "privacy")):
            table[path] = partial(self._text_page, site, kind)

    def _image(self, article: Article) -> Resource:
        return Resource(solid_jpeg(article.image.shade), "image/jpeg", last_modified=article.published,
                        compressible=False)

    def _article(self, article: Article) -> Resource:
        ctx = self._context(article.site)
        html = render_article(ctx, article, seed=article is self.world.seed_article)
        shown = [article, *article.related, *(n for n in (article.previous, article.next) if n is not None)]
        return Resource(html.encode(), HTML, last_modified=max(a.updated for a in shown))

    def _listing(self, site: SiteSpec, heading: str, articles: Sequence[Article], base_path: str, page: int,
                 pages: int) -> Resource:
        shown = articles[(page - 1) * self.page_size:page * self.page_size]
        html = render_listing(self._context(site), heading, shown, base_path=base_path, page=page, pages=pages,
                              year=articles[0].published.year)
        return Resource(html.encode(), HTML, last_modified=max(a.updated for a in articles))

    def _text_page(self, site: SiteSpec, kind: str) -> Resource:
        german = site.language == "de"
        if kind == "imprint":
            heading = "Impressum" if german else "Legal notice"
            paragraphs = ([f"{site.title}, Musterstraße 12, 01234 Talbach", "Angaben gemäß § 5 DDG.",
                           f"Verantwortlich für den Inhalt: {site.authors[0]}", "Kontakt: redaktion@example.org"]
                          if german else [f"{site.title}, 12 Example Street, Harbourside",
                                          f"Editor: {site.authors[0]}", "Contact: newsroom@example.org"])
        else:
            heading = "Datenschutzerklärung" if german else "Privacy policy"
            paragraphs = (["Wir verarbeiten personenbezogene Daten nur im Rahmen der gesetzlichen Vorschriften.",
                           "Cookies setzen wir nur nach Ihrer Einwilligung, mit Ausnahme technisch notwendiger."]
                          if german else ["We only process personal data as the law allows.",
                                          "We set cookies only with your consent, except strictly necessary ones."])
        year = self.world.site_articles(site.slug)[0].published.year
        return Resource(render_text_page(self._context(site), heading, paragraphs, year).encode(), HTML)

    def _feed_meta(self, spec: FeedSpec) -> FeedMeta:
        site, section = spec.site, spec.section
        if site.theme == "wordpress":
            title = f"{section.title} – {site.title}"
        elif site.theme == "ghost":
            title = site.title
        else:
            title = f"{section.title} {'auf' if site.language == 'de' else 'on'} {site.title}"
        return FeedMeta(title, site.tagline, site.locale, self.base_url + site.section_path(section),
                        self.base_url + spec.path, site.theme)

    def _feed_paths(self) -> dict[str, str]:
        return {spec.path: name for name, spec in self.feeds.items()}

    def _feed(self, name: str, page: int = 1) -> Resource:
        """A feed, or one of its pages of older entries: WordPress answers ?paged=N on its feeds; the other
        themes' Atom feeds link their older pages with RFC 5005's rel="next" (?page=N)."""
        spec = self.feeds[name]
        window = self.feed_window
        chain = self.world.chains[spec.chain].articles[::-1]
        wordpress = spec.site.theme == "wordpress"
        articles = chain[(page - 1) * window:page * window]
        if not articles:
            return self.not_found(spec.path)
        meta = self._feed_meta(spec)
        if spec.format == "atom10" and not wordpress and len(chain) > page * window:
            meta = dataclasses.replace(meta, next_url=f"{self.base_url}{spec.path}?page={page + 1}")
        body = render_feed(spec.format, meta, articles, self.base_url)
        return Resource(body, spec.content_type, last_modified=max(a.updated for a in articles))

    def _sitemap_index(self) -> Resource:
        entries = "".join(
            f"<sitemap><loc>{self.base_url}/{site.slug}/sitemap.xml</loc>"
            f"<lastmod>{max(a.updated for a in self.world.site_articles(site.slug)).isoformat()}</lastmod></sitemap>"
            for site in self.world.sites
        )
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                f'sitemap/0.9">{entries}</sitemapindex>\n')
        return Resource(body.encode(), "application/xml; charset=utf-8")

    def _sitemap(self, site: SiteSpec) -> Resource:
        urls = "".join(
            f"<url><loc>{a.url}</loc><lastmod>{a.updated.isoformat()}</lastmod></url>"
            for a in self.world.site_articles(site.slug)
        )
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"{urls}</urlset>\n")
        return Resource(body.encode(), "application/xml; charset=utf-8")

    def _index(self) -> Resource:
        sites = [(s, self.base_url + s.home_path) for s in self.world.sites]
        feeds = [(name, self.base_url + spec.path) for name, spec in self.feeds.items()]
        return Resource(render_index(self.base_url, sites, feeds).encode(), HTML)

    def _opml(self) -> Resource:
        """One feed per chain, in the chain's primary format (so an import does not duplicate content)."""
        outlines = []
        for site in self.world.sites:
            inner = "".join(
                f"\n    <outline type=\"rss\" text={quoteattr(spec.section.title)} title={quoteattr(site.title)} "
                f"xmlUrl={quoteattr(self.base_url + spec.path)} "
                f"htmlUrl={quoteattr(self.base_url + site.section_path(spec.section))} language=\"{site.locale}\"/>"
                for spec in self.feeds.values() if spec.site == site and spec.primary
            )
            title = quoteattr(site.title)
            outlines.append(f"  <outline text={title} title={title}>{inner}\n  </outline>")
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n<head><title>Local test site feeds'
                "</title></head>\n<body>\n" + "\n".join(outlines) + "\n</body>\n</opml>\n")
        return Resource(body.encode(), "text/x-opml; charset=UTF-8")

    # -- broken endpoints ---------------------------------------------------------------------------------

    def _add_broken(self, table: dict[str, Callable[[], Resource]]) -> None:
        source = f"{BROKEN_SOURCE_CHAIN}.rss20"
        real_feed = self.base_url + self.feeds[source].path
        rss = CONTENT_TYPES["rss20"]

        def invalid_xml() -> Resource:
            text = self._feed(source).body.decode()
            # an unescaped ampersand in the first item title, and the document cut off mid-way
            text = text.replace("<item>\n\t\t<title>", "<item>\n\t\t<title>Q&A: ", 1)
            return Resource(text[: len(text) * 2 // 3].encode(), rss, conditional=False)

        def slow() -> Resource:
            return dataclasses.replace(self._feed(source), delay=self.slow_seconds, conditional=False)

        def dead_links() -> Resource:
            spec = self.feeds[source]
            gone = []
            for a in self.feed_articles(source):
                url = f"{self.base_url}/broken/dead-links/{a.slug}/"
                gone.append(dataclasses.replace(a, url=url, guid=url))
            meta = dataclasses.replace(self._feed_meta(spec), self_url=self.base_url + BROKEN_PATHS["dead_links"])
            return Resource(render_rss20(meta, gone, self.base_url).encode(), rss)

        def html_instead() -> Resource:
            site = self.feeds[source].site
            html = self._routes()[site.home_path]().body
            return Resource(html, HTML, conditional=False)

        error_page = b"<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal " \
                     b"Server Error</h1><p>There has been a critical error on this website.</p></body></html>\n"
        table.update({
            BROKEN_PATHS["invalid_xml"]: invalid_xml,
            BROKEN_PATHS["not_found"]: lambda: self.not_found(BROKEN_PATHS["not_found"]),
            BROKEN_PATHS["slow"]: slow,
            BROKEN_PATHS["server_error"]: lambda: Resource(error_page, HTML, status=500, conditional=False),
            BROKEN_PATHS["html_instead"]: html_instead,
            BROKEN_PATHS["dead_links"]: dead_links,
            BROKEN_PATHS["redirect_permanent"]: lambda: redirect(real_feed, 301),
            BROKEN_PATHS["redirect_temporary"]: lambda: redirect(real_feed, 302),
            BROKEN_PATHS["rate_limited"]: lambda: Resource(b"Too Many Requests\n", "text/plain; charset=utf-8",
                                                           status=429, headers={"Retry-After": "120"},
                                                           conditional=False),
            BROKEN_PATHS["gone"]: lambda: Resource(b"Gone\n", "text/plain; charset=utf-8", status=410,
                                                   conditional=False),
        })
