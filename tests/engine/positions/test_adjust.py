"""Changes to an open position from the chat, on the paper broker through the manager: a partial
close re-sizes the stop and targets, an addition re-averages the entry and re-plans breakeven, the
stop moves tighter freely and looser only when allowed, a target moves, refusals carry reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import BrokerSettings
from engine.brokers.paper import PaperBroker
from engine.bus import EventBus
from engine.clock import ManualClock
from engine.domain.events import Event, PositionClosed, PositionResized, StopMovedByHand, TargetMoved
from engine.domain.models import CloseReason, MarketSpec, OrderType, PositionState, Signal, Target
from engine.domain.reasons import AdjustReason
from engine.domain.values import ZERO, Side
from engine.market.base import PriceTick
from engine.positions import adjust
from engine.positions.manager import PositionManager
from engine.storage.db import Database
from engine.storage.repository import Repository

MKT = MarketSpec("ETH/USDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal("0.001"), Decimal("5"))
T0 = datetime(2024, 3, 1, tzinfo=UTC)


async def market(symbol: str) -> MarketSpec:
    return MKT


def signal() -> Signal:
    return Signal(id="sig", symbol="ETH/USDT", side=Side.LONG, score=80, factors=(), entry=Decimal("100"),
                  stop=Decimal("98"), targets=(Target(Decimal("104"), Decimal("0.5")), Target(Decimal("108"), Decimal("0.5"))),
                  leverage=3, created_at=T0, expires_at=T0 + timedelta(minutes=15))


@pytest.fixture
async def rig(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    await db.migrate()
    clock = ManualClock(T0)
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(Event, events.append)
    broker = PaperBroker(BrokerSettings(paper_balance=Decimal("10000"), slippage_pct=Decimal(0)), clock, market)
    mgr = PositionManager(Repository(db), broker, bus, clock, market, taker_fee=Decimal("0.0004"),
                          breakeven_buffer_pct=Decimal("0.05"), paper=True)
    await broker.on_price(PriceTick("ETH/USDT", Decimal("100"), T0))
    pos = await mgr.open(signal(), Decimal("2"), single_target=False, trailing_pct=ZERO, time_stop=None,
                         liquidation_price=None)
    assert pos.state is PositionState.OPEN

    async def tick(price: str) -> None:
        clock.set(clock.now() + timedelta(minutes=5))
        await mgr.on_tick(PriceTick("ETH/USDT", Decimal(price), clock.now()))

    yield mgr, pos, events, tick, clock
    await db.close()


async def resting(mgr: PositionManager) -> dict[str, list[tuple[Decimal, Decimal | None]]]:
    out: dict[str, list[tuple[Decimal, Decimal | None]]] = {}
    for o in await mgr.broker.open_orders("ETH/USDT"):
        out.setdefault(o.type.value, []).append((o.qty, o.trigger_price or o.price))
    return out


async def test_partial_close_resizes_stop_and_targets(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, pos, events, tick, clock = rig
    qty = adjust.qty_of_share(pos, Decimal("50"), MKT.qty_step)
    result, after = await mgr.adjust(pos.id, lambda p, o, c: adjust.reduce(p, o, qty, clock.now(), c))
    assert after.state is PositionState.OPEN and after.remaining == Decimal("1")
    assert after.exits[-1].qty == Decimal("1") and after.exits[-1].reason == "manual"
    assert [e.qty for e in events if isinstance(e, PositionResized)] == [Decimal("1")]
    orders = await resting(mgr)
    assert orders[OrderType.STOP_MARKET.value] == [(Decimal("1"), Decimal("98"))]
    assert sorted(orders[OrderType.TAKE_PROFIT.value]) == [(Decimal("0.5"), Decimal("104")),
                                                         (Decimal("0.5"), Decimal("108"))]
    await tick("108.5")  # both targets
    closed = [e for e in events if isinstance(e, PositionClosed)]
    assert len(closed) == 1 and closed[0].reason is CloseReason.TARGET
    final = await mgr.repo.get_position(pos.id)
    assert sum(e.qty for e in final.exits) == final.qty == Decimal("2")
    assert await mgr.broker.open_orders() == []


async def test_partial_close_of_nearly_all_closes_all(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, pos, events, _, clock = rig
    _, after = await mgr.adjust(pos.id, lambda p, o, c: adjust.reduce(p, o, Decimal("2.5"), clock.now(), c))
    assert after.state is PositionState.CLOSED and after.close_reason is CloseReason.MANUAL
    result, _ = await mgr.adjust(pos.id, lambda p, o, c: adjust.reduce(p, o, Decimal("1"), clock.now(), c))
    assert result is None  # nothing open any more


async def test_refusals(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, pos, _, _, clock = rig
    now = clock.now()
    cases = [
        (lambda p, o, c: adjust.reduce(p, o, Decimal("0.0001"), now, c), AdjustReason.TOO_SMALL),
        (lambda p, o, c: adjust.reduce(p, o, Decimal("-1"), now, c), AdjustReason.BAD_AMOUNT),
        (lambda p, o, c: adjust.move_stop(p, o, Decimal("101"), Decimal("100"), now, c, by="a"),
         AdjustReason.WOULD_TRIGGER),
        (lambda p, o, c: adjust.move_stop(p, o, Decimal("97"), Decimal("100"), now, c, by="a"),
         AdjustReason.LOOSEN_NEEDS_CONFIRM),
        (lambda p, o, c: adjust.move_stop(p, o, Decimal("98"), Decimal("100"), now, c, by="a"),
         AdjustReason.UNCHANGED),
        (lambda p, o, c: adjust.move_target(p, o, 3, Decimal("120"), Decimal("100"), now, c, by="a"),
         AdjustReason.NO_SUCH_TARGET),
        (lambda p, o, c: adjust.move_target(p, o, 1, Decimal("99"), Decimal("100"), now, c, by="a"),
         AdjustReason.WOULD_TRIGGER),
        (lambda p, o, c: adjust.to_breakeven(p, o, Decimal("99"), now, c, by="a"), AdjustReason.WOULD_TRIGGER),
    ]
    for build, reason in cases:
        result, after = await mgr.adjust(pos.id, build)
        assert isinstance(result, adjust.Refusal) and result.reason is reason, (reason, result)
        assert after.stop_price == Decimal("98") and after.remaining == Decimal("2")
    assert len((await resting(mgr))[OrderType.STOP_MARKET.value]) == 1


async def test_stop_moves_tighter_and_looser_only_when_allowed(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, pos, events, tick, clock = rig
    _, after = await mgr.adjust(pos.id, lambda p, o, c: adjust.move_stop(p, o, Decimal("99.004"), Decimal("100"),
                                                                          clock.now(), c, by="@a"))
    assert after.stop_price == Decimal("99.01")  # rounded toward the position
    assert (await resting(mgr))[OrderType.STOP_MARKET.value] == [(Decimal("2"), Decimal("99.01"))]
    _, after = await mgr.adjust(pos.id, lambda p, o, c: adjust.move_stop(p, o, Decimal("97"), Decimal("100"),
                                                                          clock.now(), c, by="@a", allow_loosen=True))
    assert after.stop_price == Decimal("97")
    moved = [e for e in events if isinstance(e, StopMovedByHand)]
    assert [(m.new_stop, m.loosened) for m in moved] == [(Decimal("99.01"), False), (Decimal("97"), True)]
    assert (await resting(mgr))[OrderType.STOP_MARKET.value] == [(Decimal("2"), Decimal("97"))]
    await tick("101")
    _, after = await mgr.adjust(pos.id, lambda p, o, c: adjust.to_breakeven(p, o, Decimal("101"), clock.now(), c,
                                                                             by="@a"))
    assert after.breakeven and after.stop_kind == "breakeven" and after.stop_price > after.entry_price
    await tick("100")
    final = await mgr.repo.get_position(pos.id)
    assert final.state is PositionState.CLOSED and final.close_reason is CloseReason.BREAKEVEN


async def test_target_moves(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, pos, events, tick, clock = rig
    _, after = await mgr.adjust(pos.id, lambda p, o, c: adjust.move_target(p, o, 2, Decimal("110"), Decimal("100"),
                                                                            clock.now(), c, by="@a"))
    assert after.targets[1].price == Decimal("110")
    assert [e.new_price for e in events if isinstance(e, TargetMoved)] == [Decimal("110")]
    assert sorted((await resting(mgr))[OrderType.TAKE_PROFIT.value]) == [(Decimal("1"), Decimal("104")),
                                                                        (Decimal("1"), Decimal("110"))]
    await tick("109")
    assert (await mgr.repo.get_position(pos.id)).remaining == Decimal("1")  # TP1 only
    await tick("110")
    assert (await mgr.repo.get_position(pos.id)).state is PositionState.CLOSED


async def test_addition_reaverages_and_replans_breakeven(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, pos, events, tick, clock = rig
    await tick("104")  # TP1: 1 left, stop at breakeven
    be_pos = await mgr.repo.get_position(pos.id)
    assert be_pos.breakeven and be_pos.remaining == Decimal("1")
    await tick("106")
    _, after = await mgr.adjust(pos.id, lambda p, o, c: adjust.add(p, o, Decimal("1"), clock.now(), c))
    assert after.remaining == Decimal("2") and after.qty == Decimal("3")
    assert after.entry_price == Decimal("103")  # (100 × 1 + 106 × 1) / 2
    resized = [e for e in events if isinstance(e, PositionResized)]
    assert len(resized) == 1 and resized[0].leg == "ad" and resized[0].breakeven_price > Decimal("103")
    assert after.stop_price == resized[0].breakeven_price  # the breakeven stop followed (tighter)
    orders = await resting(mgr)
    assert orders[OrderType.STOP_MARKET.value] == [(Decimal("2"), after.stop_price)]
    assert orders[OrderType.TAKE_PROFIT.value] == [(Decimal("2"), Decimal("108"))]  # TP2 takes all that remains
    await tick("108")
    final = await mgr.repo.get_position(pos.id)
    assert final.state is PositionState.CLOSED and sum(e.qty for e in final.exits) == Decimal("3")
