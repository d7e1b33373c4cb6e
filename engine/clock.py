"""Clocks: the engine takes time only from an injected clock (live or replayed)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class LiveClock:
    """Wall-clock time, aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock moved by its owner: replays, backtests and tests."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        when = when.astimezone(UTC)
        if when < self._now:
            raise ValueError("a clock never goes back")
        self._now = when

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)
