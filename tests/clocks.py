"""``SteppedClock``: a clock the test moves. ``sleep`` of at least ``hold`` seconds waits until the
test advances time past its end; shorter sleeps (retries inside one request) only yield.

``await clock.sleeper("venue-reconnect")`` waits until that task sleeps and returns how long it
asked for; ``clock.advance(seconds)`` moves time and wakes the sleepers that are due.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class _Sleeper:
    task: str
    seconds: float
    due: datetime
    future: asyncio.Future[None]


class SteppedClock:
    def __init__(self, start: datetime, hold: float = 1.5) -> None:
        self._now = start
        self.hold = hold
        self.sleeps: list[tuple[str, float]] = []  # (task name, seconds) of every held sleep, in order
        self._sleepers: list[_Sleeper] = []
        self._changed = asyncio.Condition()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds < self.hold:
            await asyncio.sleep(0)
            return
        task = asyncio.current_task()
        name = task.get_name() if task is not None else "?"
        sleeper = _Sleeper(name, seconds, self._now + timedelta(seconds=seconds),
                           asyncio.get_running_loop().create_future())
        self._sleepers.append(sleeper)
        self.sleeps.append((name, seconds))
        async with self._changed:
            self._changed.notify_all()
        try:
            await sleeper.future
        finally:
            self._sleepers.remove(sleeper)

    async def sleeper(self, task: str, timeout: float = 20.0) -> float:
        """The seconds of ``task``'s pending held sleep, once it sleeps."""

        def pending() -> _Sleeper | None:
            return next((s for s in self._sleepers if s.task == task and not s.future.done()), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: pending() is not None), timeout)
        found = pending()
        assert found is not None
        return found.seconds

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        for sleeper in list(self._sleepers):
            if sleeper.due <= self._now and not sleeper.future.done():
                sleeper.future.set_result(None)
