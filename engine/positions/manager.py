"""Position manager: executes lifecycle transitions against the broker, one unit of work per step.

A lifecycle step — a fill, the position and orders it changes, the paper venue's changed rows, the
risk state and the alerts it causes (the outbox) — is ONE transaction (``UnitOfWork``) written
before the step's orders go to the broker; their acknowledgements are the next one. A fill is
recorded in the commit that applies it: no "recorded but not applied" state exists to repair.

Fills are queued, never pushed up: a live venue's stream hands them to ``on_fill`` (it only
queues), the paper venue keeps them until taken (``take_fills``). They are applied earliest first
(venue time, then trade id), one at a time, under the manager's lock (``engine.positions.fill_intake``).
A transition's events are published together, in order, as one batch. A refused order: ``refusals.placement_failed``; a
position already flat on the venue: ``flat``. Recovery and reconciliation use the public API:
``locked()``, ``apply``, ``place``, ``cancel``, ``stage``, ``record``, ``remember``; so do the changes
asked for from the chat (``adjust``) and a scale-in part filled after its position closed
(``engine.positions.changes``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from engine.brokers.base import Broker, JournaledVenue, StreamedFills
from engine.brokers.errors import (
    BrokerError,
    UnknownOutcome,
    WouldTriggerImmediately,
)
from engine.bus import EventBus
from engine.clock import Clock
from engine.domain.algos import Algo, ended_with
from engine.domain.events import EngineError, Event
from engine.domain.models import (
    ENTRY_LEGS,
    CloseReason,
    Fill,
    MarketSpec,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
    PositionState,
    Signal,
    VenueOrder,
)
from engine.domain.reasons import ErrorCode
from engine.positions import changes, refusals
from engine.positions import lifecycle as lc
from engine.positions.book import PositionBook
from engine.positions.fill_intake import FillIntake
from engine.positions.unit import UnitOfWork
from engine.storage.repository import Repository, Unit

log = logging.getLogger("engine.positions")

MarketLookup = Callable[[str], Awaitable[MarketSpec]]
# a step's change of a position (before, after) booked → (small values to write with the step, events it
# causes): the risk state (realized PnL, a finished trade's streaks; engine.risk.service.RiskService.book)
RealizedHook = Callable[[Position | None, Position], tuple[Mapping[str, str], tuple[Event, ...]]]


class PositionManager(FillIntake):
    def __init__(self, repo: Repository, broker: Broker, bus: EventBus, clock: Clock, markets: MarketLookup,
                 *, taker_fee: Decimal, breakeven_buffer_pct: Decimal, paper: bool,
                 on_realized: RealizedHook | None = None, trail_activation_pct: Decimal = Decimal(0),
                 trail_distance_pct: Decimal = Decimal(0)) -> None:
        self.repo, self.broker, self.bus, self.clock = repo, broker, bus, clock
        self._markets = markets
        self._taker_fee = taker_fee
        self._be_buffer = breakeven_buffer_pct
        self.paper = paper
        self._on_realized = on_realized
        self._trail = (trail_activation_pct, trail_distance_pct)  # profit trailing, see lifecycle.on_price
        self._lock = asyncio.Lock()
        self._inbox: deque[Fill] = deque()
        self._wake = asyncio.Event()
        self._book = PositionBook()
        self._sent: deque[datetime] = deque()
        self._journal = broker if isinstance(broker, JournaledVenue) else None
        if self._journal is not None:
            self._journal.defer_saves()  # its rows are written in our transactions
        self._uow = UnitOfWork(repo, bus, clock, self._journal)
        self._warm = False
        if isinstance(broker, StreamedFills):
            broker.on_fill(self.on_fill)

    # --- queries ---------------------------------------------------------------------------------
    def open_positions(self) -> list[Position]:
        return self._book.positions()

    def positions_on(self, symbol: str) -> list[Position]:
        """The open positions of ``symbol``, in the order of ``open_positions`` (without looking at the others)."""
        held = self._book.of_symbol(symbol)
        return [p for p in held if p.is_open] if held else held

    def position(self, position_id: str) -> Position | None:
        """An open (or pending) position as the manager holds it; None once it is over."""
        return self._book.get(position_id)

    def orders_of(self, position_id: str) -> list[Order]:
        return self._book.orders(position_id)

    def algos_of(self, position_id: str) -> list[Algo]:
        """The execution algorithms' runs of an open position (engine.execution.algos)."""
        return self._book.algos(position_id)

    def queued_fills(self) -> list[Fill]:
        """Fills received and not processed yet, in arrival order."""
        return list(self._inbox)

    def orders_last_minute(self) -> int:
        cutoff = self.clock.now() - timedelta(minutes=1)
        while self._sent and self._sent[0] < cutoff:
            self._sent.popleft()
        return len(self._sent)

    async def ctx(self, symbol: str) -> lc.Context:
        """What the lifecycle functions need to know about ``symbol`` and the account."""
        return lc.Context(market=await self._markets(symbol), taker_fee=self._taker_fee,
                          breakeven_buffer_pct=self._be_buffer, paper=self.paper,
                          trail_activation_pct=self._trail[0], trail_distance_pct=self._trail[1])

    async def load(self) -> None:
        """Fill the in-memory view of open positions from the database (the first time, at start,
        also build what the first commit of each kind of step would: ``Repository.warm_up``)."""
        if not self._warm:
            self.repo.warm_up()
            self._warm = True
        positions = await self.repo.open_positions()
        orders = await self.repo.orders_for_positions([p.id for p in positions])
        algos = await self.repo.algos_for_positions([p.id for p in positions])
        self._book.clear()
        for pos in positions:
            self.remember(pos, orders.get(pos.id, ()))
            self._book.put_algos(algos.get(pos.id, ()))

    # --- the public API of recovery and reconciliation ----------------------------------------------
    @asynccontextmanager
    async def locked(self) -> AsyncIterator[PositionManager]:
        """Hold the manager's lock (no order of ours is on its way meanwhile); what was staged is
        committed before it is released."""
        async with self._lock:
            try:
                yield self
            finally:
                await self._flush()

    async def apply(self, tr: lc.Transition, fill: Fill | None = None) -> None:
        """Persist (with the ``fill`` it applies), act, publish one transition (inside ``locked()``)."""
        await self._execute(tr, fill)

    async def place(self, pos: Position, action: lc.PlaceOrder) -> lc.Transition | None:
        """Send one order already persisted (inside ``locked()``); the transition its refusal calls for."""
        return await self._place(pos, action)

    async def cancel(self, pos: Position, order: Order) -> None:
        """Cancel one order of ``pos`` on the venue (inside ``locked()``)."""
        await self._cancel(pos, order)

    async def record(self, position: Position | None, orders: Iterable[Order] = (),
                     events: Iterable[Event] = (), fills: Iterable[Fill] = (),
                     alerts: Iterable[EngineError] = ()) -> None:
        """Save a position and/or orders (the fills that explain them, the alerts they cause) as
        they are now, in one commit; ``alerts`` (already in ``events``) are published after it."""
        orders = tuple(orders)
        fills = tuple(fills)
        kv, risk = self._booked(position) if position is not None else ({}, ())
        await self._commit(Unit(position, orders, fills, position.id if position and fills else None,
                                events=(*events, *risk), kv=kv), alerts)
        if position is not None:
            self.remember(position, orders)
        else:
            for order in orders:
                self._book.put_order(order)
        await self.bus.publish_batch(risk)

    def _booked(self, after: Position) -> tuple[Mapping[str, str], tuple[Event, ...]]:
        """What the step changing ``after`` does to the risk state: written in the step's commit."""
        if self._on_realized is None:
            return {}, ()
        return self._on_realized(self._book.get(after.id), after)

    def remember(self, pos: Position, orders: Iterable[Order] = ()) -> None:
        """Hold ``pos`` (and these of its orders) in memory: open, or forgotten once it is over."""
        self._book.put(pos, orders)

    # --- commands ----------------------------------------------------------------------------------
    async def open(self, signal: Signal, qty: Decimal, *, single_target: bool, trailing_pct: Decimal,
                   time_stop: timedelta | None, liquidation_price: Decimal | None,
                   shape: Callable[[lc.Transition], lc.Transition] | None = None) -> Position:
        """``shape``: changes the opening transition (a limit entry, a scale-in's first part:
        engine.execution.entry)."""
        now = self.clock.now()
        pid = uuid.uuid4().hex[:12]
        tr = lc.open_position(signal, pid, qty, now, single_target=single_target, trailing_pct=trailing_pct,
                              time_stop_at=now + time_stop if time_stop else None,
                              liquidation_price=liquidation_price)
        if shape is not None:
            tr = shape(tr)
        async with self._lock:
            try:
                await self.broker.prepare(signal.symbol, signal.leverage)
            except BrokerError as exc:
                failed = lc.entry_failed(tr.position, now)
                alert = self.engine_error(ErrorCode.EXCHANGE_REJECTED, f"{exc.code}: {exc}", failed.id, signal.id)
                await self._commit(Unit(failed, [replace(o, status=OrderStatus.REJECTED, error=str(exc))
                                                 for o in tr.orders], events=(alert,)), alerts=(alert,))
                return failed
            self._book.know_fills(pid, ())  # a new position: no fill of it anywhere yet
            await self._execute(tr)
            await self._drain()
        return self._book.get(pid) or await self.repo.get_position(pid) or tr.position

    async def close(self, position_id: str, reason: CloseReason) -> Position | None:
        async with self._lock:
            pos = self._book.get(position_id)
            if pos is None:
                return None
            tr = lc.close(pos, self.orders_of(pos.id), reason, self.clock.now(), await self.ctx(pos.symbol))
            if tr is not None:
                await self._execute(tr)
            await self._drain()
        return self._book.get(position_id) or await self.repo.get_position(position_id)

    async def adjust(self, position_id: str, build: changes.Build, *,
                     dry_run: bool = False) -> tuple[object, Position | None]:
        """A change asked for from the chat: ``changes.adjust_position``."""
        return await changes.adjust_position(self, position_id, build, dry_run=dry_run)

    # --- the unit of work (engine/positions/unit.py) ---------------------------------------------------
    async def _commit(self, unit: Unit, alerts: Iterable[EngineError] = ()) -> None:
        await self._uow.commit(unit, alerts)

    async def _flush(self) -> None:
        await self._uow.flush()

    def stage(self, order: Order, alert: EngineError | None = None) -> None:
        """An order's new state (and the alert it causes) for the step's next commit (inside ``locked()``)."""
        self._uow.stage(order, alert)
        self._book.put_order(order)

    async def _execute(self, tr: lc.Transition, fill: Fill | None = None) -> None:
        """One step: persist (the fill, the position, its orders, the venue, the risk state, the
        outbox: one commit), send its orders, commit their acknowledgements, publish its events
        as one batch. Called with the lock held."""
        kv, risk = self._booked(tr.position)
        algos = tr.algos if tr.position.is_open else (*tr.algos, *ended_with(self.algos_of(tr.position.id), tr.algos,
                                                                                  tr.orders))
        await self._commit(Unit(tr.position, tr.orders, (fill,) if fill else (), tr.position.id if fill else None,
                                (*tr.events, *risk), kv, algos=algos))
        self.remember(tr.position, tr.orders)
        self._book.put_algos(tr.algos)
        if fill is not None and self._book.applied(tr.position.id) is not None:
            self._book.know_fills(tr.position.id, (fill,))
        follow_ups: list[lc.Transition] = []
        for action in tr.actions:
            if isinstance(action, lc.PlaceOrder):
                extra = await self._place(tr.position, action)
                if extra is not None:
                    follow_ups.append(extra)
            else:
                await self._cancel(tr.position, action.order)
        pos = self._book.get(tr.position.id)
        if pos is not None and pos.state is PositionState.PENDING and pos.close_reason is not None:
            if not any(o.leg in ENTRY_LEGS and not o.status.is_final for o in self.orders_of(pos.id)):
                failed = lc.entry_failed(pos, self.clock.now())
                await self._commit(Unit(failed))
                self.remember(failed)
        self._take_fills()
        if not self._inbox:  # else the acknowledgements go with the fills' commit (a synchronous venue)
            await self._flush()
        await self.bus.publish_batch((*tr.events, *risk))
        for extra in follow_ups:
            await self._execute(extra)

    async def _place(self, pos: Position, action: lc.PlaceOrder) -> lc.Transition | None:
        order = action.order
        req = OrderRequest(client_id=order.client_id, symbol=order.symbol, action=order.action, type=order.type,
                           qty=order.qty, price=order.price, trigger_price=order.trigger_price,
                           reduce_only=order.reduce_only, leverage=pos.leverage)
        self._sent.append(self.clock.now())
        ack: VenueOrder | None
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
            return await refusals.placement_failed(self, pos, rejected, action, exc)
        status: OrderStatus = ack.status if ack.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED) \
            else OrderStatus.OPEN
        if status is OrderStatus.OPEN and order.status is not OrderStatus.NEW:
            status = order.status
        current = self._book.order(pos.id, order.client_id) or order
        if current.status is OrderStatus.FILLED:
            status = OrderStatus.FILLED  # the fill was processed already
        self.stage(replace(current, status=status, exchange_id=ack.exchange_id))
        return None

    async def _cancel(self, pos: Position, order: Order) -> None:
        try:
            ack = await self.broker.cancel_order(order.client_id, order.symbol)
        except BrokerError as exc:
            log.warning("cancel of %s failed: %s", order.client_id, exc)
            return
        if ack is None or ack.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
            current = self._book.order(pos.id, order.client_id) or order
            if current.status is not OrderStatus.FILLED:
                self.stage(replace(current, status=OrderStatus.CANCELLED))

    def engine_error(self, code: ErrorCode, detail: str, position_id: str | None = None,
                     signal_id: str | None = None) -> EngineError:
        return EngineError(ts=self.clock.now(), paper=self.paper, code=code, detail=detail,
                           position_id=position_id, signal_id=signal_id)

    async def _error(self, code: ErrorCode, detail: str, position_id: str | None = None,
                     signal_id: str | None = None) -> None:
        """An alert with no state change of its own: in the outbox, then published."""
        event = self.engine_error(code, detail, position_id, signal_id)
        await self._commit(Unit(events=(event,)), alerts=(event,))

    async def publish(self, event: Event) -> None:
        await self.bus.publish(event)
