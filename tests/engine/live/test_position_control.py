"""Managing an open trade and the loss cap in live mode, on the (fake) exchange: a partial close's
fill comes back through the stream and the stop and targets are re-placed on the venue for what
remains; a moved stop rests on the venue (a looser one only with the flag); the per-position loss
cap closes at market with the stop order gone from the venue."""

from __future__ import annotations

from decimal import Decimal

from engine.domain.events import PositionClosed, PositionOpened, PositionResized
from engine.domain.models import CloseReason
from engine.domain.reasons import AdjustReason
from engine.views import ConfirmOutcome
from tests.engine.live.harness import BTC, EventLog, audit, resting_stops, until

VID = "BTCUSDT"


def _open_algos(fake, pid: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {a.client_algo_id: a for a in fake.algo_orders.values() if a.is_open and pid in a.client_algo_id}


async def _opened(engine, log):  # type: ignore[no-untyped-def]
    sig = await engine.analyse(BTC)
    result = await engine.confirm(sig.id, by="1")
    assert result.outcome in (ConfirmOutcome.OPENED, ConfirmOutcome.SUBMITTED), result
    return (await log.wait_for(PositionOpened)).position


async def test_partial_close_and_stop_moves_on_the_exchange(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    engine = await live_engine(fake, start=False)
    log = EventLog(engine)
    await engine.start(run_feed=True, run_jobs=False)
    pos = await _opened(engine, log)
    pid = pos.id
    await until(lambda: len(_open_algos(fake, pid)) == 3, what="stop and two targets")

    done = await engine.close_part(pid, by="@a", pct=Decimal("50"), confirm=True)
    assert done.ok, done
    resized = await log.wait_for(PositionResized)
    left = resized.position.remaining
    assert left == pos.qty - done.qty and fake.positions[(VID, "BOTH")].amt == left * pos.side.sign
    await until(lambda: set(_open_algos(fake, pid)) == {f"sp-{pid}-sl-1", f"sp-{pid}-tp1-1", f"sp-{pid}-tp2-1"},
                what="the re-sized stop and targets on the venue")
    algos = _open_algos(fake, pid)
    assert algos[f"sp-{pid}-sl-1"].qty == left
    assert algos[f"sp-{pid}-tp1-1"].qty + algos[f"sp-{pid}-tp2-1"].qty == left

    s = pos.side.sign
    looser = pos.stop_price - s * pos.entry_price * Decimal("0.01")
    refused = await engine.move_stop(pid, looser, by="@a", confirm=True)
    assert not refused.ok and refused.reason is AdjustReason.LOOSEN_NEEDS_CONFIRM
    moved = await engine.move_stop(pid, looser, by="@a", loosen=True, confirm=True)
    assert moved.ok and moved.loosened
    await until(lambda: [a.client_algo_id for a in resting_stops(fake, VID)] == [f"sp-{pid}-sl-2"],
                what="one loosened stop on the venue")
    assert resting_stops(fake, VID)[0].trigger_price == moved.position.stop_price
    report = await audit(fake, engine)
    assert report.ok, report


async def test_loss_cap_closes_at_market_without_a_stop_on_the_venue(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    engine = await live_engine(fake, start=False, risk={"max_loss_pct": "0.2"})
    log = EventLog(engine)
    await engine.start(run_feed=True, run_jobs=False)
    pos = await _opened(engine, log)
    await until(lambda: len(resting_stops(fake, VID)) == 1, what="the stop")
    stop = resting_stops(fake, VID)[0]
    fake.exchange.cancel_algo(None, stop.client_algo_id)  # gone from the venue (cancelled by hand on the exchange)
    limit = engine.risk.equity * Decimal("0.002")
    s = pos.side.sign
    price = pos.entry_price - s * limit / pos.qty * Decimal("1.5")
    assert (price - pos.stop_price) * s > 0  # the stop price is not reached
    fake.set_price(VID, price.quantize(Decimal("0.1")))
    closed = await log.wait_for(PositionClosed)
    assert closed.reason is CloseReason.MAX_LOSS
    await until(lambda: fake.positions.get((VID, "BOTH")) is None or fake.positions[(VID, "BOTH")].amt == 0,
                what="flat on the venue")
