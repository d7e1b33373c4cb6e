"""Iceberg slices: one visible limit order of ``visible`` at the run's price at a time; once it has
filled (or was cancelled on the venue), the next one shows what is left, until ``total`` is done.
A rest below the market's minimum (quantity or notional) goes with the slice before it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from engine.domain.algos import Algo, Progress
from engine.domain.models import MarketSpec, Order, Position
from engine.domain.values import HUNDRED, floor_to_step


def smallest(market: MarketSpec, price: Decimal | None) -> Decimal:
    """The least quantity one order may have: the minimum quantity, lot step and notional."""
    least = max(market.min_qty, market.qty_step)
    if price is not None and price > 0 and market.min_notional > 0:
        least = max(least, market.min_notional / price)
    return least


def visible_qty(total: Decimal, visible_pct: Decimal, market: MarketSpec, price: Decimal | None = None) -> Decimal:
    """The shown quantity: ``visible_pct`` % of the order, at least the market's minimum."""
    shown = floor_to_step(total * min(visible_pct, HUNDRED) / HUNDRED, market.qty_step)
    least = smallest(market, price)
    if shown < least:
        shown = floor_to_step(least, market.qty_step)
        shown = shown if shown >= least else shown + market.qty_step
    return min(total, shown)


def refill(algo: Algo, pos: Position, done: Progress, now: datetime, market: MarketSpec) -> Order | None:
    """The next visible slice, when none is working and something is left; None otherwise."""
    from engine.execution.algos import slice_order  # that module builds on this one

    if done.working:
        return None
    left = algo.total - done.filled
    if not algo.entry:
        left = min(left, pos.remaining)
    left = floor_to_step(left, market.qty_step)
    if left <= 0 or left < market.min_qty:
        return None
    qty = min(algo.visible, left)
    if left - qty < smallest(market, algo.price):
        qty = left
    return slice_order(algo, pos, algo.sent, qty, now)


def count(total: Decimal, visible: Decimal, market: MarketSpec, price: Decimal | None) -> int:
    """How many parts ``total`` is shown in (a last part below the minimum goes with the one before)."""
    if visible <= 0:
        return 1
    parts = int(total // visible)
    rest = total - parts * visible
    return max(1, parts + (1 if rest > 0 and rest >= smallest(market, price) else 0))
