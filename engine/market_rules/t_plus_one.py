"""T+1 and sessions for a simulated venue (paper trading and backtests of A-shares).

``TPlusOne`` wraps the paper broker: new orders are refused outside sessions; shares bought on a
trading day cannot be sold that day — a sell is refused ("cannot exit yet"), and stops and targets
placed then are held here and handed to the venue at the first price of the next session (so they
are armed from the next session, as on the real market, where the engine watches them too). The
held orders and the days of the last buys are kept in the venue state store.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date
from decimal import Decimal

from engine.brokers.base import StateStore
from engine.brokers.errors import BrokerError, InvalidOrder
from engine.clock import Clock
from engine.domain.markets import SHANGHAI
from engine.domain.models import (
    Balance,
    Fill,
    MarketSpec,
    OrderRequest,
    OrderStatus,
    OrderType,
    VenueOrder,
    VenuePosition,
)
from engine.domain.values import OrderAction
from engine.market.base import PriceTick
from engine.market_rules.ashare import AShareRules

log = logging.getLogger("engine.market_rules.t_plus_one")

STATE_KEY = "t_plus_one"
CONDITIONAL = (OrderType.STOP_MARKET, OrderType.TAKE_PROFIT)


def _request_json(r: OrderRequest) -> dict[str, object]:
    return {"client_id": r.client_id, "symbol": r.symbol, "action": r.action.value, "type": r.type.value,
            "qty": str(r.qty), "price": None if r.price is None else str(r.price),
            "trigger_price": None if r.trigger_price is None else str(r.trigger_price),
            "reduce_only": r.reduce_only, "leverage": r.leverage}


def _request(d: dict[str, object]) -> OrderRequest:
    dec = lambda v: None if v is None else Decimal(str(v))  # noqa: E731
    return OrderRequest(client_id=str(d["client_id"]), symbol=str(d["symbol"]), action=OrderAction(str(d["action"])),
                        type=OrderType(str(d["type"])), qty=Decimal(str(d["qty"])), price=dec(d["price"]),
                        trigger_price=dec(d["trigger_price"]), reduce_only=bool(d["reduce_only"]),
                        leverage=int(str(d["leverage"])))


class TPlusOne:
    """A Broker around another (the paper venue), adding A-share sessions and T+1."""

    def __init__(self, inner: object, clock: Clock, rules: AShareRules | None = None,
                 store: StateStore | None = None) -> None:
        self.inner = inner
        self.clock = clock
        self.rules = rules or AShareRules()
        self.store = store
        self.name = inner.name  # type: ignore[attr-defined]
        self.paper = inner.paper  # type: ignore[attr-defined]
        self.bought: dict[str, str] = {}  # symbol → trading day (ISO) of its last buy
        self.held: dict[str, OrderRequest] = {}  # client id → stop or target waiting for the next session
        self.ended = False  # the end of a backtest: what is open is closed at the last price, rules aside
        self._last: dict[str, tuple[date, Decimal]] = {}  # symbol → (trading day, its last price)
        self.prev_close: dict[str, Decimal] = {}  # symbol → the previous trading day's last price

    def end_of_data(self) -> None:
        self.ended = True

    def __getattr__(self, name: str) -> object:  # anything else the wrapped venue offers
        return getattr(self.inner, name)

    def _day(self) -> date:
        return self.clock.now().astimezone(SHANGHAI).date()

    def locked(self, symbol: str) -> bool:
        return self.bought.get(symbol) == self._day().isoformat()

    async def _save(self) -> None:
        if self.store is not None:
            await self.store.save(STATE_KEY, json.dumps({"bought": self.bought,
                                                          "held": [_request_json(r) for r in self.held.values()]}))

    async def start(self) -> None:
        if self.store is not None:
            raw = await self.store.load(STATE_KEY)
            if raw:
                data = json.loads(raw)
                self.bought = dict(data.get("bought", {}))
                self.held = {d["client_id"]: _request(d) for d in data.get("held", [])}
        await self.inner.start()  # type: ignore[attr-defined]

    async def close(self) -> None:
        await self.inner.close()  # type: ignore[attr-defined]

    def take_fills(self) -> list[Fill]:
        """The wrapped paper venue's fills (the manager takes them); a buy marks its trading day."""
        fills: list[Fill] = self.inner.take_fills()  # type: ignore[attr-defined]
        for fill in fills:
            if fill.action is OrderAction.BUY:
                self.bought[fill.symbol] = fill.ts.astimezone(SHANGHAI).date().isoformat()  # saved with the next order
        return fills

    async def market(self, symbol: str) -> MarketSpec:
        return await self.inner.market(symbol)  # type: ignore[attr-defined]

    async def prepare(self, symbol: str, leverage: int) -> None:
        await self.inner.prepare(symbol, leverage)  # type: ignore[attr-defined]

    async def place_order(self, request: OrderRequest) -> VenueOrder:
        if request.type in CONDITIONAL and self.locked(request.symbol):
            self.held[request.client_id] = request
            await self._save()
            return VenueOrder(client_id=request.client_id, symbol=request.symbol, status=OrderStatus.OPEN,
                              action=request.action, type=request.type, qty=request.qty, price=request.price,
                              trigger_price=request.trigger_price, reduce_only=True)
        if request.type not in CONDITIONAL and not self.ended:
            now = self.clock.now()
            if not self.rules.is_open(now):
                nxt = self.rules.next_open(now).astimezone(SHANGHAI)
                raise InvalidOrder(f"the A-share market is closed; the next session opens "
                                   f"{nxt:%Y-%m-%d %H:%M} Asia/Shanghai")
            if request.action is OrderAction.SELL and self.locked(request.symbol):
                raise InvalidOrder(f"{request.symbol}: cannot exit yet — shares bought today can be sold from "
                                   f"the next trading day (T+1)")
            request = self._inside_limits(request)
        if request.action is OrderAction.BUY:
            self.bought[request.symbol] = self._day().isoformat()
            await self._save()
        return await self.inner.place_order(request)  # type: ignore[attr-defined]

    def band(self, symbol: str) -> tuple[Decimal, Decimal] | None:
        """Today's (limit-down, limit-up) from the previous day's close (±5 % for ST stocks)."""
        return self.rules.price_band(symbol, self.prev_close.get(symbol))

    def _inside_limits(self, request: OrderRequest) -> OrderRequest:
        """A limit order is priced inside the day's limits, as the qmt broker does."""
        band = self.band(request.symbol)
        if request.type is not OrderType.LIMIT or request.price is None or band is None:
            return request
        return replace(request, price=min(max(request.price, band[0]), band[1]))

    async def cancel_order(self, client_id: str, symbol: str) -> VenueOrder | None:
        held = self.held.pop(client_id, None)
        if held is not None:
            await self._save()
            return VenueOrder(client_id=client_id, symbol=symbol, status=OrderStatus.CANCELLED, action=held.action,
                              type=held.type, qty=held.qty, trigger_price=held.trigger_price, reduce_only=True)
        return await self.inner.cancel_order(client_id, symbol)  # type: ignore[attr-defined]

    async def fetch_order(self, client_id: str, symbol: str) -> VenueOrder | None:
        held = self.held.get(client_id)
        if held is not None:
            return VenueOrder(client_id=client_id, symbol=symbol, status=OrderStatus.OPEN, action=held.action,
                              type=held.type, qty=held.qty, trigger_price=held.trigger_price, reduce_only=True)
        return await self.inner.fetch_order(client_id, symbol)  # type: ignore[attr-defined]

    async def fetch_fills(self, client_id: str, symbol: str) -> list[Fill]:
        return await self.inner.fetch_fills(client_id, symbol)  # type: ignore[attr-defined]

    async def open_orders(self, symbol: str | None = None) -> list[VenueOrder]:
        orders: list[VenueOrder] = await self.inner.open_orders(symbol)  # type: ignore[attr-defined]
        for held in self.held.values():
            if symbol is None or held.symbol == symbol:
                orders.append(VenueOrder(client_id=held.client_id, symbol=held.symbol, status=OrderStatus.OPEN,
                                         action=held.action, type=held.type, qty=held.qty,
                                         trigger_price=held.trigger_price, reduce_only=True))
        return orders

    async def positions(self) -> list[VenuePosition]:
        return await self.inner.positions()  # type: ignore[attr-defined]

    async def balance(self) -> Balance:
        return await self.inner.balance()  # type: ignore[attr-defined]

    async def on_price(self, tick: PriceTick) -> None:
        await self.inner.on_price(tick)  # type: ignore[attr-defined]  # the venue's mark first
        day, last = self.rules.calendar.trading_day(tick.ts), self._last.get(tick.symbol)
        if last is not None and last[0] < day:  # a new trading day: yesterday's last price sets the limits
            self.prev_close[tick.symbol] = last[1]
        self._last[tick.symbol] = (day, tick.price)
        due = [r for r in self.held.values() if r.symbol == tick.symbol and not self.locked(r.symbol)]
        if due and self.rules.is_open(tick.ts):
            for request in due:  # armed from this session: the venue takes them now
                self.held.pop(request.client_id)
                trigger = request.trigger_price if request.trigger_price is not None else request.price
                sell, stop = request.action is OrderAction.SELL, request.type is OrderType.STOP_MARKET
                crossed = trigger is not None and ((tick.price <= trigger) if stop == sell else (tick.price >= trigger))
                if crossed:  # the price opened beyond it: it executes at once, at market
                    request = replace(request, type=OrderType.MARKET, price=None, trigger_price=None)
                try:
                    await self.inner.place_order(request)  # type: ignore[attr-defined]
                except BrokerError as exc:  # e.g. a target after the stop closed the position
                    log.info("held %s not placed: %s", request.client_id, exc)
            await self._save()

    def mark_price(self, symbol: str) -> Decimal | None:
        return self.inner.mark_price(symbol)  # type: ignore[attr-defined]
