"""Jobs: on a replay clock they fire when replayed time crosses their due time; on a live clock
APScheduler runs them; a reschedule takes effect."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from engine.brokers.errors import RateLimited
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


def _noisy(records: list[logging.LogRecord]) -> list[str]:
    return [f"{r.name} {r.levelname} {r.getMessage()}" for r in records
            if r.exc_info or r.levelno >= logging.ERROR or "CancelledError" in r.getMessage()]


def test_a_scan_in_flight_at_shutdown_ends_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """Stopping while the scheduler's scan is running: the run is cancelled and waited for, and
    nothing (ours or APScheduler's) logs a CancelledError — not even when the loop then closes."""
    ended: list[str] = []

    async def scenario() -> None:
        jobs = Jobs(LiveClock(), replay=False)
        started = asyncio.Event()

        async def scan() -> None:
            started.set()
            try:
                await asyncio.Event().wait()  # a scan waiting on the exchange
            finally:
                ended.append("scan")

        jobs.add("scan", scan, 60, run_now=True)
        jobs.start()
        await asyncio.wait_for(started.wait(), 30)  # a hang guard
        await jobs.stop()
        assert ended == ["scan"]  # ended before stop() returned

    with caplog.at_level(logging.DEBUG):
        asyncio.run(scenario())
    assert ended == ["scan"]
    assert _noisy(caplog.records) == []


async def test_a_venue_error_in_a_job_is_one_warning_line(caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(T0)
    jobs = Jobs(clock, replay=True)

    async def reconcile() -> None:
        raise RateLimited("binanceusdm 429 Too Many Requests", retry_after=30)

    async def broken() -> None:
        raise ZeroDivisionError("a bug")

    jobs.add("reconcile", reconcile, 5, run_now=True)
    with caplog.at_level(logging.INFO, logger="engine.jobs"):
        await jobs.on_bar(T0)
    warnings = [r for r in caplog.records if r.name == "engine.jobs"]
    assert [(r.levelname, r.exc_info) for r in warnings] == [("WARNING", None)]
    assert warnings[0].getMessage().startswith("job reconcile: rate_limited: binanceusdm 429")
    caplog.clear()
    jobs.add("other", broken, 5, run_now=True)
    with caplog.at_level(logging.INFO, logger="engine.jobs"):
        await jobs.on_bar(T0 + timedelta(minutes=1))
    assert [(r.levelname, bool(r.exc_info)) for r in caplog.records] == [("ERROR", True)]  # a bug keeps its traceback
