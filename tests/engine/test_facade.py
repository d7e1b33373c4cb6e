"""The engine end to end on the bundled replay: a signal is confirmed, managed to TP1 (stop to
breakeven) and TP2, with events in order; idempotent confirm; cancel; expiry; drift; panic."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from engine.domain.events import (
    Event,
    PanicCompleted,
    PositionClosed,
    SignalCancelled,
    StopMovedToBreakeven,
    TargetHit,
)
from engine.domain.models import CloseReason, PositionState, SignalStatus
from engine.domain.reasons import RejectReason
from engine.market.base import PriceTick
from engine.views import ConfirmOutcome


def record(engine) -> list[Event]:  # type: ignore[no-untyped-def]
    seen: list[Event] = []
    engine.bus.subscribe(Event, seen.append)
    return seen


async def tick(engine, symbol: str, price: Decimal) -> None:  # type: ignore[no-untyped-def]
    await engine.on_tick(PriceTick(symbol, price, engine.clock.now()))


async def test_confirm_then_tp1_breakeven_then_tp2(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory()
    events = record(engine)
    await engine.step_market(1)
    sig = await engine.analyse("eth/btc")
    assert sig is not None and sig.symbol == "ETH/BTC" and sig.status is SignalStatus.RAISED
    assert len(sig.targets) == 2 and (sig.stop - sig.entry) * sig.side.sign < 0
    result = await engine.confirm(sig.id, by="1")
    assert result.outcome is ConfirmOutcome.OPENED, result
    pos = result.position
    assert pos.state is PositionState.OPEN and pos.remaining == pos.qty
    again = await engine.confirm(sig.id, by="2")
    assert again.outcome is ConfirmOutcome.ALREADY
    assert len(await engine.positions()) == 1

    tp1, tp2 = sig.targets
    await tick(engine, sig.symbol, tp1.price)
    hit = [e for e in events if isinstance(e, TargetHit)]
    assert [h.target for h in hit] == [1]
    be = [e for e in events if isinstance(e, StopMovedToBreakeven)]
    assert len(be) == 1
    moved = (await engine.positions())[0].position
    assert moved.breakeven and (moved.stop_price - moved.entry_price) * moved.side.sign > 0
    assert moved.remaining == pos.qty - hit[0].qty

    await tick(engine, sig.symbol, tp2.price)
    closed = [e for e in events if isinstance(e, PositionClosed)]
    assert len(closed) == 1 and closed[0].reason is CloseReason.TARGET
    final = closed[0].position
    assert final.remaining == 0 and sum(e.qty for e in final.exits) == final.qty
    assert final.realized_pnl > 0
    assert await engine.positions() == []
    kinds = [type(e).__name__ for e in events if type(e).__name__ not in ("OrderFilled", "SignalRaised")]
    assert kinds.index("PositionOpened") < kinds.index("TargetHit") < kinds.index("PositionClosed")


async def test_stop_after_breakeven_cannot_lose(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory()
    events = record(engine)
    await engine.step_market(1)
    sig = await engine.analyse("LTC/BTC")
    result = await engine.confirm(sig.id, by="1")
    assert result.outcome is ConfirmOutcome.OPENED
    await tick(engine, sig.symbol, sig.targets[0].price)
    await tick(engine, sig.symbol, sig.entry)  # back through the entry: the breakeven stop fills
    closed = [e for e in events if isinstance(e, PositionClosed)]
    assert len(closed) == 1 and closed[0].reason is CloseReason.BREAKEVEN
    assert closed[0].pnl > 0


async def test_cancel_expiry_and_drift(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory()
    events = record(engine)
    await engine.step_market(1)
    a = await engine.analyse("ETH/BTC")
    cancelled = await engine.cancel(a.id, by="1")
    assert cancelled.ok and cancelled.signal.status is SignalStatus.CANCELLED
    assert any(isinstance(e, SignalCancelled) for e in events)
    late = await engine.confirm(a.id, by="1")
    assert late.outcome is ConfirmOutcome.REJECTED and late.reason is RejectReason.SIGNAL_CLOSED

    b = await engine.analyse("ETH/BTC")
    price = b.entry * Decimal("1.02")
    await tick(engine, "ETH/BTC", price)
    drift = await engine.confirm(b.id, by="1", max_drift_pct=Decimal("0.5"))
    assert drift.outcome is ConfirmOutcome.DRIFT and drift.price == price
    assert abs(drift.signal.entry - price) <= Decimal("0.000001")
    assert await engine.positions() == []

    await engine.step_market(int(timedelta(minutes=20) / timedelta(minutes=5)))
    expired = await engine.confirm(b.id, by="1")
    assert expired.outcome is ConfirmOutcome.REJECTED and expired.reason is RejectReason.SIGNAL_EXPIRED


async def test_panic_closes_everything_once_and_pauses(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(risk={"sizing": "percent", "percent_equity": "10"})
    events = record(engine)
    await engine.step_market(1)
    for symbol in ("ETH/BTC", "LTC/BTC", "XMR/BTC"):
        sig = await engine.analyse(symbol)
        assert (await engine.confirm(sig.id, by="1")).outcome is ConfirmOutcome.OPENED
    assert len(await engine.positions()) == 3
    import asyncio

    first, second = await asyncio.gather(engine.panic("1"), engine.panic("1"))
    assert first is second
    assert [e for e in events if isinstance(e, PanicCompleted)] == [first]
    positions = [i for i in first.items if i.kind == "position"]
    assert len(positions) == 3 and all(i.ok for i in positions)
    orders = [i for i in first.items if i.kind == "order"]
    assert len(orders) == 9 and all(i.ok for i in orders)  # a stop and two targets each
    assert await engine.positions() == []
    assert (await engine.broker.open_orders()) == []
    status = await engine.status()
    assert status.trading_state == "paused"
    sig = await engine.analyse("ADA/BTC")
    refused = await engine.confirm(sig.id, by="1")
    assert refused.outcome is ConfirmOutcome.REJECTED and refused.reason is RejectReason.PAUSED


async def test_restart_mid_position_resumes_without_duplicates(engine_factory, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    first = await engine_factory(url)
    await first.step_market(1)
    sig = await first.analyse("ETH/BTC")
    opened = (await first.confirm(sig.id, by="1")).position
    await first.stop()

    second = await engine_factory(url)
    events = record(second)
    views = await second.positions()
    assert [v.position.id for v in views] == [opened.id]
    venue_orders = await second.broker.open_orders()
    assert sorted(o.client_id for o in venue_orders) == sorted(
        [f"sp-{opened.id}-sl-0", f"sp-{opened.id}-tp1-0", f"sp-{opened.id}-tp2-0"])
    await tick(second, "ETH/BTC", sig.targets[0].price)
    assert [e.target for e in events if isinstance(e, TargetHit)] == [1]
    await tick(second, "ETH/BTC", sig.targets[1].price)
    assert any(isinstance(e, PositionClosed) for e in events)
    fills = await second.repository.fills_for(opened.id)
    assert len(fills) == 3 and len({f.trade_id for f in fills}) == 3
