"""A person's path through the archive in a real browser: Debian's chromium, headless, driven by selenium
through chromium-driver, against `aggregator serve` on 127.0.0.1.

Search for a German word, open a result, follow Next to the neighbour article and come back with Previous;
screenshots are saved (their paths printed). scripts/test installs chromium when it is missing; the test
skips only when chromium is absent outside CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web import Built, build_archive

from aggregator.testsite import NewsSite

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WAIT_S = 15
GERMAN_WORD = "Verhandlungen"  # in the seed article "Nach Putin-Telefonat: Trump kündigt sofortige Verhandlungen ..."


def _require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        message = f"{', '.join(missing)} missing (apt-get install chromium chromium-driver; scripts/test does it)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs them, so their absence is a failure there
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def chromium() -> None:
    _require_browser()  # before the archive and the server are built for nothing


@pytest.fixture(scope="module")
def built(chromium: None, site: NewsSite, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_archive(site, tmp_path_factory.mktemp("web-browser"))


@pytest.fixture(scope="module")
def server(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`aggregator serve` over the test archive: the real command, its entry points and plugins."""
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "aggregator", "serve", "--db", str(built.path), "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"aggregator serve did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def browser(chromium: None, tmp_path: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--no-default-browser-check", "--disable-extensions", "--disable-default-apps", "--mute-audio",
        "--disable-features=Translate,OptimizationHints,MediaRouter",
        # Belt and braces: the browser cannot resolve any host but the loopback address.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1400", "--lang=de-DE",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager is never asked to download anything.
    service = Service(executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()


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
