"""Protective rules through the whole engine (paper broker on the bundled replay, the path backtests
and live runs share): the per-position loss cap, the profit trailing stop, the exposure and
correlation caps and the size reduction after a loss streak."""

from __future__ import annotations

from decimal import Decimal

from engine.domain.events import Event, PositionClosed, StopMoved
from engine.domain.models import CloseReason, PositionState
from engine.domain.reasons import RejectReason
from engine.market.base import PriceTick
from engine.views import ConfirmOutcome


def record(engine) -> list[Event]:  # type: ignore[no-untyped-def]
    seen: list[Event] = []
    engine.bus.subscribe(Event, seen.append)
    return seen


async def tick(engine, symbol: str, price: Decimal) -> None:  # type: ignore[no-untyped-def]
    await engine.on_tick(PriceTick(symbol, price, engine.clock.now()))


async def opened(engine, symbol: str = "eth/btc"):  # type: ignore[no-untyped-def]
    await engine.step_market(1)
    sig = await engine.analyse(symbol)
    assert sig is not None
    result = await engine.confirm(sig.id, by="1")
    assert result.outcome is ConfirmOutcome.OPENED, result
    return sig, result.position


async def test_loss_cap_closes_at_market_with_the_stop_order_gone(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(risk={"max_loss_pct": "0.3"})
    events = record(engine)
    sig, pos = await opened(engine)
    stop = next(o for o in engine.manager.orders_of(pos.id) if o.leg == "sl")
    await engine.broker.cancel_order(stop.client_id, stop.symbol)  # the stop order is missing on the venue
    limit = engine.risk.equity * Decimal("0.003")
    near = pos.entry_price - sig.side.sign * limit / pos.qty * Decimal("0.5")  # half the cap: nothing happens
    await tick(engine, sig.symbol, near)
    assert (await engine.repository.get_position(pos.id)).state is PositionState.OPEN
    beyond = pos.entry_price - sig.side.sign * limit / pos.qty * Decimal("1.2")  # still short of the stop price
    assert (beyond - pos.stop_price) * sig.side.sign > 0
    await tick(engine, sig.symbol, beyond)
    closed = [e for e in events if isinstance(e, PositionClosed)]
    assert len(closed) == 1 and closed[0].reason is CloseReason.MAX_LOSS
    assert -closed[0].pnl >= limit
    final = await engine.repository.get_position(pos.id)
    assert final.remaining == 0 and sum(e.qty for e in final.exits) == final.qty
    assert await engine.broker.open_orders() == []


async def test_loss_cap_off_by_default(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory()
    sig, pos = await opened(engine)
    await tick(engine, sig.symbol, (pos.entry_price + pos.stop_price) / 2)
    assert (await engine.repository.get_position(pos.id)).state is PositionState.OPEN


async def test_profit_trailing_starts_at_the_activation_before_tp1(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(plan={"profit_trailing": True, "trail_activation_pct": "1",
                                        "trail_distance_pct": "2"})
    events = record(engine)
    sig, pos = await opened(engine)
    s = sig.side.sign
    await tick(engine, sig.symbol, pos.entry_price * (1 + s * Decimal("0.009")))  # below the activation
    assert not [e for e in events if isinstance(e, StopMoved)]
    best = pos.entry_price * (1 + s * Decimal("0.03"))  # 3 % up: below TP1 (4 %), trailing 2 % behind
    await tick(engine, sig.symbol, best)
    moved = [e for e in events if isinstance(e, StopMoved)]
    assert len(moved) == 1
    assert abs(moved[0].new_stop - best * (1 - s * Decimal("0.02"))) <= best * Decimal("0.0001")
    assert (moved[0].new_stop - pos.stop_price) * s > 0  # only ever tighter
    await tick(engine, sig.symbol, pos.entry_price * (1 + s * Decimal("0.02")))  # a step back: stays
    assert len([e for e in events if isinstance(e, StopMoved)]) == 1
    await tick(engine, sig.symbol, moved[0].new_stop - s * moved[0].new_stop * Decimal("0.001"))
    closed = [e for e in events if isinstance(e, PositionClosed)]
    assert len(closed) == 1 and closed[0].reason is CloseReason.TRAILING and closed[0].pnl > 0


async def test_exposure_cap_makes_entries_fit_the_total(engine_factory) -> None:  # type: ignore[no-untyped-def]
    # risk sizing alone would take about half of equity per entry; the cap allows 1 % in all
    engine = await engine_factory(risk={"max_exposure_pct": "1", "max_positions": 5})
    await opened(engine, "eth/btc")
    sig = await engine.analyse("ltc/btc")
    assert sig is not None
    result = await engine.confirm(sig.id, by="1")
    equity = engine.risk.equity
    held = sum(p.qty * p.entry_price for p in engine.manager.open_positions())
    slip = Decimal("1.001")  # fills may be a little worse than the planned entry
    assert held <= equity * Decimal("0.01") * slip
    if result.outcome is ConfirmOutcome.REJECTED:  # nothing fitted after the first
        assert result.reason is RejectReason.EXPOSURE_TOTAL
    else:
        assert result.outcome is ConfirmOutcome.OPENED


async def test_correlation_cap_refuses_a_market_moving_with_an_open_one(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(risk={"max_correlation": 0.01, "correlation_days": 2, "max_positions": 5})
    await opened(engine, "eth/btc")
    sig = await engine.analyse("ltc/btc")
    assert sig is not None
    result = await engine.confirm(sig.id, by="1")
    assert result.outcome is ConfirmOutcome.REJECTED and result.reason is RejectReason.CORRELATION
    assert result.detail["symbol"] == "ETH/BTC"
