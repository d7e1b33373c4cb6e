"""Orders of one hedge leg on its venue, through the ``Broker`` interface.

Each function takes the leg's venue and returns what the venue says; it never saves (the round
does, before and after). Re-sending is safe: every order has a deterministic client id and a
placement first looks the id up, so a restart never places an order twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.brokers.errors import BrokerError
from engine.clock import Clock
from engine.domain.hedge import HedgeLeg, hedge_order_id
from engine.domain.models import OrderRequest, OrderStatus, OrderType, VenueOrder
from engine.domain.values import ZERO

if TYPE_CHECKING:
    from engine.venues import VenueHandle


@dataclass(frozen=True, slots=True)
class Outcome:
    """A filled order: its average price and the fees of its fills."""

    price: Decimal
    fees: Decimal


def cid(round_id: str, leg: HedgeLeg, kind: str, attempt: int) -> str:
    return hedge_order_id(round_id, leg.role, kind, attempt)


async def send(venue: VenueHandle, request: OrderRequest, fresh: bool = False) -> VenueOrder:
    """Place once: an order the venue already has under this client id is returned, not re-sent.
    ``fresh``: the id was allotted (and saved) just now, so the venue cannot know it: no look-up."""
    if not fresh:
        known = await venue.broker.fetch_order(request.client_id, request.symbol)
        if known is not None:
            return known
    return await venue.broker.place_order(request)


async def outcome(venue: VenueHandle, order: VenueOrder, symbol: str) -> Outcome | None:
    """Price and fees of a filled order (None when it is not filled)."""
    if order.status is not OrderStatus.FILLED or order.avg_price is None:
        return None
    fills = await venue.broker.fetch_fills(order.client_id, symbol)
    return Outcome(order.avg_price, sum((f.fee for f in fills), ZERO))


async def wait_filled(venue: VenueHandle, order: VenueOrder, symbol: str, timeout_s: float, clock: Clock,
                      poll_s: float = 0.25) -> VenueOrder:
    """Follow an order until it is final or ``timeout_s`` of polling (on the injected clock) has passed."""
    tries = max(1, int(timeout_s / poll_s))
    for _ in range(tries):
        if order.status.is_final:
            return order
        await clock.sleep(poll_s)
        found = await venue.broker.fetch_order(order.client_id, symbol)
        if found is not None:
            order = found
    return order


async def market(venue: VenueHandle, symbol: str, client_id: str, leg: HedgeLeg, *, opening: bool,
                 leverage: int, fresh: bool = False) -> VenueOrder:
    action = leg.side.entry_action if opening else leg.side.exit_action
    return await send(venue, OrderRequest(client_id=client_id, symbol=symbol, action=action,
                                          type=OrderType.MARKET, qty=leg.qty, reduce_only=not opening,
                                          leverage=leverage), fresh)


async def stop(venue: VenueHandle, symbol: str, client_id: str, leg: HedgeLeg, trigger: Decimal,
               leverage: int) -> VenueOrder:
    return await send(venue, OrderRequest(client_id=client_id, symbol=symbol, action=leg.side.exit_action,
                                          type=OrderType.STOP_MARKET, qty=leg.qty, trigger_price=trigger,
                                          reduce_only=True, leverage=leverage))


async def take_limit(venue: VenueHandle, symbol: str, client_id: str, leg: HedgeLeg, price: Decimal,
                     leverage: int) -> VenueOrder:
    return await send(venue, OrderRequest(client_id=client_id, symbol=symbol, action=leg.side.exit_action,
                                          type=OrderType.LIMIT, qty=leg.qty, price=price, reduce_only=True,
                                          leverage=leverage))


async def cancel(venue: VenueHandle, symbol: str, client_id: str) -> VenueOrder | None:
    """Cancel; the order's final state (it may have filled meanwhile), None when unknown or unreachable."""
    try:
        return await venue.broker.cancel_order(client_id, symbol)
    except BrokerError:
        return None
