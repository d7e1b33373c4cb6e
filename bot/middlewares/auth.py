"""Every message and button press is checked against SP_TELEGRAM__ADMINS and SP_TELEGRAM__USERS.

Anyone else gets one short refusal (at most one message per ``cooldown`` seconds; a button
press is always answered) and no data; every attempt is logged. Handlers receive ``role``
and ``is_admin``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bot.access import Access, Role
from bot.presenters import actions

log = logging.getLogger("bot.auth")


class AuthMiddleware(BaseMiddleware):
    def __init__(self, access: Access, cooldown: float = 60.0) -> None:
        self.access = access
        self.cooldown = cooldown
        self._refused_at: dict[int, float] = {}

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        role = self.access.role(user.id if user else None)
        if role is None:
            await self._refuse(event, user)
            return None
        data["role"] = role
        data["is_admin"] = role is Role.ADMIN
        return await handler(event, data)

    async def _refuse(self, event: TelegramObject, user: User | None) -> None:
        uid = user.id if user else None
        what = "button" if isinstance(event, CallbackQuery) else "message"
        log.warning("refused %s from unauthorised user id=%s username=%s", what, uid,
                    user.username if user else None)
        if isinstance(event, CallbackQuery):
            await event.answer(actions.refusal(), show_alert=True)
            return
        if isinstance(event, Message) and uid is not None:
            now = time.monotonic()
            last = self._refused_at.get(uid)
            if last is not None and now - last < self.cooldown:
                return
            self._refused_at[uid] = now
            if len(self._refused_at) > 10_000:  # bounded memory against floods of strangers
                self._refused_at.clear()
            await event.answer(actions.refusal(uid))
