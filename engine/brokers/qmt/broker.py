"""``QmtBroker``: A-shares through a QMT bridge, behind the same Broker protocol as paper and ccxt.

Orders carry our client order id in ``order_remark``: an order whose answer was lost is found by
looking it up there, never re-sent blindly, and a request for an id QMT already has returns that
order. Fills are polled from ``query_stock_trades`` (the protocol pushes nothing). Stops and
targets are held by ``triggers.TriggerBook`` and sent as marketable limit orders when a quote
crosses them in a session (``engine.brokers.qmt.firing``). The market's rules (lots, T+1, price limits, sessions, costs) come from
``engine.market_rules.ashare``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from engine.brokers.base import FillHandler, StateStore
from engine.brokers.errors import AuthError, BrokerError, InvalidOrder, UnknownOutcome
from engine.brokers.qmt import convert
from engine.brokers.qmt.client import TOKEN_VARIABLE, QmtClient
from engine.brokers.qmt.firing import Notice, TriggerFiring
from engine.brokers.qmt.triggers import TriggerBook
from engine.clock import Clock
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
from engine.market_rules.ashare import AShareRules, ashare_spec, is_ashare_symbol, to_tick
from engine.market_rules.calendar import SHANGHAI
from engine.qmt import protocol as p

log = logging.getLogger("engine.brokers.qmt")

LOOKUP_DELAYS = (0.2, 0.5, 1.0)  # waits before each look-up after an unknown outcome
CONDITIONAL = (OrderType.STOP_MARKET, OrderType.TAKE_PROFIT)


class QmtBroker(TriggerFiring):
    name = "qmt"
    paper = False

    def __init__(self, client: QmtClient, clock: Clock, *, store: StateStore | None = None,
                 rules: AShareRules | None = None, poll_seconds: float = 2.0, max_orders_per_min: int = 5,
                 strategy_name: str = "signalpilot") -> None:
        self.client = client
        self.clock = clock
        self.rules = rules or AShareRules()
        self.triggers = TriggerBook(store)
        self.poll_seconds = poll_seconds
        self.max_orders_per_min = max_orders_per_min
        self.strategy_name = strategy_name
        self._handler: FillHandler | None = None
        self._marks: dict[str, Decimal] = {}
        self._closes: dict[str, Decimal] = {}
        self._seen_trades: set[str] = set()
        self._sent: deque[Any] = deque()
        self._poller: asyncio.Task[None] | None = None
        self._firing: set[str] = set()
        self.notices: Notice | None = None  # tells the user why an exit waits (T+1, limit-down)
        self.started = False

    # --- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        """Check the token, learn QMT's trades (fills before now are recovery's job), load triggers."""
        try:
            await self.client.call("query_stock_asset")
        except AuthError as exc:
            await self.client.close()
            raise AuthError(f"{exc} — check {TOKEN_VARIABLE}") from None
        except BaseException:
            await self.client.close()
            raise
        for raw in await self.client.call("query_stock_trades") or []:
            self._seen_trades.add(str(raw.get("traded_id")))
        await self.triggers.load()
        if self._poller is None and self.poll_seconds > 0:
            self._poller = asyncio.create_task(self._poll_loop(), name="qmt-fills")
        self.started = True

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        await self.client.close()

    def on_fill(self, handler: FillHandler) -> None:
        self._handler = handler

    # --- markets -----------------------------------------------------------------------------------
    async def market(self, symbol: str) -> MarketSpec:
        if not is_ashare_symbol(symbol):
            raise InvalidOrder(f"{symbol!r} is not an A-share symbol (use 600000.SH or 000001.SZ)")
        return ashare_spec(symbol)

    async def prepare(self, symbol: str, leverage: int) -> None:
        """A-shares are cash only: nothing to set (the planner's leverage is capped at 1)."""

    async def quote(self, symbol: str) -> dict[str, Any] | None:
        """The ``get_full_tick`` entry of ``symbol``, or None when the server offers no quotes."""
        try:
            data = await self.client.call("get_full_tick", code_list=[symbol])
        except BrokerError as exc:
            if isinstance(exc, AuthError):
                raise
            return None
        entry = (data or {}).get(symbol)
        if entry:
            if entry.get("lastClose"):
                self._closes[symbol] = convert.dec(entry["lastClose"])
            if entry.get("lastPrice"):
                self._marks[symbol] = convert.dec(entry["lastPrice"])
        return entry

    async def band(self, symbol: str) -> tuple[Decimal, Decimal] | None:
        if symbol not in self._closes:
            await self.quote(symbol)
        return self.rules.price_band(symbol, self._closes.get(symbol))

    # --- orders ------------------------------------------------------------------------------------
    async def place_order(self, request: OrderRequest) -> VenueOrder:
        spec = await self.market(request.symbol)
        if len(request.client_id) > p.REMARK_MAX:  # QMT would cut it: the order could not be found again
            raise InvalidOrder(f"client order id {request.client_id!r} is longer than QMT's order_remark "
                               f"({p.REMARK_MAX} characters)")
        existing = await self._venue_order(request.client_id)
        if existing is not None:
            return existing  # QMT has this id already (a retry after a lost answer or a crash)
        if request.type in CONDITIONAL:
            return await self._arm(request)
        if request.action is OrderAction.SELL and not request.reduce_only and not await self._held(spec.symbol):
            raise InvalidOrder("A-shares are long only: nothing to sell short")
        self._check_session()
        if request.action is OrderAction.BUY:
            qty = self.rules.buy_qty(request.qty)
            if qty <= 0:
                raise InvalidOrder(f"{spec.symbol}: {request.qty} shares is less than one lot of 100")
        else:
            usable = await self._sellable(spec.symbol)
            if usable <= 0:
                raise InvalidOrder(f"{spec.symbol}: cannot exit yet — shares bought today can be sold from "
                                   f"the next trading day (T+1)")
            qty = self.rules.sell_qty(min(request.qty, usable), usable)
        price_type, price = await self._price(request, spec.symbol)
        return await self._send(request.client_id, spec.symbol, request.action, qty, price_type, price)

    def _check_session(self) -> None:
        now = self.clock.now()
        if not self.rules.is_open(now):
            nxt = self.rules.next_open(now).astimezone(SHANGHAI)
            raise InvalidOrder(f"the A-share market is closed; the next session opens "
                               f"{nxt:%Y-%m-%d %H:%M} Asia/Shanghai")

    def _check_rate(self) -> None:
        cutoff = self.clock.now() - timedelta(minutes=1)
        while self._sent and self._sent[0] < cutoff:
            self._sent.popleft()
        if len(self._sent) >= self.max_orders_per_min:
            raise InvalidOrder(f"order cap reached: {self.max_orders_per_min} orders a minute")

    async def _price(self, request: OrderRequest, symbol: str) -> tuple[int, Decimal]:
        band = await self.band(symbol)
        if request.type is OrderType.LIMIT and request.price is not None:
            price = to_tick(request.price)
            if band is not None:
                price = min(max(price, band[0]), band[1])
            return p.FIX_PRICE, price
        last = self._marks.get(symbol)
        if last is None:
            await self.quote(symbol)
            last = self._marks.get(symbol)
        if last is None:
            return p.LATEST_PRICE, Decimal(0)
        return p.FIX_PRICE, self.rules.marketable_price(request.action, last, band)

    async def _send(self, client_id: str, symbol: str, action: OrderAction, qty: Decimal, price_type: int,
                    price: Decimal) -> VenueOrder:
        self._check_rate()
        self._sent.append(self.clock.now())
        side = p.STOCK_BUY if action is OrderAction.BUY else p.STOCK_SELL
        try:
            order_id = await self.client.call("order_stock", stock_code=symbol, order_type=side,
                                              order_volume=int(qty), price_type=price_type, price=float(price),
                                              strategy_name=self.strategy_name, order_remark=client_id)
        except UnknownOutcome:
            found = await self._look_up_after_unknown(client_id)
            if found is not None:
                return found
            raise
        if order_id is None or int(order_id) < 0:
            raise InvalidOrder(f"QMT refused the order {client_id} ({symbol} {action.value} {qty} @ {price})")
        raw = await self._raw_by_id(int(order_id))
        if raw is None:
            return VenueOrder(client_id=client_id, symbol=symbol, status=OrderStatus.OPEN, exchange_id=str(order_id),
                              action=action, type=OrderType.LIMIT, qty=qty, price=price)
        order = convert.venue_order(raw, client_id)
        if order.status is OrderStatus.REJECTED:
            raise InvalidOrder(f"QMT rejected {client_id}: {raw.get('status_msg') or 'junk order'}",
                               venue_code=str(p.ORDER_JUNK))
        return order

    async def _look_up_after_unknown(self, client_id: str) -> VenueOrder | None:
        for delay in LOOKUP_DELAYS:
            await self.clock.sleep(delay)
            try:
                found = await self._venue_order(client_id)
            except BrokerError as exc:
                log.warning("look-up of %s after an unknown outcome failed: %s", client_id, exc)
                continue
            if found is not None:
                log.warning("order %s reached QMT despite the lost answer; not resending", client_id)
                return found
        return None

    async def cancel_order(self, client_id: str, symbol: str) -> VenueOrder | None:
        trig = self.triggers.items.get(client_id)
        if trig is not None and trig.status == "armed":
            trig.status = "cancelled"
            await self.triggers.save()
            return trig.as_venue_order()
        raw = await self._raw_by_remark(client_id)
        if raw is None:
            return trig.as_venue_order() if trig is not None else None
        order = convert.venue_order(raw, client_id)
        if order.status.is_final:
            return order
        result = await self.client.call("cancel_order_stock", order_id=int(raw["order_id"]))
        after = await self._raw_by_remark(client_id)
        order = convert.venue_order(after or raw, client_id)
        if result == 0 and not order.status.is_final:
            order = replace(order, status=OrderStatus.CANCELLED)  # QMT confirms the cancel asynchronously
        return order

    async def fetch_order(self, client_id: str, symbol: str) -> VenueOrder | None:
        trig = self.triggers.items.get(client_id)
        if trig is not None and trig.status != "fired":
            return trig.as_venue_order()
        found = await self._venue_order(client_id)
        if found is None and trig is not None:
            return replace(trig.as_venue_order(), status=OrderStatus.OPEN)  # fired, not yet at QMT: resent on a tick
        return found

    async def _venue_order(self, client_id: str) -> VenueOrder | None:
        raw = await self._raw_by_remark(client_id)
        return None if raw is None else convert.venue_order(raw, client_id)

    async def _raw_by_remark(self, client_id: str) -> dict[str, Any] | None:
        rows = [r for r in await self.client.call("query_stock_orders", cancelable_only=False) or []
                if r.get("order_remark") == client_id]
        return max(rows, key=lambda r: int(r.get("order_id") or 0)) if rows else None

    async def _raw_by_id(self, order_id: int) -> dict[str, Any] | None:
        rows = await self.client.call("query_stock_orders", cancelable_only=False) or []
        return next((r for r in rows if int(r.get("order_id") or 0) == order_id), None)

    async def fetch_fills(self, client_id: str, symbol: str) -> list[Fill]:
        rows = await self.client.call("query_stock_trades") or []
        return [self._fill(r, client_id) for r in rows if r.get("order_remark") == client_id]

    async def fills_since(self, symbol: str, since: datetime) -> list[Fill]:
        """Every trade of the account in ``symbol`` since ``since``, ours or not (QMT keeps the day's):
        reconciliation closes, at their real prices, positions sold outside the bot."""
        rows = await self.client.call("query_stock_trades") or []
        fills = [self._fill(r, str(r.get("order_remark") or f"venue-{r.get('order_id')}")) for r in rows
                 if r.get("stock_code") == symbol]
        return [f for f in fills if f.ts >= since]

    async def open_orders(self, symbol: str | None = None) -> list[VenueOrder]:
        rows = await self.client.call("query_stock_orders", cancelable_only=True) or []
        orders = [convert.venue_order(r) for r in rows if symbol is None or r.get("stock_code") == symbol]
        orders += [t.as_venue_order() for t in self.triggers.items.values()
                   if t.status == "armed" and (symbol is None or t.symbol == symbol)]
        return [o for o in orders if not o.status.is_final]

    # --- account -----------------------------------------------------------------------------------
    async def _position_rows(self) -> list[dict[str, Any]]:
        return list(await self.client.call("query_stock_positions") or [])

    async def positions(self) -> list[VenuePosition]:
        found = [convert.position(r) for r in await self._position_rows()]
        return [p_ for p_ in found if p_ is not None]

    async def _held(self, symbol: str) -> Decimal:
        return sum((convert.dec(r.get("volume")) for r in await self._position_rows()
                    if r.get("stock_code") == symbol), Decimal(0))

    async def _sellable(self, symbol: str) -> Decimal:
        return sum((convert.dec(r.get("can_use_volume")) for r in await self._position_rows()
                    if r.get("stock_code") == symbol), Decimal(0))

    async def balance(self) -> Balance:
        return convert.balance(await self.client.call("query_stock_asset") or {})

    # --- fills -------------------------------------------------------------------------------------
    def _fill(self, raw: dict[str, Any], client_id: str) -> Fill:
        """A QMT trade as our fill; QMT reports no costs, so the market's statutory ones are applied."""
        action = convert.action_of(raw.get("order_type") or 0)
        fee = self.rules.costs(action, convert.dec(raw.get("traded_volume")), convert.dec(raw.get("traded_price")))
        return convert.fill(raw, client_id, fee, self.clock.now())

    async def poll(self) -> list[Fill]:
        """New trades since the last poll, handed to the fill handler in QMT's order."""
        new = []
        for raw in await self.client.call("query_stock_trades") or []:
            trade_id = str(raw.get("traded_id"))
            if trade_id in self._seen_trades:
                continue
            self._seen_trades.add(trade_id)
            fill = self._fill(raw, str(raw.get("order_remark") or f"venue-{raw.get('order_id')}"))
            new.append(fill)
            if self._handler is not None:
                self._handler(fill)
        return new

    async def _poll_loop(self) -> None:
        while True:
            await self.clock.sleep(self.poll_seconds)
            try:
                await self.poll()
            except BrokerError as exc:
                log.warning("QMT fill poll failed: %s", exc)

    def mark_price(self, symbol: str) -> Decimal | None:
        return self._marks.get(symbol)

