"""Targets crossed before their orders rest, on the (fake) exchange with the real ccxt client.

Binance refuses a TAKE_PROFIT_MARKET whose trigger is already crossed (-2021, "Order would
immediately trigger"). The engine then takes the target at once — a reduce-only market order
under the target's leg (``sp-<pid>-tp1-1``) — and the lifecycle goes on as if the target had
filled: TP1 → its share closed, the stop to breakeven; the last target → closed. The same at a
restart: a position whose price went past targets that never rested takes them; targets that
rested and fired while the bot was down are told with the same events as live, and no "needs
attention" alert. The paper twins: tests/engine/positions/test_crossed_targets.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from engine.domain.events import EngineError, PositionClosed, StopMovedToBreakeven, TargetHit
from engine.domain.models import CloseReason, OrderStatus, OrderType, PositionState
from engine.domain.reasons import ErrorCode
from engine.storage.db import Database
from tests.conftest import _BACKENDS, POSTGRES_URL, _reset_postgres
from tests.engine.live.harness import BTC, EventLog, audit, open_position, resting_stops, until
from tests.engine.positions.test_crossed_targets import TP1_TAKEN

VID = "BTCUSDT"


@pytest.fixture(params=_BACKENDS)
async def restart_url(request: pytest.FixtureRequest, db_url_factory) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """One database for two runs of the engine: SQLite, and PostgreSQL when SP_TEST_POSTGRES_URL is set."""
    if request.param == "postgres":
        db = Database(POSTGRES_URL)  # type: ignore[arg-type]
        await _reset_postgres(db)
        await db.close()
        yield POSTGRES_URL  # type: ignore[misc]
    else:
        yield db_url_factory()


def _algo(fake, client_id):  # type: ignore[no-untyped-def]
    return next(a for a in fake.algo_orders.values() if a.client_algo_id == client_id)


def _kinds(log: EventLog) -> list[str]:
    """What the position told (signal events left out)."""
    return [type(e).__name__ for e in log.events if not type(e).__name__.startswith("Signal")]


async def _entry_then_hold_the_stop(engine, fake):  # type: ignore[no-untyped-def]
    """Confirm a BTC signal with the stop's answer held by the venue (applied, then answered only
    after the client's timeout): the entry has filled, the targets are not placed yet."""
    fake.inject("POST /fapi/v1/algoOrder", "timeout", apply=True)
    sig = await engine.analyse(BTC)
    assert sig is not None
    confirming = asyncio.ensure_future(engine.confirm(sig.id, by="1"))
    await until(lambda: any(a.client_algo_id.endswith("-sl-0") for a in fake.algo_orders.values()),
                what="the stop resting, its answer held")
    assert fake.count("POST /fapi/v1/algoOrder") == 1  # no target sent yet
    return sig, confirming


async def test_price_past_tp1_between_entry_fill_and_target_placement_takes_tp1_at_market(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    engine = await live_engine(fake, start=False, timeout_ms=1000)
    log = EventLog(engine)
    await engine.start(run_feed=False, run_jobs=False)
    sig, confirming = await _entry_then_hold_the_stop(engine, fake)
    tp1_price, tp2_price = sig.targets[0].price, sig.targets[1].price
    fake.set_price(VID, tp1_price + sig.side.sign * (tp2_price - tp1_price) / 4)  # past TP1, short of TP2
    await confirming

    hit = await log.wait_for(TargetHit, lambda e: e.target == 1)
    be = await log.wait_for(StopMovedToBreakeven)
    pid = hit.position.id
    assert _kinds(log) == TP1_TAKEN  # what the paper venue tells in the same case
    taken = fake.orders[next(t.order_id for t in fake.trades if fake.orders[t.order_id].client_id == f"sp-{pid}-tp1-1")]
    assert (taken.type, taken.reduce_only, taken.qty) == ("MARKET", True, hit.qty)
    await until(lambda: [s.client_algo_id for s in resting_stops(fake, VID)] == [f"sp-{pid}-sl-1"],
                what="the stop moved to breakeven on the venue")
    assert _algo(fake, f"sp-{pid}-sl-1").trigger_price == be.new_stop
    assert _algo(fake, f"sp-{pid}-tp2-0").is_open
    orders = {o.client_id: o for o in await engine.repository.orders_for(pid)}
    assert orders[f"sp-{pid}-tp1-0"].status is OrderStatus.REJECTED
    assert orders[f"sp-{pid}-tp1-1"].type is OrderType.MARKET
    after = await engine.get_position(pid)
    assert after.targets_hit == 1 and after.breakeven and after.remaining == fake.positions[(VID, "BOTH")].amt * after.side.sign

    fake.set_price(VID, tp2_price)  # TP2 rests and fires as usual
    closed = await log.wait_for(PositionClosed)
    assert closed.reason is CloseReason.TARGET and closed.pnl > 0
    assert [e.reason for e in closed.position.exits] == ["tp1", "tp2"]
    assert log.of(EngineError) == []
    await until(lambda: not any(a.is_open for a in fake.algo_orders.values()), what="nothing resting")
    report = await audit(fake, engine)
    assert report.ok and report.trades == 3, report


async def test_price_past_tp1_and_tp2_while_down_before_the_targets_were_sent_closes_as_target_at_restart(fake, live_engine, restart_url) -> None:  # type: ignore[no-untyped-def]
    url = restart_url
    first = await live_engine(fake, url, timeout_ms=5000)
    sig, confirming = await _entry_then_hold_the_stop(first, fake)
    confirming.cancel()  # the bot dies between the entry fill and the targets
    await asyncio.gather(confirming, return_exceptions=True)
    await first.stop()
    assert [a.client_algo_id.rsplit("-", 2)[1] for a in fake.algo_orders.values()] == ["sl"]
    fake.set_price(VID, sig.targets[1].price + sig.side.sign * 20)  # past both targets while down

    second = await live_engine(fake, url, start=False)
    log = EventLog(second)
    await second.start(run_feed=False, run_jobs=False)
    closed = await log.wait_for(PositionClosed)
    pid = closed.position.id

    assert closed.reason is CloseReason.TARGET and closed.pnl > 0
    assert [e.target for e in log.of(TargetHit)] == [1, 2]
    assert _kinds(log) == ["OrderFilled", "TargetHit", "OrderFilled", "TargetHit", "PositionClosed"]
    final = await second.get_position(pid)
    assert final.state is PositionState.CLOSED and [e.reason for e in final.exits] == ["tp1", "tp2"]
    fills = sorted(f.client_id for f in await second.repository.fills_for(pid))
    assert fills == [f"sp-{pid}-en-0", f"sp-{pid}-tp1-1", f"sp-{pid}-tp2-1"]
    assert [e for e in log.of(EngineError) if e.code is not ErrorCode.RECONCILED] == []
    assert log.of(EngineError) == []  # re-sent targets and their fills are the normal lifecycle
    await until(lambda: not any(a.is_open for a in fake.algo_orders.values()), what="the stop cancelled")
    assert fake.positions == {}
    report = await audit(fake, second)
    assert report.ok and report.trades == 3, report


async def test_tp1_and_tp2_filled_while_the_bot_was_down_are_told_as_if_live_at_restart(fake, live_engine, restart_url) -> None:  # type: ignore[no-untyped-def]
    url = restart_url
    first = await live_engine(fake, url)
    pos = await open_position(first, EventLog(first), fake, BTC)
    await first.stop()
    tp2 = _algo(fake, f"sp-{pos.id}-tp2-0")
    fake.set_price(VID, tp2.trigger_price)  # TP1 and TP2 fire on the venue while nobody watches
    assert fake.positions == {}

    second = await live_engine(fake, url, start=False)
    log = EventLog(second)
    await second.start(run_feed=False, run_jobs=False)

    assert _kinds(log) == ["OrderFilled", "TargetHit", "OrderFilled", "TargetHit", "PositionClosed"]
    hits = log.of(TargetHit)
    assert [(h.target, h.new_stop) for h in hits] == [(1, None), (2, None)]  # no stop moved on a flat position
    closed = log.of(PositionClosed)[0]
    assert closed.reason is CloseReason.TARGET and closed.pnl == closed.position.realized_pnl > 0
    assert log.of(EngineError) == []  # told as if live, not as "needs attention"
    assert not any(a.is_open for a in fake.algo_orders.values())
    assert not [r for r in fake.requests if r.method == "POST" and f"sp-{pos.id}-sl-1" in r.params.values()]
    report = await audit(fake, second)
    assert report.ok and report.trades == 3, report
