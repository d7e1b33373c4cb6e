"""The MarketData protocol and its value types (candles as numpy arrays, price ticks)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import numpy as np

from engine.domain.models import MarketSpec


@dataclass(frozen=True, slots=True)
class Candles:
    """Closed candles, oldest first; ``ts`` is each candle's open time in ms UTC."""

    ts: np.ndarray  # int64
    open: np.ndarray  # float64
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def tail(self, n: int) -> Candles:
        return Candles(self.ts[-n:], self.open[-n:], self.high[-n:], self.low[-n:], self.close[-n:],
                       self.volume[-n:])

    @staticmethod
    def empty() -> Candles:
        f = np.empty(0, dtype=np.float64)
        return Candles(np.empty(0, dtype=np.int64), f, f, f, f, f)


@dataclass(frozen=True, slots=True)
class PriceTick:
    symbol: str
    price: Decimal
    ts: datetime


TickHandler = Callable[[PriceTick], Awaitable[None]]


class MarketData(Protocol):
    """Where candles and prices come from: replayed CSV files or a live exchange."""

    async def symbols(self) -> list[str]:
        """The tradable universe (before the scanner's own filter)."""
        ...

    async def market(self, symbol: str) -> MarketSpec: ...

    async def candles(self, symbol: str, timeframe: str, limit: int) -> Candles:
        """The last ``limit`` closed candles at the clock's now."""
        ...

    async def price(self, symbol: str) -> Decimal | None:
        """Last traded price at the clock's now (None when unknown)."""
        ...

    async def quote_volume(self, symbol: str) -> float:
        """Quote volume over the last 24 h."""
        ...

    async def funding_rate(self, symbol: str) -> float | None:
        """The current funding rate, or None where the data has none."""
        ...

    async def run(self, on_tick: TickHandler) -> None:
        """Stream prices to ``on_tick`` until cancelled (a replay advances its clock)."""
        ...

    async def close(self) -> None: ...
