"""The paper venue's rows: a paper account written by the position manager's transactions (rows of
what changed) comes back whole after a restart, on each backend; an account saved as one JSON text
by an earlier version is moved into the rows by migration 0003."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from config.settings import BrokerSettings
from engine.brokers.paper import PaperBroker
from engine.clock import ManualClock
from engine.domain.models import OrderRequest, OrderStatus, OrderType
from engine.domain.values import OrderAction
from engine.market.base import PriceTick
from engine.storage.db import Database, alembic_config
from engine.storage.paper_rows import PaperRows
from engine.storage.repository import Repository, Unit
from tests.engine.brokers.test_paper_helpers import markets

D = Decimal
T0 = datetime(2025, 1, 1, tzinfo=UTC)


async def _broker(db: Database, clock: ManualClock) -> PaperBroker:
    broker = PaperBroker(BrokerSettings(), clock, markets, store=PaperRows(db))
    await broker.start()
    return broker


async def test_rows_written_in_the_managers_transactions_restore_the_account(database: Database) -> None:
    clock = ManualClock(T0)
    repo = Repository(database)
    first = await _broker(database, clock)
    first.defer_saves()  # as the position manager drives it: its rows go into our commits
    await first.prepare("BTCUSDT", 5)
    await first.on_price(PriceTick("BTCUSDT", D("50000"), clock.now()))
    await first.place_order(OrderRequest("en", "BTCUSDT", OrderAction.BUY, OrderType.MARKET, D("0.010")))
    await first.place_order(OrderRequest("sl", "BTCUSDT", OrderAction.SELL, OrderType.STOP_MARKET, D("0.010"),
                                         trigger_price=D("49000.0"), reduce_only=True))
    assert await PaperRows(database).load() is None  # nothing written until a transaction takes it
    await repo.commit(Unit(venue=first.take_changes()))
    await first.place_order(OrderRequest("tp", "BTCUSDT", OrderAction.SELL, OrderType.TAKE_PROFIT, D("0.004"),
                                         price=D("51000.0"), reduce_only=True))
    clock.set(clock.now() + timedelta(seconds=1))
    await first.on_price(PriceTick("BTCUSDT", D("51000"), clock.now()))  # TP fills
    changes = first.take_changes()
    assert [o.client_id for o in changes.orders] == ["tp"] and [f.client_id for f in changes.fills] == ["tp"]
    await repo.commit(Unit(venue=changes))

    second = await _broker(database, ManualClock(T0 + timedelta(hours=1)))
    assert (await second.balance()).wallet == (await first.balance()).wallet
    [pos] = await second.positions()
    assert (pos.qty, pos.leverage) == (D("0.006"), 5)
    assert (await second.fetch_order("sl", "BTCUSDT")).status is OrderStatus.OPEN  # type: ignore[union-attr]
    assert [f.trade_id for f in await second.fetch_fills("tp", "BTCUSDT")] == ["p2"]
    await second.place_order(OrderRequest("x", "BTCUSDT", OrderAction.BUY, OrderType.LIMIT, D("0.002"),
                                          price=D("40000.0")))
    assert (await second.fetch_order("x", "BTCUSDT")).exchange_id == "paper-4"  # type: ignore[union-attr]


async def test_an_account_saved_as_json_by_an_earlier_version_is_moved_into_the_rows(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    sync = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    saved = {"version": 1, "wallet": "9999.79996", "leverage": {"BTCUSDT": 5},
             "positions": [{"symbol": "BTCUSDT", "side": "long", "qty": "0.010", "entry": "50010.0",
                            "margin": "100.02", "leverage": 5}],
             "order_seq": 2, "trade_seq": 1, "liq_seq": 0,
             "orders": [
                 {"seq": 1, "client_id": "en", "symbol": "BTCUSDT", "action": "buy", "type": "market",
                  "qty": "0.010", "created_at": T0.isoformat(), "price": None, "trigger_price": None,
                  "reduce_only": False, "leverage": 5, "reserved": "0", "status": "filled", "filled_qty": "0.010",
                  "avg_price": "50010.0", "fee": "0.20004", "updated_at": T0.isoformat(),
                  "fills": [{"trade_id": "p1", "client_id": "en", "symbol": "BTCUSDT", "action": "buy",
                             "qty": "0.010", "price": "50010.0", "fee": "0.20004", "ts": T0.isoformat(),
                             "is_maker": False}]},
                 {"seq": 2, "client_id": "sl", "symbol": "BTCUSDT", "action": "sell", "type": "stop_market",
                  "qty": "0.010", "created_at": T0.isoformat(), "price": None, "trigger_price": "49000.0",
                  "reduce_only": True, "leverage": 5, "reserved": "0", "status": "open", "filled_qty": "0",
                  "avg_price": None, "fee": "0", "updated_at": None, "fills": []}]}
    with sync.begin() as conn:
        command.upgrade(alembic_config(conn), "0002")
        conn.execute(text("INSERT INTO kv (key, value) VALUES ('venue:paper', :v)"), {"v": json.dumps(saved)})
    sync.dispose()
    db = Database(url)
    await db.migrate()
    broker = await _broker(db, ManualClock(T0))
    assert (await broker.balance()).wallet == D("9999.79996")
    [pos] = await broker.positions()
    assert (pos.qty, pos.entry_price, pos.leverage) == (D("0.010"), D("50010.0"), 5)
    assert (await broker.fetch_order("sl", "BTCUSDT")).status is OrderStatus.OPEN  # type: ignore[union-attr]
    assert [f.trade_id for f in await broker.fetch_fills("en", "BTCUSDT")] == ["p1"]
    assert await Repository(db).kv_get("venue:paper") is None
    await db.close()
