"""Fault injection and the per-minute request budget.

``Faults.inject(target, kind, count)`` arms ``count`` faults for requests matching ``target``:
``"*"`` (every REST request), ``"POST /fapi/v1/order"`` (method and path), ``"/fapi/v1/order"``
(any method) or a bare endpoint name such as ``"algoOrder"`` (path suffix). Kinds:

- ``timeout``: hold the reply past the client's timeout; the request IS applied first
  (``apply=False`` holds without applying it: a request lost on the way);
- ``error500`` / ``error503``: a 5xx reply; NOT applied unless ``apply=True`` (Binance says a
  5xx leaves the outcome unknown, so both are worth testing);
- ``rate_limit``: 429 with ``Retry-After`` and code -1003, not applied.

``fault_rate`` adds random faults (kinds from ``fault_kinds``) drawn from a seeded RNG.
``Budget`` keeps a sliding 60-second window of request weights for ``X-MBX-USED-WEIGHT-1M`` and
of request counts for the configured per-minute budget.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass

KINDS = ("timeout", "error500", "error503", "rate_limit", "drop_ws")
DEFAULT_APPLY = {"timeout": True, "error500": False, "error503": False, "rate_limit": False}

# Approximate Binance USDⓈ-M request weights (with a symbol where one is optional).
WEIGHTS = {
    "/fapi/v1/exchangeInfo": 1, "/fapi/v1/klines": 5, "/fapi/v1/depth": 5, "/fapi/v1/ticker/24hr": 1,
    "/fapi/v1/ticker/price": 1, "/fapi/v2/ticker/price": 1, "/fapi/v1/premiumIndex": 1,
    "/fapi/v1/allOrders": 5, "/fapi/v2/positionRisk": 5, "/fapi/v3/positionRisk": 5,
    "/fapi/v2/account": 5, "/fapi/v3/account": 5, "/fapi/v2/balance": 5, "/fapi/v3/balance": 5,
    "/fapi/v1/userTrades": 5, "/fapi/v1/income": 30, "/fapi/v1/allAlgoOrders": 5,
}
NO_SYMBOL_WEIGHTS = {"/fapi/v1/openOrders": 40, "/fapi/v1/openAlgoOrders": 40, "/fapi/v1/ticker/24hr": 40}


def weight_of(path: str, params: dict) -> int:
    if "symbol" not in params and path in NO_SYMBOL_WEIGHTS:
        return NO_SYMBOL_WEIGHTS[path]
    return WEIGHTS.get(path, 1)


@dataclass
class Fault:
    target: str
    kind: str
    remaining: int
    apply: bool

    def matches(self, method: str, path: str) -> bool:
        t = self.target
        if t == "*":
            return True
        if " " in t:
            m, p = t.split(" ", 1)
            return m.upper() == method and p == path
        if t.startswith("/"):
            return t == path
        return path.endswith("/" + t)


class Faults:
    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)
        self.armed: list[Fault] = []
        self.fault_rate = 0.0
        self.fault_kinds: tuple[str, ...] = ("error500", "rate_limit", "timeout")
        self.fired: list[tuple[str, str, str]] = []   # (kind, method, path)

    def inject(self, target: str, kind: str, count: int = 1, apply: bool | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
        self.armed.append(Fault(target, kind, count, DEFAULT_APPLY.get(kind, False) if apply is None else apply))

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self.armed:
            if fault.remaining > 0 and fault.kind != "drop_ws" and fault.matches(method, path):
                fault.remaining -= 1
                self.fired.append((fault.kind, method, path))
                return fault
        if self.fault_rate and self.rng.random() < self.fault_rate:
            kind = self.rng.choice(self.fault_kinds)
            self.fired.append((kind, method, path))
            return Fault("*", kind, 0, DEFAULT_APPLY.get(kind, False))
        return None


class Budget:
    """Sliding one-minute windows of request counts and weights."""

    def __init__(self, requests_per_minute: int | None):
        self.requests_per_minute = requests_per_minute
        self._window: deque[tuple[int, int]] = deque()   # (time ms, weight)

    def _trim(self, now: int) -> None:
        while self._window and self._window[0][0] <= now - 60_000:
            self._window.popleft()

    def retry_after(self, now: int) -> int | None:
        """Seconds to wait when the budget is spent, else None."""
        self._trim(now)
        if self.requests_per_minute is None or len(self._window) < self.requests_per_minute:
            return None
        oldest = self._window[0][0]
        return max(1, math.ceil((oldest + 60_000 - now) / 1000))

    def spend(self, now: int, weight: int) -> None:
        self._window.append((now, weight))

    def used_weight(self, now: int) -> int:
        self._trim(now)
        return sum(w for _, w in self._window)

    def used_requests(self, now: int) -> int:
        self._trim(now)
        return len(self._window)
