"""SQLite online backups: taken while trades happen, each restores to a database that passes the same
checks as the original; retention; restore refuses over a running bot; PostgreSQL gets the pg_dump
recipe; closed trades export as CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from engine.domain.models import PositionState
from engine.market.base import PriceTick
from engine.storage import backup as backups
from engine.storage.db import Database
from engine.storage.repository import Repository


async def audit(path: Path) -> dict[str, int]:
    """What we check on a live database, run on any file: SQLite integrity, our tables, the schema at
    the newest migration, and the trading invariants (exits add up, orders and fills belong to positions)."""
    assert backups.check(path) == []
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await db.migrate()  # already at the newest revision: nothing to do
        repo = Repository(db)
        closed = await repo.closed_positions()
        for pos in closed:
            assert sum(e.qty for e in pos.exits) == pos.qty, pos.id
            assert pos.remaining == 0
        opened = await repo.open_positions()
        orders = fills = 0
        for pos in closed + opened:
            for order in await repo.orders_for(pos.id):
                assert order.position_id == pos.id
                orders += 1
            fills += len(await repo.fills_for(pos.id))
        return {"closed": len(closed), "open": len(opened), "orders": orders, "fills": fills}
    finally:
        await db.close()


async def trade_rounds(engine, rounds: int) -> None:  # type: ignore[no-untyped-def]
    """Signals confirmed and run to their targets, one after another."""
    for _ in range(rounds):
        await engine.step_market(3)
        for symbol in ("ETH/BTC", "LTC/BTC"):
            sig = await engine.analyse(symbol)
            if sig is None:
                continue
            result = await engine.confirm(sig.id, by="test")
            if result.position is None:
                continue
            for target in sig.targets:
                await engine.on_tick(PriceTick(sig.symbol, target.price, engine.clock.now()))


async def test_backups_taken_while_trading_restore_to_sound_databases(engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db_file = tmp_path / "live.db"
    engine = await engine_factory(f"sqlite+aiosqlite:///{db_file}", backup={"dir": str(tmp_path / "b"), "keep": 50})
    trading = asyncio.create_task(trade_rounds(engine, 6))
    taken: list[Path] = []
    while not trading.done():
        path = await engine.backup_now()  # named by the second: keep each one under its own name
        taken.append(path.rename(tmp_path / f"snapshot{len(taken)}.db"))
        await asyncio.sleep(0)
    await trading
    assert len(taken) >= 3
    final = await audit(db_file)
    assert final["closed"] >= 4  # trades really happened meanwhile
    for i, path in enumerate(taken):
        restored = tmp_path / f"restored{i}.db"
        assert backups.restore(path, restored, datetime.now(UTC)) is None
        counts = await audit(restored)
        assert counts["closed"] <= final["closed"] and counts["fills"] <= final["fills"]
    # the last backup, taken after the trading, holds everything
    last = await engine.backup_now()
    assert await engine.latest_backup() == last
    restored = tmp_path / "restored-last.db"
    backups.restore(last, restored, datetime.now(UTC))
    assert await audit(restored) == final


def test_retention_keeps_the_newest(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "paper.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.commit()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = [backups.backup(db, tmp_path / "b", start + timedelta(hours=h), keep=3) for h in range(5)]
    assert backups.backups(tmp_path / "b", db) == made[-3:]
    assert made[-1].name == "signalpilot-paper-20260101-040000.db"


async def test_restore_refuses_over_a_running_bot_and_bad_files(tmp_path: Path) -> None:
    source = Database(f"sqlite+aiosqlite:///{tmp_path / 'source.db'}")
    await source.migrate()
    await source.close()
    copy = backups.backup(tmp_path / "source.db", tmp_path / "b", datetime.now(UTC), keep=5)
    db = tmp_path / "paper.db"
    with backups.RunLock(db), pytest.raises(backups.BackupError, match="a bot is running on this database"):
        backups.restore(copy, db, datetime.now(UTC))
    assert not db.exists()
    (tmp_path / "junk.db").write_bytes(b"not a database at all")
    with pytest.raises(backups.BackupError, match="not a SQLite database"):
        backups.restore(tmp_path / "junk.db", db, datetime.now(UTC))
    assert backups.restore(copy, db, datetime.now(UTC)) is None  # stopped bot: restored
    kept = backups.restore(copy, db, datetime.now(UTC))
    assert kept is not None and kept.exists() and backups.check(db) == []


def test_postgres_is_told_to_use_pg_dump() -> None:
    with pytest.raises(backups.BackupError, match="pg_dump"):
        backups.sqlite_path("postgresql+asyncpg://u:secret@db/signalpilot")


async def test_closed_trades_export_as_csv(engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory()
    await trade_rounds(engine, 2)
    rows = list(csv.DictReader(io.StringIO((await engine.trades_csv()).decode())))
    closed = await engine.history(100)
    assert len(rows) == len(closed) > 0
    by_id = {p.id: p for p in closed}
    for row in rows:
        pos = by_id[row["position_id"]]
        assert pos.state is PositionState.CLOSED
        assert Decimal(row["realized_pnl"]) == pos.realized_pnl and row["symbol"] == pos.symbol
