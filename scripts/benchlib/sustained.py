"""Sustained scale: the real `aggregator run` over many configured feeds at their steady state.

An archive is seeded as a daemon that had been running would leave it: every feed polled before (validators
stored, so nginx answers 304), its next poll planned at a random time within one interval. Then the daemon is
started over it for some minutes of wall time. A small share of the feeds ("changing") have new entries since
their last poll, whose article pages are fetched and extracted (full text); every other feed is an alias of a
corpus feed (`?copy=K`, which nginx ignores) that has not changed.

Schedule lag is measured from the archive: the planned time of a feed is the `next_poll_at` it was seeded
with (its time when it became due), the actual time is its poll's `started_at` in `polls`. Feeds that were due
before the end but not polled by then count with the lag they had at the end (a lower bound), so a daemon that
falls behind cannot look punctual. CPU is user+sys of the whole process tree (live processes, plus what the
reaped ones left in their parents' cutime/cstime) per wall second; memory is the tree's PSS, sampled every second.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import random
import sqlite3
import statistics
import subprocess
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from aggregator.poll.schedule import at

from .memory import _pss_kib, descendants, stop_process

STAMP = "%Y-%m-%dT%H:%M:%SZ"
TICKS = os.sysconf("SC_CLK_TCK")
NEW_ENTRIES_PER_CHANGE = 2  # new posts in each changing feed since its last poll


def _cpu_ticks(pid: int) -> int:
    """utime + stime + cutime + cstime of one process (cutime/cstime: its reaped children)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15])
    except (OSError, ValueError, IndexError):
        return 0


class TreeSampler(threading.Thread):
    """PSS and CPU of a process tree, every `every` seconds: (seconds since start, tree PSS KiB, CPU ticks,
    main process's PSS KiB)."""

    def __init__(self, pid: int, every: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.every = every
        self.stop_event = threading.Event()
        self.samples: list[tuple[float, int, int, int]] = []
        self.t0 = time.monotonic()

    def sample(self) -> tuple[float, int, int, int] | None:
        if not os.path.exists(f"/proc/{self.pid}"):
            return None
        main = _pss_kib(self.pid)
        children = descendants(self.pid)
        return (time.monotonic() - self.t0, main + sum(_pss_kib(p) for p in children),
                sum(_cpu_ticks(p) for p in [self.pid, *children]), main)

    def run(self) -> None:
        while not self.stop_event.is_set():
            found = self.sample()
            if found is None or found[1] == 0:
                break
            self.samples.append(found)
            self.stop_event.wait(self.every)


def _rss(items: list[tuple[int, datetime]], base_url: str, index: int, pages: list[str]) -> bytes:
    """An RSS 2.0 feed of the given (post number, date) items, newest first, each linking an article page."""
    out = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Changing {index}</title>'
           f"<link>{base_url}/sustained/site{index}/</link><description>sustained bench feed</description>"]
    for number, when in items:
        page = pages[(index * 31 + number) % len(pages)]
        link = escape(f"{base_url}{page}?feed={index}&post={number}")
        out.append(f"<item><title>Post {number} of feed {index}</title><link>{link}</link>"
                   f"<guid isPermaLink=\"false\">sustained-{index}-{number}</guid>"
                   f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>"
                   f"<description>Summary of post {number} of feed {index}.</description></item>")
    out.append("</channel></rss>")
    return "".join(out).encode()


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(body, 6))


def write_changing(root: Path, base_url: str, count: int, pages: list[str], new: int) -> list[str]:
    """The changing feeds' files: with new=0 the seeded version (one post), with new=K the same feed K posts
    later. One seeded post keeps the seeding's extraction work small (it is the daemon's that is measured)."""
    now = datetime.now(UTC).replace(microsecond=0)
    urls = []
    for index in range(count):
        posts = [(number, now - timedelta(hours=new + 1 - number)) for number in range(new + 1)]
        body = _rss(list(reversed(posts)), base_url, index, pages)
        _write(root / "sustained" / f"{index:05d}.xml", body)
        urls.append(f"{base_url}/sustained/{index:05d}.xml")
    return urls


def write_config(path: Path, urls: list[str], settings: dict[str, object]) -> Path:
    lines = ["settings:"]
    lines += [f"  {k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in settings.items()]
    lines.append("feeds:")
    lines += [f"  - {url}" for url in urls]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _validators(url: str) -> tuple[str | None, str | None]:
    """ETag and Last-Modified as nginx sends them to a client accepting gzip (as the fetcher does)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        return response.headers.get("ETag"), response.headers.get("Last-Modified")


def seed(work: Path, db: Path, config: Path, static_urls: list[str], changing_urls: list[str],
         settings: dict[str, object], interval_s: float, rng: random.Random) -> dict[str, str]:
    """The archive at its steady state; returns feed URL -> planned next poll (UTC stamp), from now on."""
    from aggregator.api import poll_once
    from aggregator.config.model import feed_settings, load_config
    from aggregator.store import Archive
    from aggregator.store.records import PollRecord

    # The changing feeds are polled for real once (their post archived with its full text); the static ones get
    # the validators nginx sends for their file.
    seed_config = write_config(work / "sustained-seed.yaml", changing_urls, settings)
    archive = Archive(db)
    try:
        reports = asyncio.run(poll_once(load_config(seed_config), archive))
        failed = [r.error for r in reports if r.error]
        if failed:
            raise RuntimeError(f"seeding: {len(failed)} changing feeds failed, e.g. {failed[0]}")
        full = load_config(config)
        ids = archive.sync_feeds(feed_settings(full))
        by_file: dict[str, tuple[str | None, str | None]] = {}
        now = datetime.now(UTC)
        started = (now - timedelta(seconds=interval_s)).strftime(STAMP)
        planned: dict[str, str] = {}
        archive.begin_shared()
        for url in static_urls:
            key = url.split("?", 1)[0]
            if key not in by_file:
                by_file[key] = _validators(key)
            etag, modified = by_file[key]
            when = at(rng.uniform(0, interval_s), now)
            archive.record_poll(PollRecord(feed_id=ids[url], started_at=started, duration_ms=1, http_status=200),
                                etag=etag, last_modified=modified, next_poll_at=when)
            planned[url] = when
        for url in changing_urls:
            when = at(rng.uniform(0, interval_s), now)
            archive.set_next_poll(ids[url], when)
            planned[url] = when
        archive.commit_shared()
    finally:
        archive.close()
    return planned


def run(aggregator: Path, work: Path, root: Path, base_url: str, feed_paths: list[str], pages: list[str],
        feeds: int, interval_s: float, seconds: float, changing_share: float, concurrency: int, port: int,
        seed_value: int = 7) -> dict[str, object]:
    rng = random.Random(seed_value)
    changing = max(1, round(feeds * changing_share))
    changing_urls = write_changing(root, base_url, changing, pages, new=0)
    static_urls = [f"{base_url}{feed_paths[i % len(feed_paths)]}?copy={i}" for i in range(feeds - changing)]
    urls = changing_urls + static_urls
    rng.shuffle(urls)
    settings: dict[str, object] = {
        "allow_private_networks": True, "full_text": True, "concurrency": concurrency,
        "per_host_concurrency": min(concurrency, 100), "article_delay": 0, "respect_robots": False,
        "extract_workers": min(2, os.cpu_count() or 1),
        "interval": f"{interval_s:g}s", "min_interval": f"{min(interval_s, 60):g}s", "adaptive": False,
    }
    config = write_config(work / "sustained.yaml", urls, settings)
    db = work / "sustained" / "archive.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    planned = seed(work, db, config, static_urls, changing_urls, settings, interval_s, rng)
    seed_seconds = time.perf_counter() - t
    # The changing feeds change now: NEW_ENTRIES_PER_CHANGE posts since the seeded poll.
    time.sleep(1.1)  # a new mtime, so new validators
    write_changing(root, base_url, changing, pages, new=NEW_ENTRIES_PER_CHANGE)
    size_before = _archive_bytes(db)

    command = [str(aggregator), "--log-level", "warning", "run", "--config", str(config), "--db", str(db),
               "--port", str(port)]
    log_path = work / "sustained-daemon.log"
    launched = datetime.now(UTC)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        sampler = TreeSampler(process.pid)
        sampler.start()
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.5)
            crashed = process.poll()
            last = sampler.sample()
            ended = datetime.now(UTC)
        finally:
            sampler.stop_event.set()
            stop_process(process, 60)
            sampler.join(timeout=5)
    samples = sampler.samples + ([last] if last else [])
    result = _lag(db, planned, launched, ended)
    result.update(_resources(samples, result.get("first_poll_s")))
    wall = (ended - launched).total_seconds()
    result.update({
        "feeds": feeds, "changing_feeds": changing, "interval_s": interval_s, "seconds": wall,
        "seed_seconds": round(seed_seconds, 1), "exited_early": crashed is not None,
        "exit_code": process.returncode,
        "archive_growth_bytes": _archive_bytes(db) - size_before, "archive_bytes_before": size_before,
        "log_tail": log_path.read_text(errors="replace")[-2000:],
    })
    result["polls_per_s"] = result["polls"] / wall if wall else 0.0
    return result


def _archive_bytes(db: Path) -> int:
    return sum(Path(str(db) + s).stat().st_size for s in ("", "-wal") if Path(str(db) + s).exists())


def _stamp(value: str) -> datetime:
    return datetime.strptime(value, STAMP).replace(tzinfo=UTC)


def _lag(db: Path, planned: dict[str, str], launched: datetime, ended: datetime) -> dict[str, object]:
    since = launched.strftime(STAMP)
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT f.config_url, min(p.started_at), count(*), sum(p.not_modified), sum(p.error IS NOT NULL), "
            "sum(p.new_entries), sum(p.extracted) FROM polls p JOIN feeds f ON f.id = p.feed_id "
            "WHERE p.started_at >= ? GROUP BY f.id", [since]).fetchall()
        entries = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    first = {url: start for url, start, *_ in rows}
    lags: list[float] = []
    waiting = 0
    for url, when in planned.items():
        due = _stamp(when)
        if due > ended:
            continue
        if url in first:
            lags.append((_stamp(first[url]) - due).total_seconds())
        else:
            waiting += 1
            lags.append((ended - due).total_seconds())
    lags.sort()
    starts = sorted(_stamp(s) for s in first.values())

    def pct(q: float) -> float | None:
        return lags[min(len(lags) - 1, int(q * len(lags)))] if lags else None

    return {
        "due": len(lags), "due_not_polled": waiting,
        "lag_p50_s": pct(0.50), "lag_p95_s": pct(0.95), "lag_max_s": lags[-1] if lags else None,
        "polls": sum(r[2] for r in rows), "polls_not_modified": sum(r[3] or 0 for r in rows),
        "poll_errors": sum(r[4] or 0 for r in rows), "new_entries": sum(r[5] or 0 for r in rows),
        "extracted": sum(r[6] or 0 for r in rows), "entries": entries,
        "first_poll_s": (starts[0] - launched).total_seconds() if starts else None,
    }


def _resources(samples: list[tuple[float, int, int, int]], first_poll_s: float | None) -> dict[str, object]:
    if len(samples) < 2:
        return {"samples": len(samples)}
    mib = 1024.0
    (t0, _, c0, _), (t1, _, c1, _) = samples[0], samples[-1]
    # After start-up (the first poll): the steady state the targets are about.
    steady = [s for s in samples if first_poll_s is None or s[0] >= first_poll_s] or samples
    pss = [s[1] for s in steady]
    cpu_steady = (steady[-1][2] - steady[0][2]) / TICKS / max(steady[-1][0] - steady[0][0], 1e-9)
    return {
        "samples": len(samples),
        "cpu_per_wall_s": (c1 - c0) / TICKS / (t1 - t0),
        "cpu_per_wall_s_after_start": cpu_steady,
        "pss_peak_mib": max(s[1] for s in samples) / mib,
        "pss_typical_mib": statistics.median(pss) / mib,
        "pss_min_after_start_mib": min(pss) / mib,
        "main_pss_typical_mib": statistics.median(s[3] for s in steady) / mib,
        "main_pss_peak_mib": max(s[3] for s in samples) / mib,
        "pss_timeline_mib": [(round(s[0]), round(s[1] / mib), round(s[3] / mib))
                             for s in samples[:: max(1, len(samples) // 40)]],
    }
