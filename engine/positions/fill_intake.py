"""The position manager's fills: queued as they come (a live venue's stream calls ``on_fill``; the
paper venue keeps them until ``take_fills``), then applied one at a time, earliest first (venue time,
then trade id), under the manager's lock; and each price tick, which may move a stop or take a
target. A part of ``engine.positions.manager.PositionManager``, kept apart by purpose."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from engine.domain.models import Fill, Position, PositionState, position_id_of
from engine.domain.reasons import ErrorCode
from engine.locks import free
from engine.market.base import PriceTick
from engine.positions import changes, flat
from engine.positions import lifecycle as lc
from engine.storage.repository import Unit
from engine.tasks import quiet

if TYPE_CHECKING:
    import asyncio
    from collections import deque
    from collections.abc import Iterable

    from engine.brokers.base import Broker, JournaledVenue
    from engine.domain.events import EngineError
    from engine.domain.models import Order
    from engine.positions.book import PositionBook
    from engine.positions.manager import PositionManager
    from engine.positions.unit import UnitOfWork
    from engine.storage.repository import Repository

log = logging.getLogger("engine.positions")


class FillIntake:
    """Fills and ticks in; ``PositionManager`` mixes this in."""

    repo: Repository
    broker: Broker
    _lock: asyncio.Lock
    _inbox: deque[Fill]
    _wake: asyncio.Event
    _book: PositionBook
    _journal: JournaledVenue | None
    _uow: UnitOfWork

    if TYPE_CHECKING:  # the manager's own (engine.positions.manager)
        def orders_of(self, position_id: str) -> list[Order]: ...
        async def ctx(self, symbol: str) -> lc.Context: ...
        def remember(self, pos: Position, orders: Iterable[Order] = ()) -> None: ...
        async def _commit(self, unit: Unit, alerts: Iterable[EngineError] = ()) -> None: ...
        async def _flush(self) -> None: ...
        async def _execute(self, tr: lc.Transition, fill: Fill | None = None) -> None: ...
        async def _error(self, code: ErrorCode, detail: str, position_id: str | None = None,
                         signal_id: str | None = None) -> None: ...

    def _manager(self) -> PositionManager:
        """This manager, as the collaborators (engine.positions.flat, .changes) take it."""
        return cast("PositionManager", self)

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
            await self._drain()

    async def _drain(self) -> None:
        """Apply the queued fills, earliest first; then commit what is staged. Lock held."""
        self._take_fills()
        while self._inbox:
            fill = min(self._inbox, key=flat.venue_order)  # one poll may bring a stop's fill before TP1's
            self._inbox.remove(fill)
            try:
                await self._handle_fill(fill)
            except Exception as exc:
                if quiet(exc):  # the database stopped taking writes: nothing more can be applied
                    raise
                log.exception("fill %s of %s could not be applied", fill.trade_id, fill.client_id)
                await self._error(ErrorCode.INTERNAL, f"fill {fill.client_id}: {type(exc).__name__}")
            self._take_fills()
        await self._flush()

    def _take_fills(self) -> bool:
        """Queue the venue's new fills; whether any fill waits in the queue."""
        if self._journal is not None:
            self._inbox.extend(self._journal.take_fills())
        return bool(self._inbox)

    async def on_tick(self, tick: PriceTick) -> None:
        await self.broker.on_price(tick)
        if not free(self._lock) or self._take_fills() or self._uow.pending:  # else _drain has nothing to do
            async with self._lock:
                await self._drain()
        for held in self._book.of_symbol(tick.symbol):
            pid = held.id
            pos = self._book.get(pid)
            if pos is None or pos.state is not PositionState.OPEN:
                continue
            tr = lc.on_price(pos, self.orders_of(pos.id), tick.price, tick.ts, await self.ctx(pos.symbol))
            if tr is None:
                if (tick.price - (pos.best_price or pos.entry_price)) * pos.side.sign > 0:
                    self.remember(replace(pos, best_price=tick.price))
                continue
            async with self._lock:
                if self._book.get(pid) is not pos:  # changed while the lock was awaited: decide again
                    pos = self._book.get(pid)
                    if pos is None or pos.state is not PositionState.OPEN:
                        continue
                    tr = lc.on_price(pos, self.orders_of(pos.id), tick.price, tick.ts, await self.ctx(pos.symbol))
                    if tr is None:
                        continue
                await self._execute(tr)
                await self._drain()

    async def _handle_fill(self, fill: Fill) -> None:
        pid = position_id_of(fill.client_id)
        pos: Position | None
        if pid is None:
            pos = next((p for p in self._book.of_symbol(fill.symbol) if p.is_open), None)
            if pos is None or not fill.client_id.startswith("liq-"):
                log.info("fill of a foreign order %s ignored", fill.client_id)
                return
        else:
            pos = self._book.get(pid) or await self.repo.get_position(pid)
        if pos is None:
            log.warning("fill for unknown position %s", fill.client_id)
            return
        fill = replace(fill, venue=pos.venue)  # recorded as a trade of the position's venue
        orders = self.orders_of(pos.id) or await self.repo.orders_for(pos.id)
        order = self._book.order(pos.id, fill.client_id) or next(
            (o for o in orders if o.client_id == fill.client_id), None)
        if await flat.earlier_fills_first(self._manager(), pos, order, fill):
            self._inbox.append(fill)  # applied after the fills that came before it on the venue
            return
        if await self._applied_before(pos, fill):
            return  # recorded, so applied: the fill and what it did are one commit
        if pid is not None and order is None:
            log.warning("fill for unknown order %s", fill.client_id)
            await self._commit(Unit(fills=(fill,), fill_position=pos.id))
            return
        if order is not None and changes.orphaned(pos, order):
            await changes.close_orphan(self._manager(), pos, orders, order, fill)
            return
        if order is not None and changes.late_entry(pos, order):
            await changes.open_late_entry(self._manager(), pos, orders, order, fill)
            return
        if not pos.is_open:
            log.warning("fill %s for a finished position %s", fill.client_id, pos.id)
            await self._commit(Unit(None, [lc.apply_fill_to_order(order, fill)] if order else [], (fill,), pos.id))
            return
        ctx = await self.ctx(pos.symbol)
        tr = lc.on_fill(pos, orders, order, fill, ctx)
        if order is not None and lc.target_number(order.leg) is not None and tr.position.state is PositionState.OPEN \
                and any(isinstance(a, lc.PlaceOrder) and a.protective for a in tr.actions) \
                and await flat.already_flat(self._manager(), tr.position, skip=order.client_id):
            tr = lc.on_fill(pos, orders, order, fill, ctx, move_stop=False)  # no stop for a position gone
        await self._execute(tr, fill)

    async def _applied_before(self, pos: Position, fill: Fill) -> bool:
        """Whether ``fill`` is recorded (and so applied) already; an open position's recorded
        fills are read once, then kept in memory."""
        seen = self._book.applied(pos.id)
        if seen is None:
            seen = {(f.client_id, f.trade_id) for f in await self.repo.fills_for(pos.id)}
            if self._book.get(pos.id) is not None:
                self._book.know_fills(pos.id, seen)
        return (fill.client_id, fill.trade_id) in seen
