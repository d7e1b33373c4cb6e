"""Which symbols' prices the live feed streams: those an open position or a card needs.

A card is a raised signal not yet confirmed, cancelled, rejected or expired: its price must be
current when someone taps Confirm. A position needs its symbol until it is closed. Every event
that changes either set brings the market source's watched set in step (``retain``), so a
symbol nobody needs any more stops streaming; the scanner keeps the candle streams to its
universe on its own (``retain_candles``). Sources without streams (replay) have nothing to keep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from engine.domain.events import (
    Event,
    PositionClosed,
    PositionOpened,
    RiskRejected,
    SignalCancelled,
    SignalConfirmed,
    SignalExpired,
    SignalRaised,
)
from engine.domain.models import Signal

_CARD_ENDS = (SignalConfirmed, SignalCancelled, SignalExpired, RiskRejected)
EVENTS: tuple[type[Event], ...] = (SignalRaised, *_CARD_ENDS, PositionOpened, PositionClosed)


class PriceWatches:
    """Keeps ``market.retain(...)`` equal to the symbols of open positions and cards."""

    def __init__(self, market: Any, open_symbols: Callable[[], Iterable[tuple[str, str]]]) -> None:
        """``open_symbols()`` gives (position id, symbol) of every open position."""
        self._retain: Callable[[set[str]], None] | None = getattr(market, "retain", None)
        self._open_symbols = open_symbols
        self._cards: dict[str, str] = {}  # signal id → symbol

    def start(self, bus: Any, raised: Iterable[Signal]) -> None:
        """Cards still raised at start count; then follow the bus."""
        self._cards = {s.id: s.symbol for s in raised}
        for event_type in EVENTS:
            bus.subscribe(event_type, self.on_event)
        self.sync()

    @property
    def needed(self) -> set[str]:
        return {sym for _pid, sym in self._open_symbols()} | set(self._cards.values())

    def on_event(self, event: Event) -> None:
        closing = None
        if isinstance(event, SignalRaised):
            self._cards[event.signal.id] = event.signal.symbol
        elif isinstance(event, _CARD_ENDS):
            self._cards.pop(event.signal.id, None)
        elif isinstance(event, PositionClosed):
            closing = event.position.id  # it may still be in the open list while the event goes round
        self.sync(closing)

    def sync(self, closing: str | None = None) -> None:
        if self._retain is None:
            return
        needed = {sym for pid, sym in self._open_symbols() if pid != closing} | set(self._cards.values())
        self._retain(needed)
