"""Find the links to the previous (older) and next (newer) post on an article page.

Entry point: :func:`find_adjacent`. It reads the raw page (trafilatura strips these blocks from the
text on purpose), never changes the tree it is given, and returns absolute, normalised URLs
(:func:`aggregator.urls.normalize_url`, relative to ``<base href>`` when the page has one).

How candidates are found, best first (per direction, the first candidate that survives the checks
below wins):

1. Theme markup: WordPress core ``.nav-previous`` / ``.nav-next`` (also ``#nav-below``,
   ``nav.nav-single``), block themes ``.post-navigation-link-previous`` / ``-next``, Elementor
   ``.elementor-post-navigation__prev`` / ``__next``, Genesis ``.adjacent-entry-pagination
   .pagination-previous`` / ``.pagination-next``, Enfold ``a.avia-post-prev`` / ``-next``, tagDiv
   ``.td-post-prev-post`` / ``.td-post-next-post``, Squarespace ``a.item-pagination-link--prev`` /
   ``--next``, Blogger ``a.blog-pager-older-link`` / ``-newer-link``, Hugo PaperMod ``nav.paginav
   a.prev`` / ``a.next``, Drupal book ``.book-pager__item--previous`` / ``--next``, Ghost Casper 1.x
   ``a.read-next-story`` (``.prev``: the older post) and Casper 2-4's one or two post cards in
   ``.read-next-feed`` (newer first, taken only when the dates they show agree).
2. ``<a rel="prev|previous|next">`` in the body.
3. Other class / id tokens naming a direction together with a post-ish word (``prev-post``,
   ``next-article``, ``post-nav-prev``, ``prev-link`` ...; Ghost and custom themes), or a bare
   ``prev`` / ``next`` token inside a navigation block (``nav``, ``pager``, ``next-prev`` ...).
4. Label text on a link or next to it ("Previous Post", "Nächster Beitrag", "Article suivant",
   "Entrada anterior", "« Previous", ... in en/de/fr/es/it/nl/pt); the label itself is never part of
   the title.
5. ``<link rel="prev|next">`` in the head, only when it does not look like pagination: since
   WordPress 5.6 a head ``rel=next`` usually paginates a listing page.

Every candidate must be an http(s) link on the same site as ``page_url`` (ignoring ``www.``), not
the page itself, not a fragment, not a category / tag / author / search / date-archive / home page,
not pagination (``/page/2/``, ``?page=``, ``?paged=``, ``/comment-page-1/``, the page's own path
plus a number), and must not sit in listing or comment pagination, a gallery, slider or carousel
(``.pagination``, ``.page-numbers``, ``.posts-navigation``, ``.comment-navigation``,
``.image-navigation`` ...). Link texts such as "Older posts" or "Newer comments" (plural: listing
and comment pagination) disqualify a link.

What is trusted for the direction, and why:

* ``rel="prev"`` / ``rel="next"``: WordPress core writes them from ``get_previous_post()`` (the
  older post) and ``get_next_post()``; when a link carries ``rel`` it overrides the class around it.
* WordPress theme classes (core, block themes, Elementor, Genesis, Enfold, tagDiv): the same core
  functions produce them. Blogger's ``older`` / ``newer`` and any "Older" / "Newer" label say the
  direction in so many words (older = previous). Drupal's book pager follows the book's order.
* A link's own words beat its class (not its ``rel``): an ``a.next-post`` labelled "Older post" is the
  previous post, and Docusaurus' ``pagination-nav__link--prev`` labelled "Newer post" the next one. Words
  naming one post ("Older Post", "Next article") also keep a link inside a generic ``pagination`` block
  (Squarespace 7.0's ``nav.pagination > div.older``), where "Older posts" stays list pagination.
* Other classes and "Previous" / "Next" labels: kept as written. A page shows neither its own nor its
  neighbours' dates reliably, and guessing would flip correct pairs (in the benchmark corpus a site
  orders its neighbours by post id while their publication times interleave).
* Known to invert: Hugo PaperMod's ``nav.paginav`` (its "Prev" is the newer post in some theme
  versions; Hugo's own ``.Prev`` / ``.Next`` changed meaning between versions), and on pages whose
  ``<meta name="generator">`` says Hugo, any class- or label-based pair. Only these are oriented by
  dates, and only when the dates are readable from this page: the page's date (``published_at``,
  else a ``/YYYY/MM/DD/`` date in ``page_url``) and the neighbours' dates (a ``/YYYY/MM/DD/`` date in
  their URL, a ``datetime`` attribute or a ``YYYY-MM-DD[ HH:MM]`` text in the link's card). If the
  dates say the "previous" link is newer (or the "next" one older) and none says otherwise, the pair
  is swapped; without dates the labels stand. Dates are compared naively (no time zones) at the
  precision both sides have; equal dates decide nothing.

Speed: one walk over the page (`scan_page`) collects the few elements and short texts that can start a candidate
(a direction in a class or id, a label word, rel, title, the head's base, canonical and generator); everything
after looks only at those and their surroundings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urljoin, urlsplit

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from aggregator.models import AdjacentLinks
from aggregator.urls import normalize_url, same_site

__all__ = ["PageScan", "find_adjacent", "scan_page"]

PREV = "previous"
NEXT = "next"

# --------------------------------------------------------------------------------------------------
# XPath (compiled once)

_DIRECTION_WORD_RE = re.compile("prev|Prev|next|Next|older|Older|newer|Newer")
# Fragments of the label words as they are written (lower case after the first letter; English also
# in capitals): one regular expression over the page's short texts selects the few that may be labels.
_LABEL_FRAGMENTS = (
    "rev", "REV", "ext", "EXT", "lder", "LDER", "ewer", "EWER", "orherig", "ächst", "ltere", "euere",
    "écédent", "uivant", "nterior", "iguiente", "recedente", "uccessiv", "rossim", "orig", "olgend",
    "róxim", "roxim", "eguinte", "urück", "eiter",
)
_LABEL_FRAGMENT_RE = re.compile("|".join(_LABEL_FRAGMENTS))
_REL_DIRECTION_RE = re.compile("prev|next|Prev|Next")
# JSON-LD is read for this one value by a pattern: parsing every script's JSON costs more than the rest of the scan.
_JSON_LD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"\\]{4,64})"')
_PUBLISHED_META_NAMES = frozenset({"article:published_time", "date", "dc.date", "DC.date.issued"})
_HEAD_REL_DIRECTION_RE = re.compile("prev|next")


@dataclass(slots=True)
class PageScan:
    """Every element and text the detection starts from, found in one walk over the page (each XPath `//`
    pass costs about as much as this whole walk, and there were nine)."""

    classed: list[HtmlElement]  # class or id mentions a direction, in document order
    labels: list[tuple[str, HtmlElement, bool]]  # short text with a label fragment: (text, its element, is tail)
    rel_anchors: list[HtmlElement]  # <a href rel=...prev/next...>
    labelled_links: list[HtmlElement]  # <a href> whose title or aria-label has a label fragment
    head_links: list[HtmlElement]  # <link href rel=...prev/next...>
    base: str | None
    canonical: str | None
    generators: list[str]
    published: list[str]  # the content of the meta elements that give the page's publication time, in order
    json_ld_published: list[str]  # datePublished values of its JSON-LD scripts, in order


def scan_page(root: HtmlElement) -> PageScan:
    """The page's candidates (and its published-time meta values, which the article's extraction reads too)."""
    scan = PageScan([], [], [], [], [], None, None, [], [], [])
    labels, classed = scan.labels, scan.classed
    is_label, is_directional = _LABEL_FRAGMENT_RE.search, _DIRECTION_WORD_RE.search
    tails = False
    for el in root.iter():
        tag = el.tag
        text = el.tail
        if text and 2 < len(text) < 120 and is_label(text):
            labels.append((text, el, True))
            tails = True
        if not isinstance(tag, str):  # a comment or processing instruction: only its tail is page text
            continue
        text = el.text
        if text and 2 < len(text) < 120 and is_label(text):
            labels.append((text, el, False))
        names = el.get("class")
        ident = el.get("id")
        if (names and is_directional(names)) or (ident and is_directional(ident)):
            classed.append(el)
        if tag == "a":
            if el.get("href") is None:
                continue
            if _REL_DIRECTION_RE.search(el.get("rel") or ""):
                scan.rel_anchors.append(el)
            title, aria = el.get("title"), el.get("aria-label")
            if (title and is_label(title)) or (aria and is_label(aria)):
                scan.labelled_links.append(el)
        elif tag == "link":
            href, rel = el.get("href"), el.get("rel") or ""
            if href is None:
                continue
            if _HEAD_REL_DIRECTION_RE.search(rel):
                scan.head_links.append(el)
            if scan.canonical is None and "canonical" in rel:
                scan.canonical = href
        elif tag == "meta":
            content, name = el.get("content"), el.get("name")
            if content is None:
                continue
            if name in ("generator", "Generator"):
                scan.generators.append(content)
            elif (name in _PUBLISHED_META_NAMES or el.get("property") == "article:published_time"
                  or el.get("itemprop") == "datePublished"):
                scan.published.append(content)
        elif tag == "base" and scan.base is None:
            scan.base = el.get("href")
        elif tag == "script" and text and "ld+json" in (el.get("type") or ""):
            scan.json_ld_published += _JSON_LD_PUBLISHED.findall(text)
    if tails:  # a tail follows its element's descendants in the page, not the element itself
        labels.sort(key=lambda label: _document_position(label[1], label[2]))
    return scan


def _document_position(el: HtmlElement, tail: bool) -> tuple[float, ...]:
    """Sort key of an element's text (or its tail) in document order."""
    path: list[float] = [math.inf if tail else -1]
    parent = el.getparent()
    while parent is not None:
        path.append(parent.index(el))
        el, parent = parent, parent.getparent()
    path.reverse()
    return tuple(path)


_XP_LINKS_BELOW = etree.XPath(".//a[@href]")
_XP_TITLE_ELEMENTS = etree.XPath(
    ".//*[contains(@class, 'title') or contains(@class, 'Title') or self::h1 or self::h2 or self::h3"
    " or self::h4 or self::h5 or self::h6]"
)
_XP_DATETIME = etree.XPath(".//@datetime", smart_strings=False)

# --------------------------------------------------------------------------------------------------
# Labels

_EN_NOUN = r"(?:post|article|entry|story|news|item|blog post|blog entry|posting)"
_DE_NOUN = r"(?:beitrag|artikel|eintrag|post|meldung|nachricht|story|blogpost|blogbeitrag)"
_PREV_LABEL = "|".join((
    rf"(?:previous|prev|older)(?: (?:\w+ )?{_EN_NOUN})?",
    rf"(?:vorherige[rsn]?|ältere[rsn]?|vorige[rsn]?)(?: {_DE_NOUN})?",
    r"zurück",  # German PaperMod and other Hugo themes: "« Zurück" / "Weiter »"
    r"(?:(?:article|billet|post|publication|entrée|actualité|message) )?précédente?",
    r"(?:(?:entrada|artículo|articulo|publicación|publicacion|post|noticia|artigo|publicação"
    r"|publicacao|notícia|postagem) )?anterior",
    r"(?:(?:articolo|post|notizia) )?precedente",
    r"(?:vorig|vorige) (?:bericht|artikel|post)",
    r"go to (?:the )?previous (?:page|post|article)",
))
_NEXT_LABEL = "|".join((
    rf"(?:next|newer)(?: (?:\w+ )?{_EN_NOUN})?",
    rf"(?:nächste[rsn]?|neuere[rsn]?)(?: {_DE_NOUN})?",
    r"weiter",
    r"(?:(?:article|billet|post|publication|entrée|actualité|message) )?suivante?",
    r"(?:(?:entrada|artículo|articulo|publicación|publicacion|post|noticia) )?siguiente",
    r"(?:(?:post|artigo|publicação|publicacao|notícia|postagem) )?seguinte",
    r"(?:próximo|proximo)(?: (?:post|artigo))?|(?:próxima|proxima)(?: (?:publicação|notícia|postagem))?",
    r"(?:(?:articolo|post|notizia) )?successiv[oa]|(?:prossimo|prossima)(?: (?:articolo|post|notizia))?",
    r"volgende?(?: (?:bericht|artikel|post))?",
    r"go to (?:the )?next (?:page|post|article)",
))
_PREV_RE = re.compile(_PREV_LABEL)
_NEXT_RE = re.compile(_NEXT_LABEL)
_ANY_LABEL = rf"(?:{_PREV_LABEL}|{_NEXT_LABEL})"
# Listing and comment pagination ("Older posts", "Newer comments", "Next page", "Ältere Beiträge").
_LISTING_LABEL_RE = re.compile(
    r"(?:older|newer|previous|prev|next|more|earlier|later|ältere|neuere|vorherige|nächste|weitere)"
    r" (?:posts|entries|articles|stories|comments|page|pages|beiträge|einträge|kommentare|seite)"
    r"|(?:entradas|artículos|articles|billets|commentaires|comentarios|articoli|berichten)"
    r" (?:anteriores|siguientes|précédents|suivants|plus anciens|plus récents|precedenti|successivi|recentes)"
    r"|(?:page|pagina|página) (?:précédente|suivante|anterior|siguiente|precedente|successiva|seguinte)"
    r"|(?:vorige|volgende) pagina"
    r"|(?:next|previous|prev) (?:image|photo|picture|slide|gallery|video)"
    r"|(?:nächstes|vorheriges) (?:bild|foto)|(?:image|photo) (?:suivante|précédente)"
)
_EXPLICIT_TIME_RE = re.compile(r"\b(?:older|newer|ältere[rsn]?|neuere[rsn]?)\b")
_EDGE_NONWORD_RE = re.compile(r"^[\W_]+|[\W_]+$")
_SPACE_RE = re.compile(r"\s+")
# A label glued to a title: "Previous Post: Title", "Next article | Title", "Nächster Beitrag – Titel"
# (a hyphen counts only between spaces: "Previous-gen phones" is a title).
_SEP = r"(?:\s*[:|»«›‹→←⟵⟶·•]+\s*|\s+[-–—/]+\s+)"
_MULTIWORD_PREV = rf"(?:previous|prev|older) {_EN_NOUN}|(?:vorherige[rsn]?|ältere[rsn]?) {_DE_NOUN}"
_MULTIWORD_NEXT = rf"(?:next|newer) {_EN_NOUN}|(?:nächste[rsn]?|neuere[rsn]?) {_DE_NOUN}"
_LEAD_LABEL_RE = re.compile(
    rf"^\W*(?:(?P<p>{_PREV_LABEL})|(?P<n>{_NEXT_LABEL})){_SEP}(?P<rest>\w.*)$", re.IGNORECASE
)
_TRAIL_LABEL_RE = re.compile(rf"^(?P<rest>.+?){_SEP}{_ANY_LABEL}\W*$", re.IGNORECASE)
_LEAD_MULTIWORD_RE = re.compile(
    rf"^\W*(?:(?P<p>{_MULTIWORD_PREV})|(?P<n>{_MULTIWORD_NEXT}))\s+(?P<rest>\w.*)$", re.IGNORECASE
)
_EDGE_JUNK = " \t\n\r\f\v\xa0:|«»‹›←→⟵⟶⇐⇒<>–—-·•◄►◀▶❮❯〈〉"


def _norm_space(text: str | None) -> str:
    return _SPACE_RE.sub(" ", text or "").strip()


def _label_key(text: str) -> str:
    return _EDGE_NONWORD_RE.sub("", _norm_space(text).lower())


def _label_direction(text: str | None) -> str | None:
    """PREV / NEXT when `text` is only a previous / next label (arrows and colons ignored)."""
    if not text or len(text) > 60:
        return None
    key = _label_key(text)
    if not key:
        return None
    if _PREV_RE.fullmatch(key):
        return PREV
    if _NEXT_RE.fullmatch(key):
        return NEXT
    return None


def _label_prefix_direction(text: str) -> str | None:
    """PREV / NEXT when `text` starts with a label glued to a title ("Next Post: Title")."""
    text = _norm_space(text)
    for regex in (_LEAD_LABEL_RE, _LEAD_MULTIWORD_RE):
        m = regex.match(text)
        if m:
            return PREV if m.group("p") else NEXT
    return None


_SINGLE_POST_RE = re.compile(rf"{_MULTIWORD_PREV}|{_MULTIWORD_NEXT}")


def _words_of(link) -> tuple[str | None, bool, bool]:
    """What a link's own words say: (direction, explicit older/newer, names a single post). From its whole
    text, a label leading its text ("Older post → Title"), a descendant that is only a label, or its
    aria-label / title."""
    texts = [link.text_content()]
    texts += [child.text_content() for child in link.iterdescendants() if isinstance(child.tag, str)][:12]
    texts += [link.get("aria-label") or "", link.get("title") or ""]
    for text in texts:
        if not text or len(text) > 300:
            continue
        label = None
        if _label_direction(text) is not None:
            label = _label_key(text)
        else:
            norm = _norm_space(text)
            for regex in (_LEAD_LABEL_RE, _LEAD_MULTIWORD_RE):
                m = regex.match(norm)
                if m:
                    label = (m.group("p") or m.group("n")).lower()
                    break
        if label is None:
            continue
        direction = PREV if _PREV_RE.fullmatch(label) else NEXT if _NEXT_RE.fullmatch(label) else None
        if direction is None:
            continue
        return direction, _EXPLICIT_TIME_RE.search(label) is not None, _SINGLE_POST_RE.fullmatch(label) is not None
    return None, False, False


def _is_label_or_empty(text: str) -> bool:
    return not _label_key(text) or _label_direction(text) is not None


def _is_listing_label(text: str) -> bool:
    key = _label_key(text)
    return bool(key) and len(key) < 50 and _LISTING_LABEL_RE.fullmatch(key) is not None


# --------------------------------------------------------------------------------------------------
# Class tokens

_CAMEL_RE = re.compile(r"([a-z0-9])([A-Z])")
_PART_SPLIT_RE = re.compile(r"[-_\s]+")
_PREV_PARTS = frozenset({"prev", "previous", "older", "prv"})
_NEXT_PARTS = frozenset({"next", "newer", "nxt"})
_POSTISH_PARTS = frozenset({
    "post", "article", "entry", "story", "news", "single", "blog", "link", "links", "nav", "adjacent", "sibling",
    "nextprev", "prevnext",  # Eleventy's li.links-nextprev-prev
})
# Parts that make "next" mean something else: "read-next", "up-next", "next-video", "load-more-next".
_OTHER_MEANING_PARTS = frozenset({
    "read", "up", "more", "related", "recommended", "watch", "video", "videos", "playlist", "continue",
    "load", "show", "level", "step", "question", "quiz", "chapter", "track",
})
_NAV_CONTEXT_PARTS = frozenset({
    "nav", "navigation", "pager", "paginav", "adjacent", "sibling", "siblings", "stepper", "browse",
})
_EXCLUDE_PARTS = frozenset({
    "comment", "comments", "gallery", "slideshow", "slider", "slides", "slide", "carousel", "swiper",
    "lightbox", "calendar", "slick", "glide", "flickity", "splide", "pagenavi", "modal", "popup",
    "menu", "dropdown", "tab", "tabs", "month",
})
_EXCLUDE_TOKENS = frozenset({
    "pagination", "page-numbers", "posts-navigation", "paging-navigation", "page-links",
    "image-navigation", "comment-navigation", "comments-navigation", "comments-pagination",
    "archive-pagination", "woocommerce-pagination", "wp-pagenavi", "nav-links-numbers",
})
_POST_NAV_TOKENS = frozenset({
    "post-navigation", "nav-single", "adjacent-entry-pagination", "paginav", "post-nav", "postnav",
    "single-post-navigation", "blog-post-navigation", "elementor-post-navigation", "post-pagination",
    "item-pagination", "book-pager", "book-navigation", "blog-pager", "nextprev-nav", "prev-next",
    "next-prev", "post-nav-links", "td-post-next-prev", "wp-block-post-navigation-link",
    "pagination-single", "pagination--pager",  # Twenty Twenty; Jekyll Minimal Mistakes
})
_IGNORED_TAGS = frozenset({
    "script", "style", "img", "svg", "path", "use", "i", "button", "input", "link", "meta", "iframe",
    "picture", "source", "noscript", "form", "select", "option", "html", "body", "head", "label",
})


@dataclass(frozen=True, slots=True)
class _ThemeRule:
    direction: str
    source: str
    may_invert: bool = False  # the theme's "prev" is the newer post in some versions
    parent_token: str | None = None  # required on an ancestor (within 4 levels)
    prev_token: str | None = None  # this token beside the rule's means the older post instead


_THEME_RULES: dict[str, _ThemeRule] = {
    "nav-previous": _ThemeRule(PREV, "wordpress"),
    "nav-next": _ThemeRule(NEXT, "wordpress"),
    "post-navigation-link-previous": _ThemeRule(PREV, "wp-block"),
    "post-navigation-link-next": _ThemeRule(NEXT, "wp-block"),
    "elementor-post-navigation__prev": _ThemeRule(PREV, "elementor"),
    "elementor-post-navigation__next": _ThemeRule(NEXT, "elementor"),
    "pagination-previous": _ThemeRule(PREV, "genesis", parent_token="adjacent-entry-pagination"),
    "pagination-next": _ThemeRule(NEXT, "genesis", parent_token="adjacent-entry-pagination"),
    "avia-post-prev": _ThemeRule(PREV, "enfold"),
    "avia-post-next": _ThemeRule(NEXT, "enfold"),
    "td-post-prev-post": _ThemeRule(PREV, "tagdiv"),
    "td-post-next-post": _ThemeRule(NEXT, "tagdiv"),
    "item-pagination-link--prev": _ThemeRule(PREV, "squarespace"),
    "item-pagination-link--next": _ThemeRule(NEXT, "squarespace"),
    "blog-pager-older-link": _ThemeRule(PREV, "blogger"),
    "blog-pager-newer-link": _ThemeRule(NEXT, "blogger"),
    "prev": _ThemeRule(PREV, "papermod", may_invert=True, parent_token="paginav"),
    "next": _ThemeRule(NEXT, "papermod", may_invert=True, parent_token="paginav"),
    "book-pager__item--previous": _ThemeRule(PREV, "drupal-book"),
    "book-pager__item--next": _ThemeRule(NEXT, "drupal-book"),
    # Ghost Casper 1.x: aside.read-next > a.read-next-story (next_post, newer) and a.read-next-story.prev
    "read-next-story": _ThemeRule(NEXT, "casper", parent_token="read-next", prev_token="prev"),
}

# Tiers: lower wins.
_TIER_THEME, _TIER_REL, _TIER_CLASS, _TIER_CLASS_BARE, _TIER_LABEL, _TIER_HEAD = range(6)


def _tokens(el) -> list[str]:
    return (el.get("class") or "").split() + (el.get("id") or "").split()


def _parts(token: str) -> list[str]:
    return [p for p in _PART_SPLIT_RE.split(_CAMEL_RE.sub(r"\1 \2", token).lower()) if p]


def _token_flags(token: str) -> tuple[bool, bool]:
    """(mentions previous, mentions next) for one class/id token. A token naming both is a container
    ("prev-next", "nav-prev-next"), unless it ends in one of them ("prev-next-link-prev", "prev-next__next"):
    then that is the item's direction."""
    low = token.lower()
    parts = _parts(token)
    if "prev" in low and "next" in low:
        if len(parts) > 2 and parts[-1] in _PREV_PARTS:
            return True, False
        if len(parts) > 2 and parts[-1] in _NEXT_PARTS:
            return False, True
        return True, True
    return bool(_PREV_PARTS.intersection(parts)), bool(_NEXT_PARTS.intersection(parts))


def _is_nav_context(el) -> bool:
    if el.tag == "nav":
        return True
    for token in _tokens(el):
        if token in _POST_NAV_TOKENS:
            return True
        has_prev, has_next = _token_flags(token)
        if has_prev and has_next:
            return True
        if _NAV_CONTEXT_PARTS.intersection(_parts(token)):
            return True
    return False


def _is_post_nav_marker(tokens: list[str]) -> bool:
    for token in tokens:
        if token in _POST_NAV_TOKENS:
            return True
        parts = _parts(token)
        if {"post", "entry", "article", "single", "book"}.intersection(parts) and {
            "nav", "navigation", "pagination", "pager", "paginav"
        }.intersection(parts):
            return True
    return False


# Owl Carousel's own classes; "owl" alone is also the "lobotomized owl" spacing utility (owl-spacing--l).
_OWL_CAROUSEL_RE = re.compile(r"owl-(?:carousel|stage|stage-outer|item|nav|prev|next|dots?|theme|loaded|drag)\Z")
# Generic list-pagination classes that some themes also put around one post's neighbours (older Squarespace
# templates: nav.pagination > div.newer / div.older): not excluding when the link's words name a single post.
_GENERIC_PAGINATION_TOKENS = frozenset({"pagination"})


def _is_excluded_marker(tokens: list[str], single_post_words: bool = False) -> bool:
    for token in tokens:
        low = token.lower()
        if low in _EXCLUDE_TOKENS:
            if single_post_words and low in _GENERIC_PAGINATION_TOKENS:
                continue
            return True
        if _EXCLUDE_PARTS.intersection(_parts(token)) or _OWL_CAROUSEL_RE.match(low):
            return True
    return False


def _in_excluded_block(el, depth: int = 6, single_post_words: bool = False) -> bool:
    """True when `el` sits in pagination, comments, a gallery, slider ... or the site header / sidebar.

    Class markers are read on `el` and its closest `depth` ancestors, nearest first: a post
    navigation marker (Genesis' ``adjacent-entry-pagination pagination``) ends the search. With
    `single_post_words` (the link says "Older Post", "Next article"), a generic ``pagination`` class
    does not exclude it.
    """
    node = el
    level = 0
    while node is not None:
        if isinstance(node.tag, str):
            if level <= depth:
                tokens = _tokens(node)
                if tokens:
                    if _is_post_nav_marker(tokens):
                        return False
                    if _is_excluded_marker(tokens, single_post_words):
                        return True
            parent = node.getparent()
            if node.tag in ("header", "aside") and parent is not None and parent.tag == "body":
                return True
        node = node.getparent()
        level += 1
    return False


def _has_ancestor_token(el, token: str, depth: int = 4) -> bool:
    node = el.getparent()
    while node is not None and depth > 0:
        if token in _tokens(node):
            return True
        node = node.getparent()
        depth -= 1
    return False


def _has_nav_context(el, depth: int = 5) -> bool:
    node = el.getparent()
    while node is not None and depth > 0:
        if isinstance(node.tag, str) and _is_nav_context(node):
            return True
        node = node.getparent()
        depth -= 1
    return False


# --------------------------------------------------------------------------------------------------
# URLs

_NUMERIC_RE = re.compile(r"\d+")
_PAGE_SEGMENT_RE = re.compile(r"(?:page|seite|pagina|página)-?\d+|comment-page-\d+|cpage-?\d+", re.IGNORECASE)
_PAGINATION_PARAMS = frozenset({
    "page", "paged", "cpage", "pg", "pagenum", "page_num", "pagenumber", "start", "offset",
    "updated-max", "updated-min", "max-results", "seite", "pagina", "replytocom",
})
_NON_POST_SEGMENTS = frozenset({
    "category", "categories", "tag", "tags", "tagged", "author", "authors", "search", "label", "labels",
    "feed", "rss", "wp-login.php", "wp-admin", "attachment", "kategorie", "schlagwort", "autor",
    "categorie", "categoria", "etiqueta", "auteur", "topics", "user", "users", "profile", "login",
})
_NON_POST_PARAMS = frozenset({"cat", "tag", "author", "s", "q", "attachment_id", "replytocom", "share", "action"})
_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])(?:/(0?[1-9]|[12]\d|3[01]))?(?=/)")
_TEXT_DATE_RE = re.compile(
    r"\b((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:[ T]([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?)?"
)


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _is_date_archive(segs: list[str]) -> bool:
    """A year, year/month or year/month/day path: a plausible year, then a month, then a day."""
    if not 1 <= len(segs) <= 3 or not all(s.isdigit() for s in segs):
        return False
    if len(segs[0]) != 4 or not 1990 <= int(segs[0]) <= 2100:
        return False
    limits = (12, 31)
    return all(len(seg) <= 2 and 1 <= int(seg) <= limit for seg, limit in zip(segs[1:], limits, strict=False))


def _strip_page_number(segs: list[str]) -> tuple[list[str], bool]:
    """The path without a trailing page number (``page/2``, ``page2``, ``2`` up to 3 digits)."""
    if len(segs) >= 2 and segs[-2].lower() == "page" and segs[-1].isdigit():
        return segs[:-2], True
    if segs and segs[-1].isdigit() and len(segs[-1]) <= 3:
        return segs[:-1], True
    if segs and _PAGE_SEGMENT_RE.fullmatch(segs[-1]):
        return segs[:-1], True
    return segs, False


def _rejected_url(url: str, page_url: str | None) -> bool:
    """True for pagination, archive and other non-post URLs."""
    parts = urlsplit(url)
    segs = _segments(parts.path)
    lower = [s.lower() for s in segs]
    if not segs and not parts.query:
        return True  # home page
    for i, seg in enumerate(lower):
        if seg in _NON_POST_SEGMENTS or _PAGE_SEGMENT_RE.fullmatch(seg):
            return True
        if seg == "page" and i + 1 < len(lower) and lower[i + 1].isdigit():
            return True
    if _is_date_archive(segs) and not (page_url and _is_date_archive(_segments(urlsplit(page_url).path))):
        return True  # /2019/, /2019/11/, /2019/11/05/ (not /2301, /2020/08/23643/: numbered posts)
    for key, _value in parse_qsl(parts.query, keep_blank_values=True):
        k = key.lower()
        if k in _PAGINATION_PARAMS or k in _NON_POST_PARAMS:
            return True
    if page_url:
        page = urlsplit(page_url)
        if page.netloc.removeprefix("www.") == parts.netloc.removeprefix("www."):
            page_segs = _segments(page.path)
            if segs == page_segs:
                # Same path: another document only when the same parameters name it (?p=99 vs ?p=100);
                # otherwise a variant of this page (?amp=1, ?share=...).
                keys = {k for k, _v in parse_qsl(parts.query, keep_blank_values=True)}
                page_keys = {k for k, _v in parse_qsl(page.query, keep_blank_values=True)}
                return not keys or keys != page_keys
            a, a_num = _strip_page_number(segs)
            b, b_num = _strip_page_number(page_segs)
            if a_num != b_num and a == b:
                return True  # page 2 of this page or listing, or page 1 seen from page 2
    return False


# --------------------------------------------------------------------------------------------------
# Dates

_DateHint = tuple[int, ...]


def _url_date(url: str | None) -> _DateHint | None:
    if not url:
        return None
    m = _URL_DATE_RE.search(urlsplit(url).path)
    if not m:
        return None
    return tuple(int(g) for g in m.groups() if g)


def _iso_date(text: str | None) -> _DateHint | None:
    if not text:
        return None
    text = text.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        m = _TEXT_DATE_RE.search(text)
        if not m:
            return None
        return tuple(int(g) for g in m.groups() if g)
    if len(text) <= 10:
        return (dt.year, dt.month, dt.day)
    return (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)


def _compare(a: _DateHint | None, b: _DateHint | None) -> int:
    """-1 / 1 when a is older / newer than b at their common precision, 0 when unknown or equal."""
    if not a or not b:
        return 0
    n = min(len(a), len(b))
    if a[:n] < b[:n]:
        return -1
    if a[:n] > b[:n]:
        return 1
    return 0


# --------------------------------------------------------------------------------------------------
# Candidates


@dataclass(slots=True)
class _Candidate:
    direction: str
    tier: int
    order: int
    link: HtmlElement  # the <a> or <link> element
    container: HtmlElement | None  # element holding only this link (title / date hints), if any
    may_invert: bool  # the markup's direction is known to be inverted sometimes: orient by dates
    source: str
    url: str = ""
    title: str | None = None


def _link_direction_from_rel(link) -> str | None:
    rel = (link.get("rel") or "").lower().split()
    if "prev" in rel or "previous" in rel:
        return PREV if "next" not in rel else None
    if "next" in rel:
        return NEXT
    return None


def _resolve_link(el):
    """The <a href> an element stands for: itself, an enclosing link, or its only link target."""
    if el.tag == "a":
        return el if el.get("href") else None
    node = el.getparent()
    depth = 4
    while node is not None and depth > 0:
        if node.tag == "a" and node.get("href"):
            return node
        node = node.getparent()
        depth -= 1
    links = [a for a in _XP_LINKS_BELOW(el) if not (a.get("href") or "").strip().startswith(("#", "javascript:"))]
    if not links:
        return None
    hrefs = {a.get("href").strip() for a in links}
    if len(hrefs) > 4:
        return None  # a whole block of links, not one neighbour
    return links[0]


class _Context:
    def __init__(self, root, page_url: str, published_at: str | None, scan: PageScan | None = None):
        self.root = root
        self.scan = scan = scan if scan is not None else scan_page(root)
        self.page_url = normalize_url(page_url) or page_url
        self.base = urljoin(page_url, scan.base.strip()) if scan.base is not None else page_url
        self.self_urls = {self.page_url}
        if scan.canonical is not None:
            canonical = normalize_url(scan.canonical, base=self.base)
            if canonical and same_site(canonical, self.page_url):
                self.self_urls.add(canonical)
        self.is_hugo = any(g.strip().lower().startswith("hugo") for g in scan.generators)
        self.page_date = _iso_date(published_at) if published_at else None
        if not self.page_date:
            self.page_date = _url_date(self.page_url)

    def url_of(self, link) -> str | None:
        href = (link.get("href") or "").strip()
        if not href or href.startswith("#") or href.lower().startswith(("javascript:", "mailto:", "tel:")):
            return None
        url = normalize_url(href, base=self.base)
        if not url or not same_site(url, self.page_url) or url in self.self_urls:
            return None
        if _rejected_url(url, self.page_url):
            return None
        return url


def _distinct_urls(ctx: _Context, el) -> set[str]:
    urls = set()
    for a in _XP_LINKS_BELOW(el):
        href = (a.get("href") or "").strip()
        if href and not href.startswith(("#", "javascript:")):
            urls.add(normalize_url(href, base=ctx.base) or href)
    return urls


def _container_for(ctx: _Context, link, el=None):
    """The largest element around `link` (or `el`), up to 3 levels up, that links to nothing else and
    is small (a card: label, title, excerpt, date), or None."""
    start = el if el is not None and el is not link else link
    node = start if start is not link else link.getparent()
    target = normalize_url(link.get("href"), base=ctx.base)
    best = None
    depth = 3
    while node is not None and depth > 0 and node.tag not in ("body", "html", "main", "article"):
        if _distinct_urls(ctx, node) - {target} or len(node.text_content()) > 600:
            break
        best = node
        node = node.getparent()
        depth -= 1
    return best


def _collect(ctx: _Context) -> list[_Candidate]:
    cands: list[_Candidate] = []
    order = 0

    def add(direction, tier, link, container, may_invert, source):
        nonlocal order
        order += 1
        rel_dir = _link_direction_from_rel(link) if link.tag == "a" else None
        if rel_dir is not None:  # WordPress core's rel beats any class around it
            direction, may_invert = rel_dir, False
        elif link.tag == "a" and tier in (_TIER_THEME, _TIER_CLASS, _TIER_CLASS_BARE):
            # The link's own words beat its class: an a.next-post labelled "Older post" is the previous post
            # (Docusaurus' "prev" item is the newer post, and says so).
            said, explicit, _single = _words_of(link)
            if said is not None and said != direction:
                direction = said
                may_invert = may_invert and not explicit
            elif explicit:
                may_invert = False
        cands.append(_Candidate(direction, tier, order, link, container, may_invert, source))

    # 1 + 3: theme classes and other direction tokens
    for el in ctx.scan.classed:
        if el.tag in _IGNORED_TAGS:
            continue
        tokens = _tokens(el)
        rule = None
        for token in tokens:
            r = _THEME_RULES.get(token)
            if r and (r.parent_token is None or _has_ancestor_token(el, r.parent_token)):
                rule = r
                break
        if rule is not None:
            link = _resolve_link(el)
            if link is not None:
                container = el if el is not link else _container_for(ctx, link)
                # str | None: the rel and label steps below reuse the name for directions they may not find
                direction: str | None = PREV if rule.prev_token and rule.prev_token in tokens else rule.direction
                add(direction, _TIER_THEME, link, container, rule.may_invert, rule.source)
            continue
        dirs = set()
        strong = False
        explicit = False
        for token in tokens:
            has_prev, has_next = _token_flags(token)
            if has_prev == has_next:
                continue
            dirs.add(PREV if has_prev else NEXT)
            parts = set(_parts(token))
            if parts & {"older", "newer"}:
                explicit = True
            extra = parts - _PREV_PARTS - _NEXT_PARTS
            if extra & _OTHER_MEANING_PARTS:
                dirs.add("veto")
            elif extra & _POSTISH_PARTS:
                strong = True
            elif extra:
                dirs.add("other")  # e.g. "next-btn", "arrow-prev": direction of something else
        real = dirs - {"other", "veto"}
        if len(real) != 1 or "veto" in dirs:
            continue
        if not strong and ("other" in dirs or not _has_nav_context(el)):
            continue
        link = _resolve_link(el)
        if link is None:
            continue
        container = el if el is not link else _container_for(ctx, link)
        tier = _TIER_CLASS if strong else _TIER_CLASS_BARE
        add(real.pop(), tier, link, container, ctx.is_hugo and not explicit, "class")

    # 1b: Ghost Casper 2.x-4.x, next_post then prev_post as plain post cards beside the tag's list
    for feed in _casper_feeds(ctx.scan.classed):
        for direction, card in _casper_neighbours(ctx, feed):
            link = next(iter(_XP_CASPER_CARD_LINK(card)), None)
            if link is not None:
                add(direction, _TIER_THEME, link, card, False, "casper")

    # 2: rel in the body
    for a in ctx.scan.rel_anchors:
        direction = _link_direction_from_rel(a)
        if direction:
            add(direction, _TIER_REL, a, _container_for(ctx, a), False, "rel")

    # 4: label text, on the link or next to it
    for text, el, is_tail in ctx.scan.labels:
        direction = _label_direction(text) or _label_prefix_direction(text)
        if direction is None:
            continue
        if is_tail:
            el = el.getparent()
            if el is None:
                continue
        if el.tag in ("script", "style", "title", "option", "textarea", "button"):
            continue
        link = _resolve_link_for_label(ctx, el)
        if link is None:
            continue
        explicit = _EXPLICIT_TIME_RE.search(_label_key(text)) is not None
        add(direction, _TIER_LABEL, link, _container_for(ctx, link, el), ctx.is_hugo and not explicit, "label")
    for a in ctx.scan.labelled_links:
        for attr in ("aria-label", "title"):
            direction = _label_direction(a.get(attr))
            if direction:
                explicit = _EXPLICIT_TIME_RE.search(_label_key(a.get(attr))) is not None
                add(direction, _TIER_LABEL, a, _container_for(ctx, a), ctx.is_hugo and not explicit, "label")
                break

    # 5: head links
    for link in ctx.scan.head_links:
        direction = _link_direction_from_rel(link)
        if direction:
            add(direction, _TIER_HEAD, link, None, False, "head")
    return cands




def _casper_feeds(classed: list[HtmlElement]) -> list[HtmlElement]:
    """aside.read-next .read-next-feed (among the directional elements: the class names "next")."""
    return [
        el for el in classed
        if "read-next-feed" in (el.get("class") or "")
        and any(up.tag == "aside" and "read-next" in (up.get("class") or "") for up in el.iterancestors())
    ]


_XP_CASPER_CARDS = etree.XPath("./article[contains(concat(' ', @class, ' '), ' post-card ')]")
_XP_CASPER_CARD_LINK = etree.XPath(".//a[contains(@class, 'post-card-content-link')][@href]")


def _casper_neighbours(ctx: _Context, feed: HtmlElement) -> list[tuple[str, HtmlElement]]:
    """Casper's cards in template order (the newer neighbour first), checked against the dates they show.

    Two cards: newer then older, unless their dates or the page's say otherwise (then nothing: another
    theme's related posts). One card: the side its date puts it on, if the page's date is known."""
    cards = _XP_CASPER_CARDS(feed)
    if not 1 <= len(cards) <= 2:
        return []
    dates = [next((d for d in (_iso_date(str(v)) for v in _XP_DATETIME(card)) if d), None) for card in cards]
    page = ctx.page_date
    if len(cards) == 2:
        newer, older = dates
        if _compare(newer, older) < 0 or _compare(newer, page) < 0 or _compare(page, older) < 0:
            return []
        return [(NEXT, cards[0]), (PREV, cards[1])]
    side = _compare(dates[0], page)
    return [(NEXT if side > 0 else PREV, cards[0])] if side else []


def _in_prose(link) -> bool:
    """True when a link sits in running text ("as I wrote in my <a>previous post</a>, ...")."""
    node = link.getparent()
    depth = 3
    while node is not None and depth > 0:
        if node.tag in ("p", "li", "blockquote", "dd", "td", "figcaption"):
            own = len(_norm_space(link.text_content()))
            return len(_norm_space(node.text_content())) > own + 40
        node = node.getparent()
        depth -= 1
    return False


def _resolve_link_for_label(ctx: _Context, el):
    """The link a label belongs to: the link around it, else the only link near it."""
    node = el
    depth = 5
    while node is not None and depth > 0:
        if node.tag == "a":
            return node if node.get("href") else None
        node = node.getparent()
        depth -= 1
    node = el  # the label's own element first: "<li>← Previous<br><a>Title</a></li>" (Eleventy)
    depth = 4
    while node is not None and depth > 0 and node.tag not in ("body", "html"):
        urls = _distinct_urls(ctx, node)
        if len(urls) == 1:
            for a in _XP_LINKS_BELOW(node):
                href = (a.get("href") or "").strip()
                if href and not href.startswith(("#", "javascript:")):
                    return a
        if len(urls) > 1 or (not urls and _XP_LINKS_BELOW(node)):
            return None  # several links, or the label's own link leads nowhere ("#": no such neighbour)
        node = node.getparent()
        depth -= 1
    return None


# --------------------------------------------------------------------------------------------------
# Titles


def _clean_title(text: str | None) -> str | None:
    text = _norm_space(text).strip(_EDGE_JUNK)
    if not text:
        return None
    for regex in (_LEAD_LABEL_RE, _TRAIL_LABEL_RE, _LEAD_MULTIWORD_RE):
        m = regex.match(text)
        if m:
            text = m.group("rest").strip(_EDGE_JUNK)
    if not text or _label_direction(text) is not None or _is_listing_label(text):
        return None
    if len(text) > 300:
        text = text[:300].rsplit(" ", 1)[0] + "…"
    return text


def _explicit_title(el) -> str | None:
    for node in _XP_TITLE_ELEMENTS(el):
        if node.tag in _IGNORED_TAGS:
            continue
        text = _norm_space(node.text_content())
        if text and not _is_label_or_empty(text):
            return _clean_title(text)
    return None


def _text_title(link) -> str | None:
    """The link's text without the parts that are only a label or an arrow ("Previous Post:", "»")."""
    chunks: list[str] = []

    def walk(node) -> None:
        if node.text:
            chunks.append(node.text)
        for child in node:
            if (
                isinstance(child.tag, str)
                and child.tag not in ("script", "style", "noscript", "svg", "time")
                and not _is_label_or_empty(child.text_content())
            ):
                walk(child)
            if child.tail:
                chunks.append(child.tail)

    walk(link)
    kept = [c for c in (_norm_space(t) for t in chunks) if c and not _is_label_or_empty(c)]
    return _clean_title(" ".join(kept)) if kept else None


def _title_of(cand: _Candidate) -> str | None:
    link = cand.link
    if link.tag == "link":
        title = link.get("title")
        return _clean_title(title) if title and not _is_label_or_empty(title) else None
    title = _explicit_title(link) or _text_title(link)
    if title is None:
        attr = link.get("title")
        if attr and not _is_label_or_empty(attr) and not _is_listing_label(attr):
            title = _clean_title(attr)
    if title is None and cand.container is not None and cand.container is not link:
        title = _explicit_title(cand.container)
    return title


def _date_of(cand: _Candidate) -> _DateHint | None:
    hint = _url_date(cand.url)
    if hint:
        return hint
    for scope in (cand.link, cand.container):
        if scope is None or scope.tag == "link":
            continue
        for value in _XP_DATETIME(scope):
            hint = _iso_date(str(value))
            if hint:
                return hint
        text = scope.text_content()
        if len(text) < 2000:
            m = _TEXT_DATE_RE.search(text)
            if m:
                return tuple(int(g) for g in m.groups() if g)
    return None


# --------------------------------------------------------------------------------------------------
# Entry point


def _root_of(doc):
    if isinstance(doc, str | bytes):
        data = doc.encode("utf-8", "surrogatepass") if isinstance(doc, str) else doc
        if not data.strip():
            return None
        try:
            data.decode("utf-8")
            parser = lxml.html.HTMLParser(encoding="utf-8")
        except UnicodeDecodeError:
            parser = lxml.html.HTMLParser()
        try:
            return lxml.html.document_fromstring(data, parser=parser)
        except (etree.ParserError, ValueError):
            return None
    if hasattr(doc, "getroot"):
        return doc.getroot()
    return doc


def find_adjacent(doc, page_url: str, published_at: str | None = None, scan: PageScan | None = None) -> AdjacentLinks:
    """Previous (older) and next (newer) post linked from an article page.

    `doc` is the page as HTML text / bytes, or an already parsed ``lxml.html`` tree or element
    (read only: it is not modified). `page_url` is the page's final URL (base of relative links and
    reference for "same site"); `published_at` its ISO publication date, used only to orient links
    from markup known to invert its direction (see the module docstring). Missing links are None.
    `scan`: scan_page() of the same tree, when the caller made it already.
    """
    result = AdjacentLinks()
    if not page_url:
        return result
    root = _root_of(doc)
    if root is None:
        return result
    ctx = _Context(root, page_url, published_at, scan)

    chosen: dict[str, _Candidate] = {}
    for cand in sorted(_collect(ctx), key=lambda c: (c.tier, c.order)):
        if cand.direction in chosen:
            continue
        if cand.link.tag == "a":
            if _in_excluded_block(cand.link, single_post_words=_words_of(cand.link)[2]):
                continue
            if _is_listing_label(cand.link.text_content()):
                continue
            if cand.source == "label" and _in_prose(cand.link):
                continue
        url = ctx.url_of(cand.link)
        if url is None:
            continue
        cand.url = url
        chosen[cand.direction] = cand
        if len(chosen) == 2:
            break

    prev, nxt = chosen.get(PREV), chosen.get(NEXT)
    if prev and nxt and prev.url == nxt.url:
        if prev.tier == nxt.tier:
            return result
        if prev.tier < nxt.tier:
            nxt = None
        else:
            prev = None

    if (prev or nxt) and all(c.may_invert for c in (prev, nxt) if c):
        prev, nxt = _orient_by_dates(ctx, prev, nxt)

    if prev:
        result.previous_url, result.previous_title = prev.url, _title_of(prev)
    if nxt:
        result.next_url, result.next_title = nxt.url, _title_of(nxt)
    return result


def _orient_by_dates(ctx: _Context, prev: _Candidate | None, nxt: _Candidate | None):
    """Swap a pair from markup known to invert when the dates readable on this page say so."""
    d_prev = _date_of(prev) if prev else None
    d_next = _date_of(nxt) if nxt else None
    d_page = ctx.page_date
    swap = keep = False
    for older, newer in ((d_prev, d_next), (d_prev, d_page), (d_page, d_next)):
        c = _compare(older, newer)
        if c > 0:
            swap = True
        elif c < 0:
            keep = True
    if swap and not keep:
        for cand, direction in ((prev, NEXT), (nxt, PREV)):
            if cand:
                cand.direction = direction
        return nxt, prev
    return prev, nxt
