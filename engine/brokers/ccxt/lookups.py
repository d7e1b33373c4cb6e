"""Looking orders and their trades up over REST, by our client id.

Used by the broker (``fetch_order``, ``fetch_fills``, the look-up after an unknown outcome) and by
the user-data stream's REST safety net (``streams.poll_once``). It holds only what a look-up
needs: the exchange client, the caller (retries, error mapping) and the fill router (which
knows each order's venue id and, for a triggered conditional order, its child order).
"""

from __future__ import annotations

from typing import Any

from engine.brokers.ccxt import convert
from engine.brokers.ccxt.fills import FillRouter, Tracked
from engine.brokers.ccxt.retry import Caller
from engine.brokers.ccxt.venues import Venue
from engine.brokers.errors import OrderNotFound
from engine.domain.ids import ClientOrderId
from engine.domain.models import OrderStatus, OrderType, VenueOrder


class OrderLookup:
    """REST look-ups of our orders (by client id) and of their trades."""

    def __init__(self, exchange: Any, call: Caller, router: FillRouter, venue: Venue) -> None:
        self.exchange = exchange
        self.call = call
        self.router = router
        self.venue = venue

    def is_conditional_id(self, client_id: str) -> bool:
        """Whether ``client_id`` is in the venue's conditional (algo) book."""
        tracked = self.router.orders.get(client_id)
        if tracked is not None:
            return tracked.conditional
        parsed = ClientOrderId.parse(client_id)  # a slice (TWAP, iceberg) is a plain order
        leg = parsed.leg if parsed is not None and not parsed.is_slice else ""
        if leg == "sl":
            return self.venue.is_conditional(OrderType.STOP_MARKET)
        if leg.startswith("tp"):
            return self.venue.is_conditional(OrderType.TAKE_PROFIT)
        return False

    async def fetch_order(self, client_id: str, symbol: str) -> VenueOrder | None:
        """The order as the venue has it (a triggered conditional one with its child's fill)."""
        conditional = self.is_conditional_id(client_id)
        found = await self.fetch(client_id, symbol, conditional)
        if found is None and client_id not in self.router.orders and self.venue.separate_conditional_book:
            found = await self.fetch(client_id, symbol, not conditional)
        return found

    async def fetch(self, client_id: str, symbol: str, conditional: bool) -> VenueOrder | None:
        """The order in one book (plain or conditional); None when the venue does not know it."""
        params = dict(self.venue.conditional_params if conditional else {})
        try:
            raw = await self.call(f"fetch order {client_id}", self.venue.fetch_by_client_id, self.exchange, client_id,
                                  symbol, params)
        except OrderNotFound:
            return None
        if raw is None:
            return None
        raw = {**raw, "clientOrderId": client_id}
        tracked = self.router.learn(raw)
        order = convert.venue_order(raw, client_id)
        if tracked is not None and tracked.conditional and tracked.child_id:
            return await self._with_child(order, tracked)
        return order

    async def _with_child(self, order: VenueOrder, tracked: Tracked) -> VenueOrder:
        """A triggered conditional order, reported with its child order's fill."""
        try:
            raw = await self.call(f"fetch child order of {tracked.client_id}", self.exchange.fetch_order,
                                  tracked.child_id, tracked.symbol)
        except OrderNotFound:
            return order
        child = convert.venue_order(raw, tracked.client_id)
        self.router.child_update(tracked.client_id, child.status, child.filled_qty)
        status = child.status
        if status.is_final and child.filled_qty > 0:
            status = OrderStatus.FILLED
        return VenueOrder(client_id=order.client_id, symbol=order.symbol, status=status,
                          exchange_id=order.exchange_id, action=order.action, type=order.type,
                          qty=order.qty, price=order.price, trigger_price=order.trigger_price,
                          reduce_only=order.reduce_only, filled_qty=child.filled_qty,
                          avg_price=child.avg_price)

    async def trades_of(self, client_id: str, symbol: str, exchange_id: str | None) -> list[dict[str, Any]]:
        """The venue's trades of one order (of its child order, for a triggered conditional one)."""
        tracked = self.router.orders.get(client_id)
        order_id = tracked.child_id if tracked is not None and tracked.conditional else exchange_id
        if not order_id:
            return []
        raws = await self.call(f"fetch fills of {client_id}", self.exchange.fetch_my_trades, symbol, None,
                               None, {"orderId": order_id})
        return [raw for raw in raws if str(raw.get("order")) == str(order_id)]
