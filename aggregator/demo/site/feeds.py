"""Feed documents for one chain: RSS 2.0, Atom 1.0, RSS 1.0 (RDF) and JSON Feed 1.1.

Each theme's feeds carry that CMS's habits: WordPress and Ghost put the full text in content:encoded,
Hugo only a summary; WordPress guids are ``?p=ID`` shortlinks (not the permalink), Ghost guids are
opaque ids, Hugo guids are the permalink.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from .content import Article, Theme
from .media import solid_jpeg
from .templates import body_html

CONTENT_TYPES = {
    "rss20": "application/rss+xml; charset=UTF-8",
    "atom10": "application/atom+xml; charset=UTF-8",
    "rss10": "application/rdf+xml; charset=UTF-8",
    "json11": "application/feed+json; charset=UTF-8",
}
GENERATORS: dict[str, str] = {
    "wordpress": "https://wordpress.org/?v=6.7.2",
    "ghost": "Ghost 5.109",
    "hugo": "Hugo -- gohugo.io",
}
TTL_MINUTES = 60


@dataclass(frozen=True, slots=True)
class FeedMeta:
    title: str
    description: str
    locale: str  # "de-DE"
    home_url: str  # the section's HTML listing
    self_url: str  # this feed document
    theme: Theme
    next_url: str | None = None  # RFC 5005: the page of older entries


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def rfc822(when: datetime) -> str:
    return format_datetime(when)


def rfc3339(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _full_content(theme: Theme) -> bool:
    return theme in ("wordpress", "ghost")


def _has_enclosure(article: Article) -> bool:
    return article.index % 3 == 0  # "some entries": every third article of a chain


def _enclosure(article: Article, base_url: str) -> tuple[str, int]:
    return base_url + article.image.path, len(solid_jpeg(article.image.shade))


def _excerpt(article: Article, theme: Theme) -> str:
    summary = article.summary
    return summary[:300] + " [&#8230;]" if theme == "wordpress" and len(summary) > 300 else summary


def last_modified(articles: Sequence[Article]) -> datetime | None:
    return max((a.updated for a in articles), default=None)


def render_rss20(meta: FeedMeta, articles: Sequence[Article], base_url: str) -> str:
    updated = last_modified(articles)
    items = []
    for a in articles:
        guid_attr = "" if meta.theme == "hugo" else ' isPermaLink="false"'
        lines = [
            f"<title>{escape(a.title)}</title>",
            f"<link>{escape(a.url)}</link>",
            f"<dc:creator>{cdata(a.author)}</dc:creator>",
            f"<pubDate>{rfc822(a.published)}</pubDate>",
            *(f"<category>{cdata(term)}</category>" for term in (*a.categories, *a.tags)),
            f"<guid{guid_attr}>{escape(a.guid)}</guid>",
            f"<description>{cdata(_excerpt(a, meta.theme))}</description>",
        ]
        if meta.theme == "wordpress":
            lines.insert(2, f"<comments>{escape(a.url)}#respond</comments>")
        if _full_content(meta.theme):
            lines.append(f"<content:encoded>{cdata(body_html(a.blocks))}</content:encoded>")
        if _has_enclosure(a):
            url, length = _enclosure(a, base_url)
            lines.append(f'<enclosure url={quoteattr(url)} length="{length}" type="image/jpeg" />')
        items.append("\t<item>\n\t\t" + "\n\t\t".join(lines) + "\n\t</item>")
    build = f"\t<lastBuildDate>{rfc822(updated)}</lastBuildDate>\n" if updated else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0"\n\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
        '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n\txmlns:atom="http://www.w3.org/2005/Atom"\n'
        '\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n>\n<channel>\n'
        f"\t<title>{escape(meta.title)}</title>\n"
        f'\t<atom:link href={quoteattr(meta.self_url)} rel="self" type="application/rss+xml" />\n'
        f"\t<link>{escape(meta.home_url)}</link>\n"
        f"\t<description>{escape(meta.description)}</description>\n"
        f"{build}"
        f"\t<language>{meta.locale}</language>\n"
        "\t<sy:updatePeriod>hourly</sy:updatePeriod>\n\t<sy:updateFrequency>1</sy:updateFrequency>\n"
        f"\t<generator>{escape(GENERATORS[meta.theme])}</generator>\n"
        f"\t<ttl>{TTL_MINUTES}</ttl>\n"
        + "\n".join(items)
        + "\n</channel>\n</rss>\n"
    )


def render_atom10(meta: FeedMeta, articles: Sequence[Article], base_url: str) -> str:
    updated = last_modified(articles)
    entries = []
    for a in articles:
        lines = [
            f"<author><name>{escape(a.author)}</name></author>",
            f'<title type="text">{escape(a.title)}</title>',
            f'<link rel="alternate" type="text/html" href={quoteattr(a.url)} />',
            f"<id>{escape(a.guid)}</id>",
            f"<updated>{rfc3339(a.updated)}</updated>",
            f"<published>{rfc3339(a.published)}</published>",
            *(f"<category scheme={quoteattr(meta.home_url)} term={quoteattr(term)} />" for term in a.categories),
            f'<summary type="html">{cdata(_excerpt(a, meta.theme))}</summary>',
        ]
        if _full_content(meta.theme):
            lines.append(f'<content type="html" xml:base={quoteattr(a.url)}>{cdata(body_html(a.blocks))}</content>')
        if _has_enclosure(a):
            url, length = _enclosure(a, base_url)
            lines.append(f'<link rel="enclosure" type="image/jpeg" length="{length}" href={quoteattr(url)} />')
        entries.append("\t<entry>\n\t\t" + "\n\t\t".join(lines) + "\n\t</entry>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{meta.locale}">\n'
        f'\t<title type="text">{escape(meta.title)}</title>\n'
        f'\t<subtitle type="text">{escape(meta.description)}</subtitle>\n'
        + (f"\t<updated>{rfc3339(updated)}</updated>\n" if updated else "")
        + f'\t<link rel="alternate" type="text/html" href={quoteattr(meta.home_url)} />\n'
        f"\t<id>{escape(meta.self_url)}</id>\n"
        f'\t<link rel="self" type="application/atom+xml" href={quoteattr(meta.self_url)} />\n'
        + (f'\t<link rel="next" type="application/atom+xml" href={quoteattr(meta.next_url)} />\n'
           if meta.next_url else "")
        + f"\t<generator>{escape(GENERATORS[meta.theme])}</generator>\n"
        + "\n".join(entries)
        + "\n</feed>\n"
    )


def render_rss10(meta: FeedMeta, articles: Sequence[Article], base_url: str) -> str:
    updated = last_modified(articles)
    seq = "".join(f"\n\t\t\t<rdf:li rdf:resource={quoteattr(a.url)} />" for a in articles)
    items = []
    for a in articles:
        lines = [
            f"<title>{escape(a.title)}</title>",
            f"<link>{escape(a.url)}</link>",
            f"<dc:date>{rfc3339(a.published)}</dc:date>",
            f"<dc:creator>{escape(a.author)}</dc:creator>",
            *(f"<dc:subject>{escape(term)}</dc:subject>" for term in a.categories),
            f"<description>{escape(a.summary)}</description>",
        ]
        if _full_content(meta.theme):
            lines.append(f"<content:encoded>{cdata(body_html(a.blocks))}</content:encoded>")
        items.append(f"<item rdf:about={quoteattr(a.url)}>\n\t" + "\n\t".join(lines) + "\n</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rdf:RDF\n\txmlns="http://purl.org/rss/1.0/"\n'
        '\txmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
        '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n'
        '\txmlns:admin="http://webns.net/mvcb/"\n'
        '\txmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
        f"<channel rdf:about={quoteattr(meta.self_url)}>\n"
        f"\t<title>{escape(meta.title)}</title>\n"
        f"\t<link>{escape(meta.home_url)}</link>\n"
        f"\t<description>{escape(meta.description)}</description>\n"
        + (f"\t<dc:date>{rfc3339(updated)}</dc:date>\n" if updated else "")
        + f"\t<dc:language>{meta.locale}</dc:language>\n"
        "\t<sy:updatePeriod>hourly</sy:updatePeriod>\n\t<sy:updateFrequency>1</sy:updateFrequency>\n"
        "\t<sy:updateBase>2000-01-01T12:00+00:00</sy:updateBase>\n"
        f"\t<admin:generatorAgent rdf:resource={quoteattr(GENERATORS[meta.theme])} />\n"
        f"\t<items>\n\t\t<rdf:Seq>{seq}\n\t\t</rdf:Seq>\n\t</items>\n"
        "</channel>\n"
        + "\n".join(items)
        + "\n</rdf:RDF>\n"
    )


def render_json11(meta: FeedMeta, articles: Sequence[Article], base_url: str) -> str:
    items: list[dict[str, object]] = []
    for a in articles:
        item: dict[str, object] = {
            "id": a.guid,
            "url": a.url,
            "title": a.title,
            "content_html": body_html(a.blocks),
            "summary": a.summary,
            "image": base_url + a.image.path,
            "date_published": a.published.isoformat(),
            "date_modified": a.updated.isoformat(),
            "authors": [{"name": a.author}],
            "tags": [*a.categories, *a.tags],
            "language": meta.locale,
        }
        if _has_enclosure(a):
            url, length = _enclosure(a, base_url)
            item["attachments"] = [{"url": url, "mime_type": "image/jpeg", "size_in_bytes": length}]
        items.append(item)
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": meta.home_url,
        "feed_url": meta.self_url,
        "description": meta.description,
        "language": meta.locale,
        "items": items,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


RENDERERS = {"rss20": render_rss20, "atom10": render_atom10, "rss10": render_rss10, "json11": render_json11}


def render_feed(fmt: str, meta: FeedMeta, articles: Sequence[Article], base_url: str) -> bytes:
    return RENDERERS[fmt](meta, articles, base_url).encode("utf-8")
