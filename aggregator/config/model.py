"""Load and validate `config/feeds.yaml`.

Errors name the file, line and feed they are about, so a user can fix the file without a traceback.
"""

from __future__ import annotations

import contextlib
import gc
import ipaddress
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from aggregator.models import FeedSettings
from aggregator.urls import clear_caches, normalize_url, redact_url

DEFAULT_CONFIG_PATH = Path("config/feeds.yaml")
DEFAULT_DB_PATH = Path("archive.db")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)?\s*$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3}


class ConfigError(Exception):
    """The configuration file cannot be used; the message says where and why, on one line."""

    def __init__(self, message: str) -> None:
        # values quoted from the file (a URL with a line break, say) must not break the one-line promise
        super().__init__(message.replace("\r", "\\r").replace("\n", "\\n"))


def parse_duration(value: Any) -> float:
    """Seconds from 90, "90s", "30m", "2h", "1d"."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value).lower())
        if not match:
            raise ValueError(f"invalid duration {value!r} (use e.g. 90, 45s, 30m, 2h, 1d)")
        unit = (match.group(2) or "s")[0]
        seconds = float(match.group(1)) * _DURATION_UNITS[unit]
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {value!r}")
    return seconds


def parse_size(value: Any) -> int:
    """Bytes from 1048576, "15MiB", "500kb"."""
    if isinstance(value, bool):
        raise ValueError(f"invalid size {value!r}")
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE.match(str(value))
        if not match:
            raise ValueError(f"invalid size {value!r} (use e.g. 15MiB, 500kB, 1048576)")
        size = int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()])
    if size <= 0:
        raise ValueError(f"size must be positive, got {value!r}")
    return size


def parse_delay(value: Any) -> float:
    """Like parse_duration, but 0 is allowed (no delay)."""
    if value in (0, "0", 0.0):
        return 0.0
    return parse_duration(value)


Duration = Annotated[float, BeforeValidator(parse_duration)]
Delay = Annotated[float, BeforeValidator(parse_delay)]
Size = Annotated[int, BeforeValidator(parse_size)]


class Settings(BaseModel):
    """The `settings:` block. Every key is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interval: Duration = 1800.0  # default seconds between polls of a feed
    # Feeds without an interval of their own are polled as often as they publish, within min/max.
    adaptive: bool = True
    min_interval: Duration = 300.0
    max_interval: Duration = 86400.0
    full_text: bool = True  # fetch each new entry's article page and extract its text
    timeout: Duration = 30.0  # whole request, headers and body
    connect_timeout: Duration = 10.0
    read_timeout: Duration = 20.0  # longest silence between two reads
    max_feed_bytes: Size = 15 * 1024**2
    max_page_bytes: Size = 15 * 1024**2
    max_redirects: int = Field(default=5, ge=0, le=20)
    concurrency: int = Field(default=20, ge=1, le=1000)  # requests in flight overall
    per_host_concurrency: int = Field(default=2, ge=1, le=100)
    extract_workers: int | None = Field(default=None, ge=1, le=64)  # None: one per CPU core
    # The worker pool (and its forkserver, with trafilatura loaded) is let go this long after its last job, and
    # started again by the next one. None: kept for the life of the process.
    extract_idle: Duration | None = 180.0
    extract_retries: int = Field(default=3, ge=0, le=100)  # later polls retry a failed extraction
    backfill_pages: int = Field(default=10, ge=1, le=10000)  # per feed and round of background backfill
    # Each article page is fetched once more this long after it was first extracted: the newest post's page
    # gains its Next link later, and pages get corrected. None: never.
    refetch_after: Duration | None = 6 * 3600.0
    gap_pages: int = Field(default=50, ge=1, le=10000)  # most posts fetched to fill one gap, per method
    user_agent: str | None = None
    keep_pages: bool = True  # keep each fetched article page, gzip-compressed, for `aggregator reextract`
    page_retention: Duration | None = None  # drop kept pages older than this; None keeps them forever
    respect_robots: bool = True  # robots.txt decides which article pages may be fetched
    article_delay: Delay = 1.0  # least time between two article requests to one host
    # Refuse loopback/private/link-local targets unless explicitly allowed (SSRF protection).
    allow_private_networks: bool = False
    # Private networks allowed one by one (CIDR), e.g. an intranet feed server, with the guard kept on.
    allowed_networks: tuple[str, ...] = ()

    @field_validator("allowed_networks", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        if value is None:
            return ()
        if not isinstance(value, str | list | tuple):  # `allowed_networks: true` was a TypeError (fuzzing)
            raise ValueError(f"expected a list of networks (CIDR like 10.0.0.0/8), got {value!r}")
        networks = [value] if isinstance(value, str) else list(value)
        for network in networks:
            try:
                ipaddress.ip_network(str(network), strict=False)
            except ValueError:
                raise ValueError(f"not a network (CIDR like 10.0.0.0/8): {network!r}") from None
        return tuple(str(n) for n in networks)

    @field_validator("user_agent")
    @classmethod
    def _non_empty_agent(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("user_agent must not be empty")
        return value


class FeedConfig(BaseModel):
    """One entry of the `feeds:` list (a bare URL becomes `{url: ...}`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    title: str | None = None
    tags: tuple[str, ...] = ()
    interval: Duration | None = None
    full_text: bool | None = None
    enabled: bool = True
    backfill: bool = False  # the daemon follows previous-post links past the feed window in the background

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        normal = normalize_url(value)
        if normal is None or not re.match(r"^https?://", value.strip(), re.IGNORECASE):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return normal

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(t.strip() for t in value.split(",") if t.strip())
        return value


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    settings: Settings
    feeds: tuple[FeedConfig, ...]

    def feed_interval(self, feed: FeedConfig) -> float:
        return feed.interval if feed.interval is not None else self.settings.interval

    def feed_full_text(self, feed: FeedConfig) -> bool:
        return feed.full_text if feed.full_text is not None else self.settings.full_text

    def extracts_articles(self) -> bool:
        """Whether any enabled feed has its article pages fetched and extracted (full text or backfill)."""
        return any(feed.enabled and (self.feed_full_text(feed) or feed.backfill) for feed in self.feeds)


def resolve_config_path(path: str | os.PathLike[str] | None) -> Path:
    return Path(path or os.environ.get("AGGREGATOR_CONFIG") or DEFAULT_CONFIG_PATH)


def load_config(path: str | os.PathLike[str]) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, path)


# Nodes that YAML aliases may add to the file's own: a few `<<: *defaults` per feed stay far below it, while an
# "alias bomb" (anchors of lists of aliases of lists...) of a few hundred bytes stands for billions of nodes,
# which any walk of the data (validation, an error message's repr) would expand until memory runs out.
MAX_ALIAS_NODES = 100_000


def _check_aliases(yaml: YAML, text: str, path: Path) -> None:
    """Raise ConfigError when the aliases of `text` expand to more than MAX_ALIAS_NODES nodes, from the event
    stream alone (each anchored node's expanded size, computed once), before anything is built."""
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = [[None, 0]]  # [anchor, expanded size] of each open collection
    added = 0
    for event in yaml.parse(text):
        if isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            stack.append([event.anchor, 1])
            continue
        if isinstance(event, (SequenceEndEvent, MappingEndEvent)):
            anchor, size = stack.pop()
        elif isinstance(event, AliasEvent):
            anchor, size = None, sizes.get(event.anchor, 1)
            added += size
            if added > MAX_ALIAS_NODES:
                line = event.start_mark.line + 1 if event.start_mark else 1
                raise ConfigError(f"{path}:{line}: YAML aliases expand to more than {MAX_ALIAS_NODES:,} values "
                                  "(an alias bomb?); write the values out instead")
        elif isinstance(event, ScalarEvent):
            anchor, size = event.anchor, 1
        else:
            continue
        if anchor is not None:
            sizes[anchor] = size
        stack[-1][1] += size


# From this many feeds on, a loaded configuration is rebuilt from a compact copy (see compact).
COMPACT_FROM_FEEDS = 1000


def parse_config(text: str, path: Path) -> Config:
    return compact(_parse_config(text, path))  # no reference kept here: compact frees the first copy


def compact(config: Config) -> Config:
    """The same configuration, made again after everything the YAML loader built has been freed.

    The round-trip loader (kept for the line numbers of its errors) builds about 5 KiB of nodes per feed, and
    the feeds' objects are made among them: once the nodes are freed, the survivors pin Python's memory arenas,
    and 10,000 feeds kept 48 MiB of the daemon's memory for good (20 MiB when rebuilt from a JSON copy).
    Configurations of fewer than COMPACT_FROM_FEEDS feeds are returned as they are."""
    if len(config.feeds) < COMPACT_FROM_FEEDS:
        return config
    path, settings = config.path, config.settings
    blob = json.dumps([feed.model_dump(exclude_defaults=True) for feed in config.feeds]).encode()
    del config
    clear_caches()
    gc.collect()
    feeds = tuple(FeedConfig.model_validate(item) for item in json.loads(blob))
    return Config(path=path, settings=settings, feeds=feeds)


def _parse_config(text: str, path: Path) -> Config:
    try:
        yaml = YAML(typ="rt")
        # An alias is written `*name`: without a "*" there is none, and the check's own pass over the file took as
        # long as loading it (6 s of 27 s for 100,000 feeds).
        if "*" in text:
            _check_aliases(yaml, text, path)
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
    except YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None  # one line
    if data is None:
        data = CommentedMap()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the file must be a mapping with 'settings' and 'feeds' keys")
    unknown = [key for key in data if key not in ("settings", "feeds")]
    if unknown:
        raise ConfigError(
            f"{path}:{_key_line(data, unknown[0])}: unknown top-level key {unknown[0]!r} "
            "(expected 'settings' and 'feeds')"
        )

    raw_settings = data.get("settings") or {}
    if not isinstance(raw_settings, dict):
        raise ConfigError(f"{path}:{_key_line(data, 'settings')}: 'settings' must be a mapping")
    try:
        settings = Settings.model_validate(dict(raw_settings))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else ""
        line = _key_line(raw_settings, key) if key in raw_settings else _key_line(data, "settings")
        raise ConfigError(f"{path}:{line}: settings.{key}: {_error_text(error, Settings)}") from None
    if settings.min_interval > settings.max_interval:
        raise ConfigError(f"{path}:{_key_line(data, 'settings')}: settings.min_interval exceeds max_interval")

    raw_feeds = data.get("feeds")
    if raw_feeds is None:
        raw_feeds = CommentedSeq()
    if not isinstance(raw_feeds, list):
        raise ConfigError(f"{path}:{_key_line(data, 'feeds')}: 'feeds' must be a list")
    feeds: list[FeedConfig] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw_feeds):
        line = _item_line(raw_feeds, index)
        feed = _parse_feed(item, index, line, path)
        # The archive keeps URLs with their credentials redacted: two that differ only there are one feed to it.
        key = redact_url(feed.url)
        if key in seen:
            raise ConfigError(
                f"{path}:{line}: feeds[{index}] {key}: duplicate of the feed on line {seen[key]}"
                + (" (they differ only in credentials)" if key != feed.url else "")
            )
        seen[key] = line
        feeds.append(feed)
    return Config(path=path, settings=settings, feeds=tuple(feeds))


# The fields a bare URL sets, one set shared by every such feed: pydantic keeps a set of its own per instance,
# 200 bytes each (20 MB of a 100,000-feed config). Frozen models never change it.
_URL_ONLY: set[str] = {"url"}


def _parse_feed(item: Any, index: int, line: int, path: Path) -> FeedConfig:
    label = f"feeds[{index}]"
    if isinstance(item, str):
        # A bare URL: its one validator, without a validation pass over the defaults (the model_validate below
        # gives the error message when it fails).
        with contextlib.suppress(ValueError):
            return FeedConfig.model_construct(_URL_ONLY, url=FeedConfig._valid_url(item))
        item = {"url": item}
    if not isinstance(item, dict):
        raise ConfigError(f"{path}:{line}: {label}: expected a URL or a mapping with 'url', got {item!r}")
    if "url" in item:
        label += f" {item['url']}"
    try:
        return FeedConfig.model_validate(dict(item))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else ""
        if isinstance(item, CommentedMap) and key in item:
            line = _key_line(item, key)
        what = f"missing '{key}'" if error["type"] == "missing" else f"{key}: {_error_text(error, FeedConfig)}"
        raise ConfigError(f"{path}:{line}: {label}: {what}") from None


def _error_text(error: Any, model: type[BaseModel]) -> str:
    if error["type"] == "extra_forbidden":
        return f"unknown key (known keys: {', '.join(model.model_fields)})"
    # pydantic prefixes messages raised in validators with "Value error, "
    return str(error["msg"]).removeprefix("Value error, ")


def _key_line(mapping: Any, key: str) -> int:
    try:
        return mapping.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError):
        return 1


def _item_line(seq: Any, index: int) -> int:
    try:
        return seq.lc.item(index)[0] + 1
    except (AttributeError, KeyError, TypeError):
        return 1


def feed_settings(config: Config) -> list[FeedSettings]:
    """The configured feeds as the store keeps them."""
    return [
        FeedSettings(
            url=feed.url,
            title=feed.title,
            tags=tuple(feed.tags),
            interval_seconds=int(config.feed_interval(feed)),
            full_text=config.feed_full_text(feed),
            active=feed.enabled,
            backfill=feed.backfill,
        )
        for feed in config.feeds
    ]
