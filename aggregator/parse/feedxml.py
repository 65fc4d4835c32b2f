"""Fast path for well-formed RSS 2.0, RSS 1.0 (RDF) and Atom 1.0: lxml instead of feedparser's SAX handlers.

feedparser spends most of a feed's parse in its Python element handlers. This module walks an lxml tree
and replays the part of feedparser's state machine (feedparser/mixin.py and namespaces/_base.py, 6.0.x) that
decides the fields aggregator.parse reads, so the result is the same `feed` and `entries` mappings feedparser
would build for those fields. Its date, HTML-guessing, URL-joining and cp1252 helpers are reused, not copied.

Anything it is not sure of returns None and the caller uses feedparser: documents lxml or expat would reject,
a DOCTYPE (entities), encodings that do not decode, other roots and versions, elements feedparser has a
handler for that are not replayed here (Atom xhtml content, GeoRSS, base64 content, ...), markup inside text
elements, namespace prefixes bound ambiguously, and any exception.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri
from lxml import etree

_ATOM = "http://www.w3.org/2005/Atom"
_RSS10 = "http://purl.org/rss/1.0/"
_RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML = "http://www.w3.org/XML/1998/namespace"
_KNOWN = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_STANDARD_PREFIXES = frozenset(p for p in _KNOWN.values() if p)
_HANDLERS = frozenset(
    name[len(kind) :] for name in dir(_FeedParserMixin) for kind in ("_start_", "_end_") if name.startswith(kind)
)
_HTML_TYPES = _FeedParserMixin.html_types
_looks_like_html = _FeedParserMixin.looks_like_html
_map_type = _FeedParserMixin.map_content_type

_SETKEY = {"guid": "id", "date": "updated", "date_parsed": "updated_parsed", "description": "summary",
           "url": "href", "modified": "updated", "modified_parsed": "updated_parsed", "issued": "published",
           "issued_parsed": "published_parsed", "copyright": "rights", "copyright_detail": "rights_detail",
           "tagline": "subtitle", "tagline_detail": "subtitle_detail", "description_detail": "summary_detail",
           "channel": "feed", "items": "entries"}  # fmt: skip  (FeedParserDict.__setitem__'s keymap)
# Keys aggregator.parse reads or this module's replay depends on: an element feedparser would store under one
# of these without a replayed handler means we are not sure.
_READ_KEYS = frozenset(
    {"link", "links", "title", "title_detail", "published_parsed", "updated_parsed", "content", "summary",
     "summary_detail", "enclosures", "id", "guidislink", "authors", "author", "author_detail", "tags",
     "media_thumbnail", "media_content", "language", "ttl", "sy_updateperiod", "sy_updatefrequency", "image",
     "textinput", "source", "href"}
)  # fmt: skip
# Handlers whose effects land only in keys nobody reads and touch no replayed state (text-only when noted below).
_HARMLESS = frozenset(
    {"cloud", "copyright", "rights", "dc:rights", "subtitle", "tagline", "itunes:subtitle", "info",
     "feedburner:browserfriendly", "created", "dcterms:created", "expirationdate", "dcterms:valid", "generator",
     "itunes:block", "itunes:explicit", "itunes:image", "itunes:link", "media:credit", "media:license",
     "media:player", "media:rating", "media:restriction", "newlocation", "webmaster", "dc:publisher", "width",
     "height"}
)  # fmt: skip
_CONTENT_LIKE = frozenset({"copyright", "rights", "dc:rights", "subtitle", "tagline", "itunes:subtitle", "info",
                           "feedburner:browserfriendly"})  # fmt: skip  (children are not dispatched inside these)
_READ_ATTRS = frozenset({"type", "mode", "src", "href", "url", "uri", "rel", "length", "ispermalink", "term",
                         "scheme", "domain", "label", "medium", "text", "version", "lastmod", "base", "lang",
                         "about"})  # fmt: skip
_XMLNS = re.compile(rb"""xmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_C1 = re.compile("[\x80-\x9f]")
_AMP_REF = re.compile("&([A-Za-z0-9_]+);")
_EMAIL = re.compile(r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?""")  # noqa: E501  (feedparser's)
_PUBLISHED = frozenset({"pubdate", "published", "issued", "dcterms:issued"})
_UPDATED = frozenset({"updated", "modified", "lastbuilddate", "dc:date", "dcterms:modified"})
_AUTHORS = frozenset({"author", "dc:creator", "dc:author", "itunes:author", "managingeditor"})
_CATEGORIES = frozenset({"category", "dc:subject", "keywords", "media:category", "itunes:category"})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, collect_ids=False,
                          encoding="utf-8")  # fmt: skip


class _Decline(Exception):
    pass


@lru_cache(maxsize=4096)
def _safe_base(current: str, given: str) -> str:
    return make_safe_absolute_uri(current, given) or current


# An absolute http(s) URL that urllib.parse.urljoin (and feedparser's _urljoin) returns unchanged whatever the
# base: lower-case scheme, a host without userinfo or brackets, no ";" params, no empty "?" or "#", nothing that
# urlsplit strips or removes. Most feed links are such; joining each costs more than this check, and they rarely
# repeat (a cache would miss).
_PLAIN_URL = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~%!$&'()*+,=:@/-]*)?"
    r"(?:\?[A-Za-z0-9._~%!$&'()*+,=:@/?-]+)?(?:#[A-Za-z0-9._~%!$&'()*+,=:@/?#-]+)?\Z"
)


@lru_cache(maxsize=256)
def _base_parses(base: str) -> bool:
    try:
        urlparse(base)  # as urljoin does first: a base it cannot split fails every join
    except ValueError:
        return False
    return True


def unchanged_by_join(base: str | None, uri: str) -> bool:
    """True when urljoin(base, uri) is `uri` itself (False: not known)."""
    return _PLAIN_URL.match(uri) is not None and (not base or _base_parses(base))


def _join(base: str, uri: str) -> str:
    return uri if unchanged_by_join(base, uri) else _join_cached(base, uri)


@lru_cache(maxsize=4096)
def _join_cached(base: str, uri: str) -> str:
    return _urljoin(base, uri)


def _fix(text: str) -> str:
    """The last steps of feedparser's pop() for text: its UTF-8-read-as-Latin-1 repair and cp1252 mapping."""
    if text.isascii():
        return text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    # str.translate with a dict maps character by character in Python; only C1 controls are mapped at all
    return text.translate(_cp1252) if _C1.search(text) else text


def parse(body: bytes, charset: str | None, base: str) -> tuple[str, dict, list[dict]] | None:
    """(version, feed, entries) as feedparser would report them, or None when not sure.

    `body` and `charset` are what aggregator.parse hands feedparser (charset None: a BOM decides), `base` its
    content-location."""
    try:
        return _parse(body, charset, base)
    except _Decline:
        return None
    except Exception:  # any surprise: feedparser decides
        return None


def _parse(body: bytes, charset: str | None, base: str) -> tuple[str, dict, list[dict]]:
    if charset is None:
        if not body.startswith(codecs.BOM_UTF8):
            raise _Decline
        body = body[3:]
        m = re.match(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", body[:200])
        if m and codecs.lookup(m.group(1).decode("ascii")).name != "utf-8":
            raise _Decline  # feedparser would decode as the declared encoding
        charset = "utf-8"
    if charset == "gb2312":
        raise _Decline  # feedparser swaps in gb18030
    text = body.decode(charset)  # feedparser decodes with the same codec; on failure it guesses: decline
    if charset != "utf-8":
        body = text.encode("utf-8")
    if body.startswith(codecs.BOM_UTF8):
        raise _Decline
    root = etree.fromstring(body, _PARSER)
    info = root.getroottree().docinfo
    if info.doctype or info.xml_version not in (None, "1.0"):
        raise _Decline
    return _Walker(body, root, base).run()


class _Walker:
    def __init__(self, body: bytes, root: etree._Element, base: str) -> None:
        self.root = root
        self.version = ""
        self.feed: dict[str, Any] = {}
        self.entries: list[dict[str, Any]] = []
        self.entry: dict[str, Any] = {}
        self.source: dict[str, Any] = {}
        self.depth_map: dict[str, int] = {}
        self.base = base  # feedparser's baseuri: the content-location it is given
        self.lang: str | None = None
        self.depth = 0
        self.infeed = self.inentry = self.insource = self.inimage = self.intextinput = False
        self.inauthor = self.incontributor = self.inpublisher = False
        self.title_depth = -1
        self.has_content = False
        self.guidislink = False
        self.summary_key: str | None = None
        self.names: dict[str, str] = {}
        self._check_namespaces(body)

    def _check_namespaces(self, body: bytes) -> None:
        # Every xmlns declaration (a superset: matches inside text count too, which only declines more).
        by_prefix: dict[bytes | None, set[bytes]] = {}
        by_uri: dict[bytes, set[bytes | None]] = {}
        for m in _XMLNS.finditer(body):
            prefix, uri = m.group(1), m.group(2) if m.group(2) is not None else m.group(3)
            by_prefix.setdefault(prefix, set()).add(uri)
            by_uri.setdefault(uri, set()).add(prefix)
        for prefix, uris in by_prefix.items():
            if prefix is None:
                continue  # default namespaces are scoped; feedparser never looks one up by prefix
            if len(uris) > 1:
                raise _Decline  # one prefix, two namespaces: feedparser's maps are not scoped
            uri = next(iter(uris)).decode("utf-8", "replace").lower()
            known = _KNOWN.get(uri)
            if known is None and len(by_uri[next(iter(uris))]) > 1:
                raise _Decline  # an unknown namespace under two prefixes
            if prefix is not None and known is not None and prefix.decode() != known and (
                prefix.decode() in _STANDARD_PREFIXES
            ):
                raise _Decline  # e.g. dc: bound to dcterms: feedparser would remap real dc: elements

    # --- names and attributes, as feedparser's strict parser reports them --------------------------------

    def name(self, el: etree._Element) -> str:
        tag = el.tag
        name = self.names.get(tag)
        if name is None:
            if tag[0] == "{":
                ns, _, local = tag[1:].partition("}")
                low = ns.lower()
                if "backend.userland.com/rss" in low:
                    low = "http://backend.userland.com/rss"
                prefix = _KNOWN.get(low)
                if prefix is None:
                    prefix = el.prefix or ""
                name = f"{prefix}:{local.lower()}" if prefix else local.lower()
            else:
                name = tag.lower()
            self.names[tag] = name
        return name

    @staticmethod
    def attrs(el: etree._Element) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in el.items():
            if key[0] == "{":
                ns, _, local = key[1:].partition("}")
                local = local.lower()
                if ns == _XML and local in ("base", "lang"):
                    out["xml:" + local] = value
                elif ns == _RDF:
                    out["rdf:" + local] = value
                elif local in _READ_ATTRS:
                    raise _Decline  # its local name would shadow a plain attribute feedparser reads
            else:
                key = key.lower()
                if key in ("base", "lang"):
                    raise _Decline  # feedparser takes these for xml:base / xml:lang
                out[key] = value.lower() if key in ("rel", "type") else value
        return out

    # --- driver -------------------------------------------------------------------------------------------

    def run(self) -> tuple[str, dict, list[dict]]:
        root = self.root
        nsmap = {uri for uri in root.nsmap.values()}
        tag = root.tag
        if tag == "rss":
            version = root.get("version") or ""
            if not version.startswith("2.") or _RSS10 in nsmap or _RSS090 in nsmap:
                raise _Decline
            if len(root) == 0 or any(isinstance(c.tag, str) and c.tag != "channel" for c in root):
                raise _Decline
            self.version = "rss20"
        elif tag == f"{{{_ATOM}}}feed":
            if _RSS10 in nsmap or _RSS090 in nsmap or root.get("version"):
                raise _Decline
            self.version = "atom10"
        elif tag == f"{{{_RDF}}}RDF":
            if root.nsmap.get(None) != _RSS10 or _ATOM in nsmap or _RSS090 in nsmap:
                raise _Decline
            self.version = "rss10"
        else:
            raise _Decline
        self.visit(root)
        return self.version, self.feed, self.entries

    def context(self) -> dict[str, Any]:
        if self.insource:
            return self.source
        if self.inimage and "image" in self.feed:
            return self.feed["image"]
        if self.intextinput:
            return self.feed["textinput"]
        if self.inentry:
            return self.entry
        return self.feed

    def children(self, el: etree._Element) -> None:
        for child in el:
            if isinstance(child.tag, str):
                self.visit(child)
            # comments and processing instructions: feedparser ignores them

    def visit(self, el: etree._Element) -> None:
        name = self.name(el)
        attrs = self.attrs(el)
        saved_base, saved_lang = self.base, self.lang
        self.base = _safe_base(self.base, attrs.get("xml:base") or self.base) if self.base else attrs.get(
            "xml:base", ""
        )
        if "xml:lang" in attrs:
            self.lang = attrs["xml:lang"] or None
            if self.lang and name in ("feed", "rss"):
                self.feed["language"] = self.lang.replace("_", "-")
        if ":" not in name:  # feedparser's hack for empty image/textinput elements
            if name not in ("title", "link", "description", "name"):
                self.intextinput = False
            if name not in ("title", "link", "description", "url", "href", "width", "height"):
                self.inimage = False
        self.depth += 1
        try:
            self.dispatch(el, name, attrs)
        finally:
            self.depth -= 1
            self.base = saved_base or self.base
            self.lang = saved_lang

    def dispatch(self, el: etree._Element, name: str, attrs: dict[str, str]) -> None:
        if name in ("rss", "rdf:rdf"):
            if el is not self.root:
                raise _Decline
            self.children(el)
        elif name == "channel" or name == "feed":
            expected_parent = None if name == "feed" else self.root
            if el.getparent() is not expected_parent or "lastmod" in attrs or "href" in attrs:
                raise _Decline
            self.infeed = True
            self.children(el)
            self.infeed = False
        elif name in ("item", "entry"):
            self.item(el, attrs)
        elif name in ("title", "dc:title", "media:title"):
            self.title(el, attrs, name == "media:title")
        elif name == "link":
            self.link(el, attrs)
        elif name in ("guid", "id"):
            self.guid(el, attrs)
        elif name in _PUBLISHED or name in _UPDATED:
            value = self.text(el, "published", True)
            self._store("published" if name in _PUBLISHED else "updated", value)
            key = "published_parsed" if name in _PUBLISHED else "updated_parsed"
            self.context()[key] = _parse_date(value)
        elif name in ("description", "dc:description", "media:description"):
            self.description(el, attrs)
        elif name in ("summary", "itunes:summary"):
            if "summary" in self.context() and not self.has_content:
                self.summary_key = "content"
                self.content(el, attrs, "text/plain")
            else:
                self.summary_key = "summary"
                self.content_text(el, attrs, "summary", "text/plain", True)
            self.summary_key = None
        elif name == "content":
            self.content(el, attrs, "text/plain")
        elif name in ("content:encoded", "fullitem"):
            self.content(el, attrs, "text/html")
        elif name in _AUTHORS:
            self.author(el)
        elif name in ("name", "itunes:name", "email", "itunes:email", "uri", "url", "homepage"):
            self.person_part(el, name)
        elif name == "contributor":
            self.incontributor = True
            self.context().setdefault("contributors", []).append({})
            self.children(el)
            self.incontributor = False
        elif name in _CATEGORIES:
            self.category(el, attrs, name)
        elif name in ("media:keywords", "itunes:keywords"):
            if attrs or len(el):
                raise _Decline
            value = self.text(el, name.replace(":", "_"), True)
            self._store(name.replace(":", "_"), value)
            scheme = "http://www.itunes.com/" if name == "itunes:keywords" else None
            for term in value.split(","):
                if term.strip():
                    self._add_tag(term.strip(), scheme, None)
        elif name == "enclosure":
            if len(el):
                raise _Decline
            attrs = self._enforce_href(attrs)
            attrs["rel"] = "enclosure"
            self.context().setdefault("links", []).append(attrs)
        elif name == "media:content":
            self.context().setdefault("media_content", []).append(attrs)
            self.children(el)
        elif name == "media:thumbnail":
            if len(el):
                raise _Decline
            context = self.context()
            context.setdefault("media_thumbnail", [])
            context["media_thumbnail"].append(attrs)
            url = self.text(el, "url", True)
            self._store("url", url)
            if url is not None and url.strip() and "url" not in attrs:
                context["media_thumbnail"][-1]["url"] = url
        elif name == "media:group":
            self.children(el)
        elif name == "source":
            self.source_element(el, attrs)
        elif name == "language" or name == "dc:language":
            self._store("language", self.text(el, "language", True))
        elif name == "image":
            if not self.inentry:
                self.context().setdefault("image", {})
            self.inimage = True
            self.title_depth = -1
            self.children(el)
            self.inimage = False
        elif name == "textinput":
            if self.inentry:
                raise _Decline
            self.context().setdefault("textinput", {})
            self.intextinput = True
            self.title_depth = -1
            self.children(el)
            self.intextinput = False
        elif name == "itunes:owner":
            self.inpublisher = True
            for child in el:
                if isinstance(child.tag, str) and self.name(child) not in ("itunes:name", "itunes:email"):
                    raise _Decline
            self.children(el)
            self.inpublisher = False
            self._sync_author_detail("publisher")
        elif name in _HARMLESS:
            if len(el) and name not in _CONTENT_LIKE:
                raise _Decline
        elif name in _HANDLERS or name.replace(":", "_") in _HANDLERS:
            raise _Decline  # feedparser has a handler for it that is not replayed here
        else:  # feedparser's unknown element: stored under its name, children dispatched as usual
            key = name.replace(":", "_")
            if _SETKEY.get(key, key) in _READ_KEYS:
                if key not in ("ttl", "sy_updateperiod", "sy_updatefrequency") or attrs:
                    raise _Decline
                self._store(key, self.text(el, key, True))  # text only (text() declines children)
            else:
                self.children(el)

    # --- element handlers (feedparser's _start_*/_end_*) ----------------------------------------------

    def item(self, el: etree._Element, attrs: dict[str, str]) -> None:
        if self.inentry or "lastmod" in attrs or "href" in attrs:
            raise _Decline
        self.entry = {}
        self.entries.append(self.entry)
        self.depth_map = {}
        self.inentry = True
        self.guidislink = False
        self.title_depth = -1
        if attrs.get("rdf:about"):
            self.entry["id"] = attrs["rdf:about"]
        self.children(el)
        self.inentry = False
        self.has_content = False

    def expecting(self) -> bool:
        return self.infeed or self.inentry or self.insource

    def title(self, el: etree._Element, attrs: dict[str, str], media: bool) -> None:
        saved = self.title_depth
        value = self.content_text(el, attrs, "title", "text/plain", self.expecting())
        if value:
            self.title_depth = self.depth
        if media:
            self.title_depth = saved

    def link(self, el: etree._Element, attrs: dict[str, str]) -> None:
        attrs.setdefault("rel", "alternate")
        attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
        context = self.context()
        attrs = self._enforce_href(attrs)
        if "href" in attrs:
            attrs["href"] = _join(self.base, attrs["href"])
        context.setdefault("links", [])
        if not (self.inentry and self.inimage):
            context["links"].append(attrs)
        if "href" in attrs:
            if attrs.get("rel") == "alternate" and _map_type(attrs.get("type")) in _HTML_TYPES:
                context["link"] = attrs["href"]
            if len(el):
                raise _Decline
        else:
            expecting = self.expecting()
            value = self.text(el, "link", expecting)
            if expecting:
                self._store("link", value)

    def guid(self, el: etree._Element, attrs: dict[str, str]) -> None:
        self.guidislink = attrs.get("ispermalink", "true") == "true"
        value = self.text(el, "id", True)
        self._store("id", value)
        context = self.context()
        context.setdefault("guidislink", self.guidislink and "link" not in context)
        if self.guidislink:
            context.setdefault("link", value)

    def description(self, el: etree._Element, attrs: dict[str, str]) -> None:
        if "summary" in self.context() and not self.has_content:
            self.summary_key = "content"
            self.content(el, attrs, "text/plain")
        else:
            self.content_text(el, attrs, "description", "text/html", self.expecting())
        self.summary_key = None

    def content(self, el: etree._Element, attrs: dict[str, str], default_type: str) -> None:
        self.has_content = True
        copy_to_summary = _map_type(attrs.get("type", default_type)) in ({"text/plain"} | _HTML_TYPES)
        value = self.content_text(el, attrs, "content", default_type, True, src=attrs.get("src"))
        if copy_to_summary:
            self.context().setdefault("summary", value)

    def content_text(self, el: etree._Element, attrs: dict[str, str], element: str, default_type: str,
                     expecting: bool, src: str | None = None) -> str:  # fmt: skip
        """push_content + pop: the element's text and its content parameters, stored as feedparser does."""
        ctype = _map_type(attrs.get("type", default_type))
        if attrs.get("mode") == "base64" or not (ctype.startswith("text/") or ctype.endswith(("+xml", "/xml"))):
            raise _Decline  # base64 content
        if ctype == "application/xhtml+xml" or len(el):
            raise _Decline  # inline markup: feedparser re-serialises it
        if self.lang:
            self.lang = self.lang.replace("_", "-")
        params: dict[str, Any] = {"type": ctype, "language": self.lang, "base": self.base}
        if src:
            params["src"] = src
        output = (el.text or "").strip()
        if not expecting:
            return output
        if not self.version.startswith("atom") and ctype == "text/plain" and _looks_like_html(output):
            params["type"] = "text/html"
        output = _fix(output)
        self._store(element, output, params)
        return output

    def text(self, el: etree._Element, element: str, expecting: bool) -> str:
        """pop() of a plain (not content) element: stripped text, URLs joined, feedparser's repairs."""
        if len(el):
            raise _Decline
        output = (el.text or "").strip()
        if not expecting:
            return output
        if element in _FeedParserMixin.can_be_relative_uri and output and (element != "id" or self.guidislink):
            output = _join(self.base, output)
        return _fix(output)

    def _store(self, element: str, output: str, params: dict[str, Any] | None = None) -> None:
        """The storing half of feedparser's pop()."""
        if element == "title" and -1 < self.title_depth <= self.depth:
            return
        if self.inentry and not self.insource:
            entry = self.entry
            if element == "content":
                entry.setdefault("content", []).append({**(params or {}), "value": output})
            elif element == "link":
                if not self.inimage:
                    output = _AMP_REF.sub(r"&\g<1>", output.replace("&amp;", "&"))
                    entry["link"] = output
                    if output:
                        entry["links"][-1]["href"] = output
            else:
                if element == "description":
                    element = "summary"
                old = self.depth_map.get(element)
                if old is None or self.depth <= old:
                    self.depth_map[element] = self.depth
                    entry[_SETKEY.get(element, element)] = output
                if params is not None:
                    entry[element + "_detail"] = {**params, "value": output}
        elif self.infeed or self.insource:
            context = self.context()
            if element == "description":
                element = "subtitle"
            context[_SETKEY.get(element, element)] = output
            if element == "link":
                output = _AMP_REF.sub(r"&\g<1>", output)
                context["link"] = output
                context["links"][-1]["href"] = output
            elif params is not None:
                context[element + "_detail"] = {**params, "value": output}

    @staticmethod
    def _enforce_href(attrs: dict[str, str]) -> dict[str, str]:
        href = attrs.get("url", attrs.get("uri", attrs.get("href")))
        if href:
            attrs.pop("url", None)
            attrs.pop("uri", None)
            attrs["href"] = href
        return attrs

    def author(self, el: etree._Element) -> None:
        self.inauthor = True
        context = self.context()
        context.setdefault("authors", []).append({})
        allowed = ("name", "email", "uri", "url", "homepage")
        for child in el:
            if not isinstance(child.tag, str):
                raise _Decline
            name = self.name(child)
            if name not in allowed and (
                name.replace(":", "_") in _HANDLERS or (child.keys() and (child.text or "").strip())
            ):
                raise _Decline  # a handled element, or text feedparser would add to the author's own
        self.children(el)
        # The author element's own text: its text and the tails of its children.
        output = ((el.text or "") + "".join(child.tail or "" for child in el)).strip()
        self._store("author", _fix(output))
        self.inauthor = False
        self._sync_author_detail()

    def person_part(self, el: etree._Element, name: str) -> None:
        key = name.split(":")[-1]
        if key in ("uri", "url", "homepage"):
            value = self.text(el, "href", True)
            self._store("href", value)
            key = "href"
            if self.inauthor:
                self._save_author(key, value)
            elif self.incontributor:
                self.context().setdefault("contributors", [{}])[-1][key] = value
            return
        value = self.text(el, key, False)
        if self.inpublisher:
            self._save_author(key, value, "publisher")
        elif self.inauthor:
            self._save_author(key, value)
        elif self.incontributor:
            self.context().setdefault("contributors", [{}])[-1][key] = value
        elif self.intextinput and key == "name":
            self.context()["name"] = value

    def _save_author(self, key: str, value: str, prefix: str = "author") -> None:
        context = self.context()
        context.setdefault(prefix + "_detail", {})
        context[prefix + "_detail"][key] = value
        self._sync_author_detail()
        context.setdefault("authors", [{}])
        context["authors"][-1][key] = value

    def _sync_author_detail(self, key: str = "author") -> None:
        context = self.context()
        detail = context.get(f"{key}s", [{}])[-1]
        if detail:
            name, email = detail.get("name"), detail.get("email")
            if name and email:
                context[key] = f"{name} ({email})"
            elif name:
                context[key] = name
            elif email:
                context[key] = email
            return
        author, email = context.get(key), None
        if not author:
            return
        match = _EMAIL.search(author)
        if match:
            email = match.group(0)
            author = author.replace(email, "").replace("()", "").replace("<>", "").replace("&lt;&gt;", "").strip()
            if author and author[0] == "(":
                author = author[1:]
            if author and author[-1] == ")":
                author = author[:-1]
            author = author.strip()
        if author or email:
            context.setdefault(f"{key}_detail", detail)
        if author:
            detail["name"] = author
        if email:
            detail["email"] = email

    def category(self, el: etree._Element, attrs: dict[str, str], name: str) -> None:
        nested = name == "itunes:category" and len(el) > 0  # iTunes subcategories
        if len(el) and not (nested and all(isinstance(c.tag, str) and self.name(c) == name for c in el)):
            raise _Decline
        if name == "itunes:category":
            self._add_tag(attrs.get("text"), "http://www.itunes.com/", None)
            if nested:
                self.children(el)
        else:
            if name == "media:category":
                attrs.setdefault("scheme", "http://search.yahoo.com/mrss/category_schema")
            self._add_tag(attrs.get("term"), attrs.get("scheme", attrs.get("domain")), attrs.get("label"))
        if nested:
            value = _fix(((el.text or "") + "".join(c.tail or "" for c in el)).strip())
        else:
            value = self.text(el, "category", True)
        if not value:
            return
        tags = self.context()["tags"]
        if tags and not tags[-1]["term"]:
            tags[-1]["term"] = value
        else:
            self._add_tag(value, None, None)

    def _add_tag(self, term: str | None, scheme: str | None, label: str | None) -> None:
        tags = self.context().setdefault("tags", [])
        if not term and not scheme and not label:
            return
        value = {"term": term, "scheme": scheme, "label": label}
        if value not in tags:
            tags.append(value)

    def source_element(self, el: etree._Element, attrs: dict[str, str]) -> None:
        if not self.inentry or self.insource:
            raise _Decline
        if "url" in attrs:
            self.source["href"] = attrs["url"]
        self.insource = True
        self.title_depth = -1
        self.children(el)
        self.insource = False
        self.entry["source"] = dict(self.source)
        self.source = {}
