"""Calling ccxt with the engine's retry policy.

* network errors, timeouts, DDoS protection and rate limits: retried with exponential backoff
  (``Retry-After`` honoured) — except order creation, which is never retried;
* timestamp errors (-1021): the clock offset is reloaded (``load_time_difference``) and the call
  is retried once; this is safe even for order creation, because the venue rejected the request;
* everything else is raised as the mapped engine error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from engine.brokers.ccxt.errors import map_errors
from engine.brokers.errors import NetworkError, RateLimited, TimestampError, UnknownOutcome
from engine.clock import Clock

T = TypeVar("T")
log = logging.getLogger("engine.brokers.ccxt")


class Caller:
    """Runs ccxt coroutines through ``map_errors`` with retries and clock resync."""

    def __init__(self, exchange: Any, clock: Clock, *, attempts: int = 4, base_delay: float = 0.25,
                 max_delay: float = 8.0, max_wait: float = 60.0) -> None:
        self.exchange = exchange
        self.clock = clock
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_wait = max_wait  # longest Retry-After honoured before giving up the wait
        self.requests = 0  # REST calls started through this caller (for budgets and tests)
        self.resyncs = 0

    def _headers(self) -> Any:
        return getattr(self.exchange, "last_response_headers", None)

    async def resync_clock(self) -> None:
        """Measure the venue's clock offset and sign every later request with it."""
        with map_errors("time sync"):
            self.requests += 1
            await self.exchange.load_time_difference()
        self.exchange.options["adjustForTimeDifference"] = True
        self.resyncs += 1
        log.warning("venue clock offset %s ms: requests now signed with the venue's time",
                    self.exchange.options.get("timeDifference"))

    async def __call__(self, action: str, fn: Callable[..., Awaitable[T]], *args: Any,
                       creating: bool = False, retry: bool = True, **kwargs: Any) -> T:
        resynced = False
        attempt = 0
        while True:
            attempt += 1
            try:
                with map_errors(action, creating=creating, headers=self._headers):
                    self.requests += 1
                    return await fn(*args, **kwargs)
            except TimestampError:
                if resynced:
                    raise
                resynced = True
                await self.resync_clock()
            except UnknownOutcome:
                if creating:
                    raise
                if not retry or attempt >= self.attempts:
                    raise
                await self.clock.sleep(self._delay(attempt, None))
            except NetworkError as exc:
                if creating or not retry or attempt >= self.attempts:
                    raise
                retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
                delay = self._delay(attempt, retry_after)
                log.info("%s: %s; retry %d in %.2fs", action, exc.code, attempt, delay)
                await self.clock.sleep(delay)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_wait)
        return min(self.base_delay * (2 ** (attempt - 1)), self.max_delay)
