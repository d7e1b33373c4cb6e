"""No false alarms when fills race each other within one polling interval (streams down).

With the user-data stream down the engine learns fills from REST polls. When TP1 and TP2 (or TP1
and the stop) both fill between two polls, TP1's fill used to move the stop to breakeven on a
position already flat on the venue: "the stop order could not be placed" and "the exchange
rejected an order" went out for a trade that simply ended. Now the flat position is recognised
first (queued fills, then the venue's position and our orders' fills): only the true events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engine.brokers.ccxt import StreamConfig
from engine.domain.events import EngineError, PositionClosed, StopMovedToBreakeven, TargetHit
from engine.domain.models import CloseReason, PositionState
from engine.facade import Engine
from tests.engine.live.harness import (
    BTC,
    EventLog,
    audit,
    build_live_engine,
    live_settings,
    open_position,
    until,
)

VID = "BTCUSDT"
# the socket stays down once dropped (a minute of backoff); REST polls every 0.5 s meanwhile
STREAM_DOWN = StreamConfig(poll_interval=0.5, safety_interval=30.0, backoff_start=60.0, backoff_max=60.0,
                           tick=0.05, pending_lookup_after=0.3, pending_force_after=2.0, connect_timeout=3.0)


@pytest.fixture
async def engine(fake, db_url_factory) -> AsyncIterator[Engine]:  # type: ignore[no-untyped-def]
    built = await build_live_engine(live_settings(fake.http_base, db_url_factory()), stream=STREAM_DOWN)
    yield built
    if built.started:
        await built.stop()


def _algo(fake, client_id):  # type: ignore[no-untyped-def]
    return next(a for a in fake.algo_orders.values() if a.client_algo_id == client_id)


async def _open_then_drop_the_stream(engine: Engine, fake):  # type: ignore[no-untyped-def]
    log = EventLog(engine)
    await engine.start(run_feed=False, run_jobs=False)
    pos = await open_position(engine, log, fake, BTC)
    stream = engine.broker.stream
    await fake.drop_ws()
    await until(lambda: not stream.up, what="the user-data stream down")
    return log, pos


def _position_events(log: EventLog) -> list[str]:
    return [type(e).__name__ for e in log.events if not type(e).__name__.startswith("Signal")]


async def test_tp1_and_tp2_between_two_polls_tell_tp1_tp2_and_closed_only(engine, fake) -> None:  # type: ignore[no-untyped-def]
    log, pos = await _open_then_drop_the_stream(engine, fake)
    polls = engine.broker.stream.polls
    fake.set_price(VID, _algo(fake, f"sp-{pos.id}-tp2-0").trigger_price)  # both targets fire at once

    closed = await log.wait_for(PositionClosed, timeout=30)  # a hang guard
    assert engine.broker.stream.polls > polls and not engine.broker.stream.up  # learnt by polling
    assert closed.reason is CloseReason.TARGET and closed.pnl > 0
    assert [e.target for e in log.of(TargetHit)] == [1, 2]
    assert log.of(EngineError) == [] and log.of(StopMovedToBreakeven) == []
    assert _position_events(log)[-5:] == ["OrderFilled", "TargetHit", "OrderFilled", "TargetHit", "PositionClosed"]
    assert not [r for r in fake.requests if r.method == "POST" and f"sp-{pos.id}-sl-1" in r.params.values()]
    assert not [r for r in fake.requests if r.method == "POST" and f"sp-{pos.id}-cl-0" in r.params.values()]
    await until(lambda: not any(a.is_open for a in fake.algo_orders.values()), what="the old stop cancelled")
    final = await engine.get_position(pos.id)
    assert final.state is PositionState.CLOSED and [e.reason for e in final.exits] == ["tp1", "tp2"]
    report = await audit(fake, engine)
    assert report.ok and report.trades == 3, report


async def test_tp1_and_the_stop_between_two_polls_tell_tp1_and_the_stop_only(engine, fake) -> None:  # type: ignore[no-untyped-def]
    log, pos = await _open_then_drop_the_stream(engine, fake)
    stop = _algo(fake, f"sp-{pos.id}-sl-0")
    fake.set_price(VID, _algo(fake, f"sp-{pos.id}-tp1-0").trigger_price)  # TP1 fires ...
    fake.set_price(VID, stop.trigger_price - pos.side.sign * 10)  # ... and the price falls through the stop
    assert fake.positions == {}

    closed = await log.wait_for(PositionClosed, timeout=30)  # a hang guard
    assert closed.reason is CloseReason.STOP
    assert [e.target for e in log.of(TargetHit)] == [1] and log.of(TargetHit)[0].new_stop is None
    assert log.of(EngineError) == [] and log.of(StopMovedToBreakeven) == []
    assert _position_events(log)[-4:] == ["OrderFilled", "TargetHit", "OrderFilled", "PositionClosed"]
    assert not [r for r in fake.requests if r.method == "POST" and f"sp-{pos.id}-cl-0" in r.params.values()]
    final = await engine.get_position(pos.id)
    assert [e.reason for e in final.exits] == ["tp1", "stop"] and final.remaining == 0
    assert closed.pnl == final.realized_pnl
    await until(lambda: not any(a.is_open for a in fake.algo_orders.values()), what="TP2 cancelled")
    assert not [o for o in await engine.repository.orders_for(pos.id) if not o.status.is_final]
    report = await audit(fake, engine)
    assert report.ok and report.trades == 3, report
