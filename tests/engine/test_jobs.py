"""Jobs: on a replay clock they fire when replayed time crosses their due time; on a live clock
APScheduler runs them; a reschedule takes effect."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from engine.clock import LiveClock, ManualClock
from engine.jobs import Jobs

T0 = datetime(2024, 1, 1, tzinfo=UTC)


async def test_replay_jobs_follow_the_replayed_clock() -> None:
    clock = ManualClock(T0)
    jobs = Jobs(clock, replay=True)
    runs: list[datetime] = []

    async def job() -> None:
        runs.append(clock.now())

    jobs.add("scan", job, 60, run_now=True)
    for minutes in range(5, 181, 5):
        clock.set(T0 + timedelta(minutes=minutes))
        await jobs.on_bar(clock.now())
    assert runs == [T0 + timedelta(minutes=5), T0 + timedelta(minutes=60), T0 + timedelta(minutes=120),
                    T0 + timedelta(minutes=180)]
    jobs.reschedule("scan", 15)
    assert jobs.next_run("scan") == T0 + timedelta(minutes=195)


async def test_live_jobs_run_on_apscheduler() -> None:
    jobs = Jobs(LiveClock(), replay=False)
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    jobs.add("scan", job, 60, run_now=True)
    jobs.start()
    try:
        await asyncio.wait_for(ran.wait(), 30)  # a hang guard
        nxt = jobs.next_run("scan")
        assert nxt is not None and nxt > datetime.now(UTC) + timedelta(minutes=59)
    finally:
        jobs.shutdown()
