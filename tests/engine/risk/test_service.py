"""Risk service: the daily loss limit pauses entries until the next UTC day; drawdown pauses too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from config.settings import RiskSettings
from engine.bus import EventBus
from engine.clock import ManualClock
from engine.domain.events import Event, TradingPaused, TradingResumed
from engine.domain.reasons import PauseReason, TradingState
from engine.risk.service import RiskService
from engine.storage.db import Database
from engine.storage.repository import Repository


async def test_daily_loss_pauses_until_midnight_and_survives_restart(database: Database) -> None:
    clock = ManualClock(datetime(2024, 5, 1, 15, 0, tzinfo=UTC))
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(Event, events.append)
    repo = Repository(database)
    risk = RiskService(RiskSettings(daily_loss_limit_pct=Decimal("5")), repo, bus, clock, paper=True)
    await risk.load(Decimal("1000"))
    await risk.realized(Decimal("-30"))
    assert risk.state.state is TradingState.ACTIVE
    await risk.realized(Decimal("-20.5"))
    paused = [e for e in events if isinstance(e, TradingPaused)]
    assert len(paused) == 1 and paused[0].reason is PauseReason.DAILY_LOSS
    assert paused[0].until == datetime(2024, 5, 2, tzinfo=UTC)

    again = RiskService(RiskSettings(), repo, bus, clock, paper=True)
    await again.load(Decimal("949.5"))
    assert again.state.state is TradingState.PAUSED
    clock.set(datetime(2024, 5, 2, 0, 1, tzinfo=UTC))
    await again.on_equity(Decimal("949.5"))
    assert again.state.state is TradingState.ACTIVE and again.state.day_pnl == 0
    assert any(isinstance(e, TradingResumed) for e in events)


async def test_drawdown_pauses_and_manual_resume(database: Database) -> None:
    clock = ManualClock(datetime(2024, 5, 1, tzinfo=UTC))
    bus = EventBus()
    risk = RiskService(RiskSettings(max_drawdown_pct=Decimal("10")), Repository(database), bus, clock, paper=True)
    await risk.load(Decimal("1000"))
    await risk.on_equity(Decimal("1200"))
    await risk.on_equity(Decimal("1081"))
    assert risk.state.state is TradingState.ACTIVE
    clock.set(clock.now() + timedelta(minutes=1))
    await risk.on_equity(Decimal("1080"))
    assert risk.state.state is TradingState.PAUSED and risk.state.reason is PauseReason.MAX_DRAWDOWN
    assert await risk.resume("admin") is True
    assert await risk.resume("admin") is False


async def test_an_auth_error_pauses_trading(database: Database) -> None:
    from engine.domain.events import EngineError
    from engine.domain.reasons import ErrorCode

    clock = ManualClock(datetime(2024, 5, 1, tzinfo=UTC))
    bus = EventBus()
    risk = RiskService(RiskSettings(), Repository(database), bus, clock, paper=False)
    bus.subscribe(EngineError, risk.on_engine_error)
    await risk.load(Decimal("1000"))
    await bus.publish(EngineError(ts=clock.now(), code=ErrorCode.EXCHANGE_REJECTED, detail="-2019"))
    assert risk.state.state is TradingState.ACTIVE
    await bus.publish(EngineError(ts=clock.now(), code=ErrorCode.AUTH, detail="auth: key revoked"))
    assert risk.state.state is TradingState.PAUSED and risk.state.reason is PauseReason.AUTH_ERROR


async def test_a_pause_and_its_alert_are_stored_together(database: Database) -> None:
    """The daily-loss pause reaches the alert outbox in the commit that stores the pause: no front end
    has to be listening for the alert to survive a restart."""
    clock = ManualClock(datetime(2024, 5, 1, 12, tzinfo=UTC))
    repo = Repository(database)
    risk = RiskService(RiskSettings(daily_loss_limit_pct=Decimal("5")), repo, EventBus(), clock, paper=True)
    await risk.load(Decimal("1000"))
    await risk.realized(Decimal("-60"))
    pending = await repo.pending_alerts()
    assert [type(p.event) for p in pending] == [TradingPaused]
    assert pending[0].event.reason is PauseReason.DAILY_LOSS  # type: ignore[attr-defined]
