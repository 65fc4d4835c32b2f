"""HTML pages of the test site in the markup of real CMS themes (WordPress classic, Ghost, Hugo PaperMod).

Pages deliberately carry the boilerplate real pages have (cookie banner, dark-mode toggle, share buttons,
related posts, comment form, listing pagination) because that is what extraction must see through.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import quote

from .content import Article, Block, SiteSpec

LABELS: dict[str, dict[str, str]] = {
    "de": {
        "prev_post": "Vorheriger Beitrag", "next_post": "Nächster Beitrag", "post_nav": "Beitragsnavigation",
        "posts_aria": "Beiträge", "reply": "Schreibe einen Kommentar",
        "email_note": "Deine E-Mail-Adresse wird nicht veröffentlicht.",
        "required_note": "Erforderliche Felder sind mit <span class=\"required\">*</span> markiert",
        "comment": "Kommentar", "name": "Name", "email": "E-Mail", "website": "Website",
        "submit": "Kommentar abschicken",
        "cookie": "Wir verwenden Cookies, um Ihnen die bestmögliche Nutzung unserer Webseite zu ermöglichen. "
                  "Mehr dazu in unserer",
        "privacy_link": "Datenschutzerklärung", "accept": "Alle akzeptieren", "decline": "Nur notwendige",
        "share": "Teilen mit:", "share_fb": "Auf Facebook teilen", "share_x": "Auf X teilen",
        "share_mail": "Per E-Mail teilen", "related": "Ähnliche Beiträge", "imprint": "Impressum",
        "privacy": "Datenschutz", "rights": "Alle Rechte vorbehalten.", "posted_on": "Veröffentlicht am",
        "by": "von", "posted_in": "Veröffentlicht in", "tagged": "Schlagwörter:", "read_more": "Weiterlesen",
        "page_prev": "« Zurück", "page_next": "Weiter »", "newer": "Neuere Beiträge", "older": "Ältere Beiträge",
        "hugo_prev": "« Zurück", "hugo_next": "Weiter »", "skip": "Zum Inhalt springen", "min_read": "Min. Lesezeit",
        "home": "Startseite", "not_found": "Seite nicht gefunden", "page": "Seite",
        "pagination": "Seitennummerierung der Beiträge",
    },
    "en": {
        "prev_post": "Previous Post", "next_post": "Next Post", "post_nav": "Post navigation",
        "posts_aria": "Posts", "reply": "Leave a Reply",
        "email_note": "Your email address will not be published.",
        "required_note": "Required fields are marked <span class=\"required\">*</span>",
        "comment": "Comment", "name": "Name", "email": "Email", "website": "Website", "submit": "Post Comment",
        "cookie": "We use cookies to give you the best experience on our website. Find out more in our",
        "privacy_link": "privacy policy", "accept": "Accept all", "decline": "Only necessary",
        "share": "Share this:", "share_fb": "Share on Facebook", "share_x": "Share on X",
        "share_mail": "Share via E-Mail", "related": "Related posts", "imprint": "Legal notice",
        "privacy": "Privacy policy", "rights": "All rights reserved.", "posted_on": "Posted on", "by": "by",
        "posted_in": "Posted in", "tagged": "Tagged", "read_more": "Continue reading",
        "page_prev": "« Previous", "page_next": "Next »", "newer": "Newer Posts", "older": "Older Posts",
        "hugo_prev": "« Prev", "hugo_next": "Next »", "skip": "Skip to content", "min_read": "min read",
        "home": "Home", "not_found": "Page not found", "page": "Page", "pagination": "Posts pagination",
    },
}
GHOST_LABELS = {"de": ("Vorheriger Beitrag", "Nächster Beitrag"), "en": ("Previous post", "Next post")}
_MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
              "November", "Dezember")


@dataclass(frozen=True, slots=True)
class SiteContext:
    """What every page of one site needs besides its own content."""

    site: SiteSpec
    base_url: str
    menu: tuple[tuple[str, str], ...]  # (label, absolute URL)
    feeds: tuple[tuple[str, str, str], ...]  # (title, media type, absolute URL) for <link rel="alternate">

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def labels(self) -> dict[str, str]:
        return LABELS[self.site.language]


def esc(text: str) -> str:
    return escape(text, quote=True)


def iso(when: datetime) -> str:
    return when.isoformat()


def human_date(when: datetime, language: str) -> str:
    if language == "de":
        return f"{when.day}. {_MONTHS_DE[when.month - 1]} {when.year}"
    return f"{when:%B} {when.day}, {when.year}"


def body_html(blocks: Sequence[Block], sep: str = "\n") -> str:
    parts = []
    for block in blocks:
        if block.kind == "p":
            parts.append(f"<p>{esc(block.text)}</p>")
        elif block.kind == "h2":
            parts.append(f"<h2>{esc(block.text)}</h2>")
        else:
            items = "".join(f"<li>{esc(item)}</li>" for item in block.items)
            parts.append(f"<ul>{items}</ul>" if block.kind == "ul" else items)
    return sep.join(parts)


def _json_ld(data: dict[str, object]) -> str:
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


# -- shared page parts ----------------------------------------------------------------------------------


def _head(ctx: SiteContext, title: str, *, description: str, canonical: str, article: Article | None = None,
          extra: str = "") -> str:
    site = ctx.site
    lines = [
        '<meta charset="UTF-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f'<meta name="description" content="{esc(description[:160])}">',
        f'<link rel="canonical" href="{esc(canonical)}">',
        f'<meta property="og:locale" content="{site.locale.replace("-", "_")}">',
        f'<meta property="og:site_name" content="{esc(site.title)}">',
        f'<meta property="og:url" content="{esc(canonical)}">',
    ]
    if article is not None:
        lines += [
            f'<meta name="author" content="{esc(article.author)}">',
            '<meta property="og:type" content="article">',
            f'<meta property="og:title" content="{esc(article.title)}">',
            f'<meta property="og:description" content="{esc(article.summary[:200])}">',
            f'<meta property="og:image" content="{esc(ctx.url(article.image.path))}">',
            f'<meta property="article:published_time" content="{iso(article.published)}">',
            f'<meta property="article:modified_time" content="{iso(article.updated)}">',
            *(f'<meta property="article:section" content="{esc(c)}">' for c in article.categories[:1]),
            *(f'<meta property="article:tag" content="{esc(t)}">' for t in article.tags),
        ]
    else:
        lines += ['<meta property="og:type" content="website">',
                  f'<meta property="og:title" content="{esc(title)}">',
                  f'<meta name="author" content="{esc(site.title)}">']
    lines += [f'<link rel="alternate" type="{mime}" title="{esc(name)}" href="{esc(href)}">'
              for name, mime, href in ctx.feeds]
    lines.append("<style>body{font-family:sans-serif;max-width:46rem;margin:auto}.screen-reader-text{display:none}"
                 ".cookie-banner{position:fixed;bottom:0;background:#eee}</style>")
    if extra:
        lines.append(extra)
    return "<head>\n" + "\n".join(lines) + "\n</head>"


def _cookie_banner(ctx: SiteContext) -> str:
    lab = ctx.labels
    return (
        '<div class="cookie-banner" role="dialog" aria-live="polite">'
        f'<p>{lab["cookie"]} <a href="{ctx.url(ctx.site.privacy_path)}">{lab["privacy_link"]}</a>.</p>'
        f'<button type="button" class="cookie-accept">{lab["accept"]}</button> '
        f'<button type="button" class="cookie-decline">{lab["decline"]}</button></div>'
    )


DARK_MODE_TOGGLE = '<div class="dark-mode-toggle"><span>Dark Mode</span> <span>Light Mode</span></div>'


def _menu(ctx: SiteContext, ul_attrs: str, li_class: str) -> str:
    items = "".join(f'<li class="{li_class}"><a href="{esc(href)}">{esc(label)}</a></li>' for label, href in ctx.menu)
    return f"<ul {ul_attrs}>{items}</ul>"


def _figure(ctx: SiteContext, article: Article, figure_class: str) -> str:
    image = article.image
    return (f'<figure class="{figure_class}"><img src="{esc(ctx.url(image.path))}" alt="{esc(image.alt)}" '
            f'width="1200" height="675" loading="lazy"><figcaption>{esc(image.credit)}</figcaption></figure>')


def _share(ctx: SiteContext, article: Article) -> str:
    lab, url = ctx.labels, quote(article.url, safe="")
    text = quote(article.title, safe="")
    return (
        f'<div class="sharedaddy share-buttons"><h3 class="sd-title">{lab["share"]}</h3><ul>'
        f'<li><a class="share-facebook" rel="nofollow noopener" target="_blank" '
        f'href="https://www.facebook.com/sharer/sharer.php?u={url}">{lab["share_fb"]}</a></li>'
        f'<li><a class="share-x" rel="nofollow noopener" target="_blank" '
        f'href="https://x.com/intent/tweet?text={text}&amp;url={url}">{lab["share_x"]}</a></li>'
        f'<li><a class="share-email" rel="nofollow" href="mailto:?subject={text}&amp;body={url}">'
        f'{lab["share_mail"]}</a></li></ul></div>'
    )


def _related(ctx: SiteContext, article: Article) -> str:
    cards = "".join(
        f'<div class="jp-relatedposts-post"><h4 class="jp-relatedposts-post-title">'
        f'<a href="{esc(other.url)}">{esc(other.title)}</a></h4>'
        f'<p class="jp-relatedposts-post-date">{human_date(other.published, ctx.site.language)}</p></div>'
        for other in article.related
    )
    return (f'<section class="related-posts jp-relatedposts"><h3 class="jp-relatedposts-headline">'
            f'{ctx.labels["related"]}</h3><div class="jp-relatedposts-items">{cards}</div></section>')


def _legal_links(ctx: SiteContext) -> str:
    return (f'<a href="{ctx.url(ctx.site.imprint_path)}">{ctx.labels["imprint"]}</a> · '
            f'<a href="{ctx.url(ctx.site.privacy_path)}">{ctx.labels["privacy"]}</a>')


def _page(ctx: SiteContext, head: str, body_class: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{ctx.site.locale}">\n{head}\n<body class="{body_class}">\n'
            f"{body}\n</body>\n</html>\n")


# -- WordPress classic ----------------------------------------------------------------------------------


def _wp_header(ctx: SiteContext) -> str:
    site = ctx.site
    return (
        f'<a class="skip-link screen-reader-text" href="#content">{ctx.labels["skip"]}</a>\n'
        '<header id="masthead" class="site-header"><div class="site-branding">'
        f'<p class="site-title"><a href="{ctx.url(site.home_path)}" rel="home">{esc(site.title)}</a></p>'
        f'<p class="site-description">{esc(site.tagline)}</p></div>\n'
        '<nav id="site-navigation" class="main-navigation" aria-label="Primary">'
        + _menu(ctx, 'id="primary-menu" class="menu"', "menu-item menu-item-type-taxonomy")
        + f"</nav>\n{DARK_MODE_TOGGLE}</header>"
    )


def _wp_footer(ctx: SiteContext, year: int) -> str:
    return (f'<footer id="colophon" class="site-footer"><div class="site-info">© {year} {esc(ctx.site.title)}. '
            f'{ctx.labels["rights"]} · {_legal_links(ctx)} · '
            '<a href="https://wordpress.org/">Proudly powered by WordPress</a></div></footer>')


def _wp_post_navigation(ctx: SiteContext, article: Article) -> str:
    lab, parts = ctx.labels, []
    for neighbour, css, rel, label in ((article.previous, "nav-previous", "prev", lab["prev_post"]),
                                       (article.next, "nav-next", "next", lab["next_post"])):
        if neighbour is not None:
            parts.append(f'<div class="{css}"><a href="{esc(neighbour.url)}" rel="{rel}"><span class="meta-nav">'
                         f'{label}</span> <span class="post-title">{esc(neighbour.title)}</span></a></div>')
    if not parts:
        return ""
    return (f'<nav class="navigation post-navigation" aria-label="{lab["posts_aria"]}">'
            f'<h2 class="screen-reader-text">{lab["post_nav"]}</h2><div class="nav-links">\n'
            + "\n".join(parts) + "\n</div></nav>")


def _wp_comment_form(ctx: SiteContext) -> str:
    lab, site = ctx.labels, ctx.site
    return (
        '<div id="comments" class="comments-area"><div id="respond" class="comment-respond">'
        f'<h3 id="reply-title" class="comment-reply-title">{lab["reply"]}</h3>'
        f'<form action="{ctx.url(site.home_path + "wp-comments-post.php")}" method="post" id="commentform" '
        'class="comment-form" novalidate><p class="comment-notes"><span id="email-notes">'
        f'{lab["email_note"]}</span> <span class="required-field-message">{lab["required_note"]}</span></p>'
        f'<p class="comment-form-comment"><label for="comment">{lab["comment"]} <span class="required">*</span>'
        '</label><textarea id="comment" name="comment" cols="45" rows="8" maxlength="65525" required></textarea>'
        f'</p><p class="comment-form-author"><label for="author">{lab["name"]} <span class="required">*</span>'
        '</label><input id="author" name="author" type="text" size="30" maxlength="245" required></p>'
        f'<p class="comment-form-email"><label for="email">{lab["email"]} <span class="required">*</span></label>'
        '<input id="email" name="email" type="email" size="30" maxlength="100" required></p>'
        f'<p class="comment-form-url"><label for="url">{lab["website"]}</label>'
        '<input id="url" name="url" type="url" size="30" maxlength="200"></p>'
        f'<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" '
        f'value="{lab["submit"]}"></p></form></div></div>'
    )


def _wp_article(ctx: SiteContext, article: Article) -> str:
    site, lab = ctx.site, ctx.labels
    term_classes = " ".join(f"category-{c.lower()}" for c in article.categories)
    json_ld = _json_ld({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
        "datePublished": iso(article.published), "dateModified": iso(article.updated),
        "author": {"@type": "Person", "name": article.author}, "mainEntityOfPage": article.url,
        "image": ctx.url(article.image.path), "inLanguage": site.locale,
        "publisher": {"@type": "Organization", "name": site.title},
    })
    extra = (f'<link rel="shortlink" href="{esc(ctx.url(site.home_path))}?p={article.id}">\n'
             '<meta name="generator" content="WordPress 6.7.2">\n' + json_ld)
    head = _head(ctx, f"{article.title} – {site.title}", description=article.summary, canonical=article.url,
                 article=article, extra=extra)
    cats = ", ".join(f'<a href="{ctx.url(site.taxonomy_path("category", c))}" rel="category tag">{esc(c)}</a>'
                     for c in article.categories)
    tags = ", ".join(f'<a href="{ctx.url(site.taxonomy_path("tag", t))}" rel="tag">{esc(t)}</a>'
                     for t in article.tags)
    body = f"""{_cookie_banner(ctx)}
<div id="page" class="site">
{_wp_header(ctx)}
<div id="content" class="site-content"><main id="primary" class="site-main">
<article id="post-{article.id}" class="post-{article.id} post type-post status-publish format-standard has-post-thumbnail hentry {term_classes}">
<header class="entry-header"><h1 class="entry-title">{esc(article.title)}</h1>
<div class="entry-meta"><span class="posted-on">{lab["posted_on"]} <a href="{esc(article.url)}" rel="bookmark"><time class="entry-date published" datetime="{iso(article.published)}">{human_date(article.published, site.language)}</time><time class="updated" datetime="{iso(article.updated)}">{human_date(article.updated, site.language)}</time></a></span> <span class="byline">{lab["by"]} <span class="author vcard"><a class="url fn n" href="{ctx.url(site.taxonomy_path("author", article.author))}">{esc(article.author)}</a></span></span></div>
</header>
{_figure(ctx, article, "post-thumbnail wp-block-image")}
<div class="entry-content">
{body_html(article.blocks)}
</div>
{_share(ctx, article)}
<footer class="entry-footer"><span class="cat-links">{lab["posted_in"]} {cats}</span> <span class="tags-links">{lab["tagged"]} {tags}</span> <span class="comments-link"><a href="{esc(article.url)}#respond">Add a comment</a></span></footer>
</article>
{_wp_post_navigation(ctx, article)}
{_related(ctx, article)}
{_wp_comment_form(ctx)}
</main></div>
{_wp_footer(ctx, article.published.year)}
</div>"""  # noqa: E501
    return _page(ctx, head, f"post-template-default single single-post postid-{article.id} single-format-standard "
                 "wp-embed-responsive", body)


def render_seed_article(ctx: SiteContext, article: Article) -> str:
    """The seed article, byte for byte in the structure of shared/seed/seed-page-reconstructed.html."""
    site = ctx.site
    prev_link = next_link = ""
    if article.previous is not None:
        prev_link = (f'<div class="nav-previous"><a href="{esc(article.previous.url)}" rel="prev"><span class='
                     f'"meta-nav">Previous Post</span> <span class="post-title">{esc(article.previous.title)}'
                     "</span></a></div>\n")
    if article.next is not None:
        next_link = (f'<div class="nav-next"><a href="{esc(article.next.url)}" rel="next"><span class="meta-nav">'
                     f'Next Post</span> <span class="post-title">{esc(article.next.title)}</span></a></div>\n')
    home = site.home_path
    return (
        f'<!DOCTYPE html><html lang="de-DE"><head><meta charset="UTF-8"><title>{esc(article.title)} - '
        f'{esc(site.title)}</title>\n'
        f'<meta property="og:title" content="{esc(article.title)}"><meta name="author" content="'
        f'{esc(article.author)}">\n'
        f'<meta property="article:published_time" content="{iso(article.published)}">\n'
        f'<link rel="canonical" href="{esc(article.url)}">\n'
        '</head><body class="post-template-default single single-post">\n'
        f'<header><a class="site-title" href="{home}">{esc(site.title)}</a><nav><ul>'
        f'<li><a href="{site.taxonomy_path("category", "Politik")}">Politik</a></li>'
        f'<li><a href="{site.taxonomy_path("category", "Wirtschaft")}">Wirtschaft</a></li></ul></nav>\n'
        f"{DARK_MODE_TOGGLE}</header>\n"
        f'<main><article class="post type-post"><h1 class="entry-title">{esc(article.title)}</h1>\n'
        f'<figure><img src="{article.image.path}" alt="{esc(article.image.alt)}"><figcaption>'
        f"{esc(article.image.credit)}</figcaption></figure>\n"
        f'<div class="entry-content">{body_html(article.blocks, sep="")}</div>\n'
        '<footer class="entry-footer"><a href="#respond">Add a comment</a></footer></article>\n'
        '<div id="respond" class="comment-respond"><h3 id="reply-title">Schreibe einen Kommentar</h3><form>'
        '<p class="comment-notes">Deine E-Mail-Adresse wird nicht veröffentlicht. Erforderliche Felder sind mit '
        '* markiert</p><textarea name="comment"></textarea></form></div>\n'
        '<nav class="navigation post-navigation" aria-label="Beiträge"><h2 class="screen-reader-text">'
        'Beitragsnavigation</h2><div class="nav-links">\n'
        f"{prev_link}{next_link}"
        f'</div></nav></main><footer>© {article.published.year} {esc(site.title)} · <a href="{site.imprint_path}">'
        "Impressum</a></footer></body></html>"
    )


# -- Ghost ------------------------------------------------------------------------------------------------


def _ghost_header(ctx: SiteContext) -> str:
    return (f'<header id="gh-head" class="gh-head gh-outer"><div class="gh-head-inner gh-inner">'
            f'<div class="gh-head-brand"><a class="gh-head-logo" href="{ctx.url(ctx.site.home_path)}">'
            f'{esc(ctx.site.title)}</a></div><nav class="gh-head-menu">'
            + _menu(ctx, 'class="nav"', "nav-item")
            + f"</nav>{DARK_MODE_TOGGLE}</div></header>")


def _ghost_footer(ctx: SiteContext, year: int) -> str:
    return (f'<footer class="gh-footer gh-outer"><div class="gh-footer-inner gh-inner"><div class="gh-copyright">'
            f'{esc(ctx.site.title)} © {year}. {ctx.labels["rights"]}</div><nav class="gh-footer-menu">'
            f'{_legal_links(ctx)}</nav><div class="gh-powered-by"><a href="https://ghost.org/" target="_blank" '
            'rel="noopener">Powered by Ghost</a></div></div></footer>')


def _ghost_navigation(ctx: SiteContext, article: Article) -> str:
    # Ghost themes link neighbours as plain cards: no rel, the label is the only hint of direction
    prev_label, next_label = GHOST_LABELS[ctx.site.language]
    parts = []
    for neighbour, css, label in ((article.previous, "gh-navigation-previous", f"← {prev_label}"),
                                  (article.next, "gh-navigation-next", f"{next_label} →")):
        if neighbour is not None:
            parts.append(f'<a class="{css}" href="{esc(neighbour.url)}"><span class="gh-navigation-label">'
                         f'{label}</span><h4 class="gh-navigation-title">{esc(neighbour.title)}</h4></a>')
    if not parts:
        return ""
    return ('<section class="gh-navigation gh-outer"><div class="gh-navigation-inner gh-inner">'
            + "".join(parts) + "</div></section>")


def _ghost_article(ctx: SiteContext, article: Article) -> str:
    site = ctx.site
    minutes = max(1, math.ceil(article.word_count / 230))
    primary = article.tags[0] if article.tags else site.title
    head = _head(ctx, f"{article.title}", description=article.summary, canonical=article.url, article=article,
                 extra='<meta name="generator" content="Ghost 5.109">')
    read_more = "".join(
        f'<article class="gh-card post"><a class="gh-card-link" href="{esc(other.url)}"><h3 class="gh-card-title">'
        f'{esc(other.title)}</h3><time class="gh-card-date" datetime="{other.published:%Y-%m-%d}">'
        f"{other.published:%d %b %Y}</time></a></article>"
        for other in article.related
    )
    body = f"""<div class="gh-site">
{_ghost_header(ctx)}
{_cookie_banner(ctx)}
<main id="main" class="gh-main">
<article class="gh-article post tag-{esc(primary.lower())}">
<header class="gh-article-header gh-canvas">
<a class="gh-article-tag" href="{ctx.url(site.taxonomy_path("tag", primary))}">{esc(primary)}</a>
<h1 class="gh-article-title is-title">{esc(article.title)}</h1>
<p class="gh-article-excerpt is-body">{esc(article.summary[:180])}</p>
<div class="gh-article-meta"><div class="gh-article-author-name"><a href="{ctx.url(site.taxonomy_path("author", article.author))}">{esc(article.author)}</a></div><div class="gh-article-meta-content"><time class="gh-article-meta-date" datetime="{article.published:%Y-%m-%d}">{article.published:%b %d, %Y}</time><span class="gh-article-meta-length"><span class="bull">—</span> {minutes} {ctx.labels["min_read"]}</span></div></div>
{_figure(ctx, article, "gh-article-image kg-image-card")}
</header>
<section class="gh-content gh-canvas is-body">
{body_html(article.blocks)}
</section>
{_share(ctx, article)}
</article>
{_ghost_navigation(ctx, article)}
<section class="gh-container is-grid gh-outer related-posts"><div class="gh-container-inner gh-inner"><h2 class="gh-container-title">{ctx.labels["related"]}</h2><div class="gh-feed">{read_more}</div></div></section>
</main>
{_ghost_footer(ctx, article.published.year)}
</div>"""  # noqa: E501
    tag_classes = " ".join(f"tag-{t.lower().replace(' ', '-')}" for t in article.tags)
    return _page(ctx, head, f"post-template {tag_classes} has-sans-title has-serif-body", body)


# -- Hugo PaperMod -----------------------------------------------------------------------------------------


def _hugo_header(ctx: SiteContext) -> str:
    site = ctx.site
    return (f'<header class="header"><nav class="nav"><div class="logo"><a href="{ctx.url(site.home_path)}" '
            f'accesskey="h" title="{esc(site.title)} (Alt + H)">{esc(site.title)}</a><div class="logo-switches">'
            '<button id="theme-toggle" accesskey="t" title="(Alt + T)">◐</button></div></div>'
            + _menu(ctx, 'id="menu"', "menu-item")
            + f"</nav>{DARK_MODE_TOGGLE}</header>")


def _hugo_footer(ctx: SiteContext, year: int) -> str:
    return (f'<footer class="footer"><span>© {year} <a href="{ctx.url(ctx.site.home_path)}">{esc(ctx.site.title)}'
            f"</a></span> · {_legal_links(ctx)} · <span>Powered by <a href=\"https://gohugo.io/\">Hugo</a> &amp; "
            '<a href="https://github.com/adityatelange/hugo-PaperMod/">PaperMod</a></span></footer>\n'
            '<a href="#top" aria-label="go to top" title="Go to Top (Alt + G)" class="top-link" id="top-link" '
            'accesskey="g">↑</a>')


def _hugo_paginav(ctx: SiteContext, article: Article) -> str:
    # PaperMod's "Prev" is Hugo's .PrevInSection, which points to the NEWER page: reproduced on purpose.
    lab, parts = ctx.labels, []
    for neighbour, css, label in ((article.next, "prev", lab["hugo_prev"]),
                                  (article.previous, "next", lab["hugo_next"])):
        if neighbour is not None:
            parts.append(f'<a class="{css}" href="{esc(neighbour.url)}"><span class="title">{label}</span><br>'
                         f"<span>{esc(neighbour.title)}</span></a>")
    return f'<nav class="paginav">{"".join(parts)}</nav>' if parts else ""


def _hugo_article(ctx: SiteContext, article: Article) -> str:
    site, section = ctx.site, next(s for s in ctx.site.sections if article.chain_name.endswith("-" + s.slug))
    minutes = max(1, math.ceil(article.word_count / 220))
    json_ld = _json_ld({
        "@context": "https://schema.org", "@type": "BlogPosting", "headline": article.title,
        "datePublished": iso(article.published), "dateModified": iso(article.updated),
        "author": [{"@type": "Person", "name": article.author}], "mainEntityOfPage": article.url,
        "keywords": article.tags, "inLanguage": site.locale,
    })
    head = _head(ctx, f"{article.title} | {site.title}", description=article.summary, canonical=article.url,
                 article=article, extra='<meta name="generator" content="Hugo 0.142.0">\n' + json_ld)
    tags = "".join(f'<li><a href="{ctx.url(site.taxonomy_path("tag", t))}">{esc(t)}</a></li>' for t in article.tags)
    posted = article.published.strftime("%Y-%m-%d %H:%M:%S +0000 UTC")
    body = f"""{_hugo_header(ctx)}
{_cookie_banner(ctx)}
<main class="main">
<article class="post-single">
<header class="post-header">
<div class="breadcrumbs"><a href="{ctx.url(site.home_path)}">{ctx.labels["home"]}</a>&nbsp;»&nbsp;<a href="{ctx.url(site.section_path(section))}">{esc(section.title)}</a></div>
<h1 class="post-title entry-hint-parent">{esc(article.title)}</h1>
<div class="post-meta"><span title="{posted}">{human_date(article.published, site.language)}</span>&nbsp;·&nbsp;{minutes} min&nbsp;·&nbsp;{esc(article.author)}</div>
</header>
{_figure(ctx, article, "entry-cover")}
<div class="post-content">{body_html(article.blocks)}</div>
<footer class="post-footer">
<ul class="post-tags">{tags}</ul>
{_hugo_paginav(ctx, article)}
{_share(ctx, article)}
</footer>
{_related(ctx, article)}
</article>
</main>
{_hugo_footer(ctx, article.published.year)}"""  # noqa: E501
    return _page(ctx, head, "single", body).replace("<body", '<body id="top"', 1)


def render_article(ctx: SiteContext, article: Article, *, seed: bool = False) -> str:
    if seed:
        return render_seed_article(ctx, article)
    if ctx.site.theme == "wordpress":
        return _wp_article(ctx, article)
    if ctx.site.theme == "ghost":
        return _ghost_article(ctx, article)
    return _hugo_article(ctx, article)


# -- listings and plain pages ----------------------------------------------------------------------------


def _page_url(ctx: SiteContext, base_path: str, page: int) -> str:
    return ctx.url(base_path if page == 1 else f"{base_path}page/{page}/")


def _pagination(ctx: SiteContext, base_path: str, page: int, pages: int) -> str:
    """Listing pagination in the theme's markup; this is not post navigation."""
    lab, theme = ctx.labels, ctx.site.theme
    prev_url = _page_url(ctx, base_path, page - 1) if page > 1 else None
    next_url = _page_url(ctx, base_path, page + 1) if page < pages else None
    if theme == "wordpress":
        links = []
        if prev_url:
            links.append(f'<a class="prev page-numbers" href="{prev_url}">{lab["page_prev"]}</a>')
        for number in range(1, pages + 1):
            if number == page:
                links.append(f'<span aria-current="page" class="page-numbers current">{number}</span>')
            else:
                links.append(f'<a class="page-numbers" href="{_page_url(ctx, base_path, number)}">{number}</a>')
        if next_url:
            links.append(f'<a class="next page-numbers" href="{next_url}">{lab["page_next"]}</a>')
        return (f'<nav class="navigation pagination" aria-label="{lab["posts_aria"]}"><h2 class="screen-reader-text">'
                f'{lab["pagination"]}</h2><div class="nav-links">{"".join(links)}</div></nav>')
    if theme == "ghost":
        newer = f'<a class="newer-posts" href="{prev_url}">← {lab["newer"]}</a>' if prev_url else ""
        older = f'<a class="older-posts" href="{next_url}">{lab["older"]} →</a>' if next_url else ""
        return (f'<nav class="pagination" role="navigation">{newer}<span class="page-number">{lab["page"]} {page} / '
                f"{pages}</span>{older}</nav>")
    prev_link = f'<a class="prev" href="{prev_url}">{lab["hugo_prev"]}</a>' if prev_url else ""
    next_link = f'<a class="next" href="{next_url}">{lab["hugo_next"]}</a>' if next_url else ""
    return f'<footer class="page-footer"><nav class="pagination">{prev_link}{next_link}</nav></footer>'


def _listing_card(ctx: SiteContext, article: Article) -> str:
    lang = ctx.site.language
    date = f'<time datetime="{iso(article.published)}">{human_date(article.published, lang)}</time>'
    excerpt = esc(article.summary[:220])
    if ctx.site.theme == "wordpress":
        return (f'<article id="post-{article.id}" class="post-{article.id} post type-post hentry">'
                f'<header class="entry-header"><h2 class="entry-title"><a href="{esc(article.url)}" rel="bookmark">'
                f'{esc(article.title)}</a></h2><div class="entry-meta">{date}</div></header><div class="entry-summary">'
                f'<p>{excerpt} […]</p><a class="more-link" href="{esc(article.url)}">{ctx.labels["read_more"]}</a>'
                "</div></article>")
    if ctx.site.theme == "ghost":
        return (f'<article class="gh-card post"><a class="gh-card-link" href="{esc(article.url)}"><div '
                f'class="gh-card-wrapper"><h3 class="gh-card-title is-title">{esc(article.title)}</h3><p '
                f'class="gh-card-excerpt is-body">{excerpt}</p><footer class="gh-card-meta">{date}</footer></div>'
                "</a></article>")
    return (f'<article class="post-entry"><header class="entry-header"><h2 class="entry-hint-parent">'
            f'{esc(article.title)}</h2></header><div class="entry-content"><p>{excerpt}...</p></div>'
            f'<footer class="entry-footer">{date}&nbsp;·&nbsp;{esc(article.author)}</footer>'
            f'<a class="entry-link" aria-label="post link to {esc(article.title)}" href="{esc(article.url)}"></a>'
            "</article>")


def _chrome(ctx: SiteContext, main: str, year: int) -> str:
    """Header, cookie banner, main content and footer in the site's theme."""
    theme = ctx.site.theme
    if theme == "wordpress":
        return (f'{_cookie_banner(ctx)}\n<div id="page" class="site">\n{_wp_header(ctx)}\n<div id="content" '
                f'class="site-content"><main id="primary" class="site-main">\n{main}\n</main></div>\n'
                f"{_wp_footer(ctx, year)}\n</div>")
    if theme == "ghost":
        return (f'<div class="gh-site">\n{_ghost_header(ctx)}\n{_cookie_banner(ctx)}\n<main id="main" '
                f'class="gh-main">\n{main}\n</main>\n{_ghost_footer(ctx, year)}\n</div>')
    return (f'{_hugo_header(ctx)}\n{_cookie_banner(ctx)}\n<main class="main">\n{main}\n</main>\n'
            f"{_hugo_footer(ctx, year)}")


def render_listing(ctx: SiteContext, heading: str, articles: Sequence[Article], *, base_path: str, page: int,
                   pages: int, year: int) -> str:
    """One page of a home, section, category, tag or author archive."""
    links = []
    if page > 1:
        links.append(f'<link rel="prev" href="{_page_url(ctx, base_path, page - 1)}">')
    if page < pages:
        links.append(f'<link rel="next" href="{_page_url(ctx, base_path, page + 1)}">')
    title = f"{heading} – {ctx.site.title}" + (f" – {ctx.labels['page']} {page}" if page > 1 else "")
    head = _head(ctx, title, description=ctx.site.tagline, canonical=_page_url(ctx, base_path, page),
                 extra="\n".join(links))
    cards = "\n".join(_listing_card(ctx, a) for a in articles)
    main = (f'<header class="page-header"><h1 class="page-title">{esc(heading)}</h1></header>\n{cards}\n'
            f"{_pagination(ctx, base_path, page, pages) if pages > 1 else ''}")
    body_class = {"wordpress": "archive blog", "ghost": "home-template", "hugo": "list"}[ctx.site.theme]
    return _page(ctx, head, body_class, _chrome(ctx, main, year))


def render_text_page(ctx: SiteContext, heading: str, paragraphs: Sequence[str], year: int) -> str:
    """A plain static page (Impressum, privacy policy) with the site's boilerplate."""
    head = _head(ctx, f"{heading} – {ctx.site.title}", description=heading, canonical=ctx.url(ctx.site.home_path))
    main = f'<article class="page"><h1 class="entry-title">{esc(heading)}</h1>' + "".join(
        f"<p>{esc(p)}</p>" for p in paragraphs) + "</article>"
    return _page(ctx, head, "page", _chrome(ctx, main, year))


def render_not_found(path: str) -> str:
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="UTF-8"><title>404 Not Found</title></head>'
            f"<body><h1>Not Found</h1><p>The requested URL {esc(path)} was not found on this server.</p>"
            "</body></html>\n")


def render_index(base_url: str, sites: Sequence[tuple[SiteSpec, str]], feeds: Sequence[tuple[str, str]]) -> str:
    """The server's root page: links to every site and feed, for people poking at it by hand."""
    site_items = "".join(f'<li><a href="{esc(url)}">{esc(site.title)}</a> ({site.locale}, {site.theme})</li>'
                         for site, url in sites)
    feed_items = "".join(f'<li><a href="{esc(url)}">{esc(name)}</a></li>' for name, url in feeds)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="UTF-8"><title>Local test site</title></head>'
            f"<body><h1>Local test site at {esc(base_url)}</h1><h2>Sites</h2><ul>{site_items}</ul>"
            f'<h2>Feeds</h2><ul>{feed_items}</ul><p><a href="{esc(base_url)}/feeds.opml">OPML</a></p></body></html>\n')
