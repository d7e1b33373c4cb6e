"""An execution algorithm's run round-trips on SQLite and PostgreSQL, written in the same commit as
its slice order (one unit of work), its seed (64 bits) and decimals exact; a later step updates it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from engine.domain.algos import Algo, AlgoKind, AlgoStatus, seed_of
from engine.domain.models import Order, OrderType, slice_order_id
from engine.domain.values import OrderAction
from engine.storage.db import Database
from engine.storage.repository import Repository, Unit
from tests.engine.storage.test_repository import _position

T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


async def test_a_run_is_written_with_its_slice_and_read_back(database: Database) -> None:
    repo = Repository(database)
    pos = _position()
    run = Algo(pos.id, "te", 0, AlgoKind.TWAP, Decimal("1.234"), T0, 1800, slices=10, jitter_pct=Decimal("12.5"),
               seed=seed_of(pos.id, "te", 0), sent=1)
    first = Order(client_id=slice_order_id(pos.id, "te", 0, 0), position_id=pos.id, leg="te", symbol=pos.symbol,
                  action=OrderAction.BUY, type=OrderType.MARKET, qty=Decimal("0.123"), created_at=T0)
    await repo.commit(Unit(pos, (first,), algos=(run,)))
    (stored,) = (await repo.algos_for_positions([pos.id]))[pos.id]
    assert stored == run and stored.seed >= 2**32  # the whole 64-bit seed
    assert [o.client_id for o in await repo.orders_for(pos.id)] == [f"sp-{pos.id}-te-0-0"]
    assert await repo.running_algos() == [run]
    await repo.commit(Unit(algos=(replace(run, sent=10, reported=10, status=AlgoStatus.DONE),)))
    (done,) = (await repo.algos_for_positions([pos.id]))[pos.id]
    assert (done.sent, done.status) == (10, AlgoStatus.DONE) and await repo.running_algos() == []
