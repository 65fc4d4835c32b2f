"""`aggregator import` / `export`: OPML in and out, the config keeping its comments, round trips."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_config
from lxml import etree

from aggregator.cli import main
from aggregator.config.edit import NewFeed, add_feeds
from aggregator.config.model import load_config
from aggregator.config.opml import OPMLError, parse_opml
from aggregator.demo.site import NewsSite

COMMENTED = """\
# My feeds. Reference: README.md, "Configuration".
settings:
  interval: 30m            # default time between two polls
  allow_private_networks: true   # the local site

feeds:
  # German
  - url: https://www.tagesschau.de/index~rss2.xml
    title: tagesschau.de
    tags: [de, news]
  # English
  - url: https://feeds.bbci.co.uk/news/world/rss.xml   # BBC
    title: BBC News World
    tags: [en, news]
"""


def run(*args: str, input: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def feeds_of(path: Path) -> list[tuple[str, str | None, tuple[str, ...], bool]]:
    return [(f.url, f.title, f.tags, f.enabled) for f in load_config(path).feeds]


def test_parse_opml_reads_folders_categories_titles_and_comments() -> None:
    data = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Mine</title></head>
  <body>
    <outline text="News">
      <outline text="Germany" title="ignored, text wins">
        <outline type="rss" text="Überschwemmung &amp; Co" xmlURL="https://a.example/feed" category="de,/Weather/Storms"/>
      </outline>
      <outline type="rss" title="Only a title" xmlUrl="https://b.example/rss"/>
    </outline>
    <outline type="rss" text="https://c.example/atom" xmlUrl="https://c.example/atom" isComment="true"/>
    <outline type="rss" text="again" xmlUrl="https://a.example/feed"/>
    <outline type="include" text="Other list" url="https://lists.example/more.opml"/>
    <outline text="Empty folder"/>
  </body>
</opml>""".encode()
    document = parse_opml(data, "mine.opml")
    assert document.title == "Mine"
    assert document.feeds == [
        NewFeed("https://a.example/feed", "Überschwemmung & Co", ("News", "Germany", "de", "Weather", "Storms")),
        NewFeed("https://b.example/rss", "Only a title", ("News",)),
        NewFeed("https://c.example/atom", None, (), enabled=False),  # text == URL means no title
    ]
    assert document.lists == ["https://lists.example/more.opml"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'<?xml version="1.0"?>\n<opml version="2.0"><body>\n<outline text="a" xmlUrl="https://a.example/"/>',
         "not well-formed XML: line 3"),
        (b"<!DOCTYPE html><html><body><p>Feeds</p></body></html>", "root element is <html>, not <opml>"),
        (b"", "it is empty"),
        (b"just text, no markup", "not well-formed XML: line 1"),
        (b'<opml><body><outline text="A & B" xmlUrl="https://a.example/"/></body></opml>', "not well-formed XML"),
    ],
)
def test_invalid_opml_is_one_line_error_exit_2_and_config_untouched(tmp_path: Path, body: bytes,
                                                                    expected: str) -> None:
    opml = tmp_path / "bad.opml"
    opml.write_bytes(body)
    config = tmp_path / "feeds.yaml"
    config.write_text(COMMENTED, encoding="utf-8")
    code, out, err = run("import", str(opml), "--config", str(config))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"Error: {opml}: ") and expected in err, err
    assert "Traceback" not in err and out == ""
    assert config.read_text(encoding="utf-8") == COMMENTED


def test_import_of_the_site_opml_keeps_comments_and_skips_known_feeds(site: NewsSite, tmp_path: Path) -> None:
    with urllib.request.urlopen(site.opml_url, timeout=10) as response:
        opml_bytes = response.read()
    opml = tmp_path / "site.opml"
    opml.write_bytes(opml_bytes)
    primary = {info.url: info for info in site.feeds.values() if info.primary}
    assert len(primary) == len(site.chain_names) == 7
    # One of the OPML's feeds is already configured, written differently (host case, tracking parameter).
    known = next(iter(primary))
    config = tmp_path / "feeds.yaml"
    spelled = known.replace("http://127.0.0.1", "HTTP://127.0.0.1") + "?utm_source=opml"
    config.write_text(COMMENTED + f"  - {spelled}   # already here\n", encoding="utf-8")
    before = config.read_text(encoding="utf-8")

    code, out, err = run("import", str(opml), "--config", str(config))
    assert code == 0, err
    assert f"{opml}: 6 feeds added, 1 skipped (already in {config})" in out
    assert f"skipped {known}: already in the config" in out
    after = config.read_text(encoding="utf-8")
    assert after.startswith(before)  # every comment and line of the file as it was, byte for byte
    appended = after[len(before):]
    assert appended.startswith("  - url: ") and "#" not in appended  # the file's style: mappings, indent 2
    feeds = load_config(config).feeds
    assert {f.url for f in feeds} == {"https://www.tagesschau.de/index~rss2.xml",
                                      "https://feeds.bbci.co.uk/news/world/rss.xml", *primary}
    by_url = {f.url: f for f in feeds}
    sites = {s.slug: s for s in site.world.sites}
    for url, info in primary.items():
        if url == known:
            continue
        feed = by_url[url]
        assert feed.tags == (sites[info.site].title,)  # the site folder of the OPML becomes a tag
        assert feed.title  # the outline's text

    # A second import adds nothing and leaves the file alone.
    mtime = os.stat(config).st_mtime_ns
    code, out, _ = run("import", str(opml), "--config", str(config))
    assert code == 0 and "0 feeds added, 7 skipped" in out
    assert os.stat(config).st_mtime_ns == mtime and config.read_text(encoding="utf-8") == after


def test_export_then_import_into_an_empty_config_gives_the_same_feeds(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text(
        COMMENTED
        + "  - https://bare.example/feed.xml\n"
        + "  - url: https://odd.example/rss?id=1&x=2\n"
        + "    title: 'Quotes \"&\" <angle> brackets: Überschwemmung'\n"
        + "    tags: [weird tag, ümlaut]\n"
        + "  - url: https://off.example/atom\n"
        + "    title: Switched off\n"
        + "    enabled: false\n",
        encoding="utf-8",
    )
    out_file = tmp_path / "out.opml"
    code, _, err = run("export", "--format", "opml", "-o", str(out_file), "--config", str(config),
                       "--db", str(tmp_path / "none.db"))
    assert code == 0, err
    root = etree.fromstring(out_file.read_bytes())
    assert root.tag == "opml" and root.get("version") == "2.0"
    outlines = root.findall("body/outline")
    assert len(outlines) == 5 and all(o.get("type") == "rss" and o.get("text") for o in outlines)
    assert outlines[0].get("category") == "de,news" and outlines[0].get("title") == "tagesschau.de"
    assert not any(o.get("htmlUrl") for o in outlines)  # no archive, no site URLs

    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    code, out, err = run("import", str(out_file), "--config", str(empty))
    assert code == 0, err
    assert "5 feeds added, 0 skipped" in out
    assert feeds_of(empty) == feeds_of(config)
    assert ("https://bare.example/feed.xml", None, (), True) in feeds_of(empty)
    # and into a config that does not exist yet, from standard input
    fresh = tmp_path / "new" / "feeds.yaml"
    code, out, err = run("import", "-", "--config", str(fresh), input=out_file.read_bytes())
    assert code == 0, err
    assert f"created {fresh}" in out and feeds_of(fresh) == feeds_of(config)


def test_export_takes_site_urls_from_the_archive_read_only(site: NewsSite, tmp_path: Path) -> None:
    feed = site.feeds["dev-notes-posts.atom10"]
    config = write_config(tmp_path / "feeds.yaml", [feed.url], full_text=False)
    db = tmp_path / "archive.db"
    code, _, err = run("poll", "-q", "--config", str(config.path), "--db", str(db))
    assert code == 0, err
    stat = os.stat(db)
    code, out, err = run("export", "--config", str(config.path), "--db", str(db))
    assert code == 0, err
    outline = etree.fromstring(out.encode()).find("body/outline")
    assert outline is not None and outline.get("xmlUrl") == feed.url
    assert outline.get("htmlUrl") == site.url_for("/dev-notes/posts/")
    assert outline.get("text") == feed.url and outline.get("title") is None  # no title in the config
    after = os.stat(db)
    assert (after.st_mtime_ns, after.st_size) == (stat.st_mtime_ns, stat.st_size)


def test_import_dry_run_changes_nothing(tmp_path: Path) -> None:
    opml = tmp_path / "list.opml"
    opml.write_text('<opml version="1.0"><body><outline text="A" xmlUrl="https://a.example/feed"/>'
                    '<outline text="A again" xmlUrl="https://A.example:443/feed#top"/>'
                    '<outline text="B" xmlUrl="ftp://b.example/feed"/></body></opml>', encoding="utf-8")
    config = tmp_path / "feeds.yaml"
    config.write_text(COMMENTED, encoding="utf-8")
    code, out, _ = run("import", str(opml), "--config", str(config), "--dry-run")
    assert code == 0
    assert "would add https://a.example/feed (A)" in out
    assert "skipped https://A.example:443/feed#top: listed twice" in out
    assert "skipped ftp://b.example/feed: not an http(s) URL" in out
    assert out.endswith(f"{opml}: 1 feed would be added, 0 skipped (already in {config}), 1 listed twice, "
                        "1 skipped as invalid\n")
    assert config.read_text(encoding="utf-8") == COMMENTED


def test_added_feeds_follow_the_file_style(tmp_path: Path) -> None:
    bare = tmp_path / "bare.yaml"
    bare.write_text("feeds:\n- https://a.example/feed  # first\n- https://b.example/feed\n", encoding="utf-8")
    result = add_feeds(bare, [NewFeed("https://c.example/feed", fallback_title="C's own title"),
                              NewFeed("https://d.example/feed", title="D", tags=("x", "y"))])
    assert [f.url for f in result.added] == ["https://c.example/feed", "https://d.example/feed"]
    assert bare.read_text(encoding="utf-8") == (
        "feeds:\n- https://a.example/feed  # first\n- https://b.example/feed\n- https://c.example/feed\n"
        "- url: https://d.example/feed\n  title: D\n  tags: [x, y]\n"
    )
    mappings = tmp_path / "mappings.yaml"
    original = "settings:\n    interval: 1h\nfeeds:\n  - url: https://a.example/feed\n    tags:\n      - a\n"
    mappings.write_text(original, encoding="utf-8")
    add_feeds(mappings, [NewFeed("https://c.example/feed", fallback_title="C's own title", tags=("t",))])
    # a mapping like its neighbours, with the feed's own title, block-style tags, the file's indentation
    assert mappings.read_text(encoding="utf-8") == original + (
        "  - url: https://c.example/feed\n    title: C's own title\n    tags:\n      - t\n"
    )


def test_invalid_config_is_not_edited(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds:\n  - url: https://a.example/\n    intervall: 1h\n", encoding="utf-8")
    opml = tmp_path / "list.opml"
    opml.write_text('<opml version="2.0"><body><outline text="B" xmlUrl="https://b.example/"/></body></opml>',
                    encoding="utf-8")
    code, _, err = run("import", str(opml), "--config", str(config))
    assert code == 2 and "feeds.yaml:3: feeds[0] https://a.example/: intervall: unknown key" in err
    assert "b.example" not in config.read_text(encoding="utf-8")
    with pytest.raises(OPMLError):
        parse_opml(b"<feeds/>")
