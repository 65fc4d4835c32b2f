"""Command line: `aggregator poll | run | serve | status | check | import | export | add | demo | backfill |
reextract`, thin callers of the Python API (aggregator.api).

Exit codes: 0 success; 1 the command ran but some feeds failed (each failure is recorded in the
archive); 2 usage or configuration error.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, cast

import click

from aggregator import __version__
from aggregator.config.model import (
    DEFAULT_DB_PATH,
    Config,
    ConfigError,
    feed_settings,
    load_config,
    resolve_config_path,
)
from aggregator.urls import redact_text, redact_url

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
        click.echo(f"  {redact_url(feed.url)}{state}")


@main.command()
@common_options
@click.option("--feed", "feed_urls", multiple=True, metavar="URL", help="Poll only this feed (repeatable).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
def poll(config_path: Path | None, db_path: Path, feed_urls: tuple[str, ...], quiet: bool) -> None:
    """Poll every configured feed once, now, and archive what is new."""
    from aggregator.api import poll_once
    from aggregator.poll.pipeline import FeedReport
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
            click.echo(f"  skipped {redact_url(url)}: {reason} (poll it with --feed to try again)", err=True)
        feeds = [f for f in feeds if redact_url(f.url) not in stopped]
    # Each failure is printed once, in the summary below; its log line would say the same a second time.
    # With -q there is no summary, and JSON log lines are for machines: both keep the log line.
    log_json = bool(click.get_current_context().find_root().params.get("log_json"))
    summary_filter = None if quiet or log_json else _FailedPollFilter()
    poll_log = logging.getLogger("aggregator.poll.pipeline")
    if summary_filter is not None:
        poll_log.addFilter(summary_filter)
    try:
        with click.progressbar(
            length=len(feeds), label="Polling feeds", file=sys.stderr if not quiet else cast(TextIO, _NullFile())
        ) as bar:

            def done(report: FeedReport) -> None:
                bar.update(1)

            reports = asyncio.run(poll_once(config, archive, feeds, on_done=done))
    finally:
        archive.close()
        if summary_filter is not None:
            poll_log.removeFilter(summary_filter)
    failed = [r for r in reports if r.error]
    if not quiet:
        new = sum(r.new_entries for r in reports)
        extracted = sum(r.extracted for r in reports)
        click.echo(
            f"{len(reports)} feeds polled: {new} new entries, {extracted} articles extracted, "
            f"{sum(len(r.extraction_errors) for r in reports)} extraction errors, {len(failed)} feeds failed"
        )
        pages = [r.url for r in failed if str(r.error).startswith(HTML_PAGE_ERROR)]
        found = asyncio.run(_discover_all(pages, config)) if pages else {}
        offline = [r for r in failed if r.offline]
        if offline:
            click.echo(f"  no network: {len(offline)} feeds could not be resolved (not counted as failing)", err=True)
        for report in failed:
            if report.offline:
                continue
            feeds_there = found.get(report.url)
            if not feeds_there:
                click.echo(f"  FAILED {redact_url(report.url)}: {redact_text(report.error or '')}", err=True)
                continue
            # A site's page instead of a feed: name the feeds `add` would offer, found the same way.
            count = f"{len(feeds_there)} feed{'s' if len(feeds_there) != 1 else ''}"
            shown = redact_url(report.url)
            click.echo(f"  FAILED {shown}: {HTML_PAGE_ERROR}; 'aggregator add {shown}' finds {count} there:", err=True)
            for feed in feeds_there[:MAX_FEEDS_NAMED]:
                click.echo(f"    {feed.url}{_found_label(feed)}", err=True)
            if len(feeds_there) > MAX_FEEDS_NAMED:
                click.echo(f"    and {len(feeds_there) - MAX_FEEDS_NAMED} more", err=True)
    if failed:
        sys.exit(EXIT_FEED_ERRORS)


HTML_PAGE_ERROR = "not a feed but an HTML page"  # how parse.py's error for an HTML page begins
MAX_FEEDS_NAMED = 5


class _FailedPollFilter(logging.Filter):
    """Drops the log line of a failed poll (the poll command's summary prints each failure)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.WARNING and getattr(record, "fields", {}).get("error"))


async def _discover_all(urls: list[str], config: Config) -> dict[str, list[Any]]:
    """The feeds `aggregator add` finds at each URL (none when the page cannot be read)."""
    from aggregator.fetch.client import Fetcher
    from aggregator.fetch.discover import DiscoveryError, discover

    async with Fetcher(config.settings) as fetcher:

        async def one(url: str) -> list[Any]:
            try:
                return list((await discover(url, config.settings, fetcher=fetcher)).feeds)
            except DiscoveryError:
                return []

        return dict(zip(urls, await asyncio.gather(*(one(u) for u in urls)), strict=True))


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
    """Feed health: last poll, HTTP status, consecutive errors, next poll, entries.

    Exit code 1 when every feed in the config is failing or stopped: the archive collects nothing.
    """
    from aggregator.status import all_failing, feed_health, format_table

    if not db_path.exists():
        raise click.UsageError(f"no archive at {db_path} (run 'aggregator poll' or 'aggregator run' first)")
    rows = feed_health(db_path)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        click.echo(format_table(rows))
    if all_failing(rows):
        sys.exit(EXIT_FEED_ERRORS)


@main.command("import")
@common_options
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be added; change nothing.")
def import_opml(config_path: Path | None, db_path: Path, opml_file: Path, dry_run: bool) -> None:
    """Add the feeds of an OPML file to the config (feeds already there are skipped).

    Titles come from the outlines' text/title, tags from the folders around them and their categories.
    The config keeps its comments and layout; a running daemon picks the new feeds up by itself.
    """
    from aggregator.config.edit import ALREADY, INVALID, TWICE, ConfigDocument
    from aggregator.config.opml import OPMLError, parse_opml

    data = sys.stdin.buffer.read() if str(opml_file) == "-" else opml_file.read_bytes()
    name = "<stdin>" if str(opml_file) == "-" else str(opml_file)
    try:
        document = parse_opml(data, name)
    except OPMLError as exc:
        raise ConfigUsageError(str(exc)) from None
    path = resolve_config_path(config_path)
    try:
        config_document = ConfigDocument(path)
        result = config_document.add(document.feeds)
        if result.added and not dry_run:
            config_document.save()
    except ConfigError as exc:
        raise ConfigUsageError(str(exc)) from None
    verb = "would add" if dry_run else "added"
    for feed in result.added:
        click.echo(f"  {verb} {feed.url}{_feed_label(feed.title, feed.tags)}")
    for feed, why in result.skipped:
        click.echo(f"  skipped {feed.url}: {why}")
    if document.lists:
        click.echo(f"  not followed: {len(document.lists)} linked subscription lists: {', '.join(document.lists)}")
    reasons = [why for _, why in result.skipped]
    count = f"{len(result.added)} feed{'' if len(result.added) == 1 else 's'}"
    summary = (f"{name}: {count} {'would be added' if dry_run else 'added'}, "
               f"{reasons.count(ALREADY)} skipped (already in {path})")
    if reasons.count(TWICE):
        summary += f", {reasons.count(TWICE)} listed twice"
    if reasons.count(INVALID):
        summary += f", {reasons.count(INVALID)} skipped as invalid"
    if result.created and result.added and not dry_run:
        summary += f"; created {path}"
    click.echo(summary)


@main.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(["opml"]), default="opml", show_default=True,
              help="Output format (OPML 2.0).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default="-",
              show_default=True, help="Write here instead of standard output.")
def export(config_path: Path | None, db_path: Path, fmt: str, output: Path) -> None:
    """Write the config's feeds as OPML 2.0: title, feed URL, site URL (from the archive) and tags."""
    from aggregator.config.opml import export_opml, lossy_tags
    from aggregator.store.queries import read_site_urls

    config = read_config(config_path)
    data = export_opml(config, read_site_urls(db_path))
    for tag in lossy_tags(config):
        click.echo(f"warning: tag {tag!r} contains ',' or '/': OPML categories cannot keep it whole", err=True)
    if str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise ConfigUsageError(f"{output}: cannot write: {exc.strerror or exc}") from None
        click.echo(f"{output}: {len(config.feeds)} feeds from {config.path}", err=True)


@main.command()
@common_options
@click.argument("url")
@click.option("--title", help="The feed's title in the config (default: the feed's own, if the file lists titles).")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Tag the feed (repeatable, or comma-separated).")
@click.option("--yes", "-y", is_flag=True, help="Several feeds found: add the first one without asking.")
@click.option("--pick", type=click.IntRange(min=1), metavar="N", help="Several feeds found: add the Nth one.")
@click.option("--dry-run", is_flag=True, help="Find and list the feeds; change nothing.")
def add(config_path: Path | None, db_path: Path, url: str, title: str | None, tags: tuple[str, ...], yes: bool,
        pick: int | None, dry_run: bool) -> None:
    """Add a feed by its URL, or by a page that advertises or links to feeds.

    A page's <link rel="alternate"> feeds and feed-like links are checked, else the usual feed paths
    (/feed/, /rss.xml, /atom.xml, /index.xml, /feed.json, ...); every candidate is fetched and parsed
    first. With several feeds found: --pick N, --yes for the first, or a prompt on a terminal.
    Exit codes: 0 added, 1 no feed found or the URL cannot be fetched, 2 duplicate or usage error.
    """
    from aggregator.config.edit import ConfigDocument, NewFeed
    from aggregator.fetch.discover import DiscoveryError, discover
    from aggregator.urls import normalize_url

    if yes and pick is not None:
        raise click.UsageError("use either --yes or --pick, not both")
    path = resolve_config_path(config_path)
    try:
        settings = ConfigDocument(path).config.settings
    except ConfigError as exc:
        raise ConfigUsageError(str(exc)) from None
    try:
        found = asyncio.run(discover(url, settings))
    except DiscoveryError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_FEED_ERRORS)
    if not found.feeds:
        click.echo(f"Error: no feed found at {found.url}: {found.page_error}", err=True)
        if found.checked:
            click.echo(f"  also tried {len(found.checked)} candidates, none is a feed:", err=True)
            for candidate, why in found.checked:
                click.echo(f"    {candidate}: {why}", err=True)
        sys.exit(EXIT_FEED_ERRORS)

    try:
        document = ConfigDocument(path)  # read again: the file may have changed meanwhile
    except ConfigError as exc:
        raise ConfigUsageError(str(exc)) from None
    known = document.known_urls()
    present = [normalize_url(f.url) in known for f in found.feeds]
    if found.is_feed:
        click.echo(f"{found.url} is a feed{_found_label(found.feeds[0])}")
    else:
        click.echo(f"{len(found.feeds)} feed{'s' if len(found.feeds) != 1 else ''} found for {found.url}:")
        for number, (feed, there) in enumerate(zip(found.feeds, present, strict=True), 1):
            click.echo(f"  {number}. {feed.url}{_found_label(feed)}{'  (already in the config)' if there else ''}")
    new = [i for i, there in enumerate(present) if not there]
    if pick is not None:
        if pick > len(found.feeds):
            raise click.BadParameter(f"only {len(found.feeds)} feeds were found", param_hint="--pick")
        index = pick - 1
    elif len(found.feeds) == 1 or yes:
        index = new[0] if new else 0
    elif sys.stdin.isatty():
        index = click.prompt("Add which one?", type=click.IntRange(1, len(found.feeds)),
                             default=(new[0] if new else 0) + 1) - 1
    else:
        raise ConfigUsageError(f"{len(found.feeds)} feeds found: choose one with --pick N, or --yes for the first")
    chosen = found.feeds[index]
    if present[index]:
        normal = normalize_url(chosen.url)
        spelled = f" (as {normal})" if normal != chosen.url else ""
        raise ConfigUsageError(f"{chosen.url} is already in {path}{spelled}; nothing added")
    tag_list = tuple(dict.fromkeys(t.strip() for tag in tags for t in tag.split(",") if t.strip()))
    new_feed = NewFeed(url=chosen.url, title=title, tags=tag_list, fallback_title=chosen.title)
    result = document.add([new_feed])
    if not result.added:
        raise ConfigUsageError(f"{chosen.url} not added: {result.skipped[0][1]}")
    if dry_run:
        click.echo(f"Would add {chosen.url} to {path} (dry run)")
        return
    try:
        document.save()
    except ConfigError as exc:
        raise ConfigUsageError(str(exc)) from None
    click.echo(f"Added {chosen.url} to {path}; a running 'aggregator run' picks it up within seconds.")


@main.command()
@serve_options
@click.option("--site-port", default=0, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the local news site (0: a free one).")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Keep the archive in this file (default: a temporary one, removed at the end).")
@click.option("--publish-every", type=click.FloatRange(min=0.1), metavar="SECONDS", default=None,
              help="Have the site publish a new article this often, so the archive visibly grows.")
@click.option("--interval", type=click.FloatRange(min=1), metavar="SECONDS", default=20.0, show_default=True,
              help="Time between two polls of a feed.")
def demo(host: str, port: int, site_port: int, db_path: Path | None, publish_every: float | None,
         interval: float) -> None:
    """Try it offline: a local news site, archived live and served by Datasette.

    Starts the project's generated news site on 127.0.0.1, imports its OPML file into a temporary
    config, runs the daemon and prints the archive's and the site's URLs. Ctrl-C stops everything and
    removes the temporary files (an archive given with --db is kept).
    """
    from aggregator.demo import DemoError, DemoOptions, run_demo

    options = DemoOptions(host=host, port=port, site_port=site_port, db_path=db_path,
                          publish_every=publish_every, interval=interval)
    try:
        run_demo(options, echo=click.echo)
    except DemoError as exc:
        raise ConfigUsageError(str(exc)) from None


def _feed_label(title: str | None, tags: tuple[str, ...] = ()) -> str:
    label = f" ({title})" if title else ""
    return label + (f" [{', '.join(tags)}]" if tags else "")


def _found_label(feed: Any) -> str:
    title = f"  {feed.title}" if feed.title else ""
    return f"{title}  [{feed.format_name}, {feed.entries} entries]"


def _select_feed_ids(archive: Any, config: Config, feed_urls: tuple[str, ...]) -> list[int]:
    from aggregator.urls import normalize_url

    ids = archive.sync_feeds(feed_settings(config))
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
@click.option(
    "--via", "via", multiple=True, type=click.Choice(["links", "feed", "sitemap"]), default=("links",),
    show_default=True,
    help="Where older posts come from: the pages' previous-post links, the feed's older pages (RFC 5005, "
    "WordPress ?paged=N), the site's sitemaps. Repeatable; tried in the order given.",
)
def backfill(config_path: Path | None, db_path: Path, feed_urls: tuple[str, ...], max_pages: int,
             via: tuple[str, ...]) -> None:
    """Archive older posts than the feed window holds.

    Resumable: run it again after an interruption and it continues from the oldest archived post.
    """
    from aggregator.api import Aggregator
    from aggregator.store import Archive

    config = read_config(config_path)
    archive = Archive(db_path)
    try:
        feed_ids = _select_feed_ids(archive, config, feed_urls)

        async def run() -> list[Any]:
            async with Aggregator(config, archive, articles=True) as aggregator:
                return await aggregator.backfill(feed_ids, max_pages, lambda _u, _ok: bar.update(1), via=via)

        # No time estimate: the first pages (robots.txt, the worker pool starting) say nothing of the rest.
        with click.progressbar(length=len(feed_ids) * max_pages, label="Backfilling", file=sys.stderr,
                               show_eta=False, show_pos=True) as bar:
            reports = asyncio.run(run())
        names = archive.feed_titles()
    finally:
        archive.close()
    for report in reports:
        end = "reached the first post" if report.reached_start else "more remain"
        name = names.get(report.feed_id) or f"feed {report.feed_id}"
        click.echo(f"{name}: {report.added} older posts archived, {report.failed} failed, {end}")


@main.command()
@common_options
@click.option("--feed", "feed_urls", multiple=True, metavar="URL", help="Only this feed's pages (repeatable).")
def reextract(config_path: Path | None, db_path: Path, feed_urls: tuple[str, ...]) -> None:
    """Run extraction again over the kept article pages, without fetching anything."""
    from aggregator.poll.reextract import reextract as run_reextract
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
