"""End to end against the local news site: real HTTP, real SQLite, real trafilatura."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_config

from aggregator.api import poll_once
from aggregator.demo.site import CustomResponse, NewsSite
from aggregator.poll.pipeline import FeedReport
from aggregator.store import Archive

# One feed per format, German and English, every theme.
GOOD_FEEDS = [
    "newsportal-nachrichten.rss20",  # WordPress, German, holds the seed article
    "harbour-times-news.atom10",  # WordPress, English
    "stadtanzeiger-lokales.rss10",  # WordPress, German, RSS 1.0
    "technikblog-posts.json11",  # Hugo PaperMod, German, JSON Feed
    "field-notes-stories.rss20",  # Ghost, English
    "dev-notes-posts.atom10",  # Hugo PaperMod, English
]
BOILERPLATE = [
    "Dark Mode", "Light Mode", "We use cookies", "Wir verwenden Cookies", "Share on", "Leave a Reply",
    "Schreibe einen Kommentar", "Deine E-Mail-Adresse", "Your email address will not be published",
    "Previous Post", "Next Post", "Vorheriger Beitrag", "Nächster Beitrag", "Impressum", "Datenschutz",
]


class Run:
    def __init__(self, site: NewsSite, db_path: Path, first: list[FeedReport], second: list[FeedReport]) -> None:
        self.site = site
        self.db_path = db_path
        self.first = first
        self.second = second
        self.db = sqlite3.connect(db_path)
        self.db.row_factory = sqlite3.Row

    def feed_id(self, name: str) -> int:
        url = self.site.feed_urls[name] if name in self.site.feed_urls else self.site.broken_urls[name]
        return self.db.execute("SELECT id FROM feeds WHERE config_url = ?", [url]).fetchone()[0]

    def entry_by_url(self, feed: str, url: str) -> sqlite3.Row:
        row = self.db.execute(
            "SELECT * FROM entries WHERE feed_id = ? AND (url = ? OR canonical_url = ?)", [self.feed_id(feed), url, url]
        ).fetchone()
        assert row is not None, f"{url} not archived from {feed}"
        return row


@pytest.fixture(scope="module")
def run(site: NewsSite, tmp_path_factory: pytest.TempPathFactory) -> Run:
    tmp = tmp_path_factory.mktemp("pipeline")
    unparseable = site.set_route(
        "/broken/truncated/feed/",
        CustomResponse(body=b"<?xml version='1.0'?>\n<rss><chann", content_type="application/rss+xml"),
    )
    broken = [site.broken_urls[k] for k in ("invalid_xml", "not_found", "slow", "server_error", "html_instead", "dead_links")]
    config = write_config(tmp / "feeds.yaml", [site.feed_urls[n] for n in GOOD_FEEDS] + broken + [unparseable])
    archive = Archive(tmp / "archive.db")
    try:
        first = asyncio.run(poll_once(config, archive))
        site.clear_requests()
        second = asyncio.run(poll_once(config, archive))
    finally:
        archive.close()
    return Run(site, tmp / "archive.db", first, second)


def test_every_entry_of_every_format_archived_once(run: Run) -> None:
    for name in GOOD_FEEDS:
        expected = {a.url for a in run.site.articles_in_feed(name)}
        rows = run.db.execute("SELECT url, canonical_url FROM entries WHERE feed_id = ?", [run.feed_id(name)]).fetchall()
        archived = {r["canonical_url"] or r["url"] for r in rows}
        assert len(rows) == len(expected) == 10, name
        assert archived == expected, name
    report = {r.url: r for r in run.first}
    assert all(report[run.site.feed_urls[n]].new_entries == 10 for n in GOOD_FEEDS)


def test_second_poll_is_conditional_and_adds_nothing(run: Run) -> None:
    by_url = {r.url: r for r in run.second}
    for name in GOOD_FEEDS:
        url = run.site.feed_urls[name]
        assert by_url[url].new_entries == 0 and by_url[url].not_modified, name
        requests = run.site.requests_for(url)
        assert len(requests) == 1
        assert requests[0].header("if-none-match"), name
        assert requests[0].header("if-modified-since"), name
        assert requests[0].status == 304
    polls = run.db.execute("SELECT COUNT(*) FROM polls WHERE not_modified = 1").fetchone()[0]
    assert polls >= len(GOOD_FEEDS)
    dupes = run.db.execute("SELECT COUNT(*) FROM (SELECT url FROM entries GROUP BY feed_id, url HAVING COUNT(*) > 1)")
    assert dupes.fetchone()[0] == 0


def test_full_text_keeps_the_article_and_drops_the_boilerplate(run: Run) -> None:
    checked = 0
    for name in GOOD_FEEDS:
        for article in run.site.articles_in_feed(name):
            row = run.entry_by_url(name, article.url)
            assert row["full_text_source"] == "page" and row["extraction_error"] is None, article.url
            text = row["full_text"]
            for part in [*article.headings, *article.paragraphs]:
                assert part in text, f"{article.url}: missing {part[:60]!r}"
            for noise in BOILERPLATE:
                assert noise not in text, f"{article.url}: kept {noise!r}"
            assert article.image.credit not in text
            assert row["language"] == article.language
            assert row["word_count"] >= len(" ".join(article.paragraphs).split()) * 0.9
            checked += 1
    assert checked == 60


def test_seed_page(run: Run) -> None:
    seed = run.site.seed_article
    row = run.entry_by_url("newsportal-nachrichten.rss20", seed.url)
    text = row["full_text"]
    for part in [*seed.headings, *seed.paragraphs, *seed.list_items]:
        assert part in text, part
    for noise in ["Dark Mode", "Light Mode", "jorono (CC0), Pixabay", "Add a comment", "Schreibe einen Kommentar",
                  "Deine E-Mail-Adresse", "Erforderliche Felder", "Previous Post", "Next Post"]:
        assert noise not in text, noise
    assert row["previous_url"] == seed.previous.url
    assert row["next_url"] == seed.next.url
    assert row["previous_title"] == "Insolvenzantrag der XWOOD Handels GmbH mangels Masse abgewiesen"
    assert row["next_title"] == "Chevron streicht bis zu 20 % der weltweiten Arbeitsplätze – 8.000 Jobs in Gefahr"
    previous = run.entry_by_url("newsportal-nachrichten.rss20", seed.previous.url)
    following = run.entry_by_url("newsportal-nachrichten.rss20", seed.next.url)
    assert row["previous_id"] == previous["id"] and row["next_id"] == following["id"]
    assert previous["next_id"] == row["id"] and following["previous_id"] == row["id"]
    assert row["language"] == "de" and row["published_at"] == "2025-02-12T20:15:00Z"


@pytest.mark.parametrize("name", GOOD_FEEDS)
def test_adjacent_chain_resolved_inside_the_window(run: Run, name: str) -> None:
    window = run.site.articles_in_feed(name)  # newest first
    window_urls = {a.url for a in window}
    resolved = 0
    for article in window:
        row = run.entry_by_url(name, article.url)
        assert row["previous_url"] == (article.previous.url if article.previous else None), article.url
        assert row["next_url"] == (article.next.url if article.next else None), article.url
        if article.previous and article.previous.url in window_urls:
            assert row["previous_id"] == run.entry_by_url(name, article.previous.url)["id"]
            resolved += 1
        else:
            assert row["previous_id"] is None  # its neighbour is older than the feed window
    assert resolved == 9


def test_search_finds_german_words_with_umlauts(run: Run) -> None:
    archive = Archive(run.db_path)
    try:
        german = [a for a in run.site.articles_in_feed("newsportal-nachrichten.rss20") if a is not run.site.seed_article]
        words = {w for a in german for w in re.findall(r"\w*[äöüÄÖÜ]\w*", " ".join(a.paragraphs)) if len(w) > 6}
        assert words
        word = sorted(words)[0]
        having = {a.url for a in run.site.articles if word.casefold() in a.text.casefold()}
        hits = archive.search(f'"{word}"', limit=500)
        found = {h["url"] for h in hits} | {
            run.db.execute("SELECT canonical_url FROM entries WHERE id = ?", [h["id"]]).fetchone()[0] for h in hits
        }
        archived_having = {
            r[0] for r in run.db.execute("SELECT canonical_url FROM entries WHERE canonical_url IS NOT NULL") if r[0] in having
        }
        assert archived_having and archived_having <= found
        folded = word.replace("ä", "a").replace("ö", "o").replace("ü", "u").replace("Ä", "A").replace("Ö", "O").replace("Ü", "U")
        assert {h["id"] for h in archive.search(f'"{folded}"', limit=500)} == {h["id"] for h in hits}
        assert archive.search("Putin Telefonat")[0]["title"].startswith("Nach Putin-Telefonat")
    finally:
        archive.close()


def test_broken_feeds_are_recorded_and_others_complete(run: Run) -> None:
    site = run.site
    expected = {
        "not_found": "HTTP 404 Not Found",
        "server_error": "HTTP 500 Internal Server Error",
        "slow": "server sent nothing for 3 s",
        "html_instead": "not a feed but an HTML page; it links to feeds: " + site.feed_urls["harbour-times-news.rss20"],
    }
    for key, message in expected.items():
        feed = run.db.execute("SELECT * FROM feeds WHERE config_url = ?", [site.broken_urls[key]]).fetchone()
        assert feed["last_error"].startswith(message), (key, feed["last_error"])
        assert feed["error_count"] == 2  # both polls failed
        polls = run.db.execute("SELECT error FROM polls WHERE feed_id = ?", [feed["id"]]).fetchall()
        assert [p["error"][: len(message)] for p in polls] == [message, message]
    truncated = run.db.execute("SELECT * FROM feeds WHERE config_url LIKE '%/broken/truncated/feed/'").fetchone()
    assert truncated["last_error"].startswith("not well-formed XML")
    # A feed with one bad character still yields the entries it has, and says what was wrong.
    invalid = run.db.execute("SELECT * FROM feeds WHERE config_url = ?", [site.broken_urls["invalid_xml"]]).fetchone()
    assert invalid["last_error"] is None and "not well-formed" in invalid["parse_warning"]
    assert run.db.execute("SELECT COUNT(*) FROM entries WHERE feed_id = ?", [invalid["id"]]).fetchone()[0] > 0
    # The slow feed did not hold up the rest.
    slow = next(r for r in run.first if r.url == site.broken_urls["slow"])
    assert slow.duration_ms < 6000


def test_unreachable_article_pages_keep_the_feed_text(run: Run) -> None:
    feed_id = run.feed_id("dead_links")
    rows = run.db.execute("SELECT * FROM entries WHERE feed_id = ?", [feed_id]).fetchall()
    assert rows
    for row in rows:
        assert row["extraction_error"] == "article page: HTTP 404 Not Found"
        assert row["extraction_attempts"] == 2  # retried on the second poll
        assert row["full_text_source"] == "feed" and row["full_text"]
        assert row["extracted_at"] is None


def test_integrity(run: Run) -> None:
    assert run.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert run.db.execute("PRAGMA foreign_key_check").fetchall() == []
    fts = run.db.execute("SELECT COUNT(*) FROM entries_fts").fetchone()[0]
    assert fts == run.db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
    # entries_fts counts the content table; the index's own rows are in its docsize table. Every entry is
    # indexed once its poll is over, whatever its extraction did (broken pages included).
    indexed = {r[0] for r in run.db.execute("SELECT id FROM entries_fts_docsize")}
    assert indexed == {r[0] for r in run.db.execute("SELECT id FROM entries")}
    assert run.db.execute("SELECT COUNT(*) FROM entries WHERE fts_pending = 1").fetchone()[0] == 0


def test_cli_poll_exit_codes(site: NewsSite, tmp_path: Path) -> None:
    good = write_config(tmp_path / "good.yaml", [site.feed_urls["harbour-times-business.rss20"]], full_text=False)
    bad = write_config(tmp_path / "bad.yaml", [site.feed_urls["harbour-times-business.rss20"], site.broken_urls["not_found"]])
    db = tmp_path / "archive.db"
    ok = subprocess.run([sys.executable, "-m", "aggregator", "poll", "--config", str(good.path), "--db", str(db)],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "1 feeds polled: 10 new entries, 0 articles extracted" in ok.stdout
    failed = subprocess.run([sys.executable, "-m", "aggregator", "poll", "--config", str(bad.path), "--db", str(db)],
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1
    assert f"FAILED {site.broken_urls['not_found']}: HTTP 404 Not Found" in failed.stderr
    status = subprocess.run([sys.executable, "-m", "aggregator", "status", "--json", "--db", str(db)],
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0 and '"error_count": 1' in status.stdout
