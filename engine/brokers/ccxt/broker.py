"""``CcxtBroker``: the live venue behind the Broker protocol, written against ccxt's unified API.

Venue quirks come from its ``Venue`` declaration (``venues/``); ccxt errors are mapped in
``errors.py`` and retried by ``retry.Caller``; fills reach the engine through ``FillRouter``,
fed by the user-data stream (``streams.py``) or, while it is down, by REST polling.
Order creation is never retried blindly: after an unknown outcome the order is looked up by its
client id and returned if it reached the venue.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from engine.brokers.base import FillHandler
from engine.brokers.ccxt import convert
from engine.brokers.ccxt.account import Account
from engine.brokers.ccxt.fills import FillRouter
from engine.brokers.ccxt.lookups import OrderLookup
from engine.brokers.ccxt.retry import Caller
from engine.brokers.ccxt.streams import StreamConfig, UserStream
from engine.brokers.ccxt.venues import Venue
from engine.brokers.errors import (
    AuthError,
    BrokerError,
    InvalidOrder,
    OrderNotFound,
    UnknownOutcome,
)
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
from engine.domain.values import floor_to_step, round_to_step, to_millis
from engine.market.base import PriceTick

log = logging.getLogger("engine.brokers.ccxt")

LOOKUP_DELAYS = (0.2, 0.5, 1.0)  # waits before each look-up after an unknown outcome


class CcxtBroker:
    """A live exchange through ccxt. Build it with ``build_broker(settings, clock)``."""

    paper = False

    def __init__(self, exchange: Any, venue: Venue, clock: Clock, *, has_keys: bool,
                 streams: bool = True, stream_config: StreamConfig | None = None) -> None:
        self.name = venue.name
        self.venue = venue
        self.exchange = exchange
        self.clock = clock
        self.call = Caller(exchange, clock)
        self.router = FillRouter(venue)
        self.lookup = OrderLookup(exchange, self.call, self.router, venue)
        self.account = Account(exchange, self.call, venue)
        self._has_keys = has_keys
        self._marks: dict[str, Decimal] = {}
        self._specs: dict[str, MarketSpec] = {}
        self.stream: UserStream | None = None
        if streams and venue.websocket and hasattr(exchange, "watch_orders"):
            self.stream = UserStream(exchange, clock, self.lookup, stream_config or StreamConfig())
        self.started = False

    # --- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Load markets, check the keys and the position mode, learn resting orders, open streams.

        Raises ``AuthError`` (missing or refused keys) or ``PositionModeError`` (hedge mode with
        open positions or orders) before anything is placed.
        """
        if not self._has_keys:
            await self.close()
            raise AuthError("live trading needs SP_EXCHANGE__API_KEY and SP_EXCHANGE__API_SECRET")
        self.exchange.open()  # again after a failed start: ccxt refuses requests on a closed client
        try:
            await self._start()
        except BaseException:
            await self.close()  # nothing placed, no socket or session left open
            raise
        self.started = True

    async def _start(self) -> None:
        await self.call("load markets", self.exchange.load_markets)
        try:
            await self.call("check API keys", self.exchange.fetch_balance)
        except AuthError as exc:
            raise AuthError(f"{self.name} refused the API keys (check key, secret, IP whitelist and "
                            f"futures permission): {exc}", venue_code=exc.venue_code) from None
        await self.account.ensure_one_way(self._exposure)
        await self.account.load_leverage_limits()
        await self.open_orders()  # resting orders of an earlier run: their fills map to our ids
        if self.stream is not None:
            await self.stream.start()

    async def close(self) -> None:
        if self.stream is not None:
            await self.stream.stop()
        try:
            await self.exchange.close()
        except Exception:  # closing twice or a half-open socket: nothing to keep
            log.debug("exchange close failed", exc_info=False)

    def on_fill(self, handler: FillHandler) -> None:
        self.router.set_handler(handler)

    # --- markets ---------------------------------------------------------------------------
    async def market(self, symbol: str) -> MarketSpec:
        spec = self._specs.get(symbol)
        if spec is not None:
            return spec
        if not self.exchange.markets:
            await self.call("load markets", self.exchange.load_markets)
        market = convert.find_market(self.exchange.markets, getattr(self.exchange, "markets_by_id", None), symbol,
                                     self.venue.settle)
        if market is None:
            raise InvalidOrder(f"{self.name} has no market {symbol!r}")
        spec = convert.market_spec(market, self.exchange.precisionMode,
                                   self.account.max_leverage(market["symbol"]))
        self._specs[symbol] = spec
        return spec

    async def prepare(self, symbol: str, leverage: int) -> None:
        spec = await self.market(symbol)
        await self.account.prepare(spec.symbol, leverage)

    async def _exposure(self) -> tuple[int, int]:
        """(open positions, resting orders) on the venue."""
        return len(await self.positions()), len(await self.open_orders())

    # --- orders ----------------------------------------------------------------------------
    async def place_order(self, request: OrderRequest) -> VenueOrder:
        spec = await self.market(request.symbol)
        symbol = spec.symbol
        qty, price, trigger = self._rounded(request, spec)
        conditional = self.venue.is_conditional(request.type)
        kind, ccxt_price, params = self.venue.order_args(request, qty, price, trigger)
        tracked = self.router.track(request.client_id, symbol, conditional)
        tracked.status = OrderStatus.NEW
        action = f"place {request.type.value} {request.action.value} {symbol} ({request.client_id})"
        try:
            raw = await self.call(action, self.exchange.create_order, symbol, kind, request.action.value,
                                  float(qty), ccxt_price, params, creating=True)
        except UnknownOutcome:
            found = await self._look_up_after_unknown(request.client_id, symbol, conditional)
            if found is not None:
                return found
            self.router.orders.pop(request.client_id, None)
            raise
        except InvalidOrder as exc:
            if exc.venue_code == "-4116" or "duplicate" in str(exc).lower():
                found = await self.fetch_order(request.client_id, symbol)
                if found is not None:
                    return found
            tracked.status = OrderStatus.REJECTED
            raise
        except BrokerError:
            tracked.status = OrderStatus.REJECTED
            raise
        raw = {**raw, "clientOrderId": request.client_id}  # ours, whatever form the venue keeps it in
        self.router.learn(raw)
        return convert.venue_order(raw, request.client_id)

    def _rounded(self, req: OrderRequest, spec: MarketSpec) -> tuple[Decimal, Decimal | None, Decimal | None]:
        qty = floor_to_step(req.qty, spec.qty_step)
        if qty <= 0 or qty < spec.min_qty:
            raise InvalidOrder(f"{spec.symbol}: quantity {req.qty} is below the minimum {spec.min_qty} "
                               f"(step {spec.qty_step})")
        price = round_to_step(req.price, spec.price_step) if req.price is not None else None
        trigger = req.trigger_price
        if req.type is OrderType.TAKE_PROFIT and trigger is None:
            trigger = req.price
        trigger = round_to_step(trigger, spec.price_step) if trigger is not None else None
        if req.type is OrderType.LIMIT and price is None:
            raise InvalidOrder(f"{spec.symbol}: a limit order needs a price")
        if req.type in (OrderType.STOP_MARKET, OrderType.TAKE_PROFIT) and trigger is None:
            raise InvalidOrder(f"{spec.symbol}: a {req.type.value} order needs a trigger price")
        if req.type is OrderType.TAKE_PROFIT and price is None:
            price = trigger
        reduce_only = req.reduce_only or req.type in (OrderType.STOP_MARKET, OrderType.TAKE_PROFIT)
        reference = price or trigger or self.mark_price(spec.symbol)
        if not reduce_only and spec.min_notional > 0 and reference is not None:
            if qty * reference < spec.min_notional:
                raise InvalidOrder(f"{spec.symbol}: order value {qty * reference} is below the minimum "
                                   f"notional {spec.min_notional}")
        return qty, price, trigger

    async def _look_up_after_unknown(self, client_id: str, symbol: str, conditional: bool) -> VenueOrder | None:
        """After a timeout on creation: did the order reach the venue? (never resend blindly)"""
        for delay in LOOKUP_DELAYS:
            await self.clock.sleep(delay)
            try:
                found = await self.lookup.fetch(client_id, symbol, conditional)
            except BrokerError as exc:
                log.warning("look-up of %s after an unknown outcome failed: %s", client_id, exc)
                continue
            if found is not None:
                log.warning("order %s reached %s despite the timeout; not resending", client_id, self.name)
                return found
        return None

    async def cancel_order(self, client_id: str, symbol: str) -> VenueOrder | None:
        conditional = self.lookup.is_conditional_id(client_id)
        params = dict(self.venue.conditional_params if conditional else {})
        try:
            raw = await self.call(f"cancel {client_id}", self.venue.cancel_by_client_id, self.exchange, client_id,
                                  symbol, params)
        except OrderNotFound:
            return await self.fetch_order(client_id, symbol)  # already filled, cancelled or never placed
        if raw.get("status") in (None, "open"):
            raw = {**raw, "status": "canceled"}
        raw = {**raw, "clientOrderId": client_id, "symbol": raw.get("symbol") or symbol}
        tracked = self.router.orders.get(client_id)
        if tracked is not None:
            tracked.status = OrderStatus.CANCELLED
        order = convert.venue_order(raw, client_id)
        if order.filled_qty > 0 and tracked is not None:
            tracked.filled = max(tracked.filled, order.filled_qty)
        return order

    async def fetch_order(self, client_id: str, symbol: str) -> VenueOrder | None:
        return await self.lookup.fetch_order(client_id, symbol)

    async def fetch_fills(self, client_id: str, symbol: str) -> list[Fill]:
        order = await self.fetch_order(client_id, symbol)
        if order is None:
            return []
        raws = await self.lookup.trades_of(client_id, symbol, order.exchange_id)
        return [convert.fill(raw, client_id) for raw in raws]

    async def fills_since(self, symbol: str, since: datetime) -> list[Fill]:
        """Every trade of the account in ``symbol`` since ``since``, ours or not (reconciliation
        uses it to close, at their real prices, positions closed outside the bot)."""
        spec = await self.market(symbol)
        raws = await self.call(f"trades of {spec.symbol}", self.exchange.fetch_my_trades, spec.symbol,
                               to_millis(since))
        return [convert.fill(raw, self.router.resolve(raw) or f"venue-{raw.get('order')}") for raw in raws]

    async def open_orders(self, symbol: str | None = None) -> list[VenueOrder]:
        """Resting orders, including the conditional (stop / take-profit) ones."""
        raws = list(await self.call("open orders", self.exchange.fetch_open_orders, symbol))
        if self.venue.separate_conditional_book:
            raws += await self.call("open trigger orders", self.exchange.fetch_open_orders, symbol, None,
                                    None, dict(self.venue.conditional_params))
        orders = []
        for raw in raws:
            tracked = self.router.learn(raw)
            if tracked is None and raw.get("clientOrderId"):
                self.router.track(raw["clientOrderId"], raw["symbol"], self.venue.is_conditional_raw(raw),
                                  None if raw.get("id") is None else str(raw["id"]))
            orders.append(convert.venue_order(raw))
        if symbol is None and self.stream is not None:
            self.stream.listed(raws)  # the listing doubles as the fill poll (engine/brokers/ccxt/streams.py)
        return orders

    # --- account ---------------------------------------------------------------------------
    async def positions(self) -> list[VenuePosition]:
        raws = await self.call("positions", self.exchange.fetch_positions)
        found = [convert.venue_position(raw) for raw in raws]
        return [p if raw.get("leverage") else replace(p, leverage=self.account.leverage_of(p.symbol))
                for p, raw in zip(found, raws, strict=True) if p is not None]

    async def balance(self) -> Balance:
        raw = await self.call("balance", self.exchange.fetch_balance)
        return self.venue.balance_from(raw)

    # --- prices ----------------------------------------------------------------------------
    async def on_price(self, tick: PriceTick) -> None:
        self._marks[tick.symbol] = tick.price

    def mark_price(self, symbol: str) -> Decimal | None:
        return self._marks.get(symbol)
