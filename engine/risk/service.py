"""Risk service: keeps the trading state, the day's figures and the loss/win streaks; pauses on
limits, publishes why. What a position's step does to the state (realized PnL, a finished trade) is
booked by ``book`` and committed with that step (engine.positions.manager), never afterwards."""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal

from config.settings import RiskSettings
from engine.bus import EventBus
from engine.clock import Clock
from engine.domain.events import EngineError, Event, TradingPaused, TradingResumed
from engine.domain.models import Position, PositionState
from engine.domain.reasons import ErrorCode, PauseReason, TradingState
from engine.domain.values import HUNDRED, ZERO
from engine.risk.reduction import after_trade
from engine.risk.state import RiskState, next_utc_midnight
from engine.storage.repository import Repository

log = logging.getLogger("engine.risk")
KEY = "risk_state"


class RiskService:
    def __init__(self, settings: RiskSettings, repo: Repository, bus: EventBus, clock: Clock, paper: bool) -> None:
        self.settings, self.repo, self.bus, self.clock, self.paper = settings, repo, bus, clock, paper
        self.state = RiskState()
        self.equity: Decimal | None = None  # the last equity seen (per-position loss cap)

    async def load(self, equity: Decimal) -> None:
        text = await self.repo.kv_get(KEY)
        if text:
            self.state = RiskState.from_json(text)
        await self.on_equity(equity)

    async def _save(self, new: RiskState, events: tuple[Event, ...] = ()) -> None:
        """Persist the state, with the alerts its change causes in the same commit."""
        if new != self.state:
            self.state = new
            await self.repo.kv_put(KEY, new.to_json(), events)

    async def on_equity(self, equity: Decimal) -> None:
        """Roll the day, lift an expired pause, track the peak; pause on max drawdown."""
        self.equity = equity
        before = self.state
        new = before.roll(self.clock.now(), equity)
        await self._save(new)
        if before.state is TradingState.PAUSED and new.state is TradingState.ACTIVE:
            await self.bus.publish(TradingResumed(ts=self.clock.now(), paper=self.paper, reason="scheduled"))
        limit = self.settings.max_drawdown_pct
        if limit > 0 and new.equity_peak > 0 and new.state is TradingState.ACTIVE:
            if (new.equity_peak - equity) / new.equity_peak * HUNDRED >= limit:
                await self._pause(PauseReason.MAX_DRAWDOWN, None, None)

    def book(self, before: Position | None, after: Position) -> tuple[dict[str, str], tuple[Event, ...]]:
        """What one lifecycle step changed about a position, booked into the risk state: its realized
        PnL (net of fees) into the day's figures — pausing until the next UTC day at the daily limit —
        and, when the step closed it, the finished trade into the loss and win streaks (the size
        reduction, engine.risk.reduction). Returns what to write with the step (the state) and the
        events it causes: the position manager commits them in the step's transaction and publishes
        them with its events, so a crash cannot keep the close and lose what it did to the state."""
        delta = after.realized_pnl - (before.realized_pnl if before is not None else ZERO)
        closed = after.state is PositionState.CLOSED and (before is None or before.state is not PositionState.CLOSED)
        if not delta and not closed:
            return {}, ()
        s, events = self._booked(self.state, delta)
        if closed:
            s = after_trade(self.settings, s, after.realized_pnl)
            if s.streak_reduced != self.state.streak_reduced:
                log.warning("size reduction after a loss streak: %s", "on" if s.streak_reduced else "lifted")
        if s == self.state:
            return {}, events
        self.state = s
        return {KEY: s.to_json()}, events

    def _booked(self, s: RiskState, delta: Decimal) -> tuple[RiskState, tuple[Event, ...]]:
        if not delta:
            return s, ()
        if s.day != self.clock.now().date():
            s = s.roll(self.clock.now(), s.day_start_equity)
        s = replace(s, day_pnl=s.day_pnl + delta)
        limit = self.settings.daily_loss_limit_pct
        if limit > 0 and s.day_start_equity > 0 and s.state is TradingState.ACTIVE:
            if -s.day_pnl >= s.day_start_equity * limit / HUNDRED:
                s = s.paused(PauseReason.DAILY_LOSS, next_utc_midnight(self.clock.now()))
                log.warning("trading paused: %s", PauseReason.DAILY_LOSS.value)
                return s, (TradingPaused(ts=self.clock.now(), paper=self.paper, reason=PauseReason.DAILY_LOSS,
                                         until=s.until, by=None),)
        return s, ()

    async def realized(self, delta: Decimal) -> None:
        """Realized PnL booked on its own (no position step): the state (and its alerts) in one commit,
        then the events."""
        new, events = self._booked(self.state, delta)
        await self._save(new, events)
        for event in events:
            await self.bus.publish(event)

    async def _pause(self, reason: PauseReason, until: object, by: str | None) -> None:
        new = self.state.paused(reason, until)  # type: ignore[arg-type]
        event = TradingPaused(ts=self.clock.now(), paper=self.paper, reason=reason, until=new.until, by=by)
        await self._save(new, (event,))
        log.warning("trading paused: %s", reason.value)
        await self.bus.publish(event)

    async def pause(self, reason: PauseReason, by: str | None = None) -> bool:
        if self.state.state is TradingState.PAUSED and self.state.reason is reason:
            return False
        await self._pause(reason, None, by)
        return True

    async def on_engine_error(self, event: EngineError) -> None:
        """The exchange refused our keys or permissions: no new entries until an admin resumes."""
        if event.code is ErrorCode.AUTH and self.state.state is TradingState.ACTIVE:
            await self._pause(PauseReason.AUTH_ERROR, None, None)

    async def resume(self, by: str | None = None) -> bool:
        if self.state.state is TradingState.ACTIVE:
            return False
        # the drawdown is measured again from here: the admin has seen it
        await self._save(replace(self.state.resumed(), equity_peak=Decimal(0)))
        await self.bus.publish(TradingResumed(ts=self.clock.now(), paper=self.paper, by=by))
        return True
