"""The small interface risk, planning, the lifecycle and the brokers consult about a market."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from engine.domain.values import OrderAction

ZERO = Decimal(0)


class MarketRules(Protocol):
    name: str
    currency: str
    long_only: bool
    max_leverage: int
    t_plus: int  # 1: shares bought today can be sold from the next trading day
    exchange_stops: bool  # False: stops and targets are watched by the engine, not the venue

    def buy_qty(self, qty: Decimal) -> Decimal:
        """``qty`` rounded down to what a buy may ask for (whole lots)."""
        ...

    def sell_qty(self, qty: Decimal, held: Decimal) -> Decimal:
        """What a sell of ``qty`` may ask for when ``held`` can be sold (odd lots only as the rest)."""
        ...

    def price_band(self, symbol: str, prev_close: Decimal | None) -> tuple[Decimal, Decimal] | None:
        """The day's (limit-down, limit-up), or None where prices are not limited."""
        ...

    def is_open(self, ts: datetime) -> bool:
        """Whether orders may be sent at ``ts``."""
        ...

    def next_open(self, ts: datetime) -> datetime:
        """The start of the next session at or after ``ts``."""
        ...

    def costs(self, action: OrderAction, qty: Decimal, price: Decimal) -> Decimal:
        """Commission, taxes and fees of one fill, in the account currency (0 where the venue charges)."""
        ...


class AnyTimeRules:
    """Crypto futures: open all the time, no lots or limits beyond the venue's specs."""

    name = "crypto"
    currency = "USDT"
    long_only = False
    max_leverage = 125
    t_plus = 0
    exchange_stops = True

    def buy_qty(self, qty: Decimal) -> Decimal:
        return qty

    def sell_qty(self, qty: Decimal, held: Decimal) -> Decimal:
        return qty

    def price_band(self, symbol: str, prev_close: Decimal | None) -> tuple[Decimal, Decimal] | None:
        return None

    def is_open(self, ts: datetime) -> bool:
        return True

    def next_open(self, ts: datetime) -> datetime:
        return ts

    def costs(self, action: OrderAction, qty: Decimal, price: Decimal) -> Decimal:
        return ZERO


def rules_for(exchange_name: str, st_symbols: frozenset[str] = frozenset()) -> MarketRules:
    """The rules of the market an exchange name trades: A-shares for ``qmt`` (``st_symbols`` at ±5 %),
    crypto otherwise."""
    if exchange_name == "qmt":
        from engine.market_rules.ashare import AShareRules

        return AShareRules(st_symbols=st_symbols)
    return AnyTimeRules()
