"""The extraction pool does not outlive its owner: a SIGKILLed poller leaves no workers or forkserver behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from conftest import process_alive

OWNER = textwrap.dedent(
    """
    import asyncio
    from aggregator.extract.article import Extractor

    FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>http://127.0.0.1/</link>' \\
        b'<item><title>a</title><link>http://127.0.0.1/a</link><guid>a</guid></item></channel></rss>'

    async def main():
        async with Extractor(workers=2) as extractor:
            parsed = await extractor.parse(FEED, "http://127.0.0.1/feed", "application/rss+xml", None)
            print("ready", len(parsed.entries), flush=True)
            await asyncio.sleep(120)

    asyncio.run(main())
    """
)


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    stack = [pid]
    while stack:
        parent = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    stack.append(child)
    return found


def test_workers_and_forkserver_exit_when_the_owner_is_killed() -> None:
    owner = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parent.parent)
    try:
        assert owner.stdout is not None
        assert owner.stdout.readline().split() == ["ready", "1"]
        pool_processes = _descendants(owner.pid)
        # the forkserver, the resource tracker and the two workers (forked by the forkserver)
        assert len(pool_processes) >= 3, pool_processes
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(process_alive(p) for p in pool_processes):
            time.sleep(0.2)
        left = sorted(p for p in pool_processes if process_alive(p))
        assert not left, f"still running after their owner was killed: {left}"
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
