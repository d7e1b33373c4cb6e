"""The Broker protocol: what paper and live venues both offer the position manager."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Protocol, runtime_checkable

from engine.brokers.paper_state import PaperChanges
from engine.domain.models import Balance, Fill, MarketSpec, OrderRequest, VenueOrder, VenuePosition
from engine.market.base import PriceTick

FillHandler = Callable[[Fill], None]


class Broker(Protocol):
    """A venue. Implementations: ``PaperBroker`` (simulated) and ``CcxtBroker`` (live exchange).

    Fills are reported as queued events, never by calling into the position manager: a live venue
    hands each to the handler given to ``on_fill`` (``StreamedFills``: the handler only queues it),
    the paper venue keeps them until the manager takes them (``JournaledVenue.take_fills``).
    Order creation is never retried blindly: after an unknown outcome, ``fetch_order`` by the
    client id tells whether it reached the venue.
    """

    name: str
    paper: bool

    async def start(self) -> None: ...

    async def close(self) -> None: ...

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
    """Where a venue keeps a little text state of its own between runs, by key."""

    async def load(self, key: str) -> str | None: ...

    async def save(self, key: str, value: str) -> None: ...


@runtime_checkable
class StreamedFills(Protocol):
    """A venue whose fills arrive on their own (streams, polls): each is handed to the handler."""

    def on_fill(self, handler: FillHandler) -> None: ...


@runtime_checkable
class JournaledVenue(Protocol):
    """A venue whose state lives in our database (the paper venue): the position manager takes its
    fills and its changed rows, and writes the rows in the transaction of the step they belong to."""

    def defer_saves(self) -> None: ...

    def take_fills(self) -> list[Fill]: ...

    def take_changes(self) -> PaperChanges: ...
