"""The Broker protocol: what paper and live venues both offer the position manager."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Protocol

from engine.domain.models import Balance, Fill, MarketSpec, OrderRequest, VenueOrder, VenuePosition
from engine.market.base import PriceTick

FillHandler = Callable[[Fill], None]


class Broker(Protocol):
    """A venue. Implementations: ``PaperBroker`` (simulated) and ``CcxtBroker`` (live exchange).

    Fills are reported through the handler given to ``on_fill``: the handler only queues them
    (it is synchronous); the position manager processes the queue in order.
    Order creation is never retried blindly: after an unknown outcome, ``fetch_order`` by the
    client id tells whether it reached the venue.
    """

    name: str
    paper: bool

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def on_fill(self, handler: FillHandler) -> None: ...

    async def market(self, symbol: str) -> MarketSpec: ...

    async def prepare(self, symbol: str, leverage: int) -> None:
        """Isolated margin and leverage for ``symbol`` before its first order."""
        ...

    async def place_order(self, request: OrderRequest) -> VenueOrder:
        """Place an order; raises a ``BrokerError`` subclass on rejection."""
        ...

    async def cancel_order(self, client_id: str, symbol: str) -> VenueOrder | None:
        """Cancel; returns the final state, or None when the venue does not know the order."""
        ...

    async def fetch_order(self, client_id: str, symbol: str) -> VenueOrder | None:
        """Look an order up by client id; None when the venue never received it."""
        ...

    async def fetch_fills(self, client_id: str, symbol: str) -> list[Fill]:
        """Every fill of one order (for recovery after a restart)."""
        ...

    async def open_orders(self, symbol: str | None = None) -> list[VenueOrder]: ...

    async def positions(self) -> list[VenuePosition]: ...

    async def balance(self) -> Balance: ...

    async def on_price(self, tick: PriceTick) -> None:
        """A new price: the paper venue matches resting orders; a live venue may ignore it."""
        ...

    def mark_price(self, symbol: str) -> Decimal | None: ...


class StateStore(Protocol):
    """Durable key → text storage (the database's ``kv`` table) for a venue's own state."""

    async def load(self, key: str) -> str | None: ...

    async def save(self, key: str, value: str) -> None: ...
