"""Analysis: what the scorer concluded about one symbol at one moment (before any trade plan)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.domain.models import FactorScore
from engine.domain.values import Side


@dataclass(frozen=True, slots=True)
class Analysis:
    """A scored direction for one symbol.

    ``score`` (0–100) is the conviction in ``side``; the ``contribution`` of every factor is in
    score points and they add up to the score, so a card can show why. Factors without enough
    history are present with ``available=False`` and a note.
    """

    symbol: str
    side: Side
    score: float
    factors: tuple[FactorScore, ...]
    price: float  # last close of the smallest timeframe
    atr_pct: float | None  # ATR as % of price, smallest timeframe
    atr: float | None  # absolute ATR, smallest timeframe
    adx: float | None  # ADX on the middle timeframe
    quote_volume: float
    timeframe: str  # the smallest timeframe
    ts: datetime  # open time of the last closed candle of the smallest timeframe

    def factor(self, name: str) -> FactorScore | None:
        return next((f for f in self.factors if f.name == name), None)

    def top_factors(self, n: int = 3) -> tuple[FactorScore, ...]:
        avail = [f for f in self.factors if f.available]
        return tuple(sorted(avail, key=lambda f: abs(f.contribution), reverse=True)[:n])
