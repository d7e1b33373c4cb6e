"""A clock the test moves: ``sleep`` waits until the test has advanced time past its deadline.

The bot's timers (delivery pacing and backoff, panic expiry, throttling, the merge window) take it
through ``Options(clock=...)``, so a test moves time instead of sleeping and never asserts on
where wall-clock time landed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class StepClock:
    def __init__(self, start: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> None:
        self._now = start
        self._waiters: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._now

    def timestamp(self) -> float:
        return self._now.timestamp()

    @property
    def sleepers(self) -> int:
        return sum(1 for _, f in self._waiters if not f.done())

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self._now + timedelta(seconds=seconds), future)
        self._waiters.append(entry)
        try:
            await future
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        for deadline, future in list(self._waiters):
            if deadline <= self._now and not future.done():
                future.set_result(None)

    def next_deadline(self) -> datetime | None:
        pending = [d for d, f in self._waiters if not f.done()]
        return min(pending) if pending else None

    async def run_until(self, done: Callable[[], bool], *, step: float | None = None, limit: float = 3600.0,
                        timeout: float = 30.0) -> float:
        """Move time while ``done()`` is false: whenever something sleeps on this clock, jump to the
        first deadline (or by ``step``). Returns the clock seconds that passed. Real time is bounded
        by ``timeout`` only as a safety net."""
        start = self._now
        loop = asyncio.get_running_loop()
        give_up = loop.time() + timeout
        while not done():
            if loop.time() > give_up:
                raise AssertionError(f"not done after {timeout} s of real time")
            if (self._now - start).total_seconds() > limit:
                raise AssertionError(f"not done after {limit} s of clock time")
            deadline = self.next_deadline()
            if deadline is None:
                await asyncio.sleep(0.002)  # something is running (an HTTP call): let it finish
                continue
            if step is not None:
                self.advance(step)
            else:
                self.advance(max((deadline - self._now).total_seconds(), 1e-6))
            await asyncio.sleep(0)
        return (self._now - start).total_seconds()

    async def pass_time(self, seconds: float, *, settle: float = 0.05) -> None:
        """Let ``seconds`` pass on this clock, waking each sleeper at its deadline on the way; when
        nothing is due, give running work ``settle`` real seconds to reach its next wait."""
        end = self._now + timedelta(seconds=seconds)
        loop = asyncio.get_running_loop()
        while self._now < end:
            quiet_until = loop.time() + settle
            deadline = self.next_deadline()
            while (deadline is None or deadline > end) and loop.time() < quiet_until:
                await asyncio.sleep(0.002)
                deadline = self.next_deadline()
            target = deadline if deadline is not None and deadline <= end else end
            self.advance(max((target - self._now).total_seconds(), 1e-6))
            await asyncio.sleep(0)
