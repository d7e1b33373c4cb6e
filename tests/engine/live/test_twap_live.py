"""TWAP on the live engine against the fake exchange (real ccxt clients): an entry in slices, each
slice a market order under its own client id, protected from the first fill on and re-protected
for all it holds; then a TWAP exit from the chat's façade call closing it in reduce-only slices. And an
iceberg exit: reduce-only limits of 30 % shown one at a time, refilled as each fills."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from engine.domain.events import AlgoProgressed, PositionClosed, PositionOpened
from engine.domain.models import Leg
from tests.engine.live.harness import BTC, CHURN, VENUE_ID, EventLog, audit, client_id_of_trade, resting_stops
from tests.fakes.binance import FakeBinance

TWAP = {**CHURN, "algo_above_notional": "1", "twap_minutes": "0.05", "twap_slices": 4}


@pytest.fixture
async def ticking(fake: FakeBinance) -> AsyncIterator[FakeBinance]:
    """The same price re-published every 50 ms: ticks keep coming, nothing is crossed."""
    stop = asyncio.Event()
    price = fake.exchange.tickers[VENUE_ID[BTC]].last

    async def wiggle() -> None:
        while not stop.is_set():
            fake.set_price(VENUE_ID[BTC], price)
            await asyncio.sleep(0.05)

    task = asyncio.ensure_future(wiggle())
    yield fake
    stop.set()
    await task


def _slices(fake: FakeBinance, prefix: str) -> tuple[list[str], Decimal]:
    ids = sorted(o.client_id for o in fake.orders.values() if o.client_id.startswith(prefix))
    qty = sum((t.qty for t in fake.trades if client_id_of_trade(fake, t).startswith(prefix)), Decimal(0))
    return ids, qty


async def test_twap_entry_then_twap_exit_on_the_fake_exchange(ticking: FakeBinance, live_engine) -> None:  # type: ignore[no-untyped-def]
    fake = ticking
    engine = await live_engine(fake, run_feed=True, risk=TWAP)
    log = EventLog(engine)
    sig = await engine.analyse(BTC)
    result = await engine.confirm(sig.id, by="1")
    assert result.position is not None
    pid = result.position.id
    done = await log.wait_for(AlgoProgressed, lambda e: e.position.id == pid and e.status == "done")
    assert (done.done, done.slices, done.filled) == (4, 4, done.total)
    ids, filled = _slices(fake, f"sp-{pid}-{Leg.TWAP_ENTRY.value}-0-")
    assert ids == [f"sp-{pid}-te-0-{i}" for i in range(4)] and filled == done.total
    held = engine.manager.position(pid)
    assert held is not None and held.remaining == done.total
    (stop,) = resting_stops(fake, VENUE_ID[BTC])
    assert stop.qty >= held.remaining or stop.close_position
    assert (await audit(fake, engine)).ok

    answer = await engine.close_by_algo(pid, by="1", confirm=True)
    assert answer.ok and answer.qty == held.remaining
    closed = await log.wait_for(PositionClosed, lambda e: e.position.id == pid)
    assert sum((x.qty for x in closed.position.exits), Decimal(0)) == closed.position.qty
    exits, sold = _slices(fake, f"sp-{pid}-{Leg.TWAP_EXIT.value}-0-")
    assert exits == [f"sp-{pid}-tx-0-{i}" for i in range(4)] and sold == held.remaining
    assert (VENUE_ID[BTC], "BOTH") not in fake.positions
    await engine.reconcile_now()
    assert (await audit(fake, engine)).ok


async def test_iceberg_exit_on_the_fake_exchange(ticking: FakeBinance, live_engine) -> None:  # type: ignore[no-untyped-def]
    fake = ticking
    engine = await live_engine(fake, run_feed=True, risk={**CHURN, "iceberg_visible_pct": 30})
    log = EventLog(engine)
    sig = await engine.analyse(BTC)
    result = await engine.confirm(sig.id, by="1")
    assert result.position is not None
    pid = result.position.id
    opened = await log.wait_for(PositionOpened, lambda e: e.position.id == pid)
    answer = await engine.close_by_algo(pid, by="1", algo="iceberg", confirm=True)
    assert answer.ok and answer.qty == opened.position.qty
    closed = await log.wait_for(PositionClosed, lambda e: e.position.id == pid)
    assert sum((x.qty for x in closed.position.exits), Decimal(0)) == closed.position.qty
    exits, sold = _slices(fake, f"sp-{pid}-{Leg.ICEBERG_EXIT.value}-0-")
    assert len(exits) == 4 and sold == opened.position.qty  # 30 %, 30 %, 30 %, the rest
    assert (VENUE_ID[BTC], "BOTH") not in fake.positions
    await engine.reconcile_now()
    assert (await audit(fake, engine)).ok
