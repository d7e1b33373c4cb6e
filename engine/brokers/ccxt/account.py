"""Account set-up on the venue: one-way position mode, isolated margin and leverage per symbol.

At start the broker refuses hedge mode (Binance answers -4061 to one-way orders there), or
switches the account to one-way when it holds no position and no order. ``prepare`` sets
isolated margin and a leverage clamped to the symbol's first leverage bracket, once per symbol.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from engine.brokers.ccxt.errors import is_no_change
from engine.brokers.errors import BrokerError, PositionModeError

if TYPE_CHECKING:
    from engine.brokers.ccxt.broker import CcxtBroker

log = logging.getLogger("engine.brokers.ccxt")

HEDGE_MODE_MESSAGE = (
    "the {venue} account is in hedge (dual-side) position mode and {what}; SignalPilot trades in "
    "one-way mode only. Close them, switch the futures account to one-way mode in the exchange's "
    "preferences, then start again")


class Account:
    def __init__(self, broker: CcxtBroker) -> None:
        self.broker = broker
        self._max_leverage: dict[str, int] = {}
        self._prepared: dict[str, int] = {}

    async def ensure_one_way(self) -> None:
        broker = self.broker
        if not broker.venue.position_mode:
            return
        mode = await broker.call("position mode", broker.exchange.fetch_position_mode)
        if not mode.get("hedged"):
            return
        positions = await broker.positions()
        orders = await broker.open_orders()
        if positions or orders:
            what = f"holds {len(positions)} position(s) and {len(orders)} open order(s)"
            raise PositionModeError(HEDGE_MODE_MESSAGE.format(venue=broker.name, what=what))
        try:
            await broker.call("set one-way mode", broker.exchange.set_position_mode, False)
        except BrokerError as exc:
            if not is_no_change(exc):
                raise PositionModeError(HEDGE_MODE_MESSAGE.format(
                    venue=broker.name, what=f"could not be switched ({exc})")) from None
        log.warning("%s: switched the account from hedge to one-way position mode (it was flat)", broker.name)

    async def load_leverage_limits(self) -> None:
        """Highest leverage per symbol (first bracket), in one request where the venue allows."""
        broker = self.broker
        if not broker.venue.leverage_tiers or not broker.exchange.has.get("fetchLeverageTiers"):
            return
        try:
            tiers = await broker.call("leverage brackets", broker.exchange.fetch_leverage_tiers)
        except BrokerError as exc:
            log.warning("%s: leverage brackets unavailable (%s); using %dx as the cap", broker.name, exc,
                        broker.venue.max_leverage)
            return
        for symbol, rows in (tiers or {}).items():
            caps = [int(row["maxLeverage"]) for row in rows or [] if row.get("maxLeverage")]
            if caps:
                self._max_leverage[symbol] = max(caps)

    def leverage_of(self, symbol: str) -> int:
        """The leverage ``prepare`` set for ``symbol`` (1 when unknown)."""
        return self._prepared.get(symbol, 1)

    def max_leverage(self, symbol: str) -> int:
        return self._max_leverage.get(symbol, self.broker.venue.max_leverage)

    async def prepare(self, symbol: str, leverage: int) -> int:
        """Isolated margin and leverage for ``symbol``; returns the leverage actually set."""
        broker = self.broker
        spec = await broker.market(symbol)
        symbol = spec.symbol
        cap = self.max_leverage(symbol)
        wanted = max(1, min(int(leverage), cap))
        if wanted != leverage:
            log.warning("%s: leverage %sx is outside 1..%dx (leverage bracket); using %dx",
                        symbol, leverage, cap, wanted)
        if self._prepared.get(symbol) == wanted:
            return wanted
        if broker.venue.margin_mode:
            try:
                await broker.call(f"isolated margin {symbol}", broker.exchange.set_margin_mode, "isolated",
                                  symbol)
            except BrokerError as exc:
                if not is_no_change(exc):
                    raise
        if broker.venue.leverage_per_symbol:
            await broker.call(f"leverage {symbol}", broker.exchange.set_leverage, wanted, symbol)
        self._prepared[symbol] = wanted
        return wanted
