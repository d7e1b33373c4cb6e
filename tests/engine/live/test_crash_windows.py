"""Crash windows found by the SIGKILL runs, reproduced deterministically.

1. Killed between recording a fill and saving what it does to the position: the fill is in the
   database, the position and its order are not updated. At restart the fill must still be
   applied (it used to be skipped as "already applied": a TP1 never reduced the position, an
   entry left the position pending and the venue's position without a stop).
2. Killed (or the cancel failed) between placing the moved stop and cancelling the old one: two
   stops rest for one position. The next reconciliation cancels the superseded one.
3. A stop missing at restart whose level the price has passed: putting it back fails (it would
   trigger at once), so the position is closed at market — a stop, with our own close order's
   fill, not a position "closed on the exchange" because reconciliation looked before that fill
   came back through the stream. Likewise a stop that never left before the crash: re-sent at
   restart and refused, the position is closed at once (no target is sent for it first).
4. Killed inside the very first migration: SQLite used to keep the tables created so far, and
   every later start failed with "table ... already exists"; the migration is now one transaction.
5. Killed (or the cancels failed) between a position's end and the cancel of its other orders:
   reduce-only targets of a closed position stayed resting and later hit the NEXT position on the
   symbol (seen in bench/bench_crash.py). Recovery now cancels them.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from engine.domain.events import EngineError, PositionClosed, StopMovedToBreakeven, TargetHit
from engine.domain.models import CloseReason, OrderStatus, PositionState
from engine.domain.reasons import ErrorCode
from engine.storage.db import Database
from tests.engine.live.harness import BTC, ETH, EventLog, audit, open_position, resting_stops, until


async def test_a_fill_made_while_the_bot_was_down_is_applied_once_at_restart(fake, live_engine, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    first = await live_engine(fake, url)
    pos = await open_position(first, EventLog(first), fake, BTC)
    await first.stop()
    tp1 = next(a for a in fake.algo_orders.values() if a.client_algo_id == f"sp-{pos.id}-tp1-0")
    fake.set_price("BTCUSDT", tp1.trigger_price)  # TP1 fills on the venue ...
    trade = fake.trades[-1]

    # ... while the bot is down (a fill is recorded in the commit that applies it: there is no
    # "recorded but not applied" state left to repair, only fills not seen at all)
    second = await live_engine(fake, url, start=False)
    log = EventLog(second)
    await second.start(run_feed=False, run_jobs=False)

    after = await second.get_position(pos.id)
    assert after.remaining == pos.qty - trade.qty and after.breakeven, after
    assert [e.target for e in log.of(TargetHit)] == [1] and len(log.of(StopMovedToBreakeven)) == 1
    (stop,) = resting_stops(fake, "BTCUSDT")
    assert stop.client_algo_id == f"sp-{pos.id}-sl-1" and stop.qty == after.remaining
    assert len(await second.repository.fills_for(pos.id)) == 2  # entry and TP1, each once
    assert (await audit(fake, second)).ok


async def test_an_old_stop_left_resting_next_to_the_moved_one_is_cancelled(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    engine = await live_engine(fake)
    log = EventLog(engine)
    pos = await open_position(engine, log, fake, ETH)
    fake.inject("DELETE /fapi/v1/algoOrder", "error500", count=4)  # the old stop's cancel fails, retries too
    tp1 = next(a for a in fake.algo_orders.values() if a.client_algo_id == f"sp-{pos.id}-tp1-0")
    fake.set_price("ETHUSDT", tp1.trigger_price)
    await log.wait_for(StopMovedToBreakeven)
    await until(lambda: fake.faults.armed[0].remaining == 0, what="cancel attempts")
    assert sorted(s.client_algo_id for s in resting_stops(fake, "ETHUSDT")) == [
        f"sp-{pos.id}-sl-0", f"sp-{pos.id}-sl-1"]

    await engine.reconcile_now()

    assert [s.client_algo_id for s in resting_stops(fake, "ETHUSDT")] == [f"sp-{pos.id}-sl-1"]
    old = next(o for o in engine.manager.orders_of(pos.id) if o.client_id == f"sp-{pos.id}-sl-0")
    assert old.status is OrderStatus.CANCELLED
    assert (await engine.get_position(pos.id)).state is PositionState.OPEN
    report = await audit(fake, engine)
    assert report.ok, report


async def test_a_stop_that_cannot_be_put_back_closes_the_position_as_a_stop_not_as_external(fake, live_engine, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    first = await live_engine(fake, url)
    pos = await open_position(first, EventLog(first), fake, BTC)
    await first.stop()
    fake.exchange.cancel_algo(None, f"sp-{pos.id}-sl-0")  # the stop vanished ...
    fake.set_price("BTCUSDT", pos.stop_price - pos.side.sign * 50)  # ... and the price went through its level

    second = await live_engine(fake, url, start=False)
    log = EventLog(second)
    await second.start(run_feed=False, run_jobs=False)  # the stop put back would trigger at once: close

    closed = await second.get_position(pos.id)
    assert closed.state is PositionState.CLOSED and closed.close_reason is CloseReason.STOP, closed
    close_trade = fake.trades[-1]
    assert [(e.price, e.reason) for e in closed.exits] == [(close_trade.price, "stop")]
    assert fake.orders[close_trade.order_id].client_id == f"sp-{pos.id}-cl-0"
    assert [e.code for e in log.of(EngineError)].count(ErrorCode.STOP_NOT_PLACED) == 1
    (summary,) = [e for e in log.of(EngineError) if e.code is ErrorCode.RECONCILED]
    assert "closed_on_exchange" not in summary.detail, summary.detail
    assert fake.positions == {} and not any(a.is_open for a in fake.algo_orders.values())
    assert (await audit(fake, second)).ok


async def test_a_stop_never_sent_before_a_crash_that_cannot_be_sent_now_closes_at_once(fake, live_engine, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    first = await live_engine(fake, url, timeout_ms=5000)
    fake.inject("POST /fapi/v1/algoOrder", "timeout", apply=False)  # the stop's request is lost ...
    sig = await first.analyse(BTC)
    confirming = asyncio.ensure_future(first.confirm(sig.id, by="1"))
    await until(lambda: fake.count("POST /fapi/v1/algoOrder") == 1, what="stop request on its way")
    confirming.cancel()  # ... and the bot dies while waiting for the answer
    await asyncio.gather(confirming, return_exceptions=True)
    await first.stop()
    assert fake.algo_orders == {} and fake.positions[("BTCUSDT", "BOTH")].amt != 0  # open, unprotected
    fake.set_price("BTCUSDT", sig.stop - sig.side.sign * 50)  # meanwhile the price passed the stop's level

    second = await live_engine(fake, url, start=False)
    log = EventLog(second)
    await second.start(run_feed=False, run_jobs=False)

    closed = await second.repository.position_for_signal(sig.id)
    assert closed.state is PositionState.CLOSED and closed.close_reason is CloseReason.STOP, closed
    assert [e.code for e in log.of(EngineError)].count(ErrorCode.STOP_NOT_PLACED) == 1
    ours = sorted(a.client_algo_id for a in fake.algo_orders.values())
    assert ours == [], ours  # the stop could not rest; no target was sent for a position being closed
    assert fake.positions == {}
    assert (await audit(fake, second)).ok


async def test_a_kill_inside_the_first_migration_leaves_a_database_that_starts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "first-start.db"
    blocker = sqlite3.connect(path)  # the migration will fail on its last table, as a kill would stop it
    blocker.execute("CREATE TABLE user_prefs (x INTEGER)")
    blocker.commit()
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        with pytest.raises(Exception, match="already exists"):
            await database.migrate()
        blocker.execute("DROP TABLE user_prefs")  # the cause is gone: the next start must work
        blocker.commit()
        blocker.close()
        await database.migrate()
    finally:
        await database.close()


async def test_orders_left_resting_by_a_position_already_over_are_cancelled(fake, live_engine, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    first = await live_engine(fake, url)
    log = EventLog(first)
    pos = await open_position(first, log, fake, BTC)
    fake.inject("DELETE /fapi/v1/algoOrder", "error500", count=8)  # the targets' cancels fail (or: a kill)
    fake.set_price("BTCUSDT", pos.stop_price - pos.side.sign * 10)  # the stop closes the position
    await log.wait_for(PositionClosed)
    await until(lambda: fake.faults.armed[0].remaining == 0, what="cancel attempts")
    leftovers = sorted(a.client_algo_id for a in fake.algo_orders.values() if a.is_open)
    assert leftovers == [f"sp-{pos.id}-tp1-0", f"sp-{pos.id}-tp2-0"]  # reduce-only targets of nothing
    await first.stop()

    second = await live_engine(fake, url, start=False)
    log2 = EventLog(second)
    await second.start(run_feed=False, run_jobs=False)
    assert not any(a.is_open for a in fake.algo_orders.values())  # else they would hit the next position
    (summary,) = [e for e in log2.of(EngineError) if e.code is ErrorCode.RECONCILED]
    assert "leftovers_cancelled=2" in summary.detail, summary.detail
    assert (await audit(fake, second)).ok
