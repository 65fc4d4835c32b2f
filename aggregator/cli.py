"""Command line: `aggregator poll | run | serve | status | check`.

Exit codes: 0 success; 1 the command ran but some feeds failed (each failure is recorded in the
archive); 2 usage or configuration error.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from aggregator import __version__
from aggregator.config import DEFAULT_DB_PATH, Config, ConfigError, load_config, resolve_config_path

EXIT_FEED_ERRORS = 1
EXIT_USAGE = 2


class ConfigUsageError(click.UsageError):
    """Shown as one line, exit code 2, no usage text (the problem is the file, not the command line)."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    @click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="AGGREGATOR_CONFIG",
        default=None,
        show_envvar=True,
        help="Feeds and settings file.  [default: config/feeds.yaml]",
    )
    @click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="AGGREGATOR_DB",
        default=str(DEFAULT_DB_PATH),
        show_default=True,
        show_envvar=True,
        help="The archive (SQLite file), created when missing.",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def read_config(config_path: Path | None) -> Config:
    try:
        return load_config(resolve_config_path(config_path))
    except ConfigError as exc:
        raise ConfigUsageError(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="aggregator")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    default="warning",
    show_default=True,
    envvar="AGGREGATOR_LOG_LEVEL",
    help="How much to log to stderr.",
)
@click.option("--log-json", is_flag=True, envvar="AGGREGATOR_LOG_JSON", help="Log JSON lines instead of text.")
def main(log_level: str, log_json: bool) -> None:
    """Archive RSS, Atom and JSON feeds with the full text of every article, in SQLite."""
    from aggregator.logs import setup_logging

    setup_logging(log_level.upper(), json_lines=log_json)


@main.command()
@common_options
def check(config_path: Path | None, db_path: Path) -> None:
    """Validate the config file and list its feeds."""
    config = read_config(config_path)
    click.echo(f"{config.path}: OK, {len(config.feeds)} feeds")
    for feed in config.feeds:
        state = "" if feed.enabled else " (disabled)"
        click.echo(f"  {feed.url}{state}")


@main.command()
@common_options
@click.option("--feed", "feed_urls", multiple=True, metavar="URL", help="Poll only this feed (repeatable).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
def poll(config_path: Path | None, db_path: Path, feed_urls: tuple[str, ...], quiet: bool) -> None:
    """Poll every configured feed once, now, and archive what is new."""
    from aggregator.pipeline import FeedReport, poll_once
    from aggregator.store import Archive
    from aggregator.urls import normalize_url

    config = read_config(config_path)
    feeds = list(config.feeds)
    if feed_urls:
        wanted = {normalize_url(u) for u in feed_urls}
        feeds = [f for f in feeds if f.url in wanted]
        missing = wanted - {f.url for f in feeds}
        if missing:
            names = ", ".join(sorted(map(str, missing)))
            raise click.BadParameter(f"not in {config.path}: {names}", param_hint="--feed")
    archive = Archive(db_path)
    if not feed_urls:
        stopped = archive.stopped_feeds()
        for url, reason in stopped.items():
            click.echo(f"  skipped {url}: {reason} (poll it with --feed to try again)", err=True)
        feeds = [f for f in feeds if f.url not in stopped]
    try:
        with click.progressbar(
            length=len(feeds), label="Polling feeds", file=sys.stderr if not quiet else _NullFile()
        ) as bar:

            def done(report: FeedReport) -> None:
                bar.update(1)

            reports = asyncio.run(poll_once(config, archive, feeds, on_done=done))
    finally:
        archive.close()
    failed = [r for r in reports if r.error]
    if not quiet:
        new = sum(r.new_entries for r in reports)
        extracted = sum(r.extracted for r in reports)
        click.echo(
            f"{len(reports)} feeds polled: {new} new entries, {extracted} articles extracted, "
            f"{sum(len(r.extraction_errors) for r in reports)} extraction errors, {len(failed)} feeds failed"
        )
        for report in failed:
            click.echo(f"  FAILED {report.url}: {report.error}", err=True)
    if failed:
        sys.exit(EXIT_FEED_ERRORS)


def serve_options(func: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address Datasette listens on.")
    @click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Datasette's port.")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


@main.command()
@common_options
@serve_options
@click.option("--no-serve", is_flag=True, help="Poll only; do not start Datasette.")
def run(config_path: Path | None, db_path: Path, host: str, port: int, no_serve: bool) -> None:
    """Run the daemon: poll feeds on schedule and serve the archive with Datasette.

    Ctrl-C or SIGTERM stops both; SIGHUP (or saving the config file) reloads the feeds.
    """
    from aggregator.daemon import Daemon, ServeOptions

    config = read_config(config_path)
    daemon = Daemon(config, db_path, None if no_serve else ServeOptions(host, port))
    if not no_serve:
        click.echo(f"Archive: http://{host}:{port}/  (Ctrl-C stops)", err=True)
    asyncio.run(daemon.run())


@main.command()
@common_options
@serve_options
def serve(config_path: Path | None, db_path: Path, host: str, port: int) -> None:
    """Serve the archive with Datasette only (no polling)."""
    import uvicorn

    from aggregator.store import Archive
    from aggregator.web.app import make_datasette

    Archive(db_path).close()  # creates or migrates the schema, so a fresh archive opens too
    click.echo(f"Archive: http://{host}:{port}/  (Ctrl-C stops)", err=True)
    uvicorn.run(make_datasette(db_path).app(), host=host, port=port, log_level="warning", lifespan="on")


@main.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def status(config_path: Path | None, db_path: Path, as_json: bool) -> None:
    """Feed health: last poll, HTTP status, consecutive errors, next poll, entries."""
    from aggregator.status import feed_health, format_table

    if not db_path.exists():
        raise click.UsageError(f"no archive at {db_path} (run 'aggregator poll' or 'aggregator run' first)")
    rows = feed_health(db_path)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        click.echo(format_table(rows))


def _select_feed_ids(archive: Any, config: Config, feed_urls: tuple[str, ...]) -> list[int]:
    from aggregator.urls import normalize_url

    ids = archive.sync_feeds(config)
    if not feed_urls:
        return list(ids.values())
    wanted = {normalize_url(u) for u in feed_urls}
    missing = wanted - set(ids)
    if missing:
        names = ", ".join(sorted(map(str, missing)))
        raise click.BadParameter(f"not in {config.path}: {names}", param_hint="--feed")
    return [ids[u] for u in ids if u in wanted]


@main.command()
@common_options
@click.option("--feed", "feed_urls", multiple=True, metavar="URL", help="Backfill only this feed (repeatable).")
@click.option("--max-pages", default=100, show_default=True, type=click.IntRange(1), help="Older posts per feed.")
def backfill(config_path: Path | None, db_path: Path, feed_urls: tuple[str, ...], max_pages: int) -> None:
    """Archive older posts by following previous-post links past the feed window.

    Resumable: run it again after an interruption and it continues from the oldest archived post.
    """
    from aggregator.backfill import backfill as run_backfill
    from aggregator.store import Archive

    config = read_config(config_path)
    archive = Archive(db_path)
    try:
        feed_ids = _select_feed_ids(archive, config, feed_urls)
        with click.progressbar(length=len(feed_ids) * max_pages, label="Backfilling", file=sys.stderr) as bar:
            reports = asyncio.run(run_backfill(config, archive, feed_ids, max_pages, lambda _u, _ok: bar.update(1)))
    finally:
        archive.close()
    for report in reports:
        end = "reached the first post" if report.reached_start else "more remain"
        click.echo(f"feed {report.feed_id}: {report.added} older posts archived, {report.failed} failed, {end}")


@main.command()
@common_options
@click.option("--feed", "feed_urls", multiple=True, metavar="URL", help="Only this feed's pages (repeatable).")
def reextract(config_path: Path | None, db_path: Path, feed_urls: tuple[str, ...]) -> None:
    """Run extraction again over the kept article pages, without fetching anything."""
    from aggregator.reextract import reextract as run_reextract
    from aggregator.store import Archive

    config = read_config(config_path)
    archive = Archive(db_path)
    try:
        feed_ids: list[int | None] = list(_select_feed_ids(archive, config, feed_urls)) if feed_urls else [None]
        total = archive.count("pages")
        pages = changed = failed = 0
        with click.progressbar(length=total, label="Re-extracting", file=sys.stderr) as bar:
            for feed_id in feed_ids:
                report = asyncio.run(run_reextract(config, archive, feed_id, lambda: bar.update(1)))
                pages, changed, failed = pages + report.pages, changed + report.changed, failed + report.failed
    finally:
        archive.close()
    click.echo(f"{pages} pages re-extracted: {changed} texts changed (former versions kept), {failed} failed")


class _NullFile:
    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


if __name__ == "__main__":  # pragma: no cover
    main()
