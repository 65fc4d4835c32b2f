"""Add feeds to `config/feeds.yaml` without losing what a person wrote in it.

The file stays the source of truth: it is edited with ruamel.yaml's round-trip mode, so comments, key
order, quoting and flow/block styles survive, with the indentation guessed from the file itself. A new
feed is written in the file's own style (a bare URL or a mapping), the result is validated like any
config before it replaces the file, and the replacement is atomic (the daemon watching the file never
reads half of it).
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from aggregator.config.model import Config, ConfigError, FeedConfig, parse_config

Style = Literal["bare", "mapping"]
# Why a feed was not added.
ALREADY = "already in the config"
TWICE = "listed twice"
INVALID = "not an http(s) URL"

# (mapping indent, sequence indent, dash offset): the usual layouts, tried in this order.
_LAYOUTS = [(2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 3, 1), (3, 3, 0), (4, 6, 2)]


@dataclass(frozen=True, slots=True)
class NewFeed:
    url: str
    title: str | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True
    # Written only when the feed becomes a mapping anyway (e.g. the title a discovered feed gives itself).
    fallback_title: str | None = None

    @property
    def needs_mapping(self) -> bool:
        return bool(self.title or self.tags or not self.enabled)


@dataclass(slots=True)
class AddResult:
    path: Path
    added: list[NewFeed] = field(default_factory=list)
    skipped: list[tuple[NewFeed, str]] = field(default_factory=list)  # (feed, why)
    created: bool = False  # the file did not exist before


class ConfigDocument:
    """A config file loaded for editing."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.text = self.path.read_text(encoding="utf-8")
            self.exists = True
        except FileNotFoundError:
            self.text, self.exists = "", False
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{self.path}: cannot read: {exc}") from None
        # The file must be valid before we touch it (same messages as every other command).
        self.config: Config = parse_config(self.text, self.path)
        self._yaml = _yaml_for(self.text)
        data = self._yaml.load(self.text) if self.text.strip() else None
        self.data: CommentedMap = data if isinstance(data, CommentedMap) else CommentedMap()

    @property
    def feed_items(self) -> list[Any]:
        feeds = self.data.get("feeds")
        return list(feeds) if isinstance(feeds, list) else []

    @property
    def style(self) -> Style | None:
        """How the file writes a feed that has nothing but a URL: as the majority of its feeds do."""
        items = self.feed_items
        bare = sum(isinstance(item, str) for item in items)
        mappings = sum(isinstance(item, dict) for item in items)
        if not items:
            return None
        return "bare" if bare > mappings else "mapping"

    def _flow_tags(self) -> bool:
        styles = [
            item["tags"].fa.flow_style()
            for item in self.feed_items
            if isinstance(item, dict) and isinstance(item.get("tags"), CommentedSeq)
        ]
        return not styles or sum(map(bool, styles)) * 2 >= len(styles)

    def known_urls(self) -> set[str]:
        return {feed.url for feed in self.config.feeds}

    def add(self, feeds: list[NewFeed]) -> AddResult:
        """Append the feeds that are not there yet (by normalised URL); returns what was added and skipped."""
        result = AddResult(self.path, created=not self.exists)
        known = self.known_urls()
        batch: set[str] = set()
        style = self.style
        flow_tags = self._flow_tags()
        seq = self.data.get("feeds")
        if not isinstance(seq, CommentedSeq):
            seq = CommentedSeq()
            self.data["feeds"] = seq
        elif not seq and seq.fa.flow_style():
            seq.fa.set_block_style()  # `feeds: []`: list the feeds one per line
        for feed in feeds:
            try:
                normal = FeedConfig.model_validate({"url": feed.url, "tags": list(feed.tags)}).url
            except ValidationError:
                result.skipped.append((feed, INVALID))
                continue
            if normal in known:
                result.skipped.append((feed, ALREADY))
                continue
            if normal in batch:
                result.skipped.append((feed, TWICE))
                continue
            batch.add(normal)
            seq.append(_item(feed, style, flow_tags))
            result.added.append(feed)
        return result

    def dumps(self) -> str:
        out = io.StringIO()
        self._yaml.dump(self.data, out)
        return out.getvalue()

    def save(self) -> Config:
        """Validate the edited document and replace the file atomically; returns the new config."""
        text = self.dumps()
        try:
            config = parse_config(text, self.path)
        except ConfigError as exc:  # a bug here must never leave a broken config behind
            raise ConfigError(f"{self.path}: not changed, the edit would make it invalid: {exc}") from None
        _write_atomic(self.path, text)
        self.text, self.exists, self.config = text, True, config
        return config


def add_feeds(path: str | os.PathLike[str], feeds: list[NewFeed], *, dry_run: bool = False) -> AddResult:
    """Add feeds to the config file at `path` (created when missing); raises ConfigError."""
    document = ConfigDocument(path)
    result = document.add(feeds)
    if result.added and not dry_run:
        document.save()
    return result


def _item(feed: NewFeed, style: Style | None, flow_tags: bool) -> Any:
    if not feed.needs_mapping and style != "mapping":
        return feed.url
    item = CommentedMap()
    item["url"] = feed.url
    title = feed.title or feed.fallback_title
    if title:
        item["title"] = title
    if feed.tags:
        tags = CommentedSeq(feed.tags)
        if flow_tags:
            tags.fa.set_flow_style()
        item["tags"] = tags
    if not feed.enabled:
        item["enabled"] = False
    return item


def _make_yaml(layout: tuple[int, int, int], explicit_start: bool) -> YAML:
    yaml = YAML(typ="rt")
    mapping, sequence, offset = layout
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long title or URL
    yaml.explicit_start = explicit_start
    return yaml


def _yaml_for(text: str) -> YAML:
    """The dumper whose output reproduces `text` best (exactly, for files written in a usual layout)."""
    explicit_start = text.lstrip().startswith("---")
    if not text.strip():
        return _make_yaml(_LAYOUTS[0], False)
    best, best_score = _make_yaml(_LAYOUTS[0], explicit_start), -1.0
    for layout in _LAYOUTS:
        yaml = _make_yaml(layout, explicit_start)
        out = io.StringIO()
        try:
            yaml.dump(yaml.load(text), out)
        except Exception:  # a layout ruamel cannot emit for this document
            continue
        if out.getvalue() == text:
            return yaml
        score = SequenceMatcher(None, text, out.getvalue(), autojunk=False).ratio()
        if score > best_score:
            best, best_score = yaml, score
    return best


def _write_atomic(path: Path, text: str) -> None:
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o7777 if target.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None:  # a new file gets the usual permissions, not mkstemp's 0600
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
