"""PaperBroker: a simulated Binance USDⓈ-M futures venue (one-way mode, isolated margin).

Paper trading is a product feature: orders are validated like the exchange validates them,
market orders pay slippage and taker fees, limits and take-profits rest and pay maker fees,
stops trigger on the right side and fill past a gap, a stop or take-profit already crossed when
placed is refused as Binance refuses it (-2021, "would immediately trigger"), reduce-only orders
never increase or flip a position, and isolated positions are liquidated. State is restored by ``start()``, so positions and resting orders
survive a restart.

Persistence is by rows, of what changed (``PaperState.take_changes``): alone, each operation saves
its changes through its ``PaperStore`` before it returns; driven by the position manager
(``defer_saves``), the changes wait for the manager, which writes them in the same transaction as
what it does with them (the fill, the position, the orders, the alerts). Fills are queued, never
pushed to anyone: ``take_fills`` hands them over in the order they happened.
Arithmetic and rounding rules: ``engine.brokers.paper_ledger``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Protocol

from config.settings import BrokerSettings, default_paper_balance
from engine.brokers import paper_ledger as L
from engine.brokers.errors import (
    BrokerError,
    InsufficientFunds,
    InvalidOrder,
    UnknownOutcome,
    WouldTriggerImmediately,
)
from engine.brokers.paper_checks import check_leverage, validate
from engine.brokers.paper_state import PaperChanges, PaperOrder, PaperState
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
from engine.domain.values import HUNDRED, ZERO, OrderAction
from engine.locks import free
from engine.market.base import PriceTick

# (symbol, action, qty, price) → the fill's costs, or None for the fee rates
Costs = Callable[[str, OrderAction, Decimal, Decimal], Decimal | None]

log = logging.getLogger("engine.brokers.paper")
_LOG = {"component": "paper"}


class PaperStore(Protocol):
    """Where the paper account lives between runs (the database's ``paper_*`` tables)."""

    async def load(self) -> PaperState | None: ...

    async def save(self, changes: PaperChanges) -> None: ...


class PaperBroker:
    """The simulated venue behind the ``Broker`` protocol. Without a store, state lives in memory only.

    ``history_limit`` bounds how many final orders (with their fills) are remembered for look-ups
    and idempotent re-sends; resting orders, and filled orders of a symbol whose position is still
    open, are always kept.
    """

    name = "paper"
    paper = True

    def __init__(self, settings: BrokerSettings, clock: Clock, markets: Callable[[str], Awaitable[MarketSpec]],
                 store: PaperStore | None = None, currency: str = "USDT", *, history_limit: int = 200,
                 costs: Costs | None = None) -> None:
        self.currency = currency
        self._costs = costs  # a market's statutory costs (A-shares) instead of the fee rates
        self._settings = settings
        self._clock = clock
        self._markets = markets
        self._store = store
        self._history_limit = history_limit
        self._slip = settings.slippage_pct / HUNDRED
        self._mm = settings.maintenance_margin_pct / HUNDRED
        initial = settings.paper_balance
        self._state = PaperState(wallet=initial if initial is not None else default_paper_balance(currency))
        self._marks: dict[str, Decimal] = {}
        self._specs: dict[str, MarketSpec] = {}
        self._fills: list[Fill] = []  # not taken yet (take_fills)
        self._saved_fills: list[Fill] = []  # alone: saved, so ready to be taken
        self._unsaved: list[PaperChanges] = []  # alone: changes whose save failed (saved again first)
        self._lock = asyncio.Lock()
        self._loaded = store is None
        self._deferred = False  # the position manager saves the changes (take_changes)

    # --- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        async with self._lock:
            await self._load()

    async def close(self) -> None:
        async with self._lock:
            if self._loaded and self._store is not None:
                changes = self.take_changes()
                if changes:
                    await self._store.save(changes)

    def defer_saves(self) -> None:
        """From now on the caller writes the changes (``take_changes``) in its own transactions."""
        self._deferred = True

    def take_changes(self) -> PaperChanges:
        """What changed since the last call: the rows to write (the history trimmed first)."""
        self._state.prune(self._history_limit)
        return self._state.take_changes()

    def take_fills(self) -> list[Fill]:
        """The fills since the last call, in the order they happened (alone: once they are saved)."""
        if self._deferred or self._store is None:
            fills, self._fills = self._fills, []
        else:
            fills, self._saved_fills = self._saved_fills, []
        return fills

    async def market(self, symbol: str) -> MarketSpec:
        return await self._spec(symbol)

    async def prepare(self, symbol: str, leverage: int) -> None:
        async with self._lock:
            await self._load()
            check_leverage(symbol, leverage, await self._spec(symbol), self._mm)
            if self._state.leverage.get(symbol) != leverage:
                self._state.set_leverage(symbol, leverage)
                await self._commit()

    # --- orders ----------------------------------------------------------------------------------
    async def place_order(self, request: OrderRequest) -> VenueOrder:
        async with self._lock:
            await self._load()
            existing = self._state.orders.get(request.client_id)
            if existing is not None and existing.status.is_final:
                return existing.view()  # an idempotent re-send: nothing happens again
            try:
                if existing is not None:
                    raise InvalidOrder(f"client order id {request.client_id} is already used by an open order",
                                       venue_code="duplicate_client_id")
                order, fill = await self._accept(request)
            except BrokerError as exc:
                log.info("paper rejected %s %s %s %s %s: %s", request.client_id, request.symbol,
                         request.type.value, request.action.value, request.qty, exc, extra=_LOG)
                raise
            try:
                await self._commit()
            except Exception as exc:  # executed in memory, not saved: the caller must look it up
                raise UnknownOutcome(f"paper order {order.client_id} was executed but its state could not "
                                     f"be saved ({type(exc).__name__}); fetch it by client id") from exc
            if fill is None:
                log.info("paper accepted %s %s %s %s %s (resting)", order.client_id, order.symbol,
                         order.type.value, order.action.value, order.qty, extra=_LOG)
            return order.view()

    async def cancel_order(self, client_id: str, symbol: str) -> VenueOrder | None:
        async with self._lock:
            await self._load()
            order = self._find(client_id, symbol)
            if order is None:
                return None
            if order.status is OrderStatus.OPEN:
                self._cancel(order, "cancelled by request")
                await self._commit()
            return order.view()

    async def fetch_order(self, client_id: str, symbol: str) -> VenueOrder | None:
        async with self._lock:
            await self._load()
            order = self._find(client_id, symbol)
            return None if order is None else order.view()

    async def fetch_fills(self, client_id: str, symbol: str) -> list[Fill]:
        async with self._lock:
            await self._load()
            if self._find(client_id, symbol) is None:
                return []
            return list(self._state.fills.get(client_id, ()))

    async def open_orders(self, symbol: str | None = None) -> list[VenueOrder]:
        async with self._lock:
            await self._load()
            return [o.view() for o in self._state.open_orders(symbol)]

    # --- account ---------------------------------------------------------------------------------
    async def positions(self) -> list[VenuePosition]:
        async with self._lock:
            await self._load()
            return [L.position_view(p, self._marks.get(p.symbol), self._mm) for p in self._state.positions.values()]

    async def position(self, symbol: str) -> VenuePosition | None:
        """One symbol's position (without building every other's)."""
        async with self._lock:
            await self._load()
            pos = self._state.positions.get(symbol)
            return None if pos is None else L.position_view(pos, self._marks.get(symbol), self._mm)

    async def balance(self) -> Balance:
        async with self._lock:
            await self._load()
            return L.balance_view(self._state, self._marks, self.currency)

    def mark_price(self, symbol: str) -> Decimal | None:
        return self._marks.get(symbol)

    # --- matching --------------------------------------------------------------------------------
    async def on_price(self, tick: PriceTick) -> None:
        """Set the mark; liquidate a crossed position; then fill triggered orders in a fixed order."""
        if self._deferred and self._loaded and self._state.idle(tick.symbol) and free(self._lock):
            # a quiet symbol (no position, no resting order): only the mark moves. Nothing can fill,
            # its exposure is nil and the manager takes the (absent) changes: the same as below, in O(1)
            self._marks[tick.symbol] = tick.price
            return
        async with self._lock:
            await self._load()
            symbol, price = tick.symbol, tick.price
            self._marks[symbol] = price
            pos = self._state.positions.get(symbol)
            if pos is not None and L.liquidated(pos, self._mm, price):
                self._liquidate(symbol)
            for order in sorted(self._state.open_orders(symbol), key=L.match_rank):
                if order.status is not OrderStatus.OPEN:
                    continue  # cancelled by an earlier fill of this tick
                await self._match(order, price)
            L.refresh(self._state, symbol, price)
            await self._commit()

    async def _match(self, order: PaperOrder, price: Decimal) -> Fill | None:
        if order.type is OrderType.STOP_MARKET:
            assert order.trigger_price is not None
            if not L.stop_triggered(order.action, order.trigger_price, price):
                return None
            spec = await self._spec(order.symbol)
            fill_price = L.stop_fill_price(order, price, self._slip, spec.price_step)
            return self._execute(order, fill_price, maker=False, check_funds=False)
        level = order.level
        assert level is not None
        if not L.limit_crossed(order.action, level, price):
            return None
        return self._execute(order, level, maker=True, check_funds=False)

    # --- internals -------------------------------------------------------------------------------
    async def _accept(self, req: OrderRequest) -> tuple[PaperOrder, Fill | None]:
        """Validate and place one request; returns the order and its immediate fill, if any."""
        spec = await self._spec(req.symbol)
        state, mark = self._state, self._marks.get(req.symbol)
        pos = state.positions.get(req.symbol)
        leverage = state.leverage.get(req.symbol, req.leverage)
        reference = validate(req, spec, reduces=L.reduces(pos, req.action), leverage=leverage, mark=mark, mm=self._mm)
        order = PaperOrder(seq=state.order_seq + 1, client_id=req.client_id, symbol=req.symbol,
                           action=req.action, type=req.type, qty=req.qty, created_at=self._clock.now(),
                           price=req.price, trigger_price=req.trigger_price, reduce_only=req.reduce_only,
                           leverage=leverage)
        fill: Fill | None = None
        if req.type is OrderType.MARKET:
            assert mark is not None
            fill = self._execute(order, L.slipped(mark, req.action, self._slip, spec.price_step), maker=False)
        elif req.type is OrderType.STOP_MARKET:
            if mark is not None and L.stop_triggered(req.action, reference, mark):
                raise WouldTriggerImmediately(f"stop {reference} would trigger immediately at price {mark}",
                                              venue_code="-2021")
            self._rest(order)
        elif req.type is OrderType.TAKE_PROFIT and mark is not None and L.limit_crossed(req.action, reference, mark):
            # as Binance refuses a TAKE_PROFIT_MARKET whose trigger is crossed: the engine takes it at market
            raise WouldTriggerImmediately(f"take-profit {reference} would trigger immediately at price {mark}",
                                          venue_code="-2021")
        elif mark is not None and L.limit_crossed(req.action, reference, mark):
            fill = self._execute(order, L.marketable_price(req.action, reference, mark, spec.price_step),
                                 maker=False)
        else:
            if not req.reduce_only:  # hold margin for what the order would open, as the venue does
                opening = L.split_fill(pos, req.action, req.qty)[1]
                order.reserved = L.margin_for(reference * opening, L.opening_leverage(pos, req.action, leverage))
                needed = order.reserved + L.fee_for(reference * req.qty, self._settings.maker_fee)
                free = L.raw_free(state, self._marks)
                if opening > 0 and free < needed:
                    raise self._insufficient(needed, free)
            self._rest(order)
        state.order_seq = order.seq
        state.changed_account()
        return order, fill

    def _rest(self, order: PaperOrder) -> None:
        self._state.rest(order)

    def _execute(self, order: PaperOrder, price: Decimal, *, maker: bool, check_funds: bool = True) -> Fill | None:
        """Fill ``order`` completely (a reduce-only one up to the position) at ``price``."""
        state = self._state
        pos = state.positions.get(order.symbol)
        qty = order.qty
        if order.reduce_only:
            if pos is None or not L.reduces(pos, order.action):
                self._cancel(order, "nothing left to reduce")
                return None
            qty = min(qty, pos.qty)
        fee = L.fee_for(qty * price, self._settings.maker_fee if maker else self._settings.taker_fee)
        if self._costs is not None and (cost := self._costs(order.symbol, order.action, qty, price)) is not None:
            fee = cost
        if check_funds and not order.reduce_only:
            needed, available = L.shortfall(state, self._marks, order.symbol, order.action, qty, price, fee,
                                            order.leverage, skip_order=order.client_id)
            if available < needed:
                raise self._insufficient(needed, available)
        order.reserved = ZERO
        leverage = L.opening_leverage(pos, order.action, order.leverage)
        realized = L.apply_fill(state, order.symbol, order.action, qty, price, fee, leverage)
        L.refresh(state, order.symbol, self._marks.get(order.symbol))
        return self._record_fill(order, qty, price, fee, maker, realized)

    def _liquidate(self, symbol: str) -> Fill:
        """Close an isolated position at its liquidation price; the wallet loses exactly its margin."""
        state = self._state
        pos = state.positions[symbol]
        for order in state.open_orders(symbol):  # the venue cancels the symbol's orders first
            self._cancel(order, "liquidation")
        price = L.liquidation_price(pos, self._mm)
        gross = L.pnl(pos, price, pos.qty)
        fee = max(ZERO, pos.margin + gross)  # clearance fee: what the margin had left at liquidation
        state.liq_seq += 1
        order = PaperOrder(seq=state.order_seq + 1, client_id=f"liq-{symbol}-{state.liq_seq}", symbol=symbol,
                           action=pos.side.exit_action, type=OrderType.MARKET, qty=pos.qty,
                           created_at=self._clock.now(), reduce_only=True, leverage=pos.leverage)
        state.order_seq = order.seq
        log.warning("paper liquidated %s %s %s entry %s at %s, margin %s lost", symbol, pos.side.value, pos.qty,
                    pos.entry, price, pos.margin, extra=_LOG)
        qty = pos.qty
        realized = L.apply_fill(state, symbol, order.action, qty, price, fee, pos.leverage)
        L.refresh(state, symbol, self._marks.get(symbol))
        fill = self._record_fill(order, qty, price, fee, False, realized)
        assert fill is not None
        return fill

    def _record_fill(self, order: PaperOrder, qty: Decimal, price: Decimal, fee: Decimal, maker: bool,
                     realized: Decimal) -> Fill:
        state = self._state
        state.trade_seq += 1
        now = self._clock.now()
        fill = Fill(trade_id=f"p{state.trade_seq}", client_id=order.client_id, symbol=order.symbol,
                    action=order.action, qty=qty, price=price, fee=fee, ts=now, is_maker=maker)
        order.status, order.filled_qty, order.avg_price, order.fee = OrderStatus.FILLED, qty, price, fee
        order.updated_at = now
        state.finish(order, fill)
        self._fills.append(fill)
        log.info("paper fill %s %s %s %s @ %s fee %s realized %s (%s) wallet %s", fill.trade_id,
                 order.client_id, order.action.value, qty, price, fee, realized,
                 "maker" if maker else "taker", state.wallet, extra=_LOG)
        for other in state.open_orders(order.symbol):  # reduce-only orders never outlive what they reduce
            if other.reduce_only and not L.reduces(state.positions.get(order.symbol), other.action):
                self._cancel(other, "position closed")
        return fill

    def _cancel(self, order: PaperOrder, why: str) -> None:
        order.status, order.reserved, order.updated_at = OrderStatus.CANCELLED, ZERO, self._clock.now()
        if order.client_id in self._state.orders:  # (a request refused before it rested is not recorded)
            self._state.finish(order)
        log.info("paper cancelled %s %s (%s)", order.client_id, order.symbol, why, extra=_LOG)

    def _insufficient(self, needed: Decimal, available: Decimal) -> InsufficientFunds:
        return InsufficientFunds(f"margin is insufficient: needs {needed} {self.currency} (margin + fee), "
                                 f"{max(available, ZERO)} {self.currency} free", venue_code="-2019")

    def _find(self, client_id: str, symbol: str) -> PaperOrder | None:
        order = self._state.orders.get(client_id)
        return order if order is not None and order.symbol == symbol else None

    async def _spec(self, symbol: str) -> MarketSpec:
        spec = self._specs.get(symbol)
        if spec is None:
            try:
                spec = await self._markets(symbol)
            except (KeyError, LookupError, ValueError) as exc:
                raise InvalidOrder(f"unknown market {symbol}", venue_code="symbol") from exc
            self._specs[symbol] = spec
        return spec

    async def _load(self) -> None:
        if self._loaded or self._store is None:
            return
        try:
            state = await self._store.load()
        except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
            raise BrokerError(f"the saved paper account is unreadable: {exc}") from exc
        if state is not None:
            self._state = state
            for symbol in state.positions:
                L.refresh(state, symbol, None)
            log.info("paper account restored: wallet %s, %d positions, %d open orders", state.wallet,
                     len(state.positions), len(state.open_orders()), extra=_LOG)
        self._loaded = True

    async def _commit(self) -> None:
        """Alone: save what changed now. Driven by the position manager: nothing (it takes the changes)."""
        if self._deferred:
            return
        changes = self.take_changes()
        if self._store is None:
            return
        batch = [*self._unsaved, changes] if changes else self._unsaved
        self._unsaved = []
        for n, item in enumerate(batch):
            try:
                await self._store.save(item)
            except Exception:
                self._unsaved = batch[n:]
                raise
        self._saved_fills.extend(self._fills)
        self._fills = []
