"""HTML sanitising for stored feed content (nh3/ammonia), plus plain-text helpers.

Everything stored as HTML goes through `sanitize_html`, so the archive can render it as-is (it is served
with `datasette-render-html`, which does no escaping of its own).
"""

from __future__ import annotations

import html as _html
import re
import threading
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import lxml.html
import nh3
from lxml import etree

_TAGS = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote",
        "pre", "code", "kbd", "samp", "var", "em", "strong", "b", "i", "u", "s", "del", "ins", "mark",
        "small", "a", "img", "figure", "figcaption", "table", "caption", "thead", "tbody", "tfoot", "tr",
        "th", "td", "col", "colgroup", "br", "hr", "sub", "sup", "abbr", "cite", "q", "time", "span",
        "div", "section", "article", "aside", "header", "footer", "details", "summary", "picture",
        "source", "video", "audio", "ruby", "rt", "rp", "wbr", "dfn", "bdi",
    }
)  # fmt: skip
_ATTRIBUTES = {
    # no id/name (DOM clobbering), no class/style (page layout and CSS tricks belong to us)
    "*": {"lang", "dir", "title"},
    "a": {"href", "hreflang"},
    "img": {"src", "srcset", "sizes", "alt", "width", "height"},
    "source": {"src", "srcset", "sizes", "type", "media"},
    "video": {"src", "poster", "controls", "width", "height", "loop", "muted", "playsinline", "preload"},
    "audio": {"src", "controls", "loop", "muted", "preload"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "details": {"open"},
}
# MathML and inline SVG, the parts that draw: formulas and figures are content. Left out: anything that links
# (MathML's href, SVG's <a>, <use>, <image>, xlink:href), animates attributes (<animate>/<set> can turn an
# href into javascript:), switches back to HTML (<foreignObject>, <annotation-xml>) or carries style/script.
# Names as html5ever gives them (SVG's camelCase restored), since ammonia compares them so.
_MATH_TAGS = frozenset(
    {
        "math", "mi", "mn", "mo", "ms", "mtext", "mspace", "mrow", "mfrac", "msqrt", "mroot", "mstyle", "merror",
        "mpadded", "mphantom", "mfenced", "menclose", "msub", "msup", "msubsup", "munder", "mover", "munderover",
        "mmultiscripts", "mprescripts", "none", "mtable", "mtr", "mtd", "mlabeledtr", "semantics", "annotation",
    }
)  # fmt: skip
_MATH_ATTRIBUTES = frozenset(
    {
        "display", "displaystyle", "scriptlevel", "mathvariant", "mathsize", "dir", "fence", "separator",
        "stretchy", "symmetric", "maxsize", "minsize", "largeop", "movablelimits", "accent", "accentunder",
        "lspace", "rspace", "linethickness", "columnalign", "rowalign", "columnspan", "rowspan", "columnlines",
        "rowlines", "frame", "notation", "open", "close", "separators", "width", "height", "depth", "voffset",
        "encoding", "alttext",
    }
)  # fmt: skip
_SVG_TAGS = frozenset(
    {
        "svg", "g", "path", "circle", "ellipse", "line", "polyline", "polygon", "rect", "text", "tspan", "desc",
        "defs", "symbol", "marker", "linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern",
    }
)  # fmt: skip
_SVG_ATTRIBUTES = frozenset(
    {
        "viewBox", "preserveAspectRatio", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r",
        "rx", "ry", "fx", "fy", "d", "points", "pathLength", "transform", "fill", "fill-opacity", "fill-rule",
        "stroke", "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin", "stroke-dasharray",
        "stroke-dashoffset", "stroke-miterlimit", "opacity", "clip-rule", "text-anchor", "dominant-baseline",
        "font-family", "font-size", "font-weight", "font-style", "dx", "dy", "rotate", "textLength", "offset",
        "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod", "patternUnits",
        "patternTransform", "markerWidth", "markerHeight", "refX", "refY", "orient", "markerUnits",
        "clipPathUnits", "maskUnits", "visibility", "display", "role", "aria-label", "aria-hidden", "xmlns",
    }
)  # fmt: skip
# Dropped together with their content (text inside them is code, markup or raw data, not prose). <object>
# and <applet> are unwrapped instead, their children being the fallback a reader without plugins sees;
# <iframe> too (see _IFRAME_TAG).
_DROP_WITH_CONTENT = frozenset(
    {
        "script", "style", "frame", "frameset", "embed", "template", "noscript", "noembed", "noframes",
        "textarea", "select", "xmp", "title", "head", "foreignObject", "annotation-xml", "mglyph", "malignmark",
        "animate", "animateMotion", "animateTransform", "set", "use", "image", "feImage", "iframe",
    }
)  # fmt: skip
# An iframe's content is raw text to an HTML parser, so its fallback markup ("<a href=...>Watch the video</a>")
# would come out as escaped tags; the iframe's own tags are removed before sanitising so it is parsed as HTML.
# SVG's <a> is the HTML allow-list's "a" to ammonia, which tells neither namespaces nor xlink:href from href
# apart: links inside SVG lose their href after cleaning (the serialised output double-quotes every value).
_SVG_OR_LINK = re.compile(r'<(/?)(svg|a)\b((?:[^>"]|"[^"]*")*)>')
_HREF_ATTR = re.compile(r'\s[\w:-]*href="[^"]*"')
_IFRAME_TAG = re.compile(r"""</?iframe\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
_URL_ATTRS = frozenset({"href", "src", "cite", "poster"})
_SCHEMES = frozenset({"http", "https"})
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Raster types only: an SVG data: URI is a document that can carry script.
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|jpg|gif|webp|avif|bmp)[;,]", re.IGNORECASE)
_URL_JUNK = re.compile(r"[\t\n\r]")  # browsers drop these inside URLs ("java\tscript:")
_C0_SPACE = "".join(map(chr, range(33)))  # and strip these from both ends
_SRCSET_URL = re.compile(r"[\s,]*(\S+)")
_SRCSET_DESCRIPTOR = re.compile(r"([^,]*)(?:,|$)")
_MEDIA = re.compile(r"<(?:(?:img|video|audio|source)\s[^>]*src|svg[\s>])")  # also matches srcset
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t]+")
_DESCRIPTOR_OK = re.compile(r"\d+(?:\.\d+)?[wx]\Z")


def _clean_url(value: str, base: str | None, schemes: frozenset[str]) -> str | None:
    value = _URL_JUNK.sub("", value).strip(_C0_SPACE)
    if not value:
        return None
    try:
        url = urljoin(base, value) if base else value
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in schemes else None


def _clean_srcset(value: str, base: str | None) -> str | None:
    # ammonia does not treat srcset as a URL attribute, so every candidate is checked here. Parsed as
    # the HTML spec does: a URL runs to whitespace (it may contain commas), descriptors to the next comma.
    kept, pos = [], 0
    while m := _SRCSET_URL.match(value, pos):
        url, pos = m.group(1), m.end()
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        elif d := _SRCSET_DESCRIPTOR.match(value, pos):  # always matches, possibly empty
            descriptor, pos = d.group(1).strip(), d.end()
        url = _clean_url(url, base, _SCHEMES)
        if url:
            kept.append(f"{url} {descriptor}" if _DESCRIPTOR_OK.match(descriptor) else url)
    return ", ".join(kept) or None


# One Cleaner for every base URL: building one is costly, and the base differs per feed (and per item in JSON
# Feeds), so a cache keyed by base missed on most calls. The filter reads the base of the clean() call running in
# its thread (nh3 calls it back synchronously, in the calling thread).
_call = threading.local()


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    base: str | None = getattr(_call, "base", None)
    if attr == "srcset":
        return _clean_srcset(value, base)
    if attr not in _URL_ATTRS:
        return value
    if _URL_JUNK.sub("", value).lstrip(_C0_SPACE)[:5].lower() == "data:":
        return value if tag == "img" and attr == "src" and _DATA_IMAGE.match(value.strip()) else None
    return _clean_url(value, base, _LINK_SCHEMES if tag == "a" else _SCHEMES)


_CLEANER = nh3.Cleaner(
    tags=set(_TAGS | _MATH_TAGS | _SVG_TAGS),
    clean_content_tags=set(_DROP_WITH_CONTENT),
    attributes={
        **{tag: set(_MATH_ATTRIBUTES) for tag in _MATH_TAGS},
        **{tag: set(_SVG_ATTRIBUTES) for tag in _SVG_TAGS},
        **{k: set(v) for k, v in _ATTRIBUTES.items()},
    },
    attribute_filter=_attribute_filter,
    link_rel="noopener noreferrer nofollow",
    # ammonia checks href/src schemes before our filter runs; "data" must pass it so the filter
    # can keep raster images. Relative URLs pass through to the filter, which resolves them.
    url_schemes={"http", "https", "mailto", "data"},
    url_relative="pass_through",
)


def _drop_svg_links(html: str) -> str:
    out, pos, depth = [], 0, 0
    for m in _SVG_OR_LINK.finditer(html):
        closing, tag = m.group(1), m.group(2)
        if tag == "svg":
            depth = max(0, depth - 1) if closing else depth + 1
        elif depth and not closing and "href=" in m.group(3):
            out.append(html[pos : m.start()])
            out.append("<a" + _HREF_ATTR.sub("", m.group(3)) + ">")
            pos = m.end()
    out.append(html[pos:])
    return "".join(out)


def _clean(html: str, base: str | None) -> str:
    saved = getattr(_call, "base", None)
    _call.base = base
    try:
        return _CLEANER.clean(html)
    finally:
        _call.base = saved  # restored, should a filter ever sanitise in turn


@lru_cache(maxsize=256)
def _http_base(base_url: str) -> str | None:
    return base_url if urlsplit(base_url).scheme in _SCHEMES else None


# html5ever checks element scopes by walking the open-element stack, so thousands of nested block elements
# cost quadratic time. Small inputs cannot nest deep enough to matter; larger
# ones nested deeper than browsers render (~512) are reduced to escaped text.
_DEEP_CHECK_FROM = 100_000
_MAX_DEPTH = 512
_TAG_TOKEN = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)[^>]*?(/?)>")
_NO_DEPTH = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    "p", "li", "dt", "dd", "tr", "td", "th", "option",  # void, or implicitly closed by a sibling
})  # fmt: skip


def _too_deep(html: str) -> bool:
    depth = 0
    for m in _TAG_TOKEN.finditer(html):
        if m.group(1):
            depth = max(0, depth - 1)
        elif not m.group(3) and m.group(2).lower() not in _NO_DEPTH:
            depth += 1
            if depth > _MAX_DEPTH:
                return True
    return False


# Tags and whitespace only, decomposed as _TAG.sub() scans (from a "<" a tag runs to the first ">", so there is
# one way to match), possessive so that a mismatch is found at the first text character without backtracking.
_MARKUP_ONLY = re.compile(r"(?:<[^>]*+>|\s)*+")


def _has_text(html: str) -> bool:
    """`bool(_TAG.sub("", html).strip())` without building the stripped copy."""
    return _MARKUP_ONLY.fullmatch(html) is None


def sanitize_html(html: str | None, base_url: str | None = None) -> str | None:
    """Allow-listed HTML safe to render, relative URLs made absolute against `base_url`.

    URLs that cannot be made absolute http(s) (or mailto: for links, raster data: for images) are dropped.
    Returns None when nothing is left.
    """
    if not html or html.isspace():
        return None
    if len(html) > _DEEP_CHECK_FROM and _too_deep(html):
        return escape_text(_SPACES.sub(" ", _html.unescape(_TAG.sub(" ", html)))) or None
    if "iframe" in html or "IFRAME" in html or "Iframe" in html:
        html = _IFRAME_TAG.sub("", html)
    cleaned = _clean(html, _http_base(base_url) if base_url else None).strip()
    if "<svg" in cleaned:
        cleaned = _drop_svg_links(cleaned)
    if _has_text(cleaned) or _MEDIA.search(cleaned):
        return cleaned
    return None  # only empty markup is left, e.g. "<p></p>" or an <img> whose src was dropped


_BLOCK = frozenset(
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote",
        "pre", "figure", "figcaption", "table", "caption", "tr", "hr", "section", "article", "aside",
        "header", "footer", "details", "summary", "address", "main", "nav", "form", "fieldset",
    }
)  # fmt: skip
_SKIP = frozenset({"script", "style", "template", "head", "title", "noscript", "annotation"})
_PARA, _LINE = "\x00", "\x01"


def _walk(el: etree._Element, out: list[str]) -> None:
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else None  # comments, PIs have callable tags
        if tag == "br":
            out.append(_LINE)
        elif tag is not None and tag not in _SKIP:
            block = tag in _BLOCK
            if block:
                out.append(_PARA)
            elif tag in ("td", "th"):
                out.append(" ")
            if child.text:
                out.append(child.text)
            _walk(child, out)
            if block:
                out.append(_PARA)
        if child.tail:
            out.append(child.tail)


# huge_tree: without it libxml2 silently drops text nodes over 10 MB, and the text would be lost.
_TEXT_PARSER = lxml.html.HTMLParser(huge_tree=True)


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment: blocks become paragraphs separated by a blank line, <br> a newline,
    other whitespace collapsed, entities decoded. For full-text indexing and word counts."""
    if not html or html.isspace():
        return ""
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    text = _fast_text(html)
    return _html_to_text_exact(html) if text is None else text


def text_word_count(text: str | None) -> int:
    """len(text.split()) of a text html_to_text made, without splitting it: its words are separated by exactly
    one space, newline or blank line, with no whitespace at either end."""
    if not text:
        return 0
    return text.count(" ") + text.count("\n") - text.count("\n\n") + 1


def _html_to_text_exact(html: str) -> str:
    """html_to_text by a Python walk of lxml.html's tree: the reference `_fast_text` must agree with, and its
    fallback."""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div", parser=_TEXT_PARSER)
    except (etree.ParserError, ValueError):
        return " ".join(_html.unescape(html).split())
    out = [root.text or ""]
    _walk(root, out)
    paragraphs = []
    for chunk in "".join(out).split(_PARA):
        lines = [" ".join(line.split()) for line in chunk.split(_LINE)]
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


# The fast path parses the same markup with the same libxml2 parser, but into plain lxml elements (lxml.html's
# element classes cost a Python lookup per element), marks only the elements that make breaks, and lets libxml2
# concatenate the text: no Python recursion, ~25% less time. Its markers are noncharacters because lxml refuses
# the exact path's control characters in text; a count check proves none came from the document itself.
_PARA_MARK, _LINE_MARK = "\ufdd0", "\ufdd1"
_FAST_PARSER = etree.HTMLParser(huge_tree=True)  # what lxml.html.HTMLParser is, minus the element classes
# lxml.html's own test for "a whole document, do not wrap it" (private: without it, no fast path)
_looks_like_full_html = getattr(lxml.html, "_looks_like_full_html_unicode", None)


def _fast_text(html: str) -> str | None:
    """html_to_text's result, or None when not sure (documents, <script>/<style> and the like, <br> with
    content, characters lxml will not take back, markers in the text): the exact path decides."""
    if _looks_like_full_html is None or _looks_like_full_html(html):
        return None
    try:
        # lxml.html.fragments_fromstring's wrapping, then the body's content is the fragment
        doc = etree.fromstring(f"<html><body>{html}</body></html>", _FAST_PARSER)
        if doc is None or doc.tag != "html":
            return None
        bodies = [el for el in doc if el.tag == "body"]
        if len(bodies) != 1:
            return None
        body = bodies[0]
        if body.text and body.text.strip():
            etree.Element("div").text = body.text  # the exact path's new root takes it: lxml's checks included
        paras = lines = 0
        for el in list(body.iter()):  # all of them: cheaper than lxml matching 45 tag names
            tag = el.tag
            if tag.__class__ is not str:
                continue  # comments and PIs: text output leaves them out, as the walk does
            if tag in _BLOCK:
                el.text = _PARA_MARK + (el.text or "")
                el.tail = _PARA_MARK + (el.tail or "")
                paras += 2
            elif tag == "br":
                if el.text or len(el):
                    return None  # the walk ignores a <br>'s content
                el.tail = _LINE_MARK + (el.tail or "")
                lines += 1
            elif tag == "td" or tag == "th":
                el.text = " " + (el.text or "")
            elif tag in _SKIP:
                return None  # the walk leaves out its content
        # Text and CDATA nodes in document order, comments and PIs left out: what the walk collects. The
        # body's leading text is included even when blank, where the walk drops it: blank, it changes nothing.
        text = etree.tostring(body, method="text", encoding=str, with_tail=False)
    except Exception:  # e.g. ValueError: text with a control character lxml parsed but will not take back
        return None
    if text.count(_PARA_MARK) != paras or text.count(_LINE_MARK) != lines or _PARA in text or _LINE in text:
        return None
    return _join_marked(text)


def _join_marked(text: str) -> str:
    """The exact path's paragraph and line assembly; blank chunks (most of them: the markup's own newlines
    between blocks) are skipped before any splitting."""
    paragraphs = []
    for chunk in text.split(_PARA_MARK):
        if not chunk or chunk.isspace():
            continue
        if _LINE_MARK in chunk:
            paragraph = "\n".join(filter(None, [" ".join(line.split()) for line in chunk.split(_LINE_MARK)]))
        else:
            paragraph = " ".join(chunk.split())
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def escape_text(text: str | None) -> str:
    """HTML for text/plain content: escaped, blank-line-separated paragraphs in <p>, single newlines <br>."""
    if not text or text.isspace():
        return ""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").strip())
    return "".join(
        "<p>" + "<br>".join(_html.escape(line.strip(), quote=False) for line in p.split("\n")) + "</p>"
        for p in paragraphs
        if p.strip()
    )
