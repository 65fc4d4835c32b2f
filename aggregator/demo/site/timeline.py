"""A site's life over simulated time: posts, bursts, quiet days, edits, deletions, moves, outages.

A Timeline holds changes at given times; whoever drives the clock calls ``apply_until(now)``. ``publishing_week``
builds the week the completeness test and benchmark run.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .content import Article
from .server import CustomResponse, NewsSite


@dataclass(order=True)
class Event:
    at: datetime
    order: int
    label: str = field(compare=False)
    action: Callable[[NewsSite, datetime], None] = field(compare=False)


class Timeline:
    def __init__(self, site: NewsSite) -> None:
        self.site = site
        self._events: list[Event] = []
        self._order = itertools.count()
        self.applied: list[tuple[datetime, str]] = []
        self.published: dict[str, list[Article]] = {}  # chain -> its posts published by the timeline, in order
        self.deleted: list[Article] = []
        self.moved: dict[str, Article] = {}  # former URL -> article
        self.edited: list[Article] = []

    def add(self, at: datetime, label: str, action: Callable[[NewsSite, datetime], None]) -> None:
        heapq.heappush(self._events, Event(at, next(self._order), label, action))

    def next_time(self) -> datetime | None:
        return self._events[0].at if self._events else None

    def apply_until(self, now: datetime) -> int:
        """Apply every change due at `now`; returns how many."""
        count = 0
        while self._events and self._events[0].at <= now:
            event = heapq.heappop(self._events)
            event.action(self.site, event.at)
            self.applied.append((event.at, event.label))
            count += 1
        return count

    # -- the changes --------------------------------------------------------------------------------------

    def publish(self, at: datetime, chain: str, count: int = 1) -> None:
        def action(site: NewsSite, when: datetime) -> None:
            self.published.setdefault(chain, []).extend(site.publish(chain, count, at=when))

        self.add(at, f"publish {count} in {chain}", action)

    def edit(self, at: datetime, chain: str, newest_index: int) -> None:
        """Edit the chain's post that is `newest_index` from the newest at that time."""
        def action(site: NewsSite, when: datetime) -> None:
            article = site.chain(chain)[-1 - newest_index]
            self.edited.append(site.edit_article(article, at=when))

        self.add(at, f"edit in {chain}", action)

    def delete(self, at: datetime, chain: str, newest_index: int) -> None:
        def action(site: NewsSite, when: datetime) -> None:
            self.deleted.append(site.delete_article(site.chain(chain)[-1 - newest_index]))

        self.add(at, f"delete in {chain}", action)

    def move(self, at: datetime, chain: str, newest_index: int = 0) -> None:
        def action(site: NewsSite, when: datetime) -> None:
            article = site.chain(chain)[-1 - newest_index]
            old = site.move_article(article, article.slug + "-updated")
            self.moved[old] = article

        self.add(at, f"move in {chain}", action)

    def window(self, at: datetime, size: int) -> None:
        def action(site: NewsSite, when: datetime) -> None:
            site.feed_window = size

        self.add(at, f"feed window {size}", action)

    def outage(self, at: datetime, feed_urls: Sequence[str], hours: float) -> None:
        """The feeds answer 503 for a while (article pages stay up)."""
        def down(site: NewsSite, when: datetime) -> None:
            for url in feed_urls:
                site.set_route(url, CustomResponse(503, "Service Unavailable\n"))

        def up(site: NewsSite, when: datetime) -> None:
            for url in feed_urls:
                site.clear_route(url)

        self.add(at, "feeds down (503)", down)
        self.add(at + timedelta(hours=hours), "feeds up", up)


def publishing_week(site: NewsSite, chains: Sequence[str], start: datetime, seed: int = 1,
                    days: float = 7) -> Timeline:
    """A week of several chains: steady posts in the daytime, a burst larger than the feed window (day 2),
    two quiet days (days 3 and 4), an edited, a deleted and a moved post (day 5), the feed window shrinking
    from its size to 3 (day 6) and an hour of 503s from every feed (day 6, while posts keep coming). Fewer
    `days` keep what falls within them."""
    rng = random.Random(seed)
    timeline = Timeline(site)
    day = timedelta(days=1)
    end = start + days * day
    for chain in chains:
        when = start + timedelta(minutes=rng.randint(10, 60))
        while when < end:
            offset = (when - start) // day
            if offset not in (2, 3) and 6 <= when.hour < 22:
                timeline.publish(when, chain)
            when += timedelta(minutes=rng.randint(45, 150))
        if start + 2 * day <= end:
            timeline.publish(start + day + timedelta(hours=14), chain, count=15)  # the burst
        if start + 5 * day <= end:
            timeline.edit(start + 4 * day + timedelta(hours=9), chain, newest_index=4)
            timeline.delete(start + 4 * day + timedelta(hours=9, minutes=30), chain, newest_index=12)
            timeline.publish(start + 4 * day + timedelta(hours=10), chain)
            timeline.move(start + 4 * day + timedelta(hours=10, minutes=20), chain)
        if start + 6 * day <= end:
            for minutes in range(5, 60, 12):  # posts while the feed is down
                timeline.publish(start + 5 * day + timedelta(hours=8, minutes=minutes), chain)
    if start + 6 * day <= end:
        timeline.window(start + 5 * day, 3)
        timeline.outage(start + 5 * day + timedelta(hours=8), [site.feed_url(chain, _primary(site, chain))
                                                              for chain in chains], hours=1)
    return timeline


def _primary(site: NewsSite, chain: str) -> str:
    return next(info.format for info in site.feeds.values() if info.chain == chain and info.primary)
