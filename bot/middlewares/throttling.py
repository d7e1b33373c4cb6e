"""Per-user rate limit: at most ``limit`` updates per ``period`` seconds. The first update over
the limit gets one "slow down" answer; further ones are ignored until the window frees up.
Button presses are always answered (Telegram shows a spinner otherwise)."""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bot.presenters import actions
from engine.clock import Clock, LiveClock


class ThrottlingMiddleware(BaseMiddleware):
    def __init__(self, limit: int = 10, period: float = 10.0, clock: Clock | None = None) -> None:
        self.limit = limit
        self.period = period
        self.clock: Clock = clock or LiveClock()  # the window is measured on the injected clock
        self._hits: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        now = self.clock.now().timestamp()
        hits = self._hits.setdefault(user.id, deque())
        while hits and hits[0] <= now - self.period:
            hits.popleft()
        if len(hits) >= self.limit:
            if isinstance(event, CallbackQuery):
                await event.answer(actions.slow_down())
            elif isinstance(event, Message) and user.id not in self._warned:
                self._warned.add(user.id)
                await event.answer(actions.slow_down())
            return None
        hits.append(now)
        self._warned.discard(user.id)
        return await handler(event, data)
