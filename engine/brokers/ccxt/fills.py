"""Routing the venue's trades to the engine as ``Fill`` objects under OUR client order ids.

The router remembers every order the broker placed or saw (``track``/``learn``), including the
child order a triggered conditional order becomes (Binance: ``actualOrderId``), so a trade of
that child is reported with the conditional order's client id — the engine recognises its leg.
Trades arrive from the websocket and from REST polling, possibly twice: they are deduplicated
by trade id. A trade whose order is not known yet waits (``pending``) until an order update
names it or the broker looks the conditional orders up.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.brokers.base import FillHandler
from engine.brokers.ccxt import convert
from engine.brokers.ccxt.venues import Venue
from engine.domain.models import Fill, OrderStatus
from engine.domain.values import ZERO

log = logging.getLogger("engine.brokers.ccxt")


@dataclass
class Tracked:
    """An order of ours the broker keeps watching until it is final and its fills are reported."""

    client_id: str
    symbol: str
    conditional: bool
    exchange_id: str | None = None
    child_id: str | None = None
    status: OrderStatus = OrderStatus.OPEN
    filled: Decimal = ZERO  # as the venue last reported it
    reported: Decimal = ZERO  # sum of the fills handed to the engine

    @property
    def settled(self) -> bool:
        return self.status.is_final and self.reported >= self.filled


class FillRouter:
    def __init__(self, venue: Venue, memory: int = 20_000) -> None:
        self.venue = venue
        self.orders: dict[str, Tracked] = {}
        self._by_exchange_id: dict[str, str] = {}
        # trade key → whether it went to one of our orders (False: under the venue's own client id)
        self._seen: OrderedDict[str, bool] = OrderedDict()
        self._memory = memory
        self._handler: FillHandler | None = None
        self._backlog: list[Fill] = []
        self.pending: list[tuple[dict[str, Any], float]] = []
        self.delivered = 0

    # --- handler ---------------------------------------------------------------------------
    def set_handler(self, handler: FillHandler) -> None:
        self._handler = handler
        backlog, self._backlog = self._backlog, []
        for item in backlog:
            handler(item)

    # --- orders ----------------------------------------------------------------------------
    def track(self, client_id: str, symbol: str, conditional: bool, exchange_id: str | None = None) -> Tracked:
        tracked = self.orders.get(client_id)
        if tracked is None:
            tracked = Tracked(client_id, symbol, conditional)
            self.orders[client_id] = tracked
        tracked.conditional = tracked.conditional or conditional
        if exchange_id:
            tracked.exchange_id = exchange_id
            if not tracked.conditional:
                self._by_exchange_id[exchange_id] = client_id
        return tracked

    def client_for_exchange_id(self, exchange_id: str | None) -> str | None:
        return self._by_exchange_id.get(str(exchange_id)) if exchange_id is not None else None

    def learn(self, raw: Mapping[str, Any]) -> Tracked | None:
        """Take note of an order as the venue reports it (placement, look-up, stream update)."""
        client_id = raw.get("clientOrderId")
        exchange_id = None if raw.get("id") is None else str(raw["id"])
        conditional = self.venue.is_conditional_raw(raw)
        order = convert.venue_order(raw, client_id)
        if not conditional and exchange_id:
            parent = self.orders.get(self._by_exchange_id.get(exchange_id, ""))
            if parent is not None and parent.conditional and parent.child_id == exchange_id:
                self.child_update(parent.client_id, order.status, order.filled_qty)
                return parent
        if not client_id:
            return None
        tracked = self.orders.get(client_id)
        if tracked is None:
            if not conditional:  # someone else's order, or one of ours from an earlier run
                if exchange_id:
                    self._by_exchange_id.setdefault(exchange_id, client_id)
                return None
            tracked = self.track(client_id, str(raw.get("symbol")), True, exchange_id)
        if exchange_id and tracked.exchange_id is None:
            tracked.exchange_id = exchange_id
        if not tracked.conditional:
            if exchange_id:
                self._by_exchange_id[exchange_id] = client_id
            tracked.status = order.status
            tracked.filled = max(tracked.filled, order.filled_qty)
            return tracked
        child = self.venue.child_order_id(raw)
        if child:
            tracked.child_id = child
            self._by_exchange_id[child] = client_id
        if order.status is OrderStatus.FILLED:  # triggered: done when its fills are reported
            executed = self.venue.conditional_filled(raw)
            tracked.filled = max(tracked.filled, executed if executed is not None else order.qty)
        tracked.status = order.status
        return tracked

    def child_update(self, client_id: str, status: OrderStatus, filled: Decimal) -> None:
        """The child order of a triggered conditional order changed (authoritative fill amount)."""
        tracked = self.orders.get(client_id)
        if tracked is None:
            return
        if status.is_final:
            tracked.status = OrderStatus.FILLED if filled > 0 else status
        tracked.filled = filled if status.is_final else max(tracked.filled, filled)

    def watching(self) -> list[Tracked]:
        """Orders whose outcome or fills are still owed to the engine."""
        return [t for t in self.orders.values() if not t.settled]

    def forget_settled(self) -> None:
        for key in [k for k, t in self.orders.items() if t.settled]:
            del self.orders[key]

    # --- trades ----------------------------------------------------------------------------
    def resolve(self, raw: Mapping[str, Any]) -> str | None:
        order_id = raw.get("order")
        by_id = self.client_for_exchange_id(order_id)
        if by_id:
            return by_id
        info = raw.get("info") or {}
        client_id = raw.get("clientOrderId") or info.get("c") or info.get("clientOrderId")
        if client_id and client_id in self.orders:
            return str(client_id)
        return None

    def seen(self, raw: Mapping[str, Any]) -> bool:
        return convert.trade_key(raw) in self._seen

    def offer(self, raw: Mapping[str, Any], now: float, force: bool = False) -> bool:
        """Hand one trade to the engine if its order is known; returns whether it was handled.

        A trade of an unknown order waits while a conditional order of ours in the same symbol
        may have become it (its child id is not known yet) — unless ``force``.
        """
        key = convert.trade_key(raw)
        ours = self._seen.get(key)
        client_id = self.resolve(raw)
        if ours is not None and (ours or client_id is None or client_id not in self.orders):
            return True
        # not seen, or handed on earlier under the venue's own id (the child order of a triggered
        # conditional one of ours was not known then, so the engine could not apply it): now it is ours
        if client_id is None:
            own = self._own_client_id(raw)
            liquidation = own.startswith(self.venue.liquidation_ids) if self.venue.liquidation_ids else False
            if not force and not liquidation and self._may_be_child(raw):
                if all(item is not raw for item, _ in self.pending):
                    self.pending.append((dict(raw), now))
                return False
            client_id = f"liq-{own}" if liquidation else own
            if not liquidation:
                log.info("fill %s of an order the bot did not place (client id %s)", key, client_id)
        item = convert.fill(raw, client_id)
        tracked = self.orders.get(client_id)
        self._remember(key, tracked is not None)
        if tracked is not None:
            tracked.reported += item.qty
            if tracked.conditional:
                tracked.filled = max(tracked.filled, tracked.reported)
        self.delivered += 1
        if self._handler is None:
            self._backlog.append(item)
        else:
            self._handler(item)
        return True

    @staticmethod
    def _own_client_id(raw: Mapping[str, Any]) -> str:
        info = raw.get("info") or {}
        return str(raw.get("clientOrderId") or info.get("c") or f"venue-{raw.get('order')}")

    def _may_be_child(self, raw: Mapping[str, Any]) -> bool:
        symbol = raw.get("symbol")
        return any(t.conditional and t.child_id is None and not t.settled and t.symbol == symbol
                   for t in self.orders.values())

    def retry_pending(self, now: float, force_older_than: float | None = None) -> list[dict[str, Any]]:
        """Deliver the waiting trades that can now be resolved; returns those still waiting."""
        waiting, self.pending = self.pending, []
        for raw, first in waiting:
            force = force_older_than is not None and now - first >= force_older_than
            if not self.offer(raw, first, force=force):
                pass
        return [raw for raw, _ in self.pending]

    def _remember(self, key: str, ours: bool) -> None:
        self._seen[key] = ours
        if len(self._seen) > self._memory:
            self._seen.popitem(last=False)
