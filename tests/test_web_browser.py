"""A person's path through the archive in a real browser: Debian's chromium, headless, driven by selenium
through chromium-driver, against `aggregator serve` on 127.0.0.1.

Search for a German word, open a result, follow Next to the neighbour article and come back with Previous;
then every page of ours at a phone's and a desktop's width, which must not scroll sideways. Screenshots are
saved under pytest's tmp_path (their paths printed). scripts/test installs chromium when it is missing; the test
skips only when chromium is absent outside CI.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import (
    WAIT_S,
    WIDTHS,
    axe_source,
    axe_violations,
    chromium_driver,
    horizontal_overflow,
    require_browser,
    serving,
    set_viewport,
)
from test_web import Built, build_archive

from aggregator.demo.site import NewsSite

GERMAN_WORD = "Verhandlungen"  # in the seed article "Nach Putin-Telefonat: Trump kündigt sofortige Verhandlungen ..."


@pytest.fixture(scope="module")
def chromium() -> None:
    require_browser()  # before the archive and the server are built for nothing


@pytest.fixture(scope="module")
def built(chromium: None, site: NewsSite, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_archive(site, tmp_path_factory.mktemp("web-browser"))


@pytest.fixture(scope="module")
def server(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(built.path, tmp_path_factory.mktemp("serve")) as base:
        yield base


@pytest.fixture
def browser(chromium: None, tmp_path: Path) -> Iterator[object]:
    with chromium_driver(tmp_path) as driver:
        yield driver


def test_search_open_follow_next_and_back(server: str, built: Built, browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver: WebDriver = browser  # type: ignore[assignment]
    wait = WebDriverWait(driver, WAIT_S)
    seed = built.site.seed_article
    with __import__("sqlite3").connect(built.path) as db:
        next_title = db.execute("select title from entries where id = ?", [built.next_id]).fetchone()[0]

    def heading() -> str:
        return str(wait.until(ec.visibility_of_element_located((By.ID, "article-title"))).text)

    # 1. The search box of the entries table, with a German word.
    driver.get(f"{server}/archive/entries")
    box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, 'form input[name="_search"]')))
    box.clear()
    box.send_keys(GERMAN_WORD, Keys.ENTER)
    wait.until(ec.url_contains(f"_search={GERMAN_WORD}"))
    results = driver.find_elements(By.CSS_SELECTOR, "ol.archive-results li.archive-result")
    assert results, "the search found nothing"
    searched = tmp_path / "1-search.png"
    driver.save_screenshot(str(searched))

    # 2. Open the result: its title links to the article view. (The private feed's syndicated copy of the
    # story has the same title; the newsportal's own is the one whose chain we follow.)
    link = wait.until(ec.element_to_be_clickable(
        (By.CSS_SELECTOR, f'ol.archive-results .result-title a[href="/archive/article/{built.seed_id}"]')
    ))
    assert link.text == seed.title
    link.click()
    wait.until(ec.url_matches(rf"/archive/article/{built.seed_id}$"))
    assert heading() == seed.title
    text = driver.find_element(By.ID, "article-text").text
    assert GERMAN_WORD in text and seed.paragraphs[1][:30] in text

    # 3. Next: the newer neighbour, archived.
    driver.find_element(By.ID, "next").click()
    wait.until(ec.url_matches(rf"/archive/article/{built.next_id}$"))
    assert heading() == next_title

    # 4. Previous: back to where we were.
    driver.find_element(By.ID, "previous").click()
    wait.until(ec.url_matches(rf"/archive/article/{built.seed_id}$"))
    assert heading() == seed.title
    article = tmp_path / "2-article.png"
    assert driver.save_screenshot(str(article)) and article.stat().st_size > 10_000
    print(f"\nscreenshots: {searched} {article}")

    # The pages ran under their Content-Security-Policy without a violation or a script error.
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not severe, severe


FACETS = "_facet=feed_id&_facet_tags=id&_facet=language&_facet=author&_facet_month=published_at"


def our_pages(built: Built) -> dict[str, str]:
    with sqlite3.connect(built.path) as db:
        listed = db.execute("select min(id) from entries where content_html like '%<ul>%'").fetchone()[0]
    assert listed is not None, "no article of the test site has a bullet list"
    return {
        "database": "/archive",
        "entries": "/archive/entries",
        "entries-facets": f"/archive/entries?{FACETS}",
        "entries-search": f"/archive/entries?_search={GERMAN_WORD}",
        "search": f"/archive/search?q={GERMAN_WORD}",
        "article": f"/archive/article/{built.seed_id}",
        "article-list": f"/archive/article/{listed}",
        "chain": f"/archive/chain?id={built.seed_id}",
        "feed-health": "/archive/feed_health",
        "chart": "/archive/articles_per_day",
    }


# Every word of the facet lists on one line: Datasette's break-all cut "Talbach" and counts like "39".
_SPLIT_WORDS = """
const split = [];
for (const li of document.querySelectorAll('.facet-info li')) {
  const walker = document.createTreeWalker(li, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) split.push(match[0]);
    }
  }
}
return split;
"""


@pytest.mark.parametrize("screen", list(WIDTHS))
def test_pages_fit_phone_and_desktop(server: str, built: Built, browser: object, tmp_path: Path, screen: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    driver: WebDriver = browser  # type: ignore[assignment]
    width, height = WIDTHS[screen]
    set_viewport(driver, width, height)
    problems: dict[str, object] = {}
    shots = []
    for name, path in our_pages(built).items():
        driver.get(server + path)
        # A phone zooms out to show content wider than its screen: the page then scrolls sideways at 100%.
        shown = driver.execute_script("return window.innerWidth")
        if shown != width:
            problems[f"{name}: shown {shown} px wide on a {width} px screen"] = shown
        shot = tmp_path / f"{screen}-{width}-{name}.png"
        assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 5_000
        shots.append(shot)
        overflow = horizontal_overflow(driver)
        if overflow["scrollWidth"] > overflow["clientWidth"]:
            problems[f"{name}: scrolls sideways"] = overflow
        split = driver.execute_script(_SPLIT_WORDS)
        if split:
            problems[f"{name}: facet words split across lines"] = split
        if name == "entries-facets":
            assert driver.find_elements(By.CSS_SELECTOR, ".facet-info li"), "no facets shown"
        if name in ("entries", "entries-search"):
            # The first article's title is on the first screen: help text must not push it down.
            first = driver.find_element(By.CSS_SELECTOR, "ol.archive-results li.archive-result .result-title")
            top = driver.execute_script("return arguments[0].getBoundingClientRect().top", first)
            if top > height - 60:
                problems[f"{name}: first article at {top:.0f} px"] = top
        if name == "article-list":
            # List items in the article text keep their bullets (Datasette resets ul/ol to list-style none).
            styles = driver.execute_script(
                "return [...document.querySelectorAll('#article-text ul li, .feed-version ul li')]"
                ".map(li => getComputedStyle(li).listStyleType)"
            )
            assert styles, "the article's list is not on its page"
            if "none" in styles:
                problems[f"{name}: list items without bullets"] = styles
    print(f"\nscreenshots ({screen}): {' '.join(map(str, shots))}")
    assert not problems, problems


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


@pytest.mark.parametrize("screen", list(WIDTHS))
def test_pages_pass_axe(server: str, built: Built, browser: object, axe: str, screen: str) -> None:
    """axe-core's WCAG 2.x level A and AA rules over every page of ours, at both widths."""
    from selenium.webdriver.remote.webdriver import WebDriver

    driver: WebDriver = browser  # type: ignore[assignment]
    driver.set_script_timeout(60)
    set_viewport(driver, *WIDTHS[screen])
    found: dict[str, list[dict[str, object]]] = {}
    checked = 0
    for name, path in our_pages(built).items():
        driver.get(server + path)
        violations = axe_violations(driver, axe)
        checked += 1
        if violations:
            found[name] = violations
    assert checked == len(our_pages(built))
    report = "\n".join(
        f"{page}: {v['id']} ({v['impact']}): {v['help']}\n" + "\n".join(f"    {n['target']}: {n['html']}" for n in v["nodes"][:4])
        for page, violations in found.items() for v in violations
    )
    assert not found, report
