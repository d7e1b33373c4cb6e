"""Is a position already over on the venue? Asked before a stop is moved and before an exit's
refusal is reported, so that fills racing each other raise no false alarm.

When TP1 and TP2 (or TP1 and the stop) fill within one polling interval, TP1's fill asks for a
stop at breakeven on a position the venue has already closed: the stop would be refused (or
would rest on nothing), its fallback close refused too, and two alarms would go out for a trade
that simply ended. ``already_flat`` says so first, in the cheapest order:

1. fills of the position already queued in the manager's inbox cover what remains;
2. the venue reports no position on the symbol: the fills of the position's working orders are
   fetched and queued (they close it through the normal path, with their events), and True.

A venue that cannot answer counts as "not flat": then the protective order is placed as usual.

``earlier_fills_first``: one poll may bring the stop's fill before the TP1 fill that preceded it
on the venue (the stop then closed only what TP1 left). A stop or close fill that leaves part of
the position open makes the same check, and waits behind the fills that came before it, so the
position ends as it did on the venue (TP1, then the stop) with the events in that order.

Called with the manager's lock held; these only read and queue, they never execute a transition.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.brokers.errors import BrokerError
from engine.domain.models import ENTRY_LEGS, Fill, Leg, Order, Position, PositionState, position_id_of
from engine.domain.values import ZERO

if TYPE_CHECKING:
    from engine.positions.manager import PositionManager

log = logging.getLogger("engine.positions")


def queued_exit_qty(mgr: PositionManager, pos: Position) -> tuple[int, Decimal]:
    """(number, total quantity) of exit fills of ``pos`` waiting in the manager's inbox."""
    fills = [f for f in mgr.queued_fills() if f.action is pos.side.exit_action and (
        position_id_of(f.client_id) == pos.id or (f.client_id.startswith("liq-") and f.symbol == pos.symbol))]
    return len(fills), sum((f.qty for f in fills), ZERO)


async def already_flat(mgr: PositionManager, pos: Position, *, skip: str | None = None) -> bool:
    """True when nothing of ``pos`` is left on the venue (see the module docstring); ``skip``: the
    client id of the order whose fill is being applied (its fills need no look-up)."""
    count, qty = queued_exit_qty(mgr, pos)
    if count and qty >= pos.remaining:
        log.info("position %s: queued fills close what remains; no protective order", pos.id)
        return True
    try:
        held = await venue_holds(mgr, pos.symbol)
    except BrokerError as exc:
        log.warning("position of %s not available (%s): placing the protective order", pos.symbol, exc)
        return False
    if held:
        return False
    log.info("position %s is flat on the venue: fetching its orders' fills instead of protecting it", pos.id)
    await _queue_fills(mgr, pos, [o for o in mgr.orders_of(pos.id) if not o.status.is_final and o.client_id != skip])
    return True


async def earlier_fills_first(mgr: PositionManager, pos: Position, order: Order | None, fill: Fill) -> bool:
    """True when ``fill`` (a stop's or a close's, leaving part of ``pos`` open) must wait behind
    fills of the same position that came before it on the venue (queued, or fetched now because
    the venue is flat)."""
    if order is None or order.leg in ENTRY_LEGS or order.leg.startswith(Leg.TARGET.value) \
            or pos.state is not PositionState.OPEN or fill.qty >= pos.remaining:
        return False
    key = venue_order(fill)
    if any(venue_order(f) < key for f in _queued(mgr, pos)):
        return True
    targets = [o for o in mgr.orders_of(pos.id) if not o.status.is_final and o.leg.startswith(Leg.TARGET.value)]
    if not targets:
        return False  # nothing that could have filled before it (a stop filled in several trades, say)
    try:
        if await venue_holds(mgr, pos.symbol):
            return False
    except BrokerError:
        return False
    await _queue_fills(mgr, pos, targets)
    return any(venue_order(f) < key for f in _queued(mgr, pos))  # fetched now, or delivered meanwhile


async def venue_holds(mgr: PositionManager, symbol: str) -> bool:
    """Whether the venue holds a position on ``symbol`` (asked for that symbol alone when it can be)."""
    one = getattr(mgr.broker, "position", None)
    if one is not None:
        held = await one(symbol)
        return held is not None and held.qty > 0
    return any(p.symbol == symbol and p.qty > 0 for p in await mgr.broker.positions())


def venue_order(fill: Fill) -> tuple[datetime, str, int]:
    """Sort key: the venue's time, then its trade id (``BTC/USDT:USDT#123``, ``p45``: the number
    grows with each trade), for fills of one millisecond."""
    head = fill.trade_id.rstrip("0123456789")
    tail = fill.trade_id[len(head):]
    return fill.ts, head, int(tail) if tail else -1


def _queued(mgr: PositionManager, pos: Position) -> list[Fill]:
    return [f for f in mgr.queued_fills() if position_id_of(f.client_id) == pos.id]


async def _queue_fills(mgr: PositionManager, pos: Position, orders: list[Order]) -> list[Fill]:
    """Queue the fills of ``orders`` not recorded yet; returns them."""
    recorded = {f.trade_id for f in await mgr.repo.fills_for(pos.id)}
    queued: list[Fill] = []
    for order in orders:
        try:
            fills = await mgr.broker.fetch_fills(order.client_id, order.symbol)
        except BrokerError as exc:
            log.warning("fills of %s not available: %s", order.client_id, exc)
            continue
        known = recorded | {f.trade_id for f in mgr.queued_fills()}  # the stream may have brought some meanwhile
        for fill in fills:
            if fill.trade_id not in known:
                mgr.on_fill(fill)
                queued.append(fill)
    return queued
