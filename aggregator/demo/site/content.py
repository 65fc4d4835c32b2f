"""Deterministic content of the local test site: sites, sections, article chains and their ground truth.

Everything here is plain data generated from ``random.Random``; nothing renders HTML or speaks HTTP.
A *chain* is the sequence of articles of one section, oldest first; ``previous``/``next`` follow it.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from . import seeddata
from .vocab import LANGUAGES, TOPICS, Language, Topic

Theme = Literal["wordpress", "ghost", "hugo"]
TaxonomyKind = Literal["category", "tag", "author"]
BlockKind = Literal["p", "h2", "ul", "li"]  # "li": orphan list items without <ul> (as in the seed page)
FEED_FORMATS: tuple[str, ...] = ("rss20", "atom10", "rss10", "json11")

# Newest generated articles end shortly before this instant; fixed so output never depends on the clock.
ANCHOR = datetime(2025, 2, 15, 18, 0, tzinfo=UTC)
SEED_CHAIN = "newsportal-nachrichten"
SEED_ARTICLES_AFTER = 5  # chain articles newer than the seed's "next": the seed is the 7th newest


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    text: str = ""
    items: tuple[str, ...] = ()

    @property
    def plain(self) -> str:
        return "\n".join(self.items) if self.kind in ("ul", "li") else self.text


@dataclass(frozen=True, slots=True)
class Image:
    path: str
    credit: str
    alt: str = ""
    shade: int = 128  # grey level of the generated JPEG


_HUGO_TAXONOMIES = {"category": "categories", "tag": "tags", "author": "authors"}


@dataclass(frozen=True, slots=True)
class SectionSpec:
    slug: str
    title: str
    topics: tuple[str, ...]
    primary_format: str = "rss20"  # the one format of this chain listed in the OPML file


@dataclass(frozen=True, slots=True)
class SiteSpec:
    slug: str
    title: str
    language: str  # "de" or "en"
    theme: Theme
    tagline: str
    sections: tuple[SectionSpec, ...]
    authors: tuple[str, ...]

    @property
    def locale(self) -> str:
        return "de-DE" if self.language == "de" else "en-US"

    @property
    def home_path(self) -> str:
        return f"/{self.slug}/"

    @property
    def imprint_path(self) -> str:
        return self.home_path + ("impressum/" if self.language == "de" else "legal-notice/")

    @property
    def privacy_path(self) -> str:
        return self.home_path + ("datenschutz/" if self.language == "de" else "privacy-policy/")

    def taxonomy_path(self, kind: TaxonomyKind, term: str) -> str:
        """Archive page of one category, tag or author, in this theme's URL scheme."""
        folder = _HUGO_TAXONOMIES[kind] if self.theme == "hugo" else kind
        return f"/{self.slug}/{folder}/{slugify(term)}/"

    def section_path(self, section: SectionSpec) -> str:
        if self.theme == "wordpress":
            return self.taxonomy_path("category", section.title)
        if self.theme == "ghost":
            return self.taxonomy_path("tag", section.title)
        return f"/{self.slug}/{section.slug}/"

    def feed_path(self, section: SectionSpec, fmt: str) -> str:
        base = self.section_path(section)
        names = {
            "wordpress": {"rss20": "feed/", "atom10": "feed/atom/", "rss10": "feed/rdf/", "json11": "feed/json/"},
            "ghost": {"rss20": "rss/", "atom10": "atom/", "rss10": "rdf/", "json11": "feed.json"},
            "hugo": {"rss20": "index.xml", "atom10": "atom.xml", "rss10": "index.rdf", "json11": "feed.json"},
        }
        return base + names[self.theme][fmt]


SITES: tuple[SiteSpec, ...] = (
    SiteSpec("newsportal", "Newsportal", "de", "wordpress", "Nachrichten aus Politik und Wirtschaft",
             (SectionSpec("nachrichten", "Nachrichten", ("politik", "wirtschaft")),),
             ("Redaktion", "Jürgen Weiß", "Anja Schröder", "Sören Krüger")),
    SiteSpec("stadtanzeiger", "Stadtanzeiger Talbach", "de", "wordpress",
             "Lokale Nachrichten aus Talbach und Umgebung",
             (SectionSpec("lokales", "Lokales", ("hochwasser", "kommunal"), "rss10"),),
             ("Bärbel Groß", "Matthias Köhler", "Lena Schäfer")),
    SiteSpec("harbour-times", "The Harbour Times", "en", "wordpress", "News from Harbourside and the bay",
             (SectionSpec("news", "News", ("council", "storm"), "atom10"),
              SectionSpec("business", "Business", ("business",))),
             ("Sarah Mitchell", "Daniel Okafor", "Priya Patel")),
    SiteSpec("field-notes", "Field Notes", "en", "ghost", "Stories from rivers, forests and wetlands",
             (SectionSpec("stories", "Stories", ("environment",)),),
             ("Grace Walsh", "Owen Hughes")),
    SiteSpec("technikblog", "Technikblog", "de", "hugo", "Digitales aus der Region – verständlich erklärt",
             (SectionSpec("posts", "Beiträge", ("digital",), "json11"),),
             ("Björn Böhm", "Miriam Krüger")),
    SiteSpec("dev-notes", "Dev Notes", "en", "hugo", "Engineering notes from a small platform team",
             (SectionSpec("posts", "Posts", ("software",), "atom10"),),
             ("Ravi Moreno", "Hannah Lindqvist")),
)


@dataclass(eq=False, slots=True)
class Article:
    """Ground truth of one article page; ``url`` and ``guid`` are set once the server knows its address."""

    id: int  # WordPress-style numeric post id (used by ?p= shortlinks and WordPress guids)
    uid: str  # Ghost-style 24-hex id
    site: SiteSpec = field(repr=False)
    chain_name: str
    index: int  # position in the chain, 0 = oldest
    slug: str
    path: str
    title: str
    author: str
    published: datetime
    updated: datetime
    language: str
    blocks: list[Block] = field(repr=False)
    categories: list[str]
    tags: list[str]
    image: Image = field(repr=False)
    previous: Article | None = field(default=None, repr=False)  # older neighbour in the chain
    next: Article | None = field(default=None, repr=False)  # newer neighbour in the chain
    related: list[Article] = field(default_factory=list, repr=False)
    url: str = ""
    guid: str = ""

    @property
    def headings(self) -> list[str]:
        return [b.text for b in self.blocks if b.kind == "h2"]

    @property
    def paragraphs(self) -> list[str]:
        return [b.text for b in self.blocks if b.kind == "p"]

    @property
    def list_items(self) -> list[str]:
        return [item for b in self.blocks if b.kind in ("ul", "li") for item in b.items]

    @property
    def text(self) -> str:
        """The body as a reader sees it: blocks in page order, one per paragraph."""
        return "\n\n".join(b.plain for b in self.blocks)

    @property
    def summary(self) -> str:
        return self.paragraphs[0] if self.paragraphs else ""

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass(eq=False, slots=True)
class Chain:
    name: str
    site: SiteSpec
    section: SectionSpec
    articles: list[Article] = field(default_factory=list, repr=False)  # oldest first
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def newest(self, count: int) -> list[Article]:
        """The newest ``count`` articles, newest first (feed order)."""
        return self.articles[::-1][:count]


_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "á": "a"})


def slugify(text: str, max_length: int = 70) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower().translate(_TRANSLIT)).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0]
    return slug or "beitrag"


def _with_separator(number: int, sep: str) -> str:
    return f"{number:,}".replace(",", sep)


class Writer:
    """Writes titles and bodies on one topic from the vocabulary's frames and slot lists."""

    def __init__(self, rng: random.Random, topic: Topic) -> None:
        self.rng = rng
        self.topic = topic
        self.lang: Language = LANGUAGES[topic.language]
        self.register = self.lang.registers[topic.register]

    def fill(self, template: str) -> str:
        values: dict[str, str] = {}
        rng, lang = self.rng, self.lang

        def person(first: tuple[str, ...]) -> str:
            return f"{rng.choice(first)} {rng.choice(lang.last_names)}"

        makers = {
            "city": lambda: rng.choice(lang.cities),
            "city2": lambda: rng.choice([c for c in lang.cities if c != values.get("city")]),
            "river": lambda: rng.choice(lang.rivers),
            "capital": lambda: rng.choice(lang.capitals),
            "company": lambda: rng.choice(lang.companies),
            "mname": lambda: person(lang.male_first),
            "fname": lambda: person(lang.female_first),
            "person": lambda: person(lang.male_first + lang.female_first),
            "n": lambda: str(rng.randint(3, 95)),
            "big": lambda: _with_separator(rng.randint(12, 480) * 50, lang.thousands_sep),
            "rate": lambda: f"{rng.randint(1, 4)}{lang.decimal_sep}{rng.randint(0, 9)}",
            "year": lambda: str(rng.randint(2026, 2029)),
            "month": lambda: rng.choice(lang.months),
            "weekday": lambda: rng.choice(lang.weekdays),
        }
        for key in re.findall(r"{(\w+)}", template):  # in order, so {city} is chosen before {city2}
            if key not in values:
                values[key] = makers[key]()
        return template.format_map(values)

    def title(self) -> str:
        return self.fill(self.rng.choice(self.topic.titles))

    def sentence(self, used: set[str]) -> str:
        """One sentence from a random frame; ``used`` holds the topic phrases this article already used."""
        rng, topic, reg, german = self.rng, self.topic, self.register, self.lang.code == "de"

        pools = {"fact": topic.facts + reg.facts, "say": topic.that, "quote": topic.quotes,
                 "time": topic.clauses, "source": topic.clauses}
        weights = {"fact": 3.0, "say": 2.0, "quote": 1.5, "time": 2.0, "source": 1.5}
        # prefer frames with phrases this article has not used yet, so sentences rarely repeat
        frames = [f for f, pool in pools.items() if any(p not in used for p in pool)] or list(pools)
        frame = rng.choices(frames, weights=[weights[f] for f in frames])[0]
        phrase = rng.choice([p for p in pools[frame] if p not in used] or list(pools[frame]))
        used.add(phrase)
        def pick(options: tuple[str, ...]) -> str:
            choice = rng.choice([o for o in options if o not in used] or list(options))
            used.add(choice)
            return choice

        if frame == "fact":
            template = phrase
        elif frame == "say":
            sep = ", " if german else " that "
            template = f"{pick(topic.subjects)} {rng.choice(reg.say_verbs)}{sep}{phrase}."
        elif frame == "quote":
            speaker = pick(topic.speakers)
            template = f"„{phrase}“, sagte {speaker}." if german else f"“{phrase},” said {speaker}."
        elif frame == "time":
            template = f"{pick(reg.times)}{' ' if german else ', '}{phrase}."
        else:
            template = f"{pick(reg.sources)}, {phrase}."
        text = self.fill(template)
        return text[0].upper() + text[1:]

    def paragraph(self, used: set[str]) -> str:
        return " ".join(self.sentence(used) for _ in range(self.rng.randint(2, 3)))

    def body(self) -> list[Block]:
        rng = self.rng
        n_paragraphs = rng.randint(4, 10)
        with_list = rng.random() < 0.4
        plain = n_paragraphs - 1 - int(with_list)  # after the intro paragraph, before the list's intro
        n_headings = max(1, min(rng.randint(2, 4), plain))
        sizes = [1] * n_headings
        for _ in range(plain - n_headings):
            sizes[rng.randrange(n_headings)] += 1
        headings = rng.sample(self.topic.headings + self.register.headings, n_headings)
        list_section = rng.randrange(n_headings) if with_list else -1
        used: set[str] = set()
        blocks = [Block("p", self.paragraph(used))]
        for i, (heading, size) in enumerate(zip(headings, sizes, strict=True)):
            blocks.append(Block("h2", heading))
            blocks.extend(Block("p", self.paragraph(used)) for _ in range(size))
            if i == list_section:
                blocks.append(Block("p", rng.choice(self.lang.list_intros)))
                items = rng.sample(self.topic.items, rng.randint(3, min(5, len(self.topic.items))))
                blocks.append(Block("ul", items=tuple(self.fill(item) for item in items)))
        return blocks


def _seed_blocks(blocks: tuple[seeddata.SeedBlock, ...]) -> list[Block]:
    result = []
    for kind, content in blocks:
        if isinstance(content, tuple):
            result.append(Block("li", items=content))
        else:
            result.append(Block("h2" if kind == "h2" else "p", content))
    return result


def _article_path(site: SiteSpec, section: SectionSpec, slug: str, published: datetime) -> str:
    if site.theme == "wordpress":
        return f"/{site.slug}/{published:%Y/%m/%d}/{slug}/"
    if site.theme == "ghost":
        return f"/{site.slug}/{slug}/"
    return f"/{site.slug}/{section.slug}/{slug}/"


def _image_path(site: SiteSpec, slug: str, published: datetime) -> str:
    if site.theme == "wordpress":
        return f"/{site.slug}/wp-content/uploads/{published:%Y/%m}/{slug}.jpg"
    if site.theme == "ghost":
        return f"/{site.slug}/content/images/{published:%Y/%m}/{slug}.jpg"
    return f"/{site.slug}/images/{slug}.jpg"


def _taxonomy(site: SiteSpec, section: SectionSpec, topic: Topic, tags: list[str]) -> tuple[list[str], list[str]]:
    """(categories, tags) as the theme would assign them; the section is a category or primary tag."""
    if site.theme == "wordpress":
        return list(dict.fromkeys([section.title, topic.category])), tags
    if site.theme == "ghost":
        return [], [section.title, *tags]
    return [topic.category], tags


class World:
    """All sites and chains of one seed, plus the operations that change them (publish, edit)."""

    def __init__(self, seed: int = 1, chain_length: tuple[int, int] = (30, 60)) -> None:
        if chain_length[0] < 10 or chain_length[0] > chain_length[1]:
            raise ValueError("chain_length must be (min, max) with 10 <= min <= max")
        self.seed = seed
        self.sites = SITES
        self.chains: dict[str, Chain] = {}
        self.base_url = ""
        self._by_path: dict[str, Article] = {}
        self.deleted: dict[str, Article] = {}  # path -> article taken down
        self.moved: dict[str, Article] = {}  # former path -> article now elsewhere
        self._titles: set[str] = set()
        self._next_id = 0
        for site in SITES:
            for section in site.sections:
                name = f"{site.slug}-{section.slug}"
                # one generator per chain: adding a site never changes the others' content
                chain = Chain(name, site, section, rng=random.Random(f"{seed}:{name}"))
                self.chains[name] = chain
                count = chain.rng.randint(*chain_length)
                if name == SEED_CHAIN:
                    self._fill_seed_chain(chain, count)
                else:
                    end = ANCHOR - timedelta(minutes=chain.rng.randint(0, 1800))
                    for when in self._timeline(chain.rng, end, count, backwards=True):
                        self._append(chain, self._generate(chain, when))
        # WordPress ids grow with publication time across the whole installation
        for i, article in enumerate(sorted(self.articles, key=lambda a: (a.published, a.path))):
            article.id = 101 + 7 * i
        self._next_id = 101 + 7 * len(self._by_path)
        for chain in self.chains.values():
            for article in chain.articles:
                self._pick_related(chain, article)
        self.now = max(max(a.published, a.updated) for a in self.articles)
        self.seed_article = self._by_path[f"/newsportal/{seeddata.SEED_PUBLISHED:%Y/%m/%d}/{seeddata.SEED_SLUG}/"]

    # -- queries -------------------------------------------------------------------------------------

    @property
    def articles(self) -> list[Article]:
        return [a for chain in self.chains.values() for a in chain.articles]

    def site(self, slug: str) -> SiteSpec:
        return next(s for s in self.sites if s.slug == slug)

    def site_articles(self, slug: str) -> list[Article]:
        """All articles of one site, newest first (the order of its home page)."""
        found = [a for c in self.chains.values() if c.site.slug == slug for a in c.articles]
        return sorted(found, key=lambda a: a.published, reverse=True)

    def find(self, path: str) -> Article | None:
        return self._by_path.get(path)

    def by_id(self, post_id: int) -> Article | None:
        return next((a for a in self._by_path.values() if a.id == post_id), None)

    # -- changes -------------------------------------------------------------------------------------

    def tick(self, minutes: int = 1) -> datetime:
        """Advance the site's clock: every change gets a time later than anything before it."""
        self.now += timedelta(minutes=minutes)
        return self.now

    def set_base_url(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        for article in self.articles:
            self._set_url(article)

    def extend(self, chain_name: str, count: int = 1, at: datetime | None = None) -> list[Article]:
        """Publish ``count`` new newest articles at the end of a chain (at ``at``, a second apart, when given)."""
        chain = self.chains[chain_name]
        added = []
        for number in range(count):
            if at is not None:
                self.now = max(self.now + timedelta(seconds=1), at + timedelta(seconds=number))
                when = self.now
            else:
                when = self.tick(chain.rng.randint(20, 180))
            article = self._generate(chain, when)
            article.id = self._next_id
            self._next_id += 7
            self._append(chain, article)
            self._pick_related(chain, article)
            added.append(article)
        return added

    def delete(self, article: Article) -> None:
        """Take an article down: its page answers 410, its neighbours link to each other."""
        chain = self.chains[article.chain_name]
        chain.articles.remove(article)
        if article.previous is not None:
            article.previous.next = article.next
        if article.next is not None:
            article.next.previous = article.previous
        for index, other in enumerate(chain.articles):
            other.index = index
        self._by_path.pop(article.path, None)
        self.deleted[article.path] = article

    def move(self, article: Article, slug: str) -> str:
        """Give an article a new address; the old one answers 301 to it. Returns the old path."""
        old = article.path
        article.slug = slug
        article.path = old.rstrip("/").rsplit("/", 1)[0] + f"/{slug}/"
        del self._by_path[old]
        self._by_path[article.path] = article
        self.moved[old] = article
        if self.base_url:
            self._set_url(article)
        return old

    def edit(self, article: Article, *, title: str | None = None, blocks: list[Block] | None = None,
             append_paragraph: str | None = None, at: datetime | None = None) -> Article:
        """Change an article's text; with no arguments, append a dated update note."""
        if at is not None:
            self.now = max(self.now, at)
            article.updated = self.now
        else:
            article.updated = self.tick(5)
        if title is not None:
            article.title = title
        if blocks is not None:
            article.blocks = list(blocks)
        if append_paragraph is None and title is None and blocks is None:
            if article.language == "de":
                append_paragraph = (f"Aktualisierung vom {article.updated:%d.%m.%Y, %H:%M} Uhr: Dieser Beitrag "
                                    "wurde um weitere Informationen ergänzt.")
            else:
                append_paragraph = (f"Update ({article.updated:%B %d, %Y, %H:%M}): This article has been "
                                    "updated with additional information.")
        if append_paragraph is not None:
            article.blocks = [*article.blocks, Block("p", append_paragraph)]
        return article

    # -- generation ----------------------------------------------------------------------------------

    @staticmethod
    def _timeline(rng: random.Random, start: datetime, count: int, *, backwards: bool) -> list[datetime]:
        """``count`` times 2.5 to 18 hours apart, ascending, ending at (or starting after) ``start``."""
        times, when = [], start
        for _ in range(count):
            if not backwards:
                when += timedelta(minutes=rng.randint(150, 1100))
            times.append(when)
            if backwards:
                when -= timedelta(minutes=rng.randint(150, 1100))
        return sorted(times)

    def _fill_seed_chain(self, chain: Chain, count: int) -> None:
        rng = chain.rng
        before = self._timeline(rng, seeddata.PREVIOUS_PUBLISHED - timedelta(minutes=rng.randint(150, 900)),
                                count - 3 - SEED_ARTICLES_AFTER, backwards=True)
        for when in before:
            self._append(chain, self._generate(chain, when))
        for title, slug, published, blocks, category in (
            (seeddata.PREVIOUS_TITLE, seeddata.PREVIOUS_SLUG, seeddata.PREVIOUS_PUBLISHED,
             seeddata.PREVIOUS_BLOCKS, "Wirtschaft"),
            (seeddata.SEED_TITLE, seeddata.SEED_SLUG, seeddata.SEED_PUBLISHED, seeddata.SEED_BLOCKS, "Politik"),
            (seeddata.NEXT_TITLE, seeddata.NEXT_SLUG, seeddata.NEXT_PUBLISHED, seeddata.NEXT_BLOCKS, "Wirtschaft"),
        ):
            path = _article_path(chain.site, chain.section, slug, published)
            is_seed = slug == seeddata.SEED_SLUG
            image = Image(
                "/newsportal/img/flags.jpg" if is_seed else _image_path(chain.site, slug, published),
                seeddata.SEED_IMAGE_CREDIT if is_seed else rng.choice(LANGUAGES["de"].image_credits),
                shade=rng.randint(40, 215),
            )
            self._titles.add(title)
            self._append(chain, Article(
                id=0, uid=self._uid(path), site=chain.site, chain_name=chain.name, index=0, slug=slug, path=path,
                title=title, author=seeddata.SEED_AUTHOR, published=published, updated=published, language="de",
                blocks=_seed_blocks(blocks),
                categories=[chain.section.title, category], tags=[category], image=image,
            ))
        for when in self._timeline(rng, seeddata.NEXT_PUBLISHED, SEED_ARTICLES_AFTER, backwards=False):
            self._append(chain, self._generate(chain, when))

    def _uid(self, path: str) -> str:
        return hashlib.sha1(f"{self.seed}:{path}".encode()).hexdigest()[:24]

    def _generate(self, chain: Chain, published: datetime) -> Article:
        rng, site = chain.rng, chain.site
        topic = TOPICS[rng.choice(chain.section.topics)]
        writer = Writer(rng, topic)
        title = writer.title()
        for attempt in range(40):
            if title not in self._titles:
                break
            title = writer.title() if attempt < 30 else f"{writer.title()} ({attempt})"
        self._titles.add(title)
        slug = slugify(title)
        path = _article_path(site, chain.section, slug, published)
        while path in self._by_path or path in self.deleted or path in self.moved:  # URLs are never reused
            slug += "-2"
            path = _article_path(site, chain.section, slug, published)
        categories, tags = _taxonomy(site, chain.section, topic, rng.sample(topic.tags, 2))
        updated = published + timedelta(minutes=rng.randint(10, 240)) if rng.random() < 0.25 else published
        lang = LANGUAGES[site.language]
        image = Image(_image_path(site, slug, published), rng.choice(lang.image_credits),
                      rng.choice(lang.image_alts), rng.randint(40, 215))
        return Article(
            id=0, uid=self._uid(path), site=site, chain_name=chain.name, index=0, slug=slug, path=path,
            title=title, author=rng.choice(site.authors), published=published, updated=updated,
            language=site.language, blocks=writer.body(), categories=categories, tags=tags, image=image,
        )

    def _append(self, chain: Chain, article: Article) -> None:
        if chain.articles:
            article.previous = chain.articles[-1]
            chain.articles[-1].next = article
        article.index = len(chain.articles)
        chain.articles.append(article)
        self._by_path[article.path] = article
        if self.base_url:
            self._set_url(article)

    def _pick_related(self, chain: Chain, article: Article) -> None:
        exclude = {id(article), id(article.previous), id(article.next)}
        pool = [a for a in chain.articles if id(a) not in exclude]
        article.related = chain.rng.sample(pool, min(3, len(pool)))

    def _set_url(self, article: Article) -> None:
        article.url = self.base_url + article.path
        if article.site.theme == "wordpress":
            article.guid = f"{self.base_url}/{article.site.slug}/?p={article.id}"
        elif article.site.theme == "ghost":
            article.guid = article.uid
        else:
            article.guid = article.url
