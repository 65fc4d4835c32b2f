"""A person's path through the archive in a real browser: Debian's chromium, headless, driven by selenium
through chromium-driver, against `aggregator serve` on 127.0.0.1.

Search for a German word, open a result, follow Next to the neighbour article and come back with Previous;
screenshots are saved (their paths printed). scripts/test installs chromium when it is missing; the test
skips only when chromium is absent outside CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import WAIT_S, chromium_driver, require_browser, serving
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
