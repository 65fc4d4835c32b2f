"""Run the daemon over simulated time: the site changes as its Timeline says, the daemon polls whatever is due,
and the clock jumps straight to the next thing that happens. A week takes seconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aggregator.clock import SimulatedClock, parse_stamp
from aggregator.daemon import Daemon
from aggregator.demo.site.timeline import Timeline


@dataclass(slots=True)
class SimulationReport:
    polls: int = 0  # polls started
    steps: int = 0  # times the clock moved
    events: int = 0  # site changes applied


async def simulate(daemon: Daemon, timeline: Timeline, clock: SimulatedClock, until: datetime) -> SimulationReport:
    """Drive `daemon` (whose archive uses `clock`) until `until`, then return. The daemon must not be running."""
    report = SimulationReport()
    aggregator = await daemon.start()
    try:
        while True:
            now = clock.now()
            report.events += timeline.apply_until(now)
            report.polls += await daemon.step()
            due = daemon.next_due()
            candidates = [t for t in (parse_stamp(due) if due else None, timeline.next_time()) if t is not None]
            if not candidates:
                break
            following = max(min(candidates), now + timedelta(seconds=1))
            if following > until:
                break
            clock.set(following)
            report.steps += 1
    finally:
        await aggregator.__aexit__(None, None, None)
    return report
