"""The repository: every query of the project lives here. Short transactions, one per call.

``commit(Unit)`` is the position manager's unit of work: one lifecycle step — a fill, the position
and the orders it changes, the paper venue's rows, the risk state and the alerts (the outbox) — in
one transaction; the crash-test hook (engine/crashpoints.py) runs right after it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from engine import crashpoints
from engine.brokers.paper_state import PaperChanges
from engine.domain.algos import Algo, AlgoStatus
from engine.domain.events import Event
from engine.domain.models import Fill, Order, OrderStatus, Position, PositionState, Signal, SignalStatus
from engine.storage import outbox, paper_rows, sqlite_writer
from engine.storage.db import Database
from engine.storage.mapping import (
    algo_to_row,
    fill_values,
    order_values,
    position_values,
    row_to_algo,
    row_to_fill,
    row_to_order,
    row_to_position,
    row_to_signal,
    signal_to_row,
)
from engine.storage.tables import (
    AlgoRow,
    CardRow,
    EquityRow,
    FillRow,
    KvRow,
    OrderRow,
    OutboxChannelRow,
    OutboxDeliveryRow,
    OutboxRow,
    PositionRow,
    SignalRow,
    UserPrefRow,
)
from engine.storage.upsert import Statement, dialect_of, run, upsert, upsert_statement

_POSITIONS = PositionRow.__table__  # type: ignore[attr-defined]
_ORDERS = OrderRow.__table__  # type: ignore[attr-defined]
_KV = KvRow.__table__  # type: ignore[attr-defined]
_FILLS = FillRow.__table__  # type: ignore[attr-defined]
_OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]
_ALGOS = AlgoRow.__table__  # type: ignore[attr-defined]
_INSERT_FILL = insert(_FILLS)
_INSERT_ALERT = insert(_OUTBOX)

# indexed columns a row keeps from its insert on (its key determines them): not updated again
_POSITION_FIXED = ("signal_id", "symbol", "venue")
_ORDER_FIXED = ("position_id", "venue")

_OPEN_STATES = (PositionState.PENDING.value, PositionState.OPEN.value)
_LIVE_ORDER = (OrderStatus.NEW.value, OrderStatus.OPEN.value)


@dataclass(frozen=True, slots=True)
class Unit:
    """One lifecycle step, written in one transaction (``Repository.commit``)."""

    position: Position | None = None
    orders: Sequence[Order] = ()
    fills: Sequence[Fill] = ()  # recorded for ``fill_position`` (None: a foreign order's)
    fill_position: str | None = None
    events: Sequence[Event] = ()  # the alert-type ones go to the outbox
    kv: Mapping[str, str] = field(default_factory=dict)  # small values changed with it (the risk state)
    venue: PaperChanges | None = None  # the paper venue's rows that changed with it
    now: datetime | None = None
    algos: Sequence[Algo] = ()  # execution algorithms' state (TWAP, iceberg) changed with it


class Repository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- signals -------------------------------------------------------------------------------
    async def save_signal(self, signal: Signal, events: Iterable[Event] = ()) -> None:
        """Persist a signal, with the alerts its change causes (the outbox) in the same commit."""
        async with self.db.session() as s:
            await s.merge(signal_to_row(signal))
            for event in outbox.alerts_of(events):
                s.add(outbox.to_row(event))
            await s.commit()

    async def get_signal(self, signal_id: str) -> Signal | None:
        async with self.db.session() as s:
            row = await s.get(SignalRow, signal_id)
            return row_to_signal(row) if row else None

    async def signals_with_status(self, status: SignalStatus) -> list[Signal]:
        async with self.db.session() as s:
            rows = (await s.exec(select(SignalRow).where(SignalRow.status == status.value))).all()
            return [row_to_signal(r) for r in rows]

    # --- positions, orders and fills ---------------------------------------------------------------
    async def save(self, position: Position | None = None, orders: Iterable[Order] = (),
                   now: datetime | None = None, events: Iterable[Event] = ()) -> None:
        """Persist a position, its orders and the alerts they cause (the outbox) in one transaction."""
        await self.commit(Unit(position, tuple(orders), events=tuple(events), now=now))

    async def commit(self, unit: Unit) -> None:
        """Write one lifecycle step in one transaction (see ``Unit``): plain statements, each
        compiled once, handed over together (engine/storage/upsert.py)."""
        dialect = dialect_of(self.db)
        steps: list[Statement] = []
        if unit.position is not None:
            steps += upsert(dialect, _POSITIONS, [position_values(unit.position)], _POSITION_FIXED)
        latest = {o.client_id: o for o in unit.orders}  # one row per order: its newest state
        steps += upsert(dialect, _ORDERS, [order_values(o, unit.now or o.created_at) for o in latest.values()],
                        _ORDER_FIXED)
        if unit.fills:
            venue = unit.position.venue if unit.position is not None else None  # a fill is its position's venue's
            steps.append((_INSERT_FILL, [fill_values(replace(f, venue=venue) if venue else f, unit.fill_position)
                                         for f in unit.fills]))
        steps += upsert(dialect, _KV, [{"key": k, "value": v} for k, v in unit.kv.items()])
        if unit.algos:
            when = unit.now or (unit.position.created_at if unit.position is not None else unit.algos[0].start)
            steps += upsert(dialect, _ALGOS, [{c.name: getattr(row, c.name) for c in _ALGOS.columns}
                                             for row in (algo_to_row(a, when) for a in unit.algos)])
        if unit.venue:
            steps += paper_rows.statements(dialect, unit.venue)
        alerts = outbox.alerts_of(unit.events)
        if alerts:
            steps.append((_INSERT_ALERT, [outbox.values(e) for e in alerts]))
        await run(self.db, steps)
        # a test hook: nothing unless SIGNALPILOT_CRASH_AT is set
        crashpoints.committed(unit.position, unit.orders, unit.fills[0] if unit.fills else None, unit.algos)

    def warm_up(self) -> None:
        """Build now (at start) what the first step of each kind would otherwise build in its
        commit: the alerts' encoders and, on SQLite, the unit's statements compiled for the writer."""
        outbox.warm_up()
        if self.db.writer is None:
            return

        def columns(table: Any, skip: str = "") -> tuple[str, ...]:
            return tuple(c.name for c in table.columns if c.name != skip)

        shapes = [(upsert_statement("sqlite", _POSITIONS, _POSITION_FIXED), columns(_POSITIONS)),
                  (upsert_statement("sqlite", _ORDERS, _ORDER_FIXED), columns(_ORDERS)),
                  (upsert_statement("sqlite", _KV), columns(_KV)),
                  (_INSERT_FILL, columns(_FILLS, "id")), (_INSERT_ALERT, columns(_OUTBOX, "seq")),
                  *paper_rows.shapes()]
        for stmt, keys in shapes:
            sqlite_writer.prepare(stmt, keys)

    async def get_position(self, position_id: str) -> Position | None:
        async with self.db.session() as s:
            row = await s.get(PositionRow, position_id)
            return row_to_position(row) if row else None

    async def open_positions(self, venue: str | None = None) -> list[Position]:
        """Positions not closed, oldest first; of one venue when ``venue`` is given."""
        async with self.db.session() as s:
            q = select(PositionRow).where(col(PositionRow.state).in_(_OPEN_STATES)).order_by(col(PositionRow.created_at))
            if venue is not None:
                q = q.where(col(PositionRow.venue) == venue)
            return [row_to_position(r) for r in (await s.exec(q)).all()]

    async def position_for_signal(self, signal_id: str) -> Position | None:
        async with self.db.session() as s:
            row = (await s.exec(select(PositionRow).where(PositionRow.signal_id == signal_id))).first()
            return row_to_position(row) if row else None

    async def closed_positions(self, since: datetime | None = None, limit: int | None = None) -> list[Position]:
        """Closed positions, newest first."""
        async with self.db.session() as s:
            q = select(PositionRow).where(PositionRow.state == PositionState.CLOSED.value)
            if since is not None:
                q = q.where(col(PositionRow.closed_at) >= since)
            q = q.order_by(col(PositionRow.closed_at).desc())
            if limit is not None:
                q = q.limit(limit)
            return [row_to_position(r) for r in (await s.exec(q)).all()]

    async def get_order(self, client_id: str) -> Order | None:
        async with self.db.session() as s:
            row = await s.get(OrderRow, client_id)
            return row_to_order(row) if row else None

    async def orders_for(self, position_id: str) -> list[Order]:
        async with self.db.session() as s:
            q = select(OrderRow).where(OrderRow.position_id == position_id).order_by(col(OrderRow.created_at))
            return [row_to_order(r) for r in (await s.exec(q)).all()]

    async def orders_for_positions(self, position_ids: Sequence[str]) -> dict[str, list[Order]]:
        """The orders of many positions in one query, per position, oldest first."""
        found: dict[str, list[Order]] = {pid: [] for pid in position_ids}
        if not position_ids:
            return found
        async with self.db.session() as s:
            q = select(OrderRow).where(col(OrderRow.position_id).in_(list(position_ids))).order_by(col(OrderRow.created_at))
            for r in (await s.exec(q)).all():
                found[r.position_id].append(row_to_order(r))
        return found

    async def live_orders(self, venue: str | None = None) -> list[Order]:
        """Orders not final (NEW or OPEN), oldest first; of one venue when ``venue`` is given."""
        async with self.db.session() as s:
            q = select(OrderRow).where(col(OrderRow.status).in_(_LIVE_ORDER)).order_by(col(OrderRow.created_at))
            if venue is not None:
                q = q.where(col(OrderRow.venue) == venue)
            return [row_to_order(r) for r in (await s.exec(q)).all()]

    async def fills_for(self, position_id: str) -> list[Fill]:
        async with self.db.session() as s:
            q = select(FillRow).where(FillRow.position_id == position_id).order_by(col(FillRow.ts), col(FillRow.id))
            return [row_to_fill(r) for r in (await s.exec(q)).all()]

    async def algos_for_positions(self, position_ids: Sequence[str]) -> dict[str, list[Algo]]:
        """The execution algorithms' runs of many positions, per position."""
        found: dict[str, list[Algo]] = {pid: [] for pid in position_ids}
        if not position_ids:
            return found
        async with self.db.session() as s:
            q = select(AlgoRow).where(col(AlgoRow.position_id).in_(list(position_ids))).order_by(col(AlgoRow.id))
            for r in (await s.exec(q)).all():
                found[r.position_id].append(row_to_algo(r))
        return found

    async def running_algos(self) -> list[Algo]:
        async with self.db.session() as s:
            q = select(AlgoRow).where(AlgoRow.status == AlgoStatus.RUNNING.value).order_by(col(AlgoRow.id))
            return [row_to_algo(r) for r in (await s.exec(q)).all()]

    # --- small values ------------------------------------------------------------------------------
    async def kv_get(self, key: str) -> str | None:
        async with self.db.session() as s:
            row = await s.get(KvRow, key)
            return row.value if row else None

    async def kv_put(self, key: str, value: str, events: Iterable[Event] = ()) -> None:
        """Store one value, with the alerts its change causes (the outbox) in the same commit."""
        async with self.db.session() as s:
            await s.merge(KvRow(key=key, value=value))
            for event in outbox.alerts_of(events):
                s.add(outbox.to_row(event))
            await s.commit()

    async def kv_prefix(self, prefix: str) -> dict[str, str]:
        async with self.db.session() as s:
            rows = (await s.exec(select(KvRow).where(col(KvRow.key).startswith(prefix)))).all()
            return {r.key: r.value for r in rows}

    async def save_card(self, signal_id: str, chat_id: int, message_id: int) -> None:
        async with self.db.session() as s:
            await s.merge(CardRow(signal_id=signal_id, chat_id=chat_id, message_id=message_id))
            await s.commit()

    async def cards(self, signal_id: str) -> list[tuple[int, int]]:
        async with self.db.session() as s:
            rows = (await s.exec(select(CardRow).where(CardRow.signal_id == signal_id))).all()
            return [(r.chat_id, r.message_id) for r in rows]

    async def user_lang(self, user_id: int) -> str | None:
        async with self.db.session() as s:
            row = await s.get(UserPrefRow, user_id)
            return row.lang if row else None

    async def set_user_lang(self, user_id: int, lang: str) -> None:
        async with self.db.session() as s:
            await s.merge(UserPrefRow(user_id=user_id, lang=lang))
            await s.commit()

    async def add_equity(self, ts: datetime, equity: Decimal) -> None:
        async with self.db.session() as s:
            s.add(EquityRow(ts=ts, equity=equity))
            await s.commit()

    async def equity_since(self, since: datetime | None) -> list[tuple[datetime, Decimal]]:
        async with self.db.session() as s:
            q = select(EquityRow).order_by(col(EquityRow.ts))
            if since is not None:
                q = q.where(col(EquityRow.ts) >= since)
            return [(r.ts, r.equity) for r in (await s.exec(q)).all()]

    # --- the alert outbox ----------------------------------------------------------------------------
    async def add_alerts(self, events: Iterable[Event]) -> int:
        """Write alert-type events not in the outbox yet (by event id); how many were new."""
        fresh = outbox.alerts_of(events)
        if not fresh:
            return 0
        async with self.db.session() as s:
            known = set((await s.exec(select(OutboxRow.event_id).where(
                col(OutboxRow.event_id).in_([e.id for e in fresh])))).all())
            added = [e for e in fresh if e.id not in known]
            for event in added:
                s.add(outbox.to_row(event))
            try:
                await s.commit()
            except IntegrityError:  # written meanwhile by its own transaction
                await s.rollback()
                return 0
            return len(added)

    async def pending_alerts(self, limit: int = 500) -> list[outbox.PendingAlert]:
        """Alerts not settled, oldest first, each with the chats that already confirmed it."""
        async with self.db.session() as s:
            q = select(OutboxRow).where(col(OutboxRow.settled_at).is_(None)).order_by(col(OutboxRow.seq)).limit(limit)
            rows = (await s.exec(q)).all()
            if not rows:
                return []
            marks = (await s.exec(select(OutboxDeliveryRow).where(
                col(OutboxDeliveryRow.event_id).in_([r.event_id for r in rows])))).all()
        chats: dict[str, set[int]] = {}
        for mark in marks:
            chats.setdefault(mark.event_id, set()).add(mark.chat_id)
        return [outbox.PendingAlert(r.seq or 0, outbox.from_row(r), frozenset(chats.get(r.event_id, ())))
                for r in rows]

    async def mark_delivered(self, event_ids: Iterable[str], chat_id: int, now: datetime) -> None:
        """Telegram confirmed these alerts in this chat (idempotent)."""
        async with self.db.session() as s:
            for event_id in dict.fromkeys(event_ids):
                await s.merge(OutboxDeliveryRow(event_id=event_id, chat_id=chat_id, delivered_at=now))
            await s.commit()

    async def settle_alerts(self, event_ids: Iterable[str], now: datetime) -> None:
        """Every recipient has these alerts (or never will): they are not pending any more."""
        ids = list(dict.fromkeys(event_ids))
        if not ids:
            return
        async with self.db.session() as s:
            rows = (await s.exec(select(OutboxRow).where(col(OutboxRow.event_id).in_(ids)))).all()
            for row in rows:
                if row.settled_at is None:
                    row.settled_at = now
                    s.add(row)
            await s.commit()

    async def prune_alerts(self, before: datetime) -> int:
        """Forget settled alerts (and their marks) settled before ``before``; how many."""
        async with self.db.session() as s:
            rows = (await s.exec(select(OutboxRow).where(col(OutboxRow.settled_at) < before))).all()
            ids = [r.event_id for r in rows]
            if not ids:
                return 0
            for mark in (await s.exec(select(OutboxDeliveryRow).where(
                    col(OutboxDeliveryRow.event_id).in_(ids)))).all():
                await s.delete(mark)
            for channel_mark in (await s.exec(select(OutboxChannelRow).where(
                    col(OutboxChannelRow.event_id).in_(ids)))).all():
                await s.delete(channel_mark)
            for row in rows:
                await s.delete(row)
            await s.commit()
            return len(ids)

