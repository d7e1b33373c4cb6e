"""Scheduled jobs: APScheduler's AsyncIOScheduler on a live clock; on a replay clock the same jobs
fire when the replayed time crosses their due time (checked at every closed bar).

A failed run is logged and the job runs again at its next time: a venue error (rate limit,
network, a refused request: the ``BrokerError`` family, expected and mapped) is one WARNING line;
a ``quiet`` failure (see engine.tasks) one ERROR line; anything else an ERROR with its traceback.
``stop()`` ends the scheduler and the runs in flight (a scan cancelled at shutdown is not an error).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from engine.brokers.errors import BrokerError
from engine.clock import Clock
from engine.tasks import quiet

log = logging.getLogger("engine.jobs")

JobFunc = Callable[[], Awaitable[object]]


@dataclass
class _ReplayJob:
    func: JobFunc
    every: timedelta
    due: datetime


class Jobs:
    def __init__(self, clock: Clock, *, replay: bool) -> None:
        self.clock = clock
        self.replay = replay
        self._replay_jobs: dict[str, _ReplayJob] = {}
        self._scheduler: AsyncIOScheduler | None = None if replay else AsyncIOScheduler(timezone=UTC)
        self._running: set[str] = set()
        self._in_flight: dict[str, asyncio.Task[Any]] = {}  # scheduler runs, cancelled by stop()
        self._paused = False

    def add(self, name: str, func: JobFunc, minutes: float, *, run_now: bool = False) -> None:
        every = timedelta(minutes=minutes)
        first = self.clock.now() if run_now else self.clock.now() + every
        if self._scheduler is None:
            self._replay_jobs[name] = _ReplayJob(func, every, first)
            return
        self._scheduler.add_job(self._guarded(name, func, own_task=True), "interval", minutes=minutes, id=name,
                                replace_existing=True, next_run_time=first, max_instances=1, coalesce=True,
                                misfire_grace_time=60)

    def reschedule(self, name: str, minutes: float) -> None:
        every = timedelta(minutes=minutes)
        if self._scheduler is None:
            job = self._replay_jobs.get(name)
            if job is not None:
                job.every = every
                job.due = self.clock.now() + every
            return
        if self._scheduler.get_job(name) is not None:
            self._scheduler.reschedule_job(name, trigger="interval", minutes=minutes)

    def next_run(self, name: str) -> datetime | None:
        if self._scheduler is None:
            job = self._replay_jobs.get(name)
            return job.due if job else None
        job = self._scheduler.get_job(name)
        return job.next_run_time if job is not None else None

    def _guarded(self, name: str, func: JobFunc, *, own_task: bool = False) -> JobFunc:
        """``own_task``: the run is a task of its own (the scheduler's), so a cancellation ends only
        this run and is swallowed; a replay run is part of the feed, whose cancellation goes on up."""

        async def run() -> None:
            if name in self._running or self._paused:
                return
            self._running.add(name)
            task = asyncio.current_task()
            if own_task and task is not None:
                self._in_flight[name] = task
            try:
                await func()
            except asyncio.CancelledError:
                if not own_task:
                    raise
                log.debug("job %s cancelled", name)
            except BrokerError as exc:
                log.warning("job %s: %s: %s (next run at %s)", name, exc.code, exc, _when(self.next_run(name)))
            except Exception as exc:
                if quiet(exc):
                    log.error("job %s failed: %s", name, exc)
                else:
                    log.exception("job %s failed", name)
            finally:
                self._running.discard(name)
                if self._in_flight.get(name) is task:
                    del self._in_flight[name]

        return run

    async def on_bar(self, now: datetime) -> None:
        """Replay clock only: run every job whose due time has come."""
        for name, job in list(self._replay_jobs.items()):
            if now >= job.due:
                while job.due <= now:
                    job.due += job.every
                await self._guarded(name, job.func)()

    def start(self) -> None:
        if self._scheduler is not None and not self._scheduler.running:
            self._scheduler.start()

    def pause(self) -> None:
        """No new run starts (runs in flight go on until ``stop``)."""
        self._paused = True

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def stop(self) -> None:
        """Shut the scheduler down and cancel the runs in flight, waiting until they have ended."""
        self.pause()
        self.shutdown()
        current = asyncio.current_task()
        runs = [t for t in self._in_flight.values() if t is not current and not t.done()]
        for task in runs:
            task.cancel()
        if runs:
            await asyncio.gather(*runs, return_exceptions=True)


def _when(at: datetime | None) -> str:
    return at.strftime("%H:%M:%S UTC") if at is not None else "-"
