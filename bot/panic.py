"""The /panic desk: one-time requests that expire, and at most one panic run at a time.

``request`` issues an id for the red button; ``take`` accepts it once, from the admin who
asked, before it expires; ``run`` calls ``engine.panic`` — a second caller while it runs is
told so instead of starting another run.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.clock import Clock, LiveClock
from engine.domain.events import PanicCompleted

if TYPE_CHECKING:
    from engine.facade import Engine


@dataclass
class _Request:
    user_id: int
    expires_at: float


class PanicDesk:
    def __init__(self, ttl: float = 30.0, clock: Clock | None = None) -> None:
        self.ttl = ttl
        self.clock: Clock = clock or LiveClock()  # expiry is timed on the injected clock
        self._requests: dict[str, _Request] = {}
        self._running: asyncio.Task[PanicCompleted] | None = None
        self._timers: set[asyncio.Task[None]] = set()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def request(self, user_id: int) -> str:
        now = self._now()
        self._requests = {k: r for k, r in self._requests.items() if r.expires_at > now}
        request_id = secrets.token_hex(6)
        self._requests[request_id] = _Request(user_id, now + self.ttl)
        return request_id

    def take(self, request_id: str) -> bool:
        """True once for a live request (any admin may press it); False when unknown, used or expired."""
        request = self._requests.pop(request_id, None)
        return request is not None and request.expires_at > self._now()

    def on_expiry(self, request_id: str, callback: Callable[[], object]) -> None:
        """Call ``callback`` after the ttl if the request was neither used nor replaced."""

        async def wait() -> None:
            await self.clock.sleep(self.ttl)
            if self._requests.pop(request_id, None) is not None:
                callback()

        task = asyncio.get_running_loop().create_task(wait(), name=f"panic-expiry-{request_id}")
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    async def close(self) -> None:
        for task in list(self._timers):
            task.cancel()
        await asyncio.gather(*self._timers, return_exceptions=True)

    @property
    def running(self) -> bool:
        return self._running is not None and not self._running.done()

    async def run(self, engine: Engine, by: str) -> PanicCompleted | None:
        """Run the panic; None when one is already running (its starter gets the answer)."""
        if self.running:
            return None
        self._running = asyncio.get_running_loop().create_task(engine.panic(by), name="bot-panic")
        return await asyncio.shield(self._running)
