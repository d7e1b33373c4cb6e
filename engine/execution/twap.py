"""TWAP slices: ``total`` in ``slices`` orders at the run's (jittered) even times
(``engine.domain.algos.slice_time``): market orders, or marketable limits ``limit_pct`` % beyond the
tick's price, whose unfilled rest is cancelled once the next slice is due (``stale``). Several slices
due at once (a coarse backtest tick, a restart after a while) all go, each under its own client id.
The last slice takes what the others left (a refused or cancelled slice's quantity is not lost); an
exit slice never exceeds what remains."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from engine.domain.algos import Algo, Progress, is_slice_of, slice_time
from engine.domain.models import MarketSpec, Order, OrderStatus, OrderType, Position, split_by_shares
from engine.domain.values import HUNDRED, ONE, ZERO, OrderAction, floor_to_step, price_toward


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


def stale(algo: Algo, done: Progress, now: datetime) -> list[Order]:
    """Working limit slices to cancel now: the next slice is due, or the run's time (plus one
    interval) is over. Market slices are never cancelled (they fill)."""
    limits = [o for o in done.working if o.type is OrderType.LIMIT and o.status is not OrderStatus.NEW]
    if not limits:
        return []
    if algo.sent < algo.slices and now >= slice_time(algo, algo.sent):
        return limits
    interval = timedelta(seconds=algo.duration_s / max(1, algo.slices))
    return limits if algo.sent >= algo.slices and now >= algo.start + timedelta(seconds=algo.duration_s) + interval \
        else []


def limit_price(algo: Algo, action: OrderAction, price: Decimal, market: MarketSpec) -> Decimal:
    """A marketable limit ``limit_pct`` % beyond ``price``: above it to buy, below it to sell."""
    buy = action is OrderAction.BUY
    shift = price * algo.limit_pct / HUNDRED
    return price_toward(price + shift if buy else price - shift, market.price_step, up=buy)


def due(algo: Algo, pos: Position, orders: list[Order], done: Progress, now: datetime,
        market: MarketSpec, price: Decimal | None = None, cancelled: list[Order] | None = None,
        ) -> tuple[list[Order], int]:
    """The slices due at ``now`` not sent yet, in order, and how many slices they account for (a
    slice with nothing left to do is counted, not sent). ``cancelled``: working slices cancelled in
    the same step (only what they filled counts)."""
    from engine.execution.algos import slice_order  # that module builds on this one

    planned = quantities(algo, market.qty_step)
    mine = [o for o in orders if is_slice_of(algo, o)]
    going = {o.client_id for o in cancelled or ()}
    committed = sum((o.filled_qty if o.status.is_final or o.client_id in going else o.qty for o in mine), ZERO)
    room = pos.remaining - sum((o.qty - o.filled_qty for o in done.working if o.client_id not in going), ZERO)
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
            action = pos.side.entry_action if algo.entry else pos.side.exit_action
            limit = limit_price(algo, action, price, market) if algo.limit_pct > 0 and price is not None else None
            placed.append(slice_order(algo, pos, index, qty, now, limit))
            committed += qty
            room -= qty
    return placed, counted
