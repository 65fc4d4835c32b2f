"""Credentials in feed URLs stay out of log lines and CLI output (issue 17, item 2, the log part)."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from conftest import write_config

from aggregator.demo.site import NewsSite
from aggregator.logs import JsonLineFormatter, RedactingFormatter
from aggregator.urls import redact_text, redact_url
from aggregator.web.app import make_datasette

SECRETS = ("s3cr3tpass", "tok-abc", "k-123", "sig-xyz", "pw-9", "auth-7", "at-55", "ak-1", "api-2", "secret-3")


def secret_url(base: str) -> str:
    host = base.split("://", 1)[1]
    return (f"http://alice:s3cr3tpass@{host}?token=tok-abc&key=k-123&sig=sig-xyz&password=pw-9&auth=auth-7"
            f"&access_token=at-55&apikey=ak-1&api_key=api-2&secret=secret-3&page=2")


def test_redact_url() -> None:
    url = secret_url("http://example.org/feed")
    assert redact_url(url) == ("http://***@example.org/feed?token=***&key=***&sig=***&password=***&auth=***"
                               "&access_token=***&apikey=***&api_key=***&secret=***&page=2")
    assert redact_url(redact_url(url)) == redact_url(url)
    assert redact_url("https://example.org/a?page=2&q=key") == "https://example.org/a?page=2&q=key"
    assert redact_url("https://example.org/a?Signature=x&X-Amz-Signature=y") == (
        "https://example.org/a?Signature=***&X-Amz-Signature=***")
    assert redact_url("not a url") == "not a url"
    assert redact_url("http://[::1") == "http://[::1"
    assert redact_text(f"poll {url} failed: {url}") == f"poll {redact_url(url)} failed: {redact_url(url)}"


@pytest.mark.parametrize("formatter", [RedactingFormatter("%(levelname)s %(message)s"), JsonLineFormatter()])
def test_formatters_redact_message_fields_and_traceback(formatter: logging.Formatter) -> None:
    url = secret_url("http://example.org/feed")
    try:
        raise ValueError(f"cannot fetch {url}")
    except ValueError:
        record = logging.LogRecord("aggregator.poll", logging.WARNING, __file__, 1, "poll %s failed", (url,),
                                   sys.exc_info())
    record.fields = {"feed": url, "status": 500}
    line = formatter.format(record)
    assert "example.org/feed" in line and "ValueError" in line
    for secret in SECRETS:
        assert secret not in line


@pytest.mark.parametrize("json_lines", [False, True])
def test_poll_log_lines_and_output_never_show_credentials(site: NewsSite, tmp_path: Path, json_lines: bool) -> None:
    good = secret_url(site.feed_urls["field-notes-stories.rss10"])
    bad = secret_url(site.broken_urls["not_found"])
    config = write_config(tmp_path / "f.yaml", [good, bad], full_text=False)
    result = subprocess.run(
        [sys.executable, "-m", "aggregator", "--log-level", "debug", *(["--log-json"] if json_lines else []),
         "poll", "--config", str(config.path), "--db", str(tmp_path / "a.db")],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 1, result.stderr  # the 404 feed failed
    output = result.stdout + result.stderr
    # Each failure is printed once: in the summary (text logs), or as the log line's fields (JSON logs).
    assert "FAILED http://***@127.0.0.1" in output or '"feed": "http://***@127.0.0.1' in output
    assert f"FAILED {redact_url(bad)}: HTTP 404" in result.stderr
    for secret in SECRETS:
        assert secret not in output, secret
    if json_lines:
        records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
        polls = [r for r in records if r["logger"] == "aggregator.poll.pipeline"]
        assert sorted(r["feed"] for r in polls) == sorted([redact_url(good), redact_url(bad)])
    status = subprocess.run([sys.executable, "-m", "aggregator", "status", "--db", str(tmp_path / "a.db"),
                             *(["--json"] if json_lines else [])], capture_output=True, text=True, timeout=60, check=False)
    assert status.returncode == 0 and "127.0.0.1" in status.stdout
    assert not any(secret in status.stdout for secret in SECRETS), status.stdout
    check = subprocess.run([sys.executable, "-m", "aggregator", "check", "--config", str(config.path)],
                           capture_output=True, text=True, timeout=60, check=False)
    assert check.returncode == 0 and redact_url(good) in check.stdout
    assert not any(secret in check.stdout for secret in SECRETS)


def test_the_archive_keeps_no_credentials_but_polls_with_them(site: NewsSite, tmp_path: Path) -> None:
    """Issue 17, item 2: secrets stay in the config file. The feed is fetched with them; feeds.url, config_url,
    polls.final_url and the errors hold them redacted, so no SQL through Datasette can take them apart."""
    good = secret_url(site.feed_urls["technikblog-posts.json11"])
    bad = secret_url(site.broken_urls["not_found"])
    config = write_config(tmp_path / "f.yaml", [good, bad], full_text=False)
    db = tmp_path / "archive.db"
    site.clear_requests()
    result = subprocess.run([sys.executable, "-m", "aggregator", "poll", "-q", "--config", str(config.path), "--db",
                             str(db)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stderr  # the 404 feed failed
    asked = site.requests_for(good)
    assert asked and "token=tok-abc" in asked[0].query  # fetched with the credentials of the config
    assert asked[0].header("authorization")  # user-info sent as basic auth

    async def rows(sql: str) -> list[dict[str, object]]:
        ds = make_datasette(db)
        await ds.invoke_startup()
        response = await ds.client.get("/archive.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "array"}))
        assert response.status_code == 200, response.text[:300]
        return response.json()

    for sql in ("select upper(url) as u, substr(url, 8) as s, replace(config_url, 'http', 'x') as c, last_error "
                "from feeds", "select upper(final_url) as u, upper(error) as e from polls"):
        found = json.dumps(asyncio.run(rows(sql)))
        for secret in SECRETS:
            assert secret.upper() not in found.upper(), (sql, secret)
    stored = {row["url"] for row in asyncio.run(rows("select url from feeds"))}
    assert stored == {redact_url(good), redact_url(bad)}
    # A second poll finds the same rows (the config's URLs still name them).
    again = subprocess.run([sys.executable, "-m", "aggregator", "poll", "-q", "--config", str(config.path), "--db",
                            str(db)], capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 1
    assert len(asyncio.run(rows("select id from feeds"))) == 2
