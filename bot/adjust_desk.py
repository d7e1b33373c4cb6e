"""Changes to open positions waiting for their second tap: one-time requests that expire.

A command (or an alert-thread button) is checked by the engine first, then kept here under a random
id that goes into the confirm button; ``take`` hands it back once, before it expires. Buttons carry
the id only: amounts and prices stay here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from engine.facade import Clock, LiveClock


@dataclass(frozen=True)
class AdjustRequest:
    kind: str  # close_part, stop, be, tp, add
    position_id: str
    pct: Decimal | None = None
    qty: Decimal | None = None
    price: Decimal | None = None
    n: int = 0
    loosen: bool = False  # the prompt warned that the stop loosens
    algo: str | None = None  # a close in slices: twap or iceberg


class AdjustDesk:
    def __init__(self, ttl: float = 120.0, clock: Clock | None = None) -> None:
        self.ttl = ttl
        self.clock: Clock = clock or LiveClock()
        self._requests: dict[str, tuple[AdjustRequest, float]] = {}

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def request(self, request: AdjustRequest) -> str:
        now = self._now()
        self._requests = {k: v for k, v in self._requests.items() if v[1] > now}
        request_id = secrets.token_hex(6)
        self._requests[request_id] = (request, now + self.ttl)
        return request_id

    def take(self, request_id: str) -> AdjustRequest | None:
        """The request, once, while it is live; None when unknown, used or expired."""
        found = self._requests.pop(request_id, None)
        if found is None or found[1] <= self._now():
            return None
        return found[0]
