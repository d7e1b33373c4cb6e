"""Scheduled jobs: APScheduler's AsyncIOScheduler on a live clock; on a replay clock the same jobs
fire when the replayed time crosses their due time (checked at every closed bar)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from engine.clock import Clock

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

    def add(self, name: str, func: JobFunc, minutes: float, *, run_now: bool = False) -> None:
        every = timedelta(minutes=minutes)
        first = self.clock.now() if run_now else self.clock.now() + every
        if self._scheduler is None:
            self._replay_jobs[name] = _ReplayJob(func, every, first)
            return
        self._scheduler.add_job(self._guarded(name, func), "interval", minutes=minutes, id=name,
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

    def _guarded(self, name: str, func: JobFunc) -> JobFunc:
        async def run() -> None:
            if name in self._running:
                return
            self._running.add(name)
            try:
                await func()
            except Exception:
                log.exception("job %s failed", name)
            finally:
                self._running.discard(name)

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

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
