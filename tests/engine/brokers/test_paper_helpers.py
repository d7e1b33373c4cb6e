"""Shared parts for the paper broker tests: an in-memory store, two markets and a small harness."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from config.settings import BrokerSettings
from engine.brokers.paper import PaperBroker
from engine.brokers.paper_state import PaperChanges, PaperOrder, PaperPosition, PaperState
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
    """Rows in dicts behind the PaperStore protocol (as the ``paper_*`` tables keep them); counts saves."""

    def __init__(self) -> None:
        self.account: tuple[Decimal, int, int, int] | None = None
        self.leverage: dict[str, int] = {}
        self.positions: dict[str, PaperPosition] = {}
        self.orders: dict[str, PaperOrder] = {}
        self.fills: dict[str, Fill] = {}
        self.saves = 0
        self.written: list[PaperChanges] = []
        self.unreadable = False

    async def load(self) -> PaperState | None:
        if self.unreadable:
            raise ValueError("bad decimal in paper_account.wallet")
        if self.account is None:
            return None
        wallet, order_seq, trade_seq, liq_seq = self.account
        fills: dict[str, list[Fill]] = {}
        for f in self.fills.values():
            fills.setdefault(f.client_id, []).append(f)
        orders = sorted(self.orders.values(), key=lambda o: o.seq)
        return PaperState(wallet=wallet, leverage=dict(self.leverage),
                          positions={s: replace(p) for s, p in self.positions.items()},
                          orders={o.client_id: replace(o) for o in orders}, fills=fills,
                          order_seq=order_seq, trade_seq=trade_seq, liq_seq=liq_seq)

    async def save(self, changes: PaperChanges) -> None:
        if changes.account is not None:
            self.account = changes.account
        self.leverage.update(changes.leverage)
        for symbol, pos in changes.positions.items():
            if pos is None:
                self.positions.pop(symbol, None)
            else:
                self.positions[symbol] = replace(pos)
        for order in changes.orders:
            self.orders[order.client_id] = replace(order)
        for fill in changes.fills:
            self.fills[fill.trade_id] = fill
        for cid in changes.forgotten:
            self.orders.pop(cid, None)
            self.fills = {t: f for t, f in self.fills.items() if f.client_id != cid}
        self.saves += 1
        self.written.append(changes)


@dataclass
class Venue:
    broker: PaperBroker
    clock: ManualClock
    taken: list[Fill] = field(default_factory=list)

    @property
    def fills(self) -> list[Fill]:
        """Every fill the venue handed over so far, in order."""
        self.taken.extend(self.broker.take_fills())
        return self.taken

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
