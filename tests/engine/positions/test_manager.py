"""Position manager edge cases on the paper broker: a stop that cannot be placed, the time stop,
the trailing stop after TP1, a liquidation, and an exchange rejection of the entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import BrokerSettings
from engine.brokers.paper import PaperBroker
from engine.bus import EventBus
from engine.clock import ManualClock
from engine.domain.events import EngineError, Event, PositionClosed, StopMoved, TargetHit
from engine.domain.models import CloseReason, MarketSpec, PositionState, Signal, Target
from engine.domain.reasons import ErrorCode
from engine.domain.values import ZERO, Side
from engine.market.base import PriceTick
from engine.positions.manager import PositionManager
from engine.storage.db import Database
from engine.storage.repository import Repository

MKT = MarketSpec("ETH/USDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal("0.001"), Decimal("5"))
T0 = datetime(2024, 3, 1, tzinfo=UTC)


async def market(symbol: str) -> MarketSpec:
    return MKT


def signal(stop: str = "98", targets: tuple[str, ...] = ("104", "108")) -> Signal:
    return Signal(id="sig", symbol="ETH/USDT", side=Side.LONG, score=80, factors=(), entry=Decimal("100"),
                  stop=Decimal(stop), targets=tuple(Target(Decimal(t), Decimal(1) / len(targets)) for t in targets),
                  leverage=3, created_at=T0, expires_at=T0 + timedelta(minutes=15))


@pytest.fixture
async def rig(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    await db.migrate()
    clock = ManualClock(T0)
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(Event, events.append)
    broker = PaperBroker(BrokerSettings(paper_balance=Decimal("10000")), clock, market)
    mgr = PositionManager(Repository(db), broker, bus, clock, market, taker_fee=Decimal("0.0004"),
                          breakeven_buffer_pct=Decimal("0.05"), paper=True)
    await broker.on_price(PriceTick("ETH/USDT", Decimal("100"), T0))

    async def tick(price: str, minutes: int = 5) -> None:
        clock.set(clock.now() + timedelta(minutes=minutes))
        await mgr.on_tick(PriceTick("ETH/USDT", Decimal(price), clock.now()))

    yield mgr, events, tick, clock
    await db.close()


async def test_stop_that_would_trigger_closes_at_market_and_alerts(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, events, tick, _ = rig
    pos = await mgr.open(signal(stop="100.5"), Decimal("1"), single_target=False, trailing_pct=ZERO,
                         time_stop=None, liquidation_price=None)
    errors = [e for e in events if isinstance(e, EngineError)]
    assert [e.code for e in errors] == [ErrorCode.STOP_NOT_PLACED]
    final = await mgr.repo.get_position(pos.id)
    assert final.state is PositionState.CLOSED and final.close_reason is CloseReason.STOP
    assert await mgr.broker.open_orders() == []


async def test_time_stop(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, events, tick, _ = rig
    pos = await mgr.open(signal(), Decimal("1"), single_target=False, trailing_pct=ZERO,
                         time_stop=timedelta(hours=1), liquidation_price=None)
    await tick("100.5", minutes=30)
    assert (await mgr.repo.get_position(pos.id)).state is PositionState.OPEN
    await tick("100.7", minutes=31)
    closed = [e for e in events if isinstance(e, PositionClosed)]
    assert len(closed) == 1 and closed[0].reason is CloseReason.TIME


async def test_trailing_after_tp1(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, events, tick, _ = rig
    pos = await mgr.open(signal(), Decimal("1"), single_target=False, trailing_pct=Decimal("2"),
                         time_stop=None, liquidation_price=None)
    await tick("103")  # no trailing before TP1
    assert not [e for e in events if isinstance(e, StopMoved)]
    await tick("104")
    assert [e.target for e in events if isinstance(e, TargetHit)] == [1]
    await tick("107")
    moved = [e for e in events if isinstance(e, StopMoved)]
    assert moved and moved[-1].new_stop == Decimal("104.86")  # 107 × 0.98
    await tick("104.5")
    closed = [e for e in events if isinstance(e, PositionClosed)]
    assert closed[0].reason is CloseReason.TRAILING and closed[0].pnl > 0
    assert (await mgr.repo.get_position(pos.id)).exits[-1].reason == "trailing"


async def test_liquidation_is_recorded(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, events, tick, _ = rig
    # a stop far beyond the liquidation price (as a broken plan would have)
    pos = await mgr.open(signal(stop="50"), Decimal("1"), single_target=False, trailing_pct=ZERO,
                         time_stop=None, liquidation_price=None)
    await tick("60")
    final = await mgr.repo.get_position(pos.id)
    assert final.state is PositionState.CLOSED and final.close_reason is CloseReason.LIQUIDATION
    assert [e.reason for e in events if isinstance(e, PositionClosed)] == [CloseReason.LIQUIDATION]


async def test_rejected_entry_fails_the_position_with_an_alert(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, events, tick, _ = rig
    pos = await mgr.open(signal(), Decimal("100000"), single_target=False, trailing_pct=ZERO,
                         time_stop=None, liquidation_price=None)
    assert pos.state is PositionState.FAILED
    errors = [e for e in events if isinstance(e, EngineError)]
    assert errors and errors[0].code is ErrorCode.INSUFFICIENT_FUNDS and "insufficient" in errors[0].detail
    assert mgr.open_positions() == []
