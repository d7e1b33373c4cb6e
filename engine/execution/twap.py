"""TWAP slices: ``total`` in ``slices`` market orders at the run's (jittered) even times
(``engine.domain.algos.slice_time``). Several slices due at once (a coarse backtest tick, a restart
after a while) all go, each under its own client id. The last slice takes what the others left
(a refused slice's quantity is not lost); an exit slice never exceeds what remains."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from engine.domain.algos import Algo, Progress, is_slice_of, slice_time
from engine.domain.models import MarketSpec, Order, Position, split_by_shares
from engine.domain.values import ONE, ZERO, floor_to_step


def slice_count(total: Decimal, wanted: int, market: MarketSpec, price: Decimal | None) -> int:
    """At most ``wanted`` slices, each at least the market's minimum quantity (and notional)."""
    smallest = max(market.min_qty, market.qty_step)
    if price is not None and price > 0 and market.min_notional > 0:
        smallest = max(smallest, market.min_notional / price)
    fits = int(total / smallest) if smallest > 0 else wanted
    return max(1, min(wanted, fits))


def quantities(algo: Algo, step: Decimal) -> list[Decimal]:
    """The planned quantity of every slice: even, floored to the lot step, the last takes the rest."""
    n = max(1, algo.slices)
    return split_by_shares(algo.total, [ONE / n] * n, step)


def due(algo: Algo, pos: Position, orders: list[Order], done: Progress, now: datetime,
        market: MarketSpec) -> tuple[list[Order], int]:
    """The slices due at ``now`` not sent yet, in order, and how many slices they account for (a
    slice with nothing left to do is counted, not sent)."""
    from engine.execution.algos import slice_order  # that module builds on this one

    planned = quantities(algo, market.qty_step)
    mine = [o for o in orders if is_slice_of(algo, o)]
    committed = sum((o.filled_qty if o.status.is_final else o.qty for o in mine), ZERO)
    room = pos.remaining - sum((o.qty - o.filled_qty for o in done.working), ZERO)  # an exit's ceiling
    placed: list[Order] = []
    counted = 0
    for index in range(algo.sent, algo.slices):
        if now < slice_time(algo, index):
            break
        counted += 1
        qty = planned[index]
        if index == algo.slices - 1:
            qty = algo.total - committed  # the rest: what refused or unfilled slices left too
        if not algo.entry:
            qty = min(qty, room)
        qty = floor_to_step(qty, market.qty_step)
        if qty > 0 and qty >= market.min_qty:
            placed.append(slice_order(algo, pos, index, qty, now))
            committed += qty
            room -= qty
    return placed, counted
