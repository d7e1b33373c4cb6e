"""Process-wide counts of what the ccxt layer sent (read by ``engine.metrics``): REST requests by
(venue, method, endpoint path) and rate-limit answers by venue. Plain counters: no library here."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlsplit

REST_CALLS: Counter[tuple[str, str, str]] = Counter()
RATE_LIMITS: Counter[str] = Counter()


def count_requests(exchange: Any, venue: str) -> None:
    """Wrap ``exchange.fetch`` (every ccxt REST call goes through it) to count each request."""
    fetch = exchange.fetch

    async def counted(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        REST_CALLS[(venue, method.upper(), urlsplit(url).path or "/")] += 1
        return await fetch(url, method, headers, body)

    exchange.fetch = counted
