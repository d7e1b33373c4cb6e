"""Managing an open trade through the façade (paper broker on the bundled replay): each change is
previewed first (nothing sent), then done; a looser stop needs the explicit flag; an addition
passes the risk gate."""

from __future__ import annotations

from decimal import Decimal

from engine.domain.models import OrderType, PositionState
from engine.domain.reasons import AdjustReason, RejectReason, TradingState
from engine.market.base import PriceTick
from engine.views import ConfirmOutcome


async def opened(engine):  # type: ignore[no-untyped-def]
    await engine.step_market(1)
    sig = await engine.analyse("eth/btc")
    result = await engine.confirm(sig.id, by="1")
    assert result.outcome is ConfirmOutcome.OPENED, result
    return result.position


async def stops(engine) -> list:  # type: ignore[no-untyped-def]
    return [o for o in await engine.broker.open_orders() if o.type is OrderType.STOP_MARKET]


async def test_partial_close_preview_then_done(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory()
    pos = await opened(engine)
    preview = await engine.close_part(pos.id, by="@a", pct=Decimal("50"))
    assert preview.ok and not preview.done and preview.qty is not None and preview.qty <= pos.qty / 2
    assert (await engine.get_position(pos.id)).remaining == pos.qty  # nothing sent
    done = await engine.close_part(pos.id, by="@a", pct=Decimal("50"), confirm=True)
    assert done.ok and done.done and done.position.remaining == pos.qty - preview.qty
    assert [s.qty for s in await stops(engine)] == [done.position.remaining]
    bad = await engine.close_part(pos.id, by="@a", pct=Decimal("150"))
    assert not bad.ok and bad.reason is AdjustReason.BAD_AMOUNT
    everything = await engine.close_part(pos.id, by="@a", qty=pos.qty * 2, confirm=True)
    assert everything.ok and everything.position.state is PositionState.CLOSED
    gone = await engine.close_part(pos.id, by="@a", pct=Decimal("50"))
    assert not gone.ok and gone.reason is AdjustReason.NOT_OPEN
    missing = await engine.close_part("nope", by="@a", pct=Decimal("50"))
    assert not missing.ok and missing.reason is AdjustReason.NOT_FOUND


async def test_stop_loosens_only_with_the_flag(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory()
    pos = await opened(engine)
    s = pos.side.sign
    looser = pos.stop_price - s * pos.entry_price * Decimal("0.01")
    refused = await engine.move_stop(pos.id, looser, by="@a", confirm=True)
    assert not refused.ok and refused.reason is AdjustReason.LOOSEN_NEEDS_CONFIRM
    assert (await engine.get_position(pos.id)).stop_price == pos.stop_price
    preview = await engine.move_stop(pos.id, looser, by="@a", loosen=True)
    assert preview.ok and preview.loosened and not preview.done
    done = await engine.move_stop(pos.id, looser, by="@a", loosen=True, confirm=True)
    assert done.ok and done.done and (done.position.stop_price - pos.stop_price) * s < 0
    assert [st.trigger_price for st in await stops(engine)] == [done.position.stop_price]
    tighter = await engine.move_stop(pos.id, pos.stop_price, by="@a", confirm=True)
    assert tighter.ok and tighter.position.stop_price == pos.stop_price and not tighter.loosened


async def test_breakeven_and_target(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory()
    pos = await opened(engine)
    s = pos.side.sign
    early = await engine.stop_to_breakeven(pos.id, by="@a")
    assert not early.ok and early.reason is AdjustReason.WOULD_TRIGGER  # not in profit beyond fees yet
    await engine.on_tick(PriceTick(pos.symbol, pos.entry_price * (1 + s * Decimal("0.01")), engine.clock.now()))
    be = await engine.stop_to_breakeven(pos.id, by="@a", confirm=True)
    assert be.ok and be.position.breakeven and (be.position.stop_price - be.position.entry_price) * s > 0
    new_tp = pos.targets[1].price + s * pos.entry_price * Decimal("0.01")
    moved = await engine.move_target(pos.id, 2, new_tp, by="@a", confirm=True)
    assert moved.ok and moved.position.targets[1].price == moved.price
    prices = sorted(o.price for o in await engine.broker.open_orders() if o.type is OrderType.TAKE_PROFIT)
    assert moved.price in prices


async def test_addition_passes_the_risk_gate(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory()
    pos = await opened(engine)
    done = await engine.add_to_position(pos.id, pos.qty / 2, by="@a", confirm=True)
    assert done.ok and done.done and done.position.qty > pos.qty
    assert [s.qty for s in await stops(engine)] == [done.position.remaining]
    await engine.pause("@a")
    assert engine.risk.state.state is TradingState.PAUSED
    refused = await engine.add_to_position(pos.id, pos.qty / 2, by="@a", confirm=True)
    assert not refused.ok and refused.reason is AdjustReason.RISK and refused.risk_reason is RejectReason.PAUSED
    await engine.resume("@a")
    huge = await engine.add_to_position(pos.id, pos.qty * 1000, by="@a", confirm=True)
    assert not huge.ok and huge.risk_reason is RejectReason.INSUFFICIENT_MARGIN
