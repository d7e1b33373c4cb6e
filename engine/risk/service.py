"""Risk service: keeps the trading state and the day's figures, pauses on limits, publishes why."""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal

from config.settings import RiskSettings
from engine.bus import EventBus
from engine.clock import Clock
from engine.domain.events import EngineError, Event, TradingPaused, TradingResumed
from engine.domain.reasons import ErrorCode, PauseReason, TradingState
from engine.domain.values import HUNDRED
from engine.risk.state import RiskState, next_utc_midnight
from engine.storage.repository import Repository

log = logging.getLogger("engine.risk")
KEY = "risk_state"


class RiskService:
    def __init__(self, settings: RiskSettings, repo: Repository, bus: EventBus, clock: Clock, paper: bool) -> None:
        self.settings, self.repo, self.bus, self.clock, self.paper = settings, repo, bus, clock, paper
        self.state = RiskState()

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
        before = self.state
        new = before.roll(self.clock.now(), equity)
        await self._save(new)
        if before.state is TradingState.PAUSED and new.state is TradingState.ACTIVE:
            await self.bus.publish(TradingResumed(ts=self.clock.now(), paper=self.paper, reason="scheduled"))
        limit = self.settings.max_drawdown_pct
        if limit > 0 and new.equity_peak > 0 and new.state is TradingState.ACTIVE:
            if (new.equity_peak - equity) / new.equity_peak * HUNDRED >= limit:
                await self._pause(PauseReason.MAX_DRAWDOWN, None, None)

    def book(self, delta: Decimal) -> tuple[dict[str, str], tuple[Event, ...]]:
        """Realized PnL (net of fees) booked by a lifecycle step; pauses until the next UTC day at
        the daily limit. Returns what to write with the step (the state) and the events it causes:
        the position manager commits them in the step's transaction and publishes them with its events."""
        s = self.state
        if s.day != self.clock.now().date():
            s = s.roll(self.clock.now(), s.day_start_equity)
        s = replace(s, day_pnl=s.day_pnl + delta)
        events: tuple[Event, ...] = ()
        limit = self.settings.daily_loss_limit_pct
        if limit > 0 and s.day_start_equity > 0 and s.state is TradingState.ACTIVE:
            if -s.day_pnl >= s.day_start_equity * limit / HUNDRED:
                s = s.paused(PauseReason.DAILY_LOSS, next_utc_midnight(self.clock.now()))
                events = (TradingPaused(ts=self.clock.now(), paper=self.paper, reason=PauseReason.DAILY_LOSS,
                                        until=s.until, by=None),)
                log.warning("trading paused: %s", PauseReason.DAILY_LOSS.value)
        if s == self.state:
            return {}, events
        self.state = s
        return {KEY: s.to_json()}, events

    async def realized(self, delta: Decimal) -> None:
        """``book`` on its own: the state (and its alerts) in one commit, then the events."""
        kv, events = self.book(delta)
        if kv:
            await self.repo.kv_put(KEY, kv[KEY], events)
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
