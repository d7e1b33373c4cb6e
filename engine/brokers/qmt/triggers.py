"""Stops and targets the engine watches: A-share venues hold no stop orders, so a STOP_MARKET or
TAKE_PROFIT request rests here (persisted in the venue state store) and, when a quote crosses it
during a session, goes out as a marketable limit order inside the day's price limits, under the
same client order id (``order_remark``)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import Decimal

from engine.brokers.base import StateStore
from engine.domain.models import OrderRequest, OrderStatus, OrderType, VenueOrder
from engine.domain.values import OrderAction

STATE_KEY = "qmt_triggers"


@dataclass
class Trigger:
    client_id: str
    symbol: str
    action: str
    type: str
    qty: str
    trigger: str
    status: str = "armed"  # armed → fired (sent to QMT) | cancelled
    note: str = ""  # why it is waiting (T+1, limit-down), shown by fetch_order's caller in logs

    @property
    def trigger_price(self) -> Decimal:
        return Decimal(self.trigger)

    def crossed(self, price: Decimal) -> bool:
        """A sell stop fires at or below its trigger, a sell target at or above (buys the reverse)."""
        sell = self.action == OrderAction.SELL.value
        stop = self.type == OrderType.STOP_MARKET.value
        below = price <= self.trigger_price
        return below if stop == sell else price >= self.trigger_price

    def as_venue_order(self) -> VenueOrder:
        status = OrderStatus.CANCELLED if self.status == "cancelled" else OrderStatus.OPEN
        return VenueOrder(client_id=self.client_id, symbol=self.symbol, status=status,
                          action=OrderAction(self.action), type=OrderType(self.type), qty=Decimal(self.qty),
                          trigger_price=self.trigger_price, reduce_only=True)


def trigger_of(request: OrderRequest) -> Trigger:
    price = request.trigger_price if request.trigger_price is not None else request.price
    assert price is not None
    return Trigger(request.client_id, request.symbol, request.action.value, request.type.value, str(request.qty),
                   str(price))


class TriggerBook:
    def __init__(self, store: StateStore | None) -> None:
        self.store = store
        self.items: dict[str, Trigger] = {}

    async def load(self) -> None:
        if self.store is None:
            return
        raw = await self.store.load(STATE_KEY)
        self.items = {d["client_id"]: Trigger(**d) for d in json.loads(raw)} if raw else {}

    async def save(self) -> None:
        if self.store is not None:
            live = [asdict(t) for t in self.items.values() if t.status != "cancelled"]
            await self.store.save(STATE_KEY, json.dumps(live))

    def armed(self, symbol: str) -> list[Trigger]:
        return [t for t in self.items.values() if t.symbol == symbol and t.status == "armed"]
