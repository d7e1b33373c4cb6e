"""Positions, orders and fills record their venue; rows written before venues existed are the default venue's."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from engine.domain.hedge import hedge_order_id
from engine.domain.models import (
    Fill,
    Order,
    OrderType,
    Position,
    PositionState,
    Target,
    client_order_id,
)
from engine.domain.values import OrderAction, Side
from engine.storage.db import Database, alembic_config
from engine.storage.quiet_alembic import command
from engine.storage.repository import Repository, Unit

T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _position(pid: str, venue: str) -> Position:
    return Position(
        id=pid, signal_id=f"sig-{pid}", symbol="SOL/USDT", side=Side.SHORT, state=PositionState.OPEN,
        qty=Decimal("2"), remaining=Decimal("2"), entry_price=Decimal("150"), stop_price=Decimal("155"),
        initial_stop=Decimal("155"), targets=(Target(Decimal("140"), Decimal("1")),), leverage=1,
        created_at=T0, opened_at=T0, venue=venue,
    )


def _order(pid: str, venue: str) -> Order:
    return Order(client_id=client_order_id(pid, "sl", 0), position_id=pid, leg="sl", symbol="SOL/USDT",
                 action=OrderAction.BUY, type=OrderType.STOP_MARKET, qty=Decimal("2"), created_at=T0,
                 trigger_price=Decimal("155"), reduce_only=True, venue=venue)


async def test_each_venue_keeps_its_rows(database: Database) -> None:
    repo = Repository(database)
    for pid, venue in (("p1", "default"), ("p2", "aster"), ("p3", "backpack")):
        await repo.save(_position(pid, venue), [_order(pid, venue)], now=T0)
    fill = Fill("t1", client_order_id("p2", "en", 0), "SOL/USDT", OrderAction.SELL, Decimal("2"), Decimal("150"),
                Decimal("0.06"), T0, venue="aster")
    await repo.commit(Unit(fills=(fill,), fill_position="p2"))

    assert (await repo.get_position("p2")).venue == "aster"
    assert (await repo.get_order(client_order_id("p3", "sl", 0))).venue == "backpack"
    assert await repo.fills_for("p2") == [fill]
    assert [p.id for p in await repo.open_positions(venue="aster")] == ["p2"]
    assert [o.position_id for o in await repo.live_orders(venue="backpack")] == ["p3"]
    assert [p.id for p in await repo.open_positions()] == ["p1", "p2", "p3"]
    # the same trade id on another venue is another fill; a fill saved with its position is that venue's
    other = replace(fill, client_id=client_order_id("p3", "en", 0), venue="default")
    await repo.commit(Unit(await repo.get_position("p3"), fills=(other,), fill_position="p3"))
    assert [f.venue for f in await repo.fills_for("p3")] == ["backpack"]


def test_client_ids_are_deterministic_and_unique_across_venues() -> None:
    # positions have one id space whatever their venue; a hedge leg's id names its role (venue)
    ids = {client_order_id(pid, leg, n) for pid in ("p1", "p2") for leg in ("en", "sl", "tp1") for n in (0, 1)}
    ids |= {hedge_order_id("r1", role, leg, n) for role in ("s", "l") for leg in ("en", "sl", "tp") for n in (0, 1)}
    assert len(ids) == 2 * 3 * 2 + 2 * 3 * 2
    assert client_order_id("p1", "sl", 0) == client_order_id("p1", "sl", 0) == "sp-p1-sl-0"
    assert hedge_order_id("r1", "s", "en", 0) != hedge_order_id("r1", "l", "en", 0)
    assert all(len(i) <= 36 for i in ids)


async def test_rows_from_before_venues_are_the_default_venues(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0007"))
            await conn.execute(sa.text(
                "INSERT INTO fills (trade_id, client_id, position_id, symbol, action, qty, price, fee, is_maker, ts)"
                " VALUES ('t0', 'sp-p0-en-0', 'p0', 'SOL/USDT', 'buy', '1', '150', '0', 0, '2024-01-02 03:04:05')"))
        await db.migrate()
        assert [f.venue for f in await Repository(db).fills_for("p0")] == ["default"]
    finally:
        await db.close()


async def test_two_paper_venues_never_share_rows(database: Database) -> None:
    from config.settings import BrokerSettings
    from engine.brokers.paper import PaperBroker
    from engine.clock import ManualClock
    from engine.domain.models import OrderRequest
    from engine.market.base import PriceTick
    from engine.venues import paper_store
    from tests.engine.brokers.test_paper_helpers import markets

    clock = ManualClock(T0)

    async def broker(name: str, balance: str) -> PaperBroker:
        b = PaperBroker(BrokerSettings(paper_balance=Decimal(balance)), clock, markets,
                        store=paper_store(database, name))
        await b.start()
        return b

    aster, backpack = await broker("aster", "1000"), await broker("backpack", "800")
    for b, price, action in ((aster, "50000", OrderAction.SELL), (backpack, "50010", OrderAction.BUY)):
        await b.prepare("BTCUSDT", 1)
        await b.on_price(PriceTick("BTCUSDT", Decimal(price), clock.now()))
        # the same client id on both venues (a hedge's ids differ by role, but the rows must not rely on it)
        await b.place_order(OrderRequest("hg-1-en-0", "BTCUSDT", action, OrderType.MARKET, Decimal("0.010")))

    before = {"aster": await aster.positions(), "backpack": await backpack.positions()}
    again = {name: await broker(name, "1") for name in ("aster", "backpack")}
    [short] = await again["aster"].positions()
    [long] = await again["backpack"].positions()
    def key(p: object) -> tuple:
        return (p.side, p.qty, p.entry_price, p.liquidation_price)  # type: ignore[attr-defined]
    assert key(short) == key(before["aster"][0]) and key(long) == key(before["backpack"][0])
    assert (short.side, long.side) == (Side.SHORT, Side.LONG) and short.entry_price < long.entry_price
    assert (await again["aster"].balance()).wallet == (await aster.balance()).wallet
    assert (await again["backpack"].balance()).wallet == (await backpack.balance()).wallet
    assert (await again["aster"].fetch_fills("hg-1-en-0", "BTCUSDT"))[0].price == short.entry_price
    from engine.storage.paper_rows import PaperRows
    assert await PaperRows(database).load() is None  # the engine's own paper venue has no rows
