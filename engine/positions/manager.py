"""Position manager: executes lifecycle transitions against the broker, persisting before and after.

Fills from the broker are queued (``on_fill`` is synchronous) and processed earliest first (the
venue's time, then its trade id: one poll may bring them in any order), one at a time, under one
lock, by ``process_inbox``. Every transition is persisted before its orders are
sent and each order's acknowledgement is persisted after; events are published last.

A target refused because its price is already crossed is taken at market (``lifecycle.take_target``);
before a stop is moved after a target, and before a protective order's refusal is reported, a
position already flat on the venue is recognised (``flat.already_flat``): no false alarm.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from engine.brokers.base import Broker
from engine.brokers.errors import (
    AuthError,
    BrokerError,
    InsufficientFunds,
    InvalidOrder,
    UnknownOutcome,
    WouldTriggerImmediately,
)
from engine.bus import EventBus
from engine.clock import Clock
from engine.domain.events import EngineError, Event
from engine.domain.models import (
    CloseReason,
    Fill,
    Leg,
    MarketSpec,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
    PositionState,
    Signal,
    position_id_of,
)
from engine.domain.reasons import ErrorCode
from engine.market.base import PriceTick
from engine.positions import flat
from engine.positions import lifecycle as lc
from engine.storage.repository import Repository

log = logging.getLogger("engine.positions")

MarketLookup = Callable[[str], Awaitable[MarketSpec]]
RealizedHook = Callable[[Decimal], Awaitable[None]]


def _error_code(exc: BrokerError) -> ErrorCode:
    """What a venue error means for a human: auth errors pause trading (see RiskService)."""
    if isinstance(exc, AuthError):
        return ErrorCode.AUTH
    if isinstance(exc, InsufficientFunds):
        return ErrorCode.INSUFFICIENT_FUNDS
    if exc.retryable:
        return ErrorCode.NETWORK
    return ErrorCode.EXCHANGE_REJECTED


class PositionManager:
    def __init__(self, repo: Repository, broker: Broker, bus: EventBus, clock: Clock, markets: MarketLookup,
                 *, taker_fee: Decimal, breakeven_buffer_pct: Decimal, paper: bool,
                 on_realized: RealizedHook | None = None) -> None:
        self.repo, self.broker, self.bus, self.clock = repo, broker, bus, clock
        self._markets = markets
        self._taker_fee = taker_fee
        self._be_buffer = breakeven_buffer_pct
        self.paper = paper
        self._on_realized = on_realized
        self._lock = asyncio.Lock()
        self._inbox: deque[Fill] = deque()
        self._wake = asyncio.Event()
        self._open: dict[str, Position] = {}
        self._orders: dict[str, list[Order]] = {}
        self._sent: deque[datetime] = deque()
        broker.on_fill(self.on_fill)

    # --- queries ---------------------------------------------------------------------------------
    def open_positions(self) -> list[Position]:
        return [p for p in self._open.values() if p.is_open]

    def orders_of(self, position_id: str) -> list[Order]:
        return list(self._orders.get(position_id, []))

    def queued_fills(self) -> list[Fill]:
        """Fills received and not processed yet, in arrival order."""
        return list(self._inbox)

    def orders_last_minute(self) -> int:
        cutoff = self.clock.now() - timedelta(minutes=1)
        while self._sent and self._sent[0] < cutoff:
            self._sent.popleft()
        return len(self._sent)

    async def load(self) -> None:
        """Fill the in-memory view of open positions from the database."""
        self._open = {p.id: p for p in await self.repo.open_positions()}
        self._orders = {pid: await self.repo.orders_for(pid) for pid in self._open}

    # --- inputs ------------------------------------------------------------------------------------
    def on_fill(self, fill: Fill) -> None:
        self._inbox.append(fill)
        self._wake.set()

    async def run_inbox(self) -> None:
        """Background loop for venues that report fills asynchronously (live streams)."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.process_inbox()

    async def process_inbox(self) -> None:
        async with self._lock:
            while self._inbox:
                fill = min(self._inbox, key=flat.venue_order)  # one poll may bring a stop's fill before TP1's
                self._inbox.remove(fill)
                try:
                    await self._handle_fill(fill)
                except Exception as exc:
                    log.exception("fill %s of %s could not be applied", fill.trade_id, fill.client_id)
                    await self._error(ErrorCode.INTERNAL, f"fill {fill.client_id}: {type(exc).__name__}")

    async def on_tick(self, tick: PriceTick) -> None:
        await self.broker.on_price(tick)
        await self.process_inbox()
        for pos in [p for p in self._open.values() if p.symbol == tick.symbol and p.state is PositionState.OPEN]:
            ctx = await self._ctx(pos.symbol)
            tr = lc.on_price(pos, self.orders_of(pos.id), tick.price, tick.ts, ctx)
            if tr is None:
                if (tick.price - (pos.best_price or pos.entry_price)) * pos.side.sign > 0:
                    self._open[pos.id] = replace(pos, best_price=tick.price)
                continue
            async with self._lock:
                await self._execute(tr)
        await self.process_inbox()

    # --- commands ----------------------------------------------------------------------------------
    async def open(self, signal: Signal, qty: Decimal, *, single_target: bool, trailing_pct: Decimal,
                   time_stop: timedelta | None, liquidation_price: Decimal | None) -> Position:
        now = self.clock.now()
        pid = uuid.uuid4().hex[:12]
        tr = lc.open_position(signal, pid, qty, now, single_target=single_target, trailing_pct=trailing_pct,
                              time_stop_at=now + time_stop if time_stop else None,
                              liquidation_price=liquidation_price)
        async with self._lock:
            try:
                await self.broker.prepare(signal.symbol, signal.leverage)
            except BrokerError as exc:
                failed = lc.entry_failed(tr.position, now)
                alert = self._engine_error(ErrorCode.EXCHANGE_REJECTED, f"{exc.code}: {exc}", failed.id, signal.id)
                try:
                    await self.repo.save(failed, [replace(o, status=OrderStatus.REJECTED, error=str(exc))
                                                  for o in tr.orders], now, (alert,))
                finally:
                    await self.bus.publish(alert)
                return failed
            await self._execute(tr)
        await self.process_inbox()
        return self._open.get(pid) or await self.repo.get_position(pid) or tr.position

    async def close(self, position_id: str, reason: CloseReason) -> Position | None:
        async with self._lock:
            pos = self._open.get(position_id)
            if pos is None:
                return None
            tr = lc.close(pos, self.orders_of(pos.id), reason, self.clock.now(), await self._ctx(pos.symbol))
            if tr is not None:
                await self._execute(tr)
        await self.process_inbox()
        return self._open.get(position_id) or await self.repo.get_position(position_id)

    # --- internals ---------------------------------------------------------------------------------
    async def _ctx(self, symbol: str) -> lc.Context:
        return lc.Context(market=await self._markets(symbol), taker_fee=self._taker_fee,
                          breakeven_buffer_pct=self._be_buffer, paper=self.paper)

    def _remember(self, pos: Position, orders: tuple[Order, ...] | list[Order]) -> None:
        known = {o.client_id: o for o in self._orders.get(pos.id, [])}
        for o in orders:
            known[o.client_id] = o
        if pos.is_open:
            self._open[pos.id] = pos
            self._orders[pos.id] = list(known.values())
        else:
            self._open.pop(pos.id, None)
            self._orders.pop(pos.id, None)

    async def _save_order(self, pos: Position, order: Order, alert: EngineError | None = None) -> None:
        """Persist one order's new state, with the alert it causes in the same commit (then published)."""
        try:
            await self.repo.save(None, [order], self.clock.now(), (alert,) if alert else ())
        finally:
            if alert is not None:
                await self.bus.publish(alert)  # told even when the database is what failed
        if pos.id in self._orders:
            self._remember(self._open.get(pos.id, pos), [order])

    async def _execute(self, tr: lc.Transition) -> None:
        """Persist, act, publish. Called with the lock held."""
        before = self._open.get(tr.position.id)
        now = self.clock.now()
        await self.repo.save(tr.position, tr.orders, now, tr.events)  # the alerts go in the same commit
        self._remember(tr.position, tr.orders)
        if self._on_realized is not None:
            delta = tr.position.realized_pnl - (before.realized_pnl if before else Decimal(0))
            if delta:
                await self._on_realized(delta)
        follow_ups: list[lc.Transition] = []
        for action in tr.actions:
            if isinstance(action, lc.PlaceOrder):
                extra = await self._place(tr.position, action)
                if extra is not None:
                    follow_ups.append(extra)
            else:
                await self._cancel(tr.position, action.order)
        pos = self._open.get(tr.position.id)
        if pos is not None and pos.state is PositionState.PENDING and pos.close_reason is not None:
            if not any(o.leg == Leg.ENTRY.value and not o.status.is_final for o in self.orders_of(pos.id)):
                failed = lc.entry_failed(pos, now)
                await self.repo.save(failed, (), now)
                self._remember(failed, ())
        for event in tr.events:
            await self.bus.publish(event)
        for extra in follow_ups:
            await self._execute(extra)

    async def _place(self, pos: Position, action: lc.PlaceOrder) -> lc.Transition | None:
        order = action.order
        req = OrderRequest(client_id=order.client_id, symbol=order.symbol, action=order.action, type=order.type,
                           qty=order.qty, price=order.price, trigger_price=order.trigger_price,
                           reduce_only=order.reduce_only, leverage=pos.leverage)
        self._sent.append(self.clock.now())
        try:
            try:
                ack = await self.broker.place_order(req)
            except UnknownOutcome:
                ack = await self.broker.fetch_order(order.client_id, order.symbol)
                if ack is None:
                    raise
        except BrokerError as exc:
            crossed = isinstance(exc, WouldTriggerImmediately) and lc.target_number(order.leg) is not None
            log.log(logging.INFO if crossed else logging.WARNING, "order %s rejected: %s", order.client_id, exc)
            rejected = replace(order, status=OrderStatus.REJECTED, error=f"{exc.code}: {exc}"[:500])
            return await self._placement_failed(pos, rejected, action, exc)
        status = ack.status if ack.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED) else OrderStatus.OPEN
        if status is OrderStatus.OPEN and order.status is not OrderStatus.NEW:
            status = order.status
        current = next((o for o in self.orders_of(pos.id) if o.client_id == order.client_id), order)
        if current.status is OrderStatus.FILLED:
            status = OrderStatus.FILLED  # the fill was processed already (synchronous venue)
        await self._save_order(pos, replace(current, status=status, exchange_id=ack.exchange_id))
        return None

    async def _placement_failed(self, pos: Position, order: Order, action: lc.PlaceOrder,
                                exc: BrokerError) -> lc.Transition | None:
        """``order`` was refused (it carries its REJECTED status): it is saved here, in one commit with
        the alert it causes, if any."""
        pos = self._open.get(pos.id, pos)
        now = self.clock.now()
        if order.leg == Leg.ENTRY.value:
            failed = lc.entry_failed(pos, now)
            alert = self._engine_error(_error_code(exc), f"{exc.code}: {exc}", pos.id, pos.signal_id)
            try:
                await self.repo.save(failed, [order], now, (alert,))
                self._remember(failed, ())
            finally:
                await self.bus.publish(alert)
            return None
        if lc.target_number(order.leg) is not None and isinstance(exc, WouldTriggerImmediately):
            await self._save_order(pos, order)
            log.info("target %s is already crossed: taking it at market", order.client_id)
            return lc.take_target(pos, self.orders_of(pos.id), order, now)
        if order.reduce_only and isinstance(exc, InvalidOrder | WouldTriggerImmediately) \
                and await flat.already_flat(self, pos, skip=order.client_id):
            await self._save_order(pos, order)
            log.info("%s not placed: position %s is already flat on the venue", order.client_id, pos.id)
            return None
        if action.protective:
            await self._save_order(pos, order, self._engine_error(ErrorCode.STOP_NOT_PLACED, f"{exc.code}: {exc}",
                                                                  pos.id, pos.signal_id))
            reason = CloseReason.STOP if isinstance(exc, WouldTriggerImmediately) or not pos.breakeven else CloseReason.BREAKEVEN
            return lc.close(pos, self.orders_of(pos.id), reason, now, await self._ctx(pos.symbol))
        await self._save_order(pos, order, self._engine_error(_error_code(exc), f"{order.leg} {exc.code}: {exc}",
                                                              pos.id, pos.signal_id))
        return None

    async def _cancel(self, pos: Position, order: Order) -> None:
        try:
            ack = await self.broker.cancel_order(order.client_id, order.symbol)
        except BrokerError as exc:
            log.warning("cancel of %s failed: %s", order.client_id, exc)
            return
        if ack is None or ack.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
            current = next((o for o in self.orders_of(pos.id) if o.client_id == order.client_id), order)
            if current.status is not OrderStatus.FILLED:
                await self._save_order(pos, replace(current, status=OrderStatus.CANCELLED))

    async def _handle_fill(self, fill: Fill) -> None:
        pid = position_id_of(fill.client_id)
        pos: Position | None
        if pid is None:
            pos = next((p for p in self._open.values() if p.symbol == fill.symbol and p.is_open), None)
            if pos is None or not fill.client_id.startswith("liq-"):
                log.info("fill of a foreign order %s ignored", fill.client_id)
                return
        else:
            pos = self._open.get(pid) or await self.repo.get_position(pid)
        if pos is None:
            log.warning("fill for unknown position %s", fill.client_id)
            return
        orders = self.orders_of(pos.id) or await self.repo.orders_for(pos.id)
        order = next((o for o in orders if o.client_id == fill.client_id), None)
        if await flat.earlier_fills_first(self, pos, order, fill):
            self._inbox.append(fill)  # applied after the fills that came before it on the venue
            return
        fresh = await self.repo.add_fill(replace(fill, venue=pos.venue), pos.id)
        if pid is not None and order is None:
            log.warning("fill for unknown order %s", fill.client_id)
            return
        if not fresh and not await self._recorded_not_applied(fill, pos.id, order):
            return  # already applied
        if not pos.is_open:
            log.warning("fill %s for a finished position %s", fill.client_id, pos.id)
            if order is not None:
                await self.repo.save(None, [lc.apply_fill_to_order(order, fill)], self.clock.now())
            return
        ctx = await self._ctx(pos.symbol)
        tr = lc.on_fill(pos, orders, order, fill, ctx)
        if order is not None and lc.target_number(order.leg) is not None and tr.position.state is PositionState.OPEN \
                and any(isinstance(a, lc.PlaceOrder) and a.protective for a in tr.actions) \
                and await flat.already_flat(self, tr.position, skip=order.client_id):
            tr = lc.on_fill(pos, orders, order, fill, ctx, move_stop=False)  # no stop for a position gone
        await self._execute(tr)

    async def _recorded_not_applied(self, fill: Fill, position_id: str, order: Order | None) -> bool:
        """A fill recorded by an earlier run that was killed before saving what the fill does to
        the position: its quantity is not in the order's filled quantity yet."""
        if order is None:
            return False
        total = Decimal(0)
        for recorded in await self.repo.fills_for(position_id):  # in the order they were recorded
            if recorded.client_id != fill.client_id:
                continue
            total += recorded.qty
            if recorded.trade_id == fill.trade_id:
                if total > order.filled_qty:
                    log.warning("fill %s of %s was recorded but not applied (crash?): applying it", fill.trade_id,
                                fill.client_id)
                    return True
                return False
        return False

    def _engine_error(self, code: ErrorCode, detail: str, position_id: str | None = None,
                      signal_id: str | None = None) -> EngineError:
        return EngineError(ts=self.clock.now(), paper=self.paper, code=code, detail=detail,
                           position_id=position_id, signal_id=signal_id)

    async def _error(self, code: ErrorCode, detail: str, position_id: str | None = None,
                     signal_id: str | None = None) -> None:
        """An alert with no state change of its own: in the outbox, then published."""
        event = self._engine_error(code, detail, position_id, signal_id)
        try:
            await self.repo.add_alerts([event])  # in the outbox before anyone hears of it
        finally:
            await self.bus.publish(event)  # told even when the database is what failed

    async def publish(self, event: Event) -> None:
        await self.bus.publish(event)
