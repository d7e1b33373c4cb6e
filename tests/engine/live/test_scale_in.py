"""Scale-in in live mode, on the (fake) exchange: the first part enters at market, the other parts rest
on the venue as LIMIT orders toward the stop; each part that fills re-sizes the stop and the targets
ON THE VENUE for all that is held (the new stop resting before the old one goes); the stop closes all
of it and nothing of ours is left resting."""

from __future__ import annotations

from decimal import Decimal

from engine.domain.events import PositionClosed, PositionOpened, PositionResized
from engine.domain.models import CloseReason, PositionState
from engine.market.base import PriceTick
from tests.engine.live.harness import BTC, EventLog, audit, resting_stops, until

VID = "BTCUSDT"
SCALE = {"scale_in": "0:0.3,0.2:0.35,0.4:0.35"}


def resting(fake, pid: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    plain = {o.client_id: o for o in fake.orders.values() if o.is_open and o.client_id.startswith(f"sp-{pid}-")}
    algos = {a.client_algo_id: a for a in fake.algo_orders.values()
             if a.is_open and a.client_algo_id.startswith(f"sp-{pid}-")}
    return {**plain, **algos}


async def test_scale_in_parts_rest_on_the_venue_and_each_fill_resizes_the_protection_there(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    engine = await live_engine(fake, start=False, risk=SCALE)
    log = EventLog(engine)
    await engine.start(run_feed=False, run_jobs=False)
    sig = await engine.analyse(BTC)
    assert sig is not None
    result = await engine.confirm(sig.id, by="1")
    assert result.position is not None, result
    pid, s = result.position.id, sig.side.sign
    opened = (await log.wait_for(PositionOpened)).position
    first = opened.qty
    await until(lambda: {f"sp-{pid}-sl-0", f"sp-{pid}-tp1-0", f"sp-{pid}-tp2-0"} <= set(resting(fake, pid)),
                what="stop and targets of the first part")
    assert resting(fake, pid)[f"sp-{pid}-sl-0"].qty == first  # type: ignore[attr-defined]

    await engine.on_tick(PriceTick(BTC, fake.exchange.tickers[VID].last, engine.clock.now()))  # the parts go out
    parts = {cid: o for cid, o in resting(fake, pid).items() if "-sc-" in cid}
    assert sorted(parts) == [f"sp-{pid}-sc-0", f"sp-{pid}-sc-1"]
    one, two = parts[f"sp-{pid}-sc-0"], parts[f"sp-{pid}-sc-1"]
    assert all(p.type == "LIMIT" and not p.reduce_only for p in (one, two))  # type: ignore[attr-defined]
    assert (one.price - two.price) * s > 0 and (two.price - opened.stop_price) * s > 0  # type: ignore[attr-defined]
    planned = first + one.qty + two.qty  # type: ignore[attr-defined]

    fake.set_price(VID, one.price)  # type: ignore[attr-defined]  # the first resting part fills on the venue
    resized = await log.wait_for(PositionResized)
    held = first + one.qty  # type: ignore[attr-defined]
    assert resized.position.remaining == held
    await until(lambda: {f"sp-{pid}-sl-1", f"sp-{pid}-tp1-1", f"sp-{pid}-tp2-1"} <= set(resting(fake, pid))
                and f"sp-{pid}-sl-0" not in resting(fake, pid), what="protection re-sized for two parts")
    now = resting(fake, pid)
    assert now[f"sp-{pid}-sl-1"].qty == held and now[f"sp-{pid}-sl-1"].trigger_price == opened.stop_price  # type: ignore[attr-defined]
    assert now[f"sp-{pid}-tp1-1"].qty + now[f"sp-{pid}-tp2-1"].qty == held  # type: ignore[attr-defined]
    assert f"sp-{pid}-sc-1" in now and fake.positions[(VID, "BOTH")].amt == held * s

    fake.set_price(VID, two.price)  # type: ignore[attr-defined]  # the second part: all of the plan held
    await log.wait_for(PositionResized, lambda e: e.position.remaining == planned)
    await until(lambda: {f"sp-{pid}-sl-2", f"sp-{pid}-tp1-2", f"sp-{pid}-tp2-2"} == set(resting(fake, pid)),
                what="protection re-sized for the whole entry")
    assert resting(fake, pid)[f"sp-{pid}-sl-2"].qty == planned  # type: ignore[attr-defined]
    assert [a.client_algo_id for a in resting_stops(fake, VID)] == [f"sp-{pid}-sl-2"]
    report = await audit(fake, engine)
    assert report.ok, report

    fake.set_price(VID, opened.stop_price - s * Decimal("10"))  # through the stop: all of it closed
    closed = await log.wait_for(PositionClosed)
    assert closed.reason is CloseReason.STOP
    await until(lambda: resting(fake, pid) == {} and fake.positions == {}, what="flat, nothing resting")
    final = await engine.get_position(pid)
    assert final.state is PositionState.CLOSED and sum(e.qty for e in final.exits) == final.qty == planned
    report = await audit(fake, engine)
    assert report.ok, report


async def test_scale_in_parts_left_resting_are_cancelled_on_the_venue_when_the_position_closes(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    engine = await live_engine(fake, start=False, risk=SCALE)
    log = EventLog(engine)
    await engine.start(run_feed=False, run_jobs=False)
    sig = await engine.analyse(BTC)
    result = await engine.confirm(sig.id, by="1")
    pid = result.position.id
    await log.wait_for(PositionOpened)
    await until(lambda: f"sp-{pid}-tp2-0" in resting(fake, pid), what="the targets")
    await engine.on_tick(PriceTick(BTC, fake.exchange.tickers[VID].last, engine.clock.now()))
    assert len([c for c in resting(fake, pid) if "-sc-" in c]) == 2
    await engine.close_position(pid, by="1")
    await log.wait_for(PositionClosed)
    await until(lambda: resting(fake, pid) == {} and fake.positions == {}, what="parts cancelled, flat")
    report = await audit(fake, engine)
    assert report.ok, report


async def test_a_part_filled_in_pieces_is_protected_from_its_first_piece_on(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    engine = await live_engine(fake, start=False, risk=SCALE)
    log = EventLog(engine)
    await engine.start(run_feed=False, run_jobs=False)
    sig = await engine.analyse(BTC)
    result = await engine.confirm(sig.id, by="1")
    pid, s = result.position.id, sig.side.sign
    first = (await log.wait_for(PositionOpened)).position.qty
    await until(lambda: f"sp-{pid}-tp2-0" in resting(fake, pid), what="the targets")
    await engine.on_tick(PriceTick(BTC, fake.exchange.tickers[VID].last, engine.clock.now()))
    part = resting(fake, pid)[f"sp-{pid}-sc-0"]
    piece = (part.qty / 2).quantize(Decimal("0.001"))  # type: ignore[attr-defined]
    fake.fill_order(f"sp-{pid}-sc-0", piece)  # a counterparty takes half of the resting part
    resized = await log.wait_for(PositionResized)
    assert resized.position.remaining == first + piece
    await until(lambda: f"sp-{pid}-sl-1" in resting(fake, pid) and f"sp-{pid}-sl-0" not in resting(fake, pid),
                what="the stop re-sized for the piece")
    assert resting(fake, pid)[f"sp-{pid}-sl-1"].qty == first + piece  # type: ignore[attr-defined]
    assert fake.positions[(VID, "BOTH")].amt == (first + piece) * s
    assert f"sp-{pid}-sc-0" in resting(fake, pid)  # the rest of the part keeps resting
    report = await audit(fake, engine)
    assert report.ok, report
