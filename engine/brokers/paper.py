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
Matching (orders accepted, triggered, filled; liquidation): ``engine.brokers.paper_matching``.
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
    InvalidOrder,
    UnknownOutcome,
)
from engine.brokers.paper_checks import check_leverage
from engine.brokers.paper_matching import Costs, PaperMatching
from engine.brokers.paper_state import PaperChanges, PaperOrder, PaperState
from engine.clock import Clock
from engine.domain.models import (
    Balance,
    Fill,
    MarketSpec,
    OrderRequest,
    OrderStatus,
    VenueOrder,
    VenuePosition,
)
from engine.domain.values import HUNDRED
from engine.locks import free
from engine.market.base import PriceTick

log = logging.getLogger("engine.brokers.paper")
_LOG = {"component": "paper"}


class PaperStore(Protocol):
    """Where the paper account lives between runs (the database's ``paper_*`` tables)."""

    async def load(self) -> PaperState | None: ...

    async def save(self, changes: PaperChanges) -> None: ...


class PaperBroker(PaperMatching):
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

    # --- internals -------------------------------------------------------------------------------
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
