"""OPML subscription lists: read one into feeds for the config, write the config's feeds as OPML 2.0.

Reading: the feeds are the `<outline>`s with an `xmlUrl` (attribute names in any case, as exporters
vary); the title is `text`, else `title`; tags are the names of the enclosing folder outlines followed
by the `category` attribute's entries (comma-separated, each slash-delimited path split into its names,
OPML 2.0 section "category"). An outline with `isComment="true"` is a feed commented out: it is
imported disabled. Outlines of `type="include"`/`"link"` (other lists) are counted, not followed.

Writing: one flat `<outline type="rss">` per feed with `text`/`title`, `xmlUrl`, `htmlUrl` (the site
the archive learned from the feed, when there is an archive), `category` (the tags) and `isComment` for
disabled feeds, so that exporting and importing again gives the same url, title, tags and enabled.

The document is parsed strictly with lxml (no DTDs, entities or network): a truncated or malformed file
is an error with its line, never a silently shortened import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

from aggregator.config.edit import NewFeed
from aggregator.config.model import Config
from aggregator.urls import redact_url

OPML_SPEC = "http://opml.org/spec2.opml"
_POSITION = re.compile(r",? line \d+, column \d+\s*$")


class OPMLError(Exception):
    """Not a readable OPML document; the message is one line."""


@dataclass(slots=True)
class OPMLDocument:
    title: str | None
    feeds: list[NewFeed] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)  # linked subscription lists, not followed


def parse_opml(data: bytes, name: str = "OPML") -> OPMLDocument:
    """Parse an OPML 1.0/2.0 document; raises OPMLError with a one-line message naming `name`."""
    if not data.strip():
        raise OPMLError(f"{name}: not an OPML file: it is empty")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        message = _POSITION.sub("", (exc.msg or str(exc)).splitlines()[0])  # libxml2 appends the position
        raise OPMLError(f"{name}: not well-formed XML: line {line}, column {column}: {message}") from None
    tag = etree.QName(root).localname if isinstance(root.tag, str) else str(root.tag)
    if tag.lower() != "opml":
        raise OPMLError(f"{name}: not an OPML file: the root element is <{tag}>, not <opml>")
    head_title = root.findtext("head/title")
    document = OPMLDocument(title=head_title.strip() if head_title and head_title.strip() else None)
    body = root.find("body")
    if body is not None:
        seen: set[str] = set()
        for outline in body.iterchildren("outline"):
            _walk(outline, [], document, seen)
    return document


def _attrs(outline: etree._Element) -> dict[str, str]:
    return {str(key).lower(): (value or "").strip() for key, value in outline.attrib.items()}


def _walk(outline: etree._Element, folders: list[str], document: OPMLDocument, seen: set[str]) -> None:
    attrs = _attrs(outline)
    text = attrs.get("text") or attrs.get("title") or ""
    kind = attrs.get("type", "").lower()
    url = attrs.get("xmlurl", "")
    if url and kind != "source":
        if url not in seen:
            seen.add(url)
            tags = _unique([*folders, *_categories(attrs.get("category", ""))])
            title = text if text and text != url else None
            comment = attrs.get("iscomment", "").lower() == "true"
            document.feeds.append(NewFeed(url=url, title=title, tags=tuple(tags), enabled=not comment))
    elif kind in ("include", "link", "source") and (attrs.get("url") or url):
        document.lists.append(attrs.get("url") or url)
    children = list(outline.iterchildren("outline"))
    if children:
        inner = [*folders, text] if text and not url else folders
        for child in children:
            _walk(child, inner, document, seen)


def _categories(value: str) -> list[str]:
    names: list[str] = []
    for category in value.split(","):
        names += [part.strip() for part in category.split("/") if part.strip()]
    return names


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(name for name in names if name))


# --- export ----------------------------------------------------------------------------------------------


def export_opml(config: Config, site_urls: dict[str, str] | None = None, *, title: str | None = None) -> bytes:
    """The config's feeds as an OPML 2.0 document (UTF-8 bytes)."""
    site_urls = site_urls or {}
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title or f"aggregator feeds ({config.path.name})"
    etree.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC).replace(microsecond=0))
    etree.SubElement(head, "docs").text = OPML_SPEC
    body = etree.SubElement(root, "body")
    for feed in config.feeds:
        outline = etree.SubElement(body, "outline", type="rss")
        outline.set("text", feed.title or feed.url)
        if feed.title:
            outline.set("title", feed.title)
        outline.set("xmlUrl", feed.url)
        site_url = site_urls.get(feed.url) or site_urls.get(redact_url(feed.url))  # the archive keeps it redacted
        if site_url:
            outline.set("htmlUrl", site_url)
        if feed.tags:
            outline.set("category", ",".join(feed.tags))
        if not feed.enabled:
            outline.set("isComment", "true")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", pretty_print=True)


def lossy_tags(config: Config) -> list[str]:
    """Tags that OPML's category syntax cannot carry unchanged (they contain ',' or '/')."""
    return _unique(tag for feed in config.feeds for tag in feed.tags if "," in tag or "/" in tag)
