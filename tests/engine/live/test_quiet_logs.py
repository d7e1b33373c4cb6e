"""Expected, handled conditions are one log line: the exchange rate-limits every request of a
reconciliation run (real ccxt against the fake Binance, 429 with Retry-After): the job logs one
WARNING, no traceback, and the next run reconciles as usual."""

from __future__ import annotations

import asyncio
import logging

import pytest

from engine.clock import ManualClock
from engine.jobs import Jobs
from tests.engine.live.harness import until


async def test_a_rate_limited_reconciliation_is_one_warning_without_a_traceback(  # type: ignore[no-untyped-def]
        fake, live_engine, caplog: pytest.LogCaptureFixture) -> None:
    engine = await live_engine(fake)
    clock = ManualClock(engine.clock.now())
    jobs = Jobs(clock, replay=True)  # the engine's own reconcile job, run when its time comes
    jobs.add("reconcile", engine.reconcile_now, 5, run_now=True)
    fake.fault_retry_after = 0
    fake.faults.inject("*", "rate_limit", count=20)  # more than the client's retries
    with caplog.at_level(logging.INFO):
        await jobs.on_bar(clock.now())
    assert [kind for kind, _m, _p in fake.faults.fired] == ["rate_limit"] * 4  # four attempts, then given up
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert [(r.name, r.levelname, r.exc_info) for r in loud] == [("engine.jobs", "WARNING", None)]
    assert "job reconcile: rate_limited" in loud[0].getMessage()
    fake.faults.armed.clear()
    caplog.clear()
    due = jobs.next_run("reconcile")
    assert due is not None
    clock.set(due)
    with caplog.at_level(logging.INFO):
        await jobs.on_bar(due)
    assert [kind for kind, _m, _p in fake.faults.fired] == ["rate_limit"] * 4  # the next run went through
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_stopping_during_a_scan_logs_no_cancelled_error(  # type: ignore[no-untyped-def]
        fake, live_engine, caplog: pytest.LogCaptureFixture) -> None:
    """The scheduler's scan is waiting on the exchange when the bot stops: it is cancelled quietly."""
    fake.faults.inject("/fapi/v1/klines", "timeout", count=50)  # every candle request hangs
    engine = await live_engine(fake, start=False)
    with caplog.at_level(logging.DEBUG):
        await engine.start(run_feed=False, run_jobs=True)  # the first scan starts at once
        await until(lambda: any(kind == "timeout" for kind, _m, _p in fake.faults.fired), 30, "a scan in flight")
        await engine.stop()
        # the run has ended with stop(): nothing is left for the loop's end to cancel (and log)
        assert [t for t in asyncio.all_tasks() if "run_coroutine_job" in repr(t.get_coro())] == []
    noisy = [f"{r.name}: {r.getMessage()}" for r in caplog.records
             if r.exc_info or r.levelno >= logging.ERROR or "CancelledError" in r.getMessage()]
    assert noisy == []
