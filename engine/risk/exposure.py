"""Exposure caps: total notional and notional per coin as % of equity, and a correlation cap.

Notional is counted at entry price (the quantity still held, or the planned quantity of an entry
not filled yet), so the check needs no price feed. The correlation of two markets is the Pearson
correlation of their hourly log returns over the last N days, on the timestamps both have, from
candles the market source already holds (``MarketData.candles``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from engine.domain.models import Position
from engine.domain.reasons import RejectReason
from engine.domain.values import HUNDRED, ZERO
from engine.market.base import Candles, MarketData

MIN_OVERLAP = 24  # hourly returns both markets must share before a correlation counts
CORRELATION_TIMEFRAME = "1h"


def base_coin(symbol: str) -> str:
    """``ETH`` for ``ETH/USDT:USDT``, ``ETH/BTC`` or ``ETHUSDT``-less forms with a slash."""
    return symbol.split("/")[0].split(":")[0].upper()


def open_notional(pos: Position) -> Decimal:
    held = pos.remaining if pos.remaining > 0 else pos.qty
    return held * pos.entry_price


@dataclass(frozen=True)
class ExposureLimit:
    """The most the new entry may add (quote currency), or a refusal."""

    room: Decimal | None  # None: no cap applies
    reason: RejectReason | None = None  # a refusal: nothing is left
    binding: RejectReason | None = None  # which cap ``room`` comes from
    detail: Mapping[str, str] | None = None


def exposure_room(symbol: str, positions: list[Position], equity: Decimal, total_pct: Decimal,
                  coin_pct: Decimal) -> ExposureLimit:
    """How much notional the caps leave for an entry on ``symbol``; a refusal when nothing is left."""
    room: Decimal | None = None
    binding: RejectReason | None = None
    if total_pct > 0:
        used = sum((open_notional(p) for p in positions), ZERO)
        left = equity * total_pct / HUNDRED - used
        if left <= 0:
            return ExposureLimit(None, RejectReason.EXPOSURE_TOTAL, detail=
                                 {"limit_pct": str(total_pct), "used": str(round(used, 2))})
        room, binding = left, RejectReason.EXPOSURE_TOTAL
    if coin_pct > 0:
        coin = base_coin(symbol)
        used = sum((open_notional(p) for p in positions if base_coin(p.symbol) == coin), ZERO)
        left = equity * coin_pct / HUNDRED - used
        if left <= 0:
            return ExposureLimit(None, RejectReason.EXPOSURE_COIN, detail=
                                 {"coin": coin, "limit_pct": str(coin_pct), "used": str(round(used, 2))})
        if room is None or left < room:
            room, binding = left, RejectReason.EXPOSURE_COIN
    return ExposureLimit(room, binding=binding)


def log_returns(candles: Candles) -> dict[int, float]:
    """Close-to-close log returns keyed by the later candle's open time."""
    if len(candles) < 2:
        return {}
    close = candles.close.astype(np.float64)
    valid = (close[1:] > 0) & (close[:-1] > 0)
    rets = np.zeros(len(close) - 1)
    rets[valid] = np.log(close[1:][valid] / close[:-1][valid])
    return {int(t): float(r) for t, r, ok in zip(candles.ts[1:], rets, valid, strict=True) if ok}


def correlation(a: Candles, b: Candles) -> float | None:
    """Pearson correlation of two markets' returns on shared timestamps; None when too few or flat."""
    ra, rb = log_returns(a), log_returns(b)
    shared = sorted(set(ra) & set(rb))
    if len(shared) < MIN_OVERLAP:
        return None
    xa = np.array([ra[t] for t in shared])
    xb = np.array([rb[t] for t in shared])
    if float(np.std(xa)) == 0.0 or float(np.std(xb)) == 0.0:
        return None
    return float(np.corrcoef(xa, xb)[0, 1])


def correlated_with(new: Candles, others: Mapping[str, Candles], limit: float) -> tuple[str, float] | None:
    """The first open market (by name) whose returns correlate above ``limit`` with the new one's."""
    if limit <= 0:
        return None
    for symbol in sorted(others):
        value = correlation(new, others[symbol])
        if value is not None and value > limit:
            return symbol, value
    return None


async def find_correlated(market: MarketData, symbol: str, positions: list[Position], limit: float,
                          days: int) -> tuple[str, float] | None:
    """Look up hourly candles of ``symbol`` and of each open position's market; the first open market
    correlating above ``limit`` (with its correlation), or None. Off when ``limit`` is 0."""
    others = sorted({p.symbol for p in positions if p.symbol != symbol})
    if limit <= 0 or not others:
        return None
    count = days * 24 + 1
    new = await market.candles(symbol, CORRELATION_TIMEFRAME, count)
    held = {s: await market.candles(s, CORRELATION_TIMEFRAME, count) for s in others}
    return correlated_with(new, held, limit)
