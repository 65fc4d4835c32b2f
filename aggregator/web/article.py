"""The article view, `/DATABASE/article/ID`: an archived entry as a page to read.

Readable text, the entry's metadata, a link to the original, and Previous / Next links to the archived
neighbours (to the original page when a neighbour is not in the archive).
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import lxml.html
import markupsafe
from datasette.utils.asgi import NotFound, Request, Response
from lxml import etree

from aggregator.parse.sanitize import html_to_text, sanitize_html
from aggregator.web.redact import redact_url

if TYPE_CHECKING:
    from datasette.app import Datasette

# `.json` gives the same article as data (Datasette would read `article/2.json` as a table named "article").
ROUTE = r"^/(?P<database>[^/]+)/article/(?P<id>[0-9]{1,18})(?P<format>\.json)?$"
# The feed's HTML is shown instead of the page's plain text when it holds at least this share of the words:
# it keeps headings, lists and images, but is often only a teaser.
FEED_HTML_SHARE = 0.8
EXTERNAL_REL = "noopener noreferrer nofollow"

_ENTRY_SQL = """
select e.*, coalesce(f.title, f.config_title, 'feed ' || f.id) as feed_title, f.site_url as feed_site_url,
  p.title as previous_archived_title, n.title as next_archived_title
from entries e
join feeds f on f.id = e.feed_id
left join entries p on p.id = e.previous_id
left join entries n on n.id = e.next_id
where e.id = :id
"""
_TAGS_SQL = """
select t.name, et.source from entry_tags et join tags t on t.id = et.tag_id where et.entry_id = :id order by t.name
"""
# The same story in other feeds: copies point at the first one archived (duplicate_of).
_COPIES_SQL = """
select e.id, e.title, e.published_at, coalesce(f.title, f.config_title, 'feed ' || f.id) as feed_title
from entries e join feeds f on f.id = e.feed_id
where e.id != :id and (e.id = :original or e.duplicate_of = :original)
order by e.id
"""
_ENCLOSURES_SQL = "select url, type, length from enclosures where entry_id = :id order by id"
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Neighbour:
    direction: str  # "previous" or "next"
    href: str
    title: str
    archived: bool


def paragraphs(text: str | None) -> markupsafe.Markup:
    """Plain text as escaped paragraphs: extracted text has one paragraph per line."""
    if not text:
        return markupsafe.Markup("")
    return markupsafe.Markup("").join(
        markupsafe.Markup("<p>{}</p>").format(line.strip()) for line in text.splitlines() if line.strip()
    )


_LISTS = frozenset({"ul", "ol", "menu"})


def wrap_orphan_items(html: str) -> str:
    """List items outside any list (some sites and extractors leave them so) put into a <ul>: a screen reader
    announces a list, and Datasette's list reset no longer takes their bullets. Runs on sanitised HTML."""
    if "<li" not in html:
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    orphans = [li for li in root.iter("li") if li.getparent() is not None and li.getparent().tag not in _LISTS]
    if not orphans:
        return html
    for li in orphans:
        if li.getparent() is None or li.getparent().tag in _LISTS:
            continue  # already moved into the list of the item before it
        parent = li.getparent()
        wrapper = etree.Element("ul")
        li.addprevious(wrapper)
        item: Any = li
        while item is not None and item.tag == "li":
            following = item.getnext()
            if (item.tail or "").strip():
                # Text after an item ends the run; it stays after the list.
                wrapper.tail, item.tail = item.tail, None
                wrapper.append(item)
                break
            wrapper.append(item)
            item = following
        assert wrapper.getparent() is parent
    return (root.text or "") + "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)


def article_body(entry: dict[str, Any]) -> tuple[markupsafe.Markup, str, markupsafe.Markup | None]:
    """(main text, where it comes from, the feed's version when it is shown separately)."""
    # Stored HTML was sanitised when it was stored; it is sanitised again here, so a row written by an
    # older version, another tool or by hand cannot put markup on the page that the allow-list forbids.
    feed_html = sanitize_html(entry.get("content_html"), base_url=entry.get("canonical_url") or entry.get("url"))
    feed_html = wrap_orphan_items(feed_html) if feed_html else feed_html
    full_text = entry.get("full_text")
    if entry.get("full_text_source") == "page" and full_text:
        page_words = len(full_text.split())
        if feed_html and len(html_to_text(feed_html).split()) >= FEED_HTML_SHARE * page_words:
            return markupsafe.Markup(feed_html), "the feed's content (the article page says the same)", None
        feed_version = markupsafe.Markup(feed_html) if feed_html else None
        return paragraphs(full_text), "the article page", feed_version
    if feed_html:
        return markupsafe.Markup(feed_html), "the feed's content", None
    if full_text or entry.get("summary"):
        return paragraphs(full_text or entry.get("summary")), "the feed's content", None
    return markupsafe.Markup(""), "", None


def neighbour(datasette: Datasette, database: str, entry: dict[str, Any], direction: str) -> Neighbour | None:
    archived_id = entry.get(f"{direction}_id")
    if archived_id is not None:
        title = entry.get(f"{direction}_archived_title") or entry.get(f"{direction}_title") or f"article {archived_id}"
        return Neighbour(direction, article_path(datasette, database, archived_id), title, True)
    url = entry.get(f"{direction}_url")
    if url:
        return Neighbour(direction, url, entry.get(f"{direction}_title") or url, False)
    return None


def article_path(datasette: Datasette, database: str, entry_id: int) -> str:
    return datasette.urls.database(database) + f"/article/{int(entry_id)}"


_csp_cache: weakref.WeakKeyDictionary[Datasette, str] = weakref.WeakKeyDictionary()


def content_security_policy(datasette: Datasette) -> str:
    """The article page's policy: no script but Datasette's own menu script (by hash), no plugins, no
    frames, styles from our own files only; images and media of the article may come from its site."""
    if datasette not in _csp_cache:
        env = datasette.jinja_env
        assert env.loader is not None
        source, _, _ = env.loader.get_source(env, "_close_open_menus.html")
        hashes = " ".join(
            "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
            for s in _SCRIPT.findall(source)
        )
        script_src = hashes or "'none'"
        _csp_cache[datasette] = (
            f"default-src 'none'; script-src {script_src}; style-src 'self'; img-src 'self' data: https: http:; "
            "media-src https: http:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
    return _csp_cache[datasette]


_REVISIONS_SQL = """
select revised_at, source, title, full_text from entry_revisions where entry_id = :id order by id desc limit 10
"""


def revision_changes(entry: dict[str, Any], revisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each kept revision changed on its way to the next newer version (newest first).

    Each has the lines of a unified diff of the text, paragraph by paragraph, and a title change if any.
    """
    changes = []
    newer = entry
    for old in revisions:
        diff = list(
            difflib.unified_diff(
                (old.get("full_text") or "").splitlines(), (newer.get("full_text") or "").splitlines(),
                fromfile="before", tofile="after", lineterm="", n=1,
            )
        )[2:]  # the two header lines say nothing here
        title = (old.get("title"), newer.get("title")) if old.get("title") != newer.get("title") else None
        changes.append({"revised_at": old["revised_at"], "source": old["source"], "title": title, "diff": diff})
        newer = old
    return changes


async def article_view(datasette: Datasette, request: Request) -> Response:
    try:
        db = datasette.get_database(route=request.url_vars["database"])
    except KeyError:
        raise NotFound("Database not found") from None
    if not await db.table_exists("entries") or not await db.table_exists("feeds"):
        raise NotFound("This database is not a feed archive")
    await datasette.ensure_permissions(
        request.actor, [("view-table", (db.name, "entries")), ("view-database", db.name), "view-instance"]
    )
    entry_id = int(request.url_vars["id"])
    row = (await db.execute(_ENTRY_SQL, {"id": entry_id})).first()
    if row is None:
        raise NotFound(f"No article with id {entry_id}")
    entry = dict(row)
    tags = [dict(r) for r in (await db.execute(_TAGS_SQL, {"id": entry_id})).rows]
    enclosures = [dict(r) for r in (await db.execute(_ENCLOSURES_SQL, {"id": entry_id})).rows]
    copies = []
    if "duplicate_of" in entry:  # schema v2 and later
        original = entry["duplicate_of"] or entry_id
        copies = [dict(r) for r in (await db.execute(_COPIES_SQL, {"id": entry_id, "original": original})).rows]
    revisions = []
    if await db.table_exists("entry_revisions"):  # schema v2 and later
        revisions = [dict(r) for r in (await db.execute(_REVISIONS_SQL, {"id": entry_id})).rows]
    original = entry.get("canonical_url") or entry.get("url")
    if request.url_vars.get("format") == ".json":
        neighbours = {d: neighbour(datasette, db.name, entry, d) for d in ("previous", "next")}
        return Response.json({
            "database": db.name,
            "article": {**entry, "feed_site_url": redact_url(entry.get("feed_site_url"))},
            "original": original,
            "tags": tags,
            "enclosures": enclosures,
            "copies": copies,
            **{d: n and {"href": n.href, "title": n.title, "archived": n.archived} for d, n in neighbours.items()},
            "html_url": article_path(datasette, db.name, entry_id),
        }, default=str)
    body, body_source, feed_version = article_body(entry)
    context = {
        "database": db.name,
        "entry": entry,
        "body": body,
        "body_source": body_source,
        "feed_version": feed_version,
        "original": original,
        "feed_url": entry.get("url") if original != entry.get("url") else None,
        "feed_site_url": redact_url(entry.get("feed_site_url")),
        "tags": tags,
        "enclosures": enclosures,
        "copies": copies,
        "changes": revision_changes(entry, revisions),
        "previous": neighbour(datasette, db.name, entry, "previous"),
        "next": neighbour(datasette, db.name, entry, "next"),
        "external_rel": EXTERNAL_REL,
        "database_url": datasette.urls.database(db.name),
    }
    html = await datasette.render_template("article.html", context, request=request, view_name="article")
    return Response.html(html, headers={"content-security-policy": content_security_policy(datasette)})
