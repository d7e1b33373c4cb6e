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
Called with the manager's lock held; it only reads and queues, it never executes a transition.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.brokers.errors import BrokerError
from engine.domain.models import Order, Position, position_id_of
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
        venue = [p for p in await mgr.broker.positions() if p.symbol == pos.symbol and p.qty > 0]
    except BrokerError as exc:
        log.warning("position of %s not available (%s): placing the protective order", pos.symbol, exc)
        return False
    if venue:
        return False
    log.info("position %s is flat on the venue: fetching its orders' fills instead of protecting it", pos.id)
    await _queue_fills(mgr, [o for o in mgr.orders_of(pos.id) if not o.status.is_final and o.client_id != skip])
    return True


async def _queue_fills(mgr: PositionManager, orders: list[Order]) -> None:
    for order in orders:
        try:
            fills = await mgr.broker.fetch_fills(order.client_id, order.symbol)
        except BrokerError as exc:
            log.warning("fills of %s not available: %s", order.client_id, exc)
            continue
        for fill in fills:
            mgr.on_fill(fill)
