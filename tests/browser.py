"""Shared plumbing for the browser tests: Debian's chromium through chromium-driver, and `aggregator serve`.

scripts/test installs chromium when it is missing; the tests skip only when it is absent outside CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WAIT_S = 15


def require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        message = f"{', '.join(missing)} missing (apt-get install chromium chromium-driver; scripts/test does it)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs them, so their absence is a failure there
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(db_path: Path, log_dir: Path) -> Iterator[str]:
    """`aggregator serve` over an archive: the real command, its entry points and plugins. Yields its URL."""
    port = free_port()
    log = log_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "aggregator", "serve", "--db", str(db_path), "--host", "127.0.0.1",
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


@contextmanager
def chromium_driver(profile_dir: Path) -> Iterator[Any]:
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
        f"--user-data-dir={profile_dir / 'profile'}", "--window-size=1280,1400", "--lang=de-DE",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager is never asked to download anything.
    service = Service(executable_path=CHROMEDRIVER, log_output=str(profile_dir / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()


# A phone and a wide desktop screen: every page of ours must fit both without scrolling sideways.
WIDTHS = {"phone": (360, 780), "desktop": (1440, 900)}


def set_viewport(driver: Any, width: int, height: int) -> None:
    """Emulate a screen of this size (a phone's mobile viewport at narrow widths), not just a window size."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800},
    )


def horizontal_overflow(driver: Any) -> dict[str, Any]:
    """How far the page is wider than its viewport, and the elements that stick out past its right edge."""
    return dict(driver.execute_script(
        """
        const root = document.documentElement, width = root.clientWidth, out = [];
        for (const el of document.body.querySelectorAll('*')) {
          const box = el.getBoundingClientRect();
          if (box.width && box.right > width + 1) {
            out.push(`${el.tagName.toLowerCase()}.${el.className}#${el.id} right=${Math.round(box.right)}`);
          }
        }
        return {scrollWidth: root.scrollWidth, clientWidth: width, wide: out.slice(0, 12)};
        """
    ))


# axe-core, the accessibility checker, from the npm registry through npm; kept in the environment's share/
# folder after the first run, so later runs need no network. Pinned: a newer axe knows new rules.
AXE_VERSION = "4.14.1"
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")


def axe_source() -> str:
    cached = Path(sys.prefix) / "share" / "axe-core" / AXE_VERSION / "axe.min.js"
    if not cached.exists():
        npm = shutil.which("npm")
        if npm is None:
            message = "npm missing (apt-get install npm; scripts/test does it): axe-core cannot be fetched"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        with tempfile.TemporaryDirectory() as tmp:
            packed = subprocess.run(
                [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", tmp, "--silent"],
                capture_output=True, text=True, timeout=300, cwd=tmp, check=True,
            ).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(tmp) / packed) as tar:
                member = tar.extractfile("package/axe.min.js")
                assert member is not None, "axe-core's package has no axe.min.js"
                source = member.read()
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".part")
        partial.write_bytes(source)
        partial.replace(cached)  # whole or not at all, should two test runs fetch it at once
    return cached.read_text(encoding="utf-8")


def axe_violations(driver: Any, source: str) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.x A/AA violations on the current page: rule, impact, and the offending nodes."""
    driver.execute_script(source)
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
          .then(r => done(r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200),
                                      summary: n.failureSummary}))}))))
          .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
        """,
        list(AXE_TAGS),
    )
    return list(result)
