"""Account set-up on the venue: one-way position mode, isolated margin and leverage per symbol.

At start the broker refuses hedge mode (Binance answers -4061 to one-way orders there), or
switches the account to one-way when it holds no position and no order. ``prepare`` sets
isolated margin and a leverage clamped to the symbol's first leverage bracket, once per symbol.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from engine.brokers.ccxt.errors import is_no_change
from engine.brokers.ccxt.retry import Caller
from engine.brokers.ccxt.venues import Venue
from engine.brokers.errors import BrokerError, PositionModeError

log = logging.getLogger("engine.brokers.ccxt")

HEDGE_MODE_MESSAGE = (
    "the {venue} account is in hedge (dual-side) position mode and {what}; SignalPilot trades in "
    "one-way mode only. Close them, switch the futures account to one-way mode in the exchange's "
    "preferences, then start again")


class Account:
    """The account's settings on the venue, through the exchange client and the caller."""

    def __init__(self, exchange: Any, call: Caller, venue: Venue) -> None:
        self.exchange = exchange
        self.call = call
        self.venue = venue
        self._max_leverage: dict[str, int] = {}
        self._prepared: dict[str, int] = {}

    async def ensure_one_way(self, exposure: Callable[[], Awaitable[tuple[int, int]]]) -> None:
        """``exposure``: counts the account's (open positions, resting orders) on the venue."""
        name = self.venue.name
        if not self.venue.position_mode:
            return
        mode = await self.call("position mode", self.exchange.fetch_position_mode)
        if not mode.get("hedged"):
            return
        positions, orders = await exposure()
        if positions or orders:
            what = f"holds {positions} position(s) and {orders} open order(s)"
            raise PositionModeError(HEDGE_MODE_MESSAGE.format(venue=name, what=what))
        try:
            await self.call("set one-way mode", self.exchange.set_position_mode, False)
        except BrokerError as exc:
            if not is_no_change(exc):
                raise PositionModeError(HEDGE_MODE_MESSAGE.format(
                    venue=name, what=f"could not be switched ({exc})")) from None
        log.warning("%s: switched the account from hedge to one-way position mode (it was flat)", name)

    async def load_leverage_limits(self) -> None:
        """Highest leverage per symbol (first bracket), in one request where the venue allows."""
        if not self.venue.leverage_tiers or not self.exchange.has.get("fetchLeverageTiers"):
            return
        try:
            tiers = await self.call("leverage brackets", self.exchange.fetch_leverage_tiers)
        except BrokerError as exc:
            log.warning("%s: leverage brackets unavailable (%s); using %dx as the cap", self.venue.name, exc,
                        self.venue.max_leverage)
            return
        for symbol, rows in (tiers or {}).items():
            caps = [int(row["maxLeverage"]) for row in rows or [] if row.get("maxLeverage")]
            if caps:
                self._max_leverage[symbol] = max(caps)

    def leverage_of(self, symbol: str) -> int:
        """The leverage ``prepare`` set for ``symbol`` (1 when unknown)."""
        return self._prepared.get(symbol, 1)

    def max_leverage(self, symbol: str) -> int:
        return self._max_leverage.get(symbol, self.venue.max_leverage)

    async def prepare(self, symbol: str, leverage: int) -> int:
        """Isolated margin and leverage for ``symbol`` (the venue's unified symbol); returns the
        leverage actually set."""
        cap = self.max_leverage(symbol)
        wanted = max(1, min(int(leverage), cap))
        if wanted != leverage:
            log.warning("%s: leverage %sx is outside 1..%dx (leverage bracket); using %dx",
                        symbol, leverage, cap, wanted)
        if self._prepared.get(symbol) == wanted:
            return wanted
        if self.venue.margin_mode:
            try:
                await self.call(f"isolated margin {symbol}", self.exchange.set_margin_mode, "isolated",
                                symbol)
            except BrokerError as exc:
                if not is_no_change(exc):
                    raise
        if self.venue.leverage_per_symbol:
            await self.call(f"leverage {symbol}", self.exchange.set_leverage, wanted, symbol)
        self._prepared[symbol] = wanted
        return wanted
