"""The whole lifecycle in live mode, with the orders resting on the (fake) exchange.

Entry at market → a reduce-only stop and TP1/TP2 resting as algo orders → TP1 fires on the venue,
its fill arrives through the user-data stream → the stop moves to breakeven ON THE EXCHANGE, the
new stop placed before the old one is cancelled → TP2 fires → closed, with the venue's fills.
"""

from __future__ import annotations

from engine.domain.events import PositionClosed, PositionOpened, StopMovedToBreakeven, TargetHit
from engine.domain.models import CloseReason, PositionState
from engine.views import ConfirmOutcome
from tests.engine.live.harness import BTC, EventLog, audit, resting_stops, until

VID = "BTCUSDT"


def _algo(fake, client_id):  # type: ignore[no-untyped-def]
    return next(a for a in fake.algo_orders.values() if a.client_algo_id == client_id)


def _request_index(fake, method: str, path: str, client_id: str) -> int:  # type: ignore[no-untyped-def]
    return next(i for i, r in enumerate(fake.requests)
                if r.method == method and r.path == path and client_id in r.params.values())


async def test_entry_stop_and_targets_rest_on_the_exchange_then_tp1_breakeven_then_tp2(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    engine = await live_engine(fake, start=False)
    log = EventLog(engine)
    await engine.start(run_feed=True, run_jobs=False)
    sig = await engine.analyse(BTC)
    assert sig is not None and sig.symbol == BTC
    result = await engine.confirm(sig.id, by="1")
    assert result.outcome in (ConfirmOutcome.OPENED, ConfirmOutcome.SUBMITTED), result
    opened = (await log.wait_for(PositionOpened)).position
    pid = opened.id
    await until(lambda: len([a for a in fake.algo_orders.values() if a.is_open]) == 3, what="three algo orders")

    # entry: one market order; a reduce-only stop and two take-profits rest in the algo book
    assert [(o.client_id, o.type, o.status) for o in fake.orders.values()] == [(f"sp-{pid}-en-0", "MARKET", "FILLED")]
    venue_pos = fake.positions[(VID, "BOTH")]
    assert venue_pos.amt == opened.qty * opened.side.sign
    stop, tp1, tp2 = _algo(fake, f"sp-{pid}-sl-0"), _algo(fake, f"sp-{pid}-tp1-0"), _algo(fake, f"sp-{pid}-tp2-0")
    assert stop.order_type == "STOP_MARKET" and stop.trigger_price == opened.stop_price and stop.qty == opened.qty
    assert (tp1.order_type, tp2.order_type) == ("TAKE_PROFIT_MARKET", "TAKE_PROFIT_MARKET")
    assert (tp1.trigger_price, tp2.trigger_price) == (sig.targets[0].price, sig.targets[1].price)
    assert tp1.qty + tp2.qty == opened.qty
    assert all(a.reduce_only for a in (stop, tp1, tp2))

    # TP1 fires on the venue: its fill comes back through the stream, the stop goes to breakeven there
    fake.set_price(VID, tp1.trigger_price)
    hit = await log.wait_for(TargetHit, lambda e: e.target == 1)
    be = await log.wait_for(StopMovedToBreakeven)
    assert hit.qty == tp1.qty
    await until(lambda: _algo(fake, f"sp-{pid}-sl-0").status == "CANCELED", what="old stop cancelled")
    new_stop = _algo(fake, f"sp-{pid}-sl-1")
    assert new_stop.is_open and new_stop.reduce_only and new_stop.order_type == "STOP_MARKET"
    assert new_stop.trigger_price == be.new_stop and (be.new_stop - opened.entry_price) * opened.side.sign > 0
    assert new_stop.qty == opened.qty - tp1.qty == fake.positions[(VID, "BOTH")].amt * opened.side.sign
    placed = _request_index(fake, "POST", "/fapi/v1/algoOrder", f"sp-{pid}-sl-1")
    cancelled = _request_index(fake, "DELETE", "/fapi/v1/algoOrder", f"sp-{pid}-sl-0")
    assert placed < cancelled, "the new stop must rest before the old one is cancelled"
    assert [s.client_algo_id for s in resting_stops(fake, VID)] == [f"sp-{pid}-sl-1"]
    moved = await engine.get_position(pid)
    assert moved.breakeven and moved.stop_price == new_stop.trigger_price and moved.remaining == new_stop.qty

    # TP2 fires: closed with the venue's fills; nothing of ours left resting
    fake.set_price(VID, tp2.trigger_price)
    closed = await log.wait_for(PositionClosed)
    assert closed.reason is CloseReason.TARGET and closed.pnl > 0
    await until(lambda: not any(a.is_open for a in fake.algo_orders.values()), what="no resting algo order")
    assert _algo(fake, f"sp-{pid}-sl-1").status == "CANCELED" and fake.positions == {}
    final = await engine.get_position(pid)
    assert final.state is PositionState.CLOSED and final.remaining == 0
    fills = await engine.repository.fills_for(pid)
    assert sorted(f.client_id for f in fills) == sorted([f"sp-{pid}-en-0", f"sp-{pid}-tp1-0", f"sp-{pid}-tp2-0"])
    assert sum(e.qty for e in final.exits) == final.qty
    report = await audit(fake, engine)
    assert report.ok and report.trades == 3, report
    kinds = [type(e).__name__ for e in log.events]
    assert kinds.index("PositionOpened") < kinds.index("TargetHit") < kinds.index("PositionClosed")
