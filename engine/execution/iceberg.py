"""Iceberg slices: one visible limit order of ``visible`` at the run's price at a time; once it has
filled (or was cancelled on the venue), the next one shows what is left, until ``total`` is done.
A rest below the market's minimum goes with the slice before it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from engine.domain.algos import Algo, Progress
from engine.domain.models import MarketSpec, Order, Position
from engine.domain.values import HUNDRED, floor_to_step


def visible_qty(total: Decimal, visible_pct: Decimal, market: MarketSpec) -> Decimal:
    """The shown quantity: ``visible_pct`` % of the order, at least the market's minimum."""
    shown = floor_to_step(total * min(visible_pct, HUNDRED) / HUNDRED, market.qty_step)
    return min(total, max(shown, market.min_qty, market.qty_step))


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
    if left - qty < max(market.min_qty, market.qty_step):
        qty = left
    return slice_order(algo, pos, algo.sent, qty, now)
