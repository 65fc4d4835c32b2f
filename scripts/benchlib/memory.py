"""Memory of the daemon (`aggregator run`, Datasette included) with many configured feeds: at its peak and
while idle between two polls.

The process tree is sampled every 0.5 s from /proc: VmRSS of the main process, of every descendant (the
forkserver and the extraction workers) and their sum; PSS (which shares pages fairly between processes, so
pages shared copy-on-write by the workers are not counted twice) from smaps_rollup. The tree's PSS is what the
machine pays and what is judged. Datasette is asked for the latest-articles page and a search every few
seconds, so its part of the process is exercised too.

Idle: once every feed has been polled and the worker pool has been let go (`extract_idle` after its last job:
no forkserver or worker left), the tree is sampled for `idle_seconds` more, Datasette still being asked.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.request
from pathlib import Path


def stop_process(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, as a service manager stops the daemon; SIGKILL after `grace` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    found += [int(x) for x in handle.read().split()]
            except OSError:
                continue
    except OSError:
        return []
    return found


def descendants(pid: int) -> list[int]:
    result, stack = [], [pid]
    while stack:
        for child in _children(stack.pop()):
            result.append(child)
            stack.append(child)
    return result


def _status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _role(pid: int, main: int) -> str:
    """forkserver, resource_tracker, or worker (a process forked by the forkserver: the extraction pool)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
        with open(f"/proc/{pid}/stat") as handle:
            parent = int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return "gone"
    if parent != main:
        return "worker"
    for role in ("forkserver", "resource_tracker"):
        if role in cmdline:
            return role
    return "other child"


class Sampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.every = every
        self.stop_event = threading.Event()
        self.peak = {"main_rss": 0, "main_hwm": 0, "main_pss": 0, "children_rss": 0, "tree_rss": 0, "tree_pss": 0,
                     "processes": 0}
        self.peak_main_pss_share = 0  # the main process's PSS in the sample of the tree's peak PSS
        self.pool_processes = 0  # forkserver and workers in the latest sample
        self.idle_from: float | None = None  # set by the caller: samples from then on are the idle ones
        self.idle: list[tuple[int, int, int]] = []  # (tree PSS, main PSS, main RSS) KiB of each idle sample
        self.peak_by_role: dict[str, dict[str, int]] = {}  # role -> peak RSS / PSS of one such process
        self.samples = 0
        self.timeline: list[tuple[float, int, int]] = []  # (seconds, main RSS KiB, tree RSS KiB) every ~10 s
        self._t0 = time.monotonic()

    def run(self) -> None:
        last_kept = -1e9
        while not self.stop_event.is_set():
            main = _status_kib(self.pid, "VmRSS")
            if main == 0:
                break
            children = descendants(self.pid)
            child_rss = sum(_status_kib(c, "VmRSS") for c in children)
            main_pss = _pss_kib(self.pid)
            pss = main_pss + sum(_pss_kib(c) for c in children)
            peak = self.peak
            if pss > peak["tree_pss"]:
                self.peak_main_pss_share = main_pss
            peak["main_rss"] = max(peak["main_rss"], main)
            peak["main_pss"] = max(peak["main_pss"], main_pss)
            peak["main_hwm"] = max(peak["main_hwm"], _status_kib(self.pid, "VmHWM"))
            peak["children_rss"] = max(peak["children_rss"], child_rss)
            peak["tree_rss"] = max(peak["tree_rss"], main + child_rss)
            peak["tree_pss"] = max(peak["tree_pss"], pss)
            peak["processes"] = max(peak["processes"], 1 + len(children))
            pool = 0
            for child in children:
                role = _role(child, self.pid)
                pool += role in ("forkserver", "worker")
                seen = self.peak_by_role.setdefault(role, {"rss": 0, "pss": 0})
                seen["rss"] = max(seen["rss"], _status_kib(child, "VmRSS"))
                seen["pss"] = max(seen["pss"], _pss_kib(child))
            self.pool_processes = pool
            if self.idle_from is not None and time.monotonic() >= self.idle_from:
                self.idle.append((pss, main_pss, main))
            self.samples += 1
            now = time.monotonic() - self._t0
            if now - last_kept >= 10:
                self.timeline.append((round(now, 1), main, main + child_rss))
                last_kept = now
            self.stop_event.wait(self.every)


def _poke_datasette(port: int, stop: threading.Event, db_name: str, every: float = 5.0) -> None:
    words = ["stadt", "council", "hochwasser", "storm", "bundestag", "market"]
    i = 0
    while not stop.wait(every):
        for path in (f"/{db_name}/entries?_sort_desc=published_at", f"/{db_name}/entries?_search={words[i % 6]}"):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
                    response.read()
            except OSError:
                pass
        i += 1


def _all_polled(db: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            feeds, polled = conn.execute("SELECT count(*), count(last_polled_at) FROM feeds").fetchone()
    except sqlite3.Error:
        return False
    return bool(feeds) and polled == feeds


def run_daemon(aggregator: Path, config: Path, db: Path, seconds: float, port: int, serve: bool = True,
               log_path: Path | None = None, idle_seconds: float = 0.0, no_feeds: bool = False) -> dict[str, object]:
    """Run the daemon for `seconds`, or, with idle_seconds, until it has been idle that long (at most
    `seconds`); no_feeds: the config has none, so it is idle from the start."""
    command = [str(aggregator), "--log-level", "warning", "run", "--config", str(config), "--db", str(db)]
    command += ["--port", str(port)] if serve else ["--no-serve"]
    log = open(log_path or os.devnull, "wb")  # noqa: SIM115 (closed in the finally below)
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    sampler = Sampler(process.pid)
    sampler.start()
    stop = threading.Event()
    poker = threading.Thread(target=_poke_datasette, args=(port, stop, db.stem), daemon=True)
    if serve:
        poker.start()
    try:
        deadline = started + seconds
        next_check = 0.0
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
            now = time.monotonic()
            if not idle_seconds:
                continue
            if sampler.idle_from is None and now >= next_check and sampler.samples:
                next_check = now + 2
                if sampler.pool_processes == 0 and (no_feeds or _all_polled(db)):
                    sampler.idle_from = now
            elif sampler.idle_from is not None and now - sampler.idle_from >= idle_seconds:
                break
        crashed = process.poll()
    finally:
        stop.set()
        stop_process(process, 30)
        sampler.stop_event.set()
        sampler.join(timeout=5)
        log.close()
    ran = time.monotonic() - started
    with sqlite3.connect(db) as conn:
        polls, not_modified, errors = conn.execute(
            "SELECT count(*), coalesce(sum(not_modified), 0), coalesce(sum(error IS NOT NULL), 0) FROM polls"
        ).fetchone()
        polled_feeds = conn.execute("SELECT count(*) FROM feeds WHERE last_polled_at IS NOT NULL").fetchone()[0]
        feeds = conn.execute("SELECT count(*) FROM feeds").fetchone()[0]
        entries = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
        extracted = conn.execute("SELECT count(*) FROM entries WHERE full_text_source = 'page'").fetchone()[0]
    mib = 1024.0
    peak = sampler.peak
    idle = sampler.idle
    idle_result = None
    if idle:
        idle_result = {
            "seconds": len(idle) * sampler.every,
            "after_s": round(sampler.idle_from - started, 1) if sampler.idle_from else None,
            "tree_pss_mib": max(t for t, _m, _r in idle) / mib,
            "tree_pss_median_mib": sorted(t for t, _m, _r in idle)[len(idle) // 2] / mib,
            "main_pss_mib": max(m for _t, m, _r in idle) / mib,
            "main_rss_mib": max(r for _t, _m, r in idle) / mib,
        }
    return {
        "seconds": ran,
        "exited_early": crashed is not None and ran < seconds - 1,
        "exit_code": process.returncode,
        "peak_main_rss_mib": peak["main_rss"] / mib,
        "peak_main_hwm_mib": peak["main_hwm"] / mib,
        "peak_children_rss_mib": peak["children_rss"] / mib,
        "peak_tree_rss_mib": peak["tree_rss"] / mib,
        "peak_tree_pss_mib": peak["tree_pss"] / mib,
        "peak_main_pss_mib": peak["main_pss"] / mib,
        "peak_main_pss_share_mib": sampler.peak_main_pss_share / mib,
        "idle": idle_result,
        "max_processes": peak["processes"],
        "peak_child_by_role_mib": {role: {k: round(v / mib, 1) for k, v in values.items()}
                                   for role, values in sampler.peak_by_role.items()},
        "samples": sampler.samples,
        "timeline_mib": [(t, round(m / mib, 1), round(tr / mib, 1)) for t, m, tr in sampler.timeline],
        "feeds": feeds,
        "feeds_polled": polled_feeds,
        "polls": polls,
        "polls_not_modified": not_modified,
        "poll_errors": errors,
        "entries": entries,
        "articles_extracted": extracted,
        "serve": serve,
    }
