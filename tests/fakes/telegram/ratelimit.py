"""Opt-in flood control like Telegram's: too many messages to one chat, to a group, or overall → 429.

Telegram asks bots to stay under about one message per second in a chat, 20 per minute in a group
and 30 per second overall, and answers "Too Many Requests: retry after N" beyond that. Enabled with
`FakeTelegram.rate_limit(...)`, so a notifier test can assert its queue never trips it.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from .records import ApiError

Limit = tuple[int, float]  # (messages, per seconds)
LIMITED_PREFIXES = ("send", "edit", "copy", "forward")


class RateLimiter:
    def __init__(self, per_chat: Limit | None, per_group: Limit | None, overall: Limit | None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._per_chat = per_chat
        self._per_group = per_group
        self._overall = overall
        self._clock = clock
        self._hits: dict[object, deque[float]] = {}

    def check(self, method: str, chat_id: object) -> ApiError | None:
        """Count one outgoing message, or return the 429 Telegram would give instead."""
        if not method.lower().startswith(LIMITED_PREFIXES) or method == "sendChatAction" or chat_id is None:
            return None
        is_group = str(chat_id).startswith("-")
        rules = [(("chat", str(chat_id)), self._per_group if is_group else self._per_chat), (("all",), self._overall)]
        now = self._clock()
        for key, limit in rules:
            if limit is None:
                continue
            count, window = limit
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= count:
                retry_after = max(1, math.ceil(hits[0] + window - now))
                return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        for key, limit in rules:
            if limit is not None:
                self._hits[key].append(now)
        return None
