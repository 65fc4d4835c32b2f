"""Where a feed's older entries are: RFC 5005 paged and archived feeds, and WordPress's feed paging."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

_ATOM = "{http://www.w3.org/2005/Atom}"
_OLDER_RELS = ("next", "prev-archive")  # RFC 5005: a paged feed's next page, an archived feed's previous archive


@dataclass(frozen=True, slots=True)
class Paging:
    older: str | None  # the page of older entries the feed names (rel="next" or rel="prev-archive")
    wordpress: bool  # the feed's generator is WordPress, whose feeds page with ?paged=N
    generator: str | None = None
    prev_archive: str | None = None


def feed_paging(body: bytes, base_url: str) -> Paging:
    """Paging links of a feed document (Atom, or RSS with atom:link); never raises on bad input."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        return Paging(None, False)
    if root is None:
        return Paging(None, False)
    container = root
    if not str(root.tag).startswith(_ATOM):
        channel = root.find("channel")
        container = channel if channel is not None else root
    older: dict[str, str] = {}
    generator = ""
    for child in container:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in (f"{_ATOM}link", "link"):
            href = (child.get("href") or "").strip()
            for rel in (child.get("rel") or "").lower().split():  # a space-separated list of relations
                if rel in _OLDER_RELS and href and rel not in older:
                    try:
                        older[rel] = urljoin(base_url, href)
                    except ValueError:  # e.g. an unclosed IPv6 bracket: no link to follow
                        continue
        elif tag in (f"{_ATOM}generator", "generator"):
            generator = f"{child.text or ''} {child.get('uri') or ''}"
    link = older.get("next") or older.get("prev-archive")
    return Paging(link, "wordpress" in generator.lower(), " ".join(generator.split()) or None,
                  older.get("prev-archive"))


def wordpress_page(feed_url: str, page: int) -> str:
    """The feed URL of WordPress's page `page` of older entries (?paged=N)."""
    parts = urlsplit(feed_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "paged"]
    query.append(("paged", str(page)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
