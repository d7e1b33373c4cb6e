"""Shared parts for the paper broker tests: an in-memory store, two markets and a small harness."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from config.settings import BrokerSettings
from engine.brokers.paper import PaperBroker
from engine.clock import ManualClock
from engine.domain.models import Fill, MarketSpec, OrderRequest, OrderType
from engine.domain.values import OrderAction
from engine.market.base import PriceTick

D = Decimal
BUY, SELL = OrderAction.BUY, OrderAction.SELL
MARKETS = {
    "BTCUSDT": MarketSpec("BTCUSDT", "BTC", "USDT", price_step=D("0.1"), qty_step=D("0.001"),
                          min_qty=D("0.002"), min_notional=D("5"), max_leverage=125),
    "ETHUSDT": MarketSpec("ETHUSDT", "ETH", "USDT", price_step=D("0.01"), qty_step=D("0.01"),
                          min_qty=D("0.01"), min_notional=D("5"), max_leverage=50),
}
T0 = datetime(2025, 1, 1, tzinfo=UTC)


async def markets(symbol: str) -> MarketSpec:
    return MARKETS[symbol]


class MemoryStore:
    """A dict behind the StateStore protocol; counts saves."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.saves = 0

    async def load(self, key: str) -> str | None:
        return self.data.get(key)

    async def save(self, key: str, value: str) -> None:
        self.data[key] = value
        self.saves += 1


@dataclass
class Venue:
    broker: PaperBroker
    clock: ManualClock
    fills: list[Fill] = field(default_factory=list)

    async def tick(self, price: str | Decimal, symbol: str = "BTCUSDT") -> None:
        self.clock.set(self.clock.now() + timedelta(seconds=1))
        await self.broker.on_price(PriceTick(symbol, D(price), self.clock.now()))


def settings(**overrides: object) -> BrokerSettings:
    return BrokerSettings(**overrides)  # type: ignore[arg-type]


async def venue(store: MemoryStore | None = None, clock: ManualClock | None = None, *, history_limit: int = 200,
                **overrides: object) -> Venue:
    clock = clock or ManualClock(T0)
    broker = PaperBroker(settings(**overrides), clock, markets, store=store, history_limit=history_limit)
    v = Venue(broker, clock)
    broker.on_fill(v.fills.append)
    await broker.start()
    return v


def market(cid: str, action: OrderAction, qty: str, *, reduce_only: bool = False, symbol: str = "BTCUSDT",
           leverage: int = 10) -> OrderRequest:
    return OrderRequest(cid, symbol, action, OrderType.MARKET, D(qty), reduce_only=reduce_only, leverage=leverage)


def limit(cid: str, action: OrderAction, qty: str, price: str, *, reduce_only: bool = False,
          symbol: str = "BTCUSDT", leverage: int = 10) -> OrderRequest:
    return OrderRequest(cid, symbol, action, OrderType.LIMIT, D(qty), price=D(price), reduce_only=reduce_only,
                        leverage=leverage)


def stop(cid: str, action: OrderAction, qty: str, trigger: str, *, symbol: str = "BTCUSDT") -> OrderRequest:
    return OrderRequest(cid, symbol, action, OrderType.STOP_MARKET, D(qty), trigger_price=D(trigger),
                        reduce_only=True)


def take_profit(cid: str, action: OrderAction, qty: str, price: str, *, symbol: str = "BTCUSDT") -> OrderRequest:
    return OrderRequest(cid, symbol, action, OrderType.TAKE_PROFIT, D(qty), price=D(price), reduce_only=True)
