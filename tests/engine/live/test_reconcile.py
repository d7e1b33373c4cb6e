"""Reconciliation with the (fake) exchange at start and in the periodic job: adopt what the venue says.

A stop filled while the bot was down is found at restart (closed with its real fills, told by the
same events as live, with no "needs attention" alert); a
protective order missing on the venue is placed again; an orphan order of ours is cancelled; a
position we do not know about is reported and left alone; the admins get ONE summary alert.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from engine.domain.events import EngineError, PositionClosed, PositionOpened, StopMovedToBreakeven, TargetHit
from engine.domain.models import CloseReason, PositionState
from engine.domain.reasons import ErrorCode
from tests.engine.live.harness import BTC, ETH, EventLog, audit, open_position, resting_stops, until

D = Decimal


def _reconciled(log: EventLog) -> list[EngineError]:
    return [e for e in log.of(EngineError) if e.code is ErrorCode.RECONCILED]


async def test_a_stop_filled_while_the_bot_was_down_is_found_at_restart(fake, live_engine, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    first = await live_engine(fake, url)
    pos = await open_position(first, EventLog(first), fake, BTC)
    await first.stop()

    fake.set_price("BTCUSDT", pos.stop_price - pos.side.sign * 100)  # the stop fires on the venue while nobody watches
    assert fake.positions == {}
    (stop_trade,) = [t for t in fake.trades if t.order_id != fake.trades[0].order_id]

    second = await live_engine(fake, url, start=False)
    log = EventLog(second)
    await second.start(run_feed=False, run_jobs=False)
    closed = await second.get_position(pos.id)
    assert closed.state is PositionState.CLOSED and closed.close_reason is CloseReason.STOP
    assert closed.remaining == 0 and [(e.price, e.qty) for e in closed.exits] == [(stop_trade.price, stop_trade.qty)]
    gross = (stop_trade.price - closed.entry_price) * closed.qty * closed.side.sign
    assert closed.realized_pnl == gross - closed.fees and closed.realized_pnl < 0
    assert [e.position.id for e in log.of(PositionClosed)] == [pos.id]
    assert not any(a.is_open for a in fake.algo_orders.values())  # the targets were cancelled on the venue
    # told as if live (the stop's fill, then the close with its PnL), not as "needs attention"
    assert [type(e).__name__ for e in log.events] == ["OrderFilled", "PositionClosed"]
    assert log.of(PositionClosed)[0].reason is CloseReason.STOP and log.of(PositionClosed)[0].pnl < 0
    assert log.of(EngineError) == []
    report = await audit(fake, second)
    assert report.ok and report.trades == 2, report
    assert await second.positions() == []


async def test_restart_repairs_what_differs_and_sends_one_summary(fake, live_engine, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    first = await live_engine(fake, url)
    pos = await open_position(first, EventLog(first), fake, BTC)
    await first.stop()

    venue = fake.exchange
    venue.cancel_algo(None, f"sp-{pos.id}-sl-0")  # the stop vanished (cancelled by hand in the app)
    orphan = venue.place_order(symbol="BTCUSDT", side="BUY", type="LIMIT", qty=D("0.002"), price=D("50000"),
                               tif="GTC", position_side="BOTH", reduce_only=False,
                               client_id="sp-0123456789ab-en-0")  # ours by its id, unknown to the database
    venue.place_order(symbol="ETHUSDT", side="BUY", type="MARKET", qty=D("0.5"), price=None, tif="GTC",
                      position_side="BOTH", reduce_only=False, client_id="by-hand-1")  # not ours
    requests_before = len(fake.requests)

    second = await live_engine(fake, url, start=False)
    log = EventLog(second)
    await second.start(run_feed=False, run_jobs=False)

    (summary,) = _reconciled(log)
    for part in ("stops_replaced=1", "orphans_cancelled=1", "unknown_positions=1"):
        assert part in summary.detail, summary.detail
    (stop,) = resting_stops(fake, "BTCUSDT")
    assert stop.client_algo_id == f"sp-{pos.id}-sl-1"
    assert stop.trigger_price == pos.stop_price and stop.qty == pos.remaining and stop.reduce_only
    assert orphan.status == "CANCELED"
    assert fake.positions[("ETHUSDT", "BOTH")].amt == D("0.5")  # the unknown position is left alone
    touched_eth = [r for r in fake.requests[requests_before:]
                   if r.method in ("POST", "DELETE") and r.params.get("symbol") == "ETHUSDT"]
    assert touched_eth == []
    assert (await second.get_position(pos.id)).state is PositionState.OPEN
    report = await audit(fake, second)
    assert report.position_mismatch == ["ETHUSDT: database 0 venue 0.5"]  # the one we must not adopt
    assert report.unprotected == ["ETHUSDT 0.5"]  # reported, not ours to protect
    assert not report.duplicate_client_ids and not report.missing_fills and not report.extra_stops

    # the next start finds nothing more to repair but the foreign position: reported again, untouched
    await second.stop()
    third = await live_engine(fake, url, start=False)
    log3 = EventLog(third)
    await third.start(run_feed=False, run_jobs=False)
    (again,) = _reconciled(log3)
    assert again.detail == "unknown_positions=1"
    assert fake.positions[("ETHUSDT", "BOTH")].amt == D("0.5")


async def test_the_periodic_job_puts_back_a_stop_cancelled_on_the_exchange(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    engine = await live_engine(fake)
    log = EventLog(engine)
    pos = await open_position(engine, log, fake, ETH)
    due = engine.jobs.next_run("reconcile")  # scheduled every SP_EXCHANGE__RECONCILE_MIN (5) minutes
    assert due is not None and timedelta(minutes=4) < due - engine.clock.now() <= timedelta(minutes=5)
    fake.exchange.cancel_algo(None, f"sp-{pos.id}-sl-0")
    assert resting_stops(fake, "ETHUSDT") == []

    await engine.reconcile_now()  # what the scheduler runs every SP_EXCHANGE__RECONCILE_MIN minutes

    (stop,) = resting_stops(fake, "ETHUSDT")
    assert stop.client_algo_id == f"sp-{pos.id}-sl-1" and stop.qty == pos.remaining
    (summary,) = _reconciled(log)
    assert "stops_replaced=1" in summary.detail
    assert len(log.of(PositionOpened)) == 1
    assert (await audit(fake, engine)).ok


async def test_a_position_closed_by_hand_on_the_exchange_is_closed_in_the_database(fake, live_engine, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    first = await live_engine(fake, url)
    pos = await open_position(first, EventLog(first), fake, BTC)
    await first.stop()
    fake.set_price("BTCUSDT", pos.entry_price + pos.side.sign * D("300"))
    fake.exchange.place_order(symbol="BTCUSDT", side=pos.side.exit_action.value.upper(), type="MARKET",
                              qty=pos.remaining, price=None, tif="GTC", position_side="BOTH", reduce_only=True,
                              client_id="closed-in-the-app")
    assert fake.positions == {}
    exit_price = fake.trades[-1].price

    second = await live_engine(fake, url, start=False)
    log = EventLog(second)
    await second.start(run_feed=False, run_jobs=False)
    closed = await second.get_position(pos.id)
    assert closed.state is PositionState.CLOSED and closed.close_reason is CloseReason.EXTERNAL
    assert [(e.price, e.qty) for e in closed.exits] == [(exit_price, pos.remaining)]  # the real fill, not a guess
    gross = (exit_price - closed.entry_price) * closed.qty * closed.side.sign
    assert closed.realized_pnl == gross - closed.fees and closed.realized_pnl > 0
    assert [f.price for f in await second.repository.fills_for(pos.id)][-1] == exit_price
    assert not any(a.is_open for a in fake.algo_orders.values())  # its stop and targets were cancelled
    (summary,) = _reconciled(log)
    assert "closed_on_exchange=1" in summary.detail
    (told,) = log.of(PositionClosed)  # on the card's thread too, with its PnL
    assert told.reason is CloseReason.EXTERNAL and told.pnl == closed.realized_pnl and told.exit_price == exit_price
    assert log.events.index(told) < log.events.index(summary)
    assert (await audit(fake, second)).ok


async def test_tp2_filled_while_the_bot_was_down_is_told_as_if_live_after_tp1_and_breakeven(fake, live_engine, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    first = await live_engine(fake, url)
    log1 = EventLog(first)
    pos = await open_position(first, log1, fake, BTC)
    tp1 = next(a for a in fake.algo_orders.values() if a.client_algo_id == f"sp-{pos.id}-tp1-0")
    tp2 = next(a for a in fake.algo_orders.values() if a.client_algo_id == f"sp-{pos.id}-tp2-0")
    fake.set_price("BTCUSDT", tp1.trigger_price)
    await log1.wait_for(StopMovedToBreakeven)
    await until(lambda: [s.client_algo_id for s in resting_stops(fake, "BTCUSDT")] == [f"sp-{pos.id}-sl-1"],
                what="the stop at breakeven alone")
    await first.stop()
    fake.set_price("BTCUSDT", tp2.trigger_price)  # TP2 fills while the bot is down
    assert fake.positions == {}

    second = await live_engine(fake, url, start=False)
    log = EventLog(second)
    await second.start(run_feed=False, run_jobs=False)

    assert [type(e).__name__ for e in log.events] == ["OrderFilled", "TargetHit", "PositionClosed"]
    hit, closed = log.of(TargetHit)[0], log.of(PositionClosed)[0]
    assert hit.target == 2 and hit.qty == tp2.qty and hit.pnl > 0
    assert closed.reason is CloseReason.TARGET and closed.pnl == closed.position.realized_pnl > 0
    assert [e.reason for e in closed.position.exits] == ["tp1", "tp2"]
    assert log.of(EngineError) == []  # not "needs attention": it is the normal end of the trade
    assert not any(a.is_open for a in fake.algo_orders.values())  # the breakeven stop was cancelled
    report = await audit(fake, second)
    assert report.ok and report.trades == 3, report
