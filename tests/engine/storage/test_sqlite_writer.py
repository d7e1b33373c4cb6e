"""The SQLite writer (lifecycle steps written in the event loop's thread): a step is in the file for
every other connection once its commit returns; a write lock held by another connection — even an
ORM session whose transaction needs the event loop to finish — makes the step try again with the
loop free, and one held too long is a transient error, not a storage failure; failures are still
classified and reported once; a failed step writes nothing; the WAL is checkpointed in the
background and made to start over when steps never pause."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from config.settings import BrokerSettings
from engine.brokers.paper import PaperBroker
from engine.bus import EventBus
from engine.clock import ManualClock
from engine.domain.events import StorageFault
from engine.domain.models import CloseReason, Fill, MarketSpec, Position, PositionState, Signal, Target
from engine.domain.values import OrderAction, Side
from engine.market.base import PriceTick
from engine.positions.manager import PositionManager
from engine.storage import sqlite_writer
from engine.storage.db import Database, StorageUnavailable
from engine.storage.mapping import position_to_row
from engine.storage.paper_rows import PaperRows
from engine.storage.repository import Repository, Unit
from engine.storage.tables import KvRow
from engine.storage.types import ExactDecimal, UtcDateTime

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _position(pid: str, remaining: str = "1", signal: str | None = None) -> Position:
    return Position(id=pid, signal_id=signal or f"s-{pid}", symbol="BTCUSDT", side=Side.LONG, state=PositionState.OPEN,
                    qty=Decimal("1"), remaining=Decimal(remaining), entry_price=Decimal("100.5"),
                    stop_price=Decimal("90"), initial_stop=Decimal("90"),
                    targets=(Target(Decimal("110"), Decimal("1")),), leverage=5, created_at=T0, opened_at=T0)


def _fill(trade: str) -> Fill:
    return Fill(trade_id=trade, client_id="sp-p1-tp1-0", symbol="BTCUSDT", action=OrderAction.SELL,
                qty=Decimal("0.5"), price=Decimal("110"), fee=Decimal("0.022"), ts=T0)


async def _database(tmp_path: Path, name: str = "w.db") -> Database:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / name}")
    await db.migrate()
    return db


def _read(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as other:  # another connection, as another process would read
        return other.execute(sql).fetchall()


async def test_a_committed_step_is_in_the_file_for_any_other_connection(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    try:
        await Repository(db).commit(Unit(_position("p1", "0.5"), fills=(_fill("t1"),), fill_position="p1", now=T0))
        assert _read(tmp_path / "w.db", "select id, remaining, entry_price from positions") == [("p1", "0.5", "100.5")]
        assert _read(tmp_path / "w.db", "select trade_id, position_id, price from fills") == [("t1", "p1", "110")]
        assert await Repository(db).get_position("p1") == _position("p1", "0.5")  # read back exact, through the ORM
    finally:
        await db.close()


async def test_rows_are_stored_as_the_orm_stores_them(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    try:
        closed = replace(_position("p1", "0", "s"), state=PositionState.CLOSED, closed_at=T0 + timedelta(hours=1),
                         close_reason=CloseReason.STOP, realized_pnl=Decimal("-1.2500"), breakeven=True)
        await Repository(db).commit(Unit(closed, now=T0))
        async with db.session() as session:
            session.add(position_to_row(replace(closed, id="p2")))
            await session.commit()
        rows = _read(tmp_path / "w.db", "select * from positions order by id")
        assert len(rows) == 2 and rows[0][1:] == rows[1][1:]  # the same text in every column but the id
    finally:
        await db.close()


async def test_a_step_waits_for_a_lock_held_by_an_orm_session_without_blocking_the_loop(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    repo = Repository(db)
    try:
        async with db.session() as session:
            session.add(KvRow(key="held", value="1"))
            await session.flush()  # the session's transaction holds the write lock now
            step = asyncio.create_task(repo.commit(Unit(_position("p1"), now=T0)))
            await asyncio.sleep(0)  # the step started, and the loop is free: the session can finish
            assert not step.done()
            await session.commit()
        await step  # written once the lock was released
        assert _read(tmp_path / "w.db", "select id from positions") == [("p1",)]
        assert _read(tmp_path / "w.db", "select key from kv") == [("held",)]
    finally:
        await db.close()


async def test_a_lock_held_by_another_process_is_waited_for(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    holder = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    try:
        holder.execute("begin immediate")
        step = asyncio.create_task(Repository(db).commit(Unit(_position("p1"), now=T0)))
        await asyncio.sleep(0)
        assert not step.done()
        holder.execute("rollback")
        await step
        assert await Repository(db).get_position("p1") == _position("p1")
    finally:
        holder.close()
        await db.close()


async def test_a_lock_held_too_long_is_a_transient_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_writer, "WAIT_S", 0.05)
    db = await _database(tmp_path)
    reports: list[StorageFault] = []
    db.on_fault = lambda fault, detail: reports.append(fault)
    holder = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    try:
        holder.execute("begin immediate")
        with pytest.raises(OperationalError) as raised:
            await Repository(db).commit(Unit(_position("p1"), now=T0))
        assert "locked" in str(raised.value) and not isinstance(raised.value, StorageUnavailable)
        assert reports == [] and db.fault is None
        holder.execute("rollback")
        await Repository(db).commit(Unit(_position("p1"), now=T0))  # and it works once the lock is free
        assert await Repository(db).get_position("p1") == _position("p1")
    finally:
        holder.close()
        await db.close()


async def test_a_failed_step_writes_nothing_and_keeps_the_driver_error(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    repo = Repository(db)
    db.on_fault = lambda fault, detail: pytest.fail(f"reported {fault}")  # a duplicate is no storage fault
    try:
        await repo.commit(Unit(fills=(_fill("t1"),), fill_position="p1"))
        with pytest.raises(IntegrityError):  # the same trade again, with a position: all or nothing
            await repo.commit(Unit(_position("p1"), fills=(_fill("t1"),), fill_position="p1", now=T0))
        assert await repo.get_position("p1") is None
        await repo.commit(Unit(_position("p1"), now=T0))  # the connection is usable again
        assert await repo.get_position("p1") == _position("p1")
    finally:
        await db.close()


async def test_a_read_only_file_is_reported_once_as_a_storage_failure(tmp_path: Path) -> None:
    made = await _database(tmp_path)
    await made.close()
    db = Database(f"sqlite+aiosqlite:///file:{tmp_path / 'w.db'}?mode=ro&uri=true")
    reports: list[StorageFault] = []
    db.on_fault = lambda fault, detail: reports.append(fault)
    try:
        for _ in range(2):
            with pytest.raises(StorageUnavailable) as raised:
                await Repository(db).commit(Unit(_position("p1"), now=T0))
            assert raised.value.fault is StorageFault.READ_ONLY
        assert reports == [StorageFault.READ_ONLY]
    finally:
        await db.close()


async def test_a_folder_that_is_gone_is_reported_as_gone(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'w.db'}")
    (tmp_path / "gone").rmdir()  # made by Database(); removed before the first step
    db.on_fault = lambda fault, detail: None
    try:
        with pytest.raises(StorageUnavailable) as raised:
            await Repository(db).commit(Unit(_position("p1"), now=T0))
        assert raised.value.fault is StorageFault.GONE
    finally:
        await db.close()


async def test_the_wal_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    writer = db.writer
    assert writer is not None
    repo = Repository(db)
    for n in range(sqlite_writer.CHECKPOINT_EVERY):
        await repo.commit(Unit(_position(f"p{n}"), now=T0))
    await db.close()  # waits for the checkpoint asked for
    assert writer.checkpoints == (1, 0)
    assert len(_read(tmp_path / "w.db", "select id from positions")) == sqlite_writer.CHECKPOINT_EVERY


def test_values_are_stored_as_sqlalchemy_stores_them() -> None:
    dialect = SQLiteDialect_pysqlite()
    decimals = [None, Decimal("1.50"), Decimal("-0.0000001"), Decimal("1E+3"), Decimal("123456789.000000001"), 3, "2.5"]
    times = [None, T0, datetime(2026, 1, 1, 23, 30, tzinfo=timezone(timedelta(hours=8))), datetime(1, 1, 1, tzinfo=UTC),
             datetime(2026, 6, 1, 0, 0, 0, 999999, tzinfo=UTC)]
    for type_, values in ((ExactDecimal(), decimals), (UtcDateTime(), times)):
        reference = type_.dialect_impl(dialect).bind_processor(dialect)
        assert reference is not None
        for value in values:
            assert type_.sqlite_value(value) == reference(value), value
    with pytest.raises(ValueError):
        UtcDateTime.sqlite_value(datetime(2026, 1, 1))  # noqa: DTZ001 - a naive time is refused, as before


async def test_a_wal_that_never_pauses_is_made_to_start_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_writer, "CHECKPOINT_EVERY", 4)
    monkeypatch.setattr(sqlite_writer, "WAL_LIMIT", 16 * 4096)  # a few steps' worth of pages
    db = await _database(tmp_path)
    writer = db.writer
    assert writer is not None
    repo = Repository(db)
    for n in range(40):
        await repo.commit(Unit(_position(f"p{n}"), now=T0))
    await db.close()  # waits for the last checkpoint asked for
    passive, restarts = writer.checkpoints
    assert passive >= 1 and restarts >= 1
    assert len(_read(tmp_path / "w.db", "select id from positions")) == 40


async def test_every_statement_of_a_step_is_compiled_at_start(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    clock = ManualClock(T0)
    spec = MarketSpec("BTCUSDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal("0.001"), Decimal("5"))

    async def market(symbol: str) -> MarketSpec:
        return spec

    broker = PaperBroker(BrokerSettings(paper_balance=Decimal("10000")), clock, market, store=PaperRows(db))
    await broker.start()
    mgr = PositionManager(Repository(db), broker, EventBus(), clock, market, taker_fee=Decimal("0.0004"),
                          breakeven_buffer_pct=Decimal("0.05"), paper=True)
    try:
        await mgr.load()  # the engine's start-up recovery
        before = sqlite_writer.compiled_statements()

        async def tick(price: str) -> None:
            clock.set(clock.now() + timedelta(minutes=1))
            await mgr.on_tick(PriceTick("BTCUSDT", Decimal(price), clock.now()))

        await tick("100")
        signal = Signal(id="s1", symbol="BTCUSDT", side=Side.LONG, score=80, factors=(), entry=Decimal("100"),
                        stop=Decimal("95"), targets=(Target(Decimal("104"), Decimal("0.5")),
                                                     Target(Decimal("108"), Decimal("0.5"))),
                        leverage=3, created_at=clock.now(), expires_at=clock.now() + timedelta(hours=1))
        pos = await mgr.open(signal, Decimal("1"), single_target=False, trailing_pct=Decimal(0), time_stop=None,
                             liquidation_price=None)
        await tick("104")  # TP1, the stop to breakeven
        await tick("99")  # the breakeven stop: closed
        assert (await mgr.repo.get_position(pos.id)).state is PositionState.CLOSED  # type: ignore[union-attr]
        assert sqlite_writer.compiled_statements() == before  # nothing compiled on the way
    finally:
        await db.close()


async def test_a_wal_past_its_limit_is_made_to_start_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # steps back to back (a replay, a burst of fills) never leave the pause in which the WAL starts over
    # by itself: past WAL_LIMIT bytes the background checkpoint is a RESTART, so the file stays bounded
    monkeypatch.setattr(sqlite_writer, "QUIET_WAIT_S", 0.01)
    db = await _database(tmp_path)
    writer = db.writer
    assert writer is not None
    repo = Repository(db)
    for n in range(sqlite_writer.CHECKPOINT_EVERY - 1):
        await repo.commit(Unit(_position(f"p{n}"), now=T0))
    size = (tmp_path / "w.db-wal").stat().st_size  # bytes, not frames of the smallest page
    monkeypatch.setattr(sqlite_writer, "WAL_LIMIT", size // 2)
    await repo.commit(Unit(_position("last"), now=T0))  # asks for the checkpoint
    await db.close()  # waits for it
    assert writer.checkpoints == (1, 1)
    assert len(_read(tmp_path / "w.db", "select id from positions")) == sqlite_writer.CHECKPOINT_EVERY
