"""Signal service: scanner analyses → trade plans → persisted signals on the bus; expiry.

A signal's time to live is counted on ``expiry_clock``: the engine's clock, except in a running
replay faster than real time, where the façade gives it a wall clock so a card stays confirmable for
``signal_ttl_min`` real minutes (backtests keep replay time).

Expiry is scheduled per signal: every raised signal's deadline goes on an in-memory heap (restored
from the database by ``restore`` at start), and ``expire`` — run every minute, or at every replayed
bar — only looks at the heap's head. The database is read only when a deadline has come (to skip a
signal confirmed or cancelled meanwhile), so a minute in which nothing can expire costs no query.
"""

from __future__ import annotations

import heapq
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from config.settings import ScanSettings
from engine.bus import EventBus
from engine.clock import Clock
from engine.domain.events import SignalExpired, SignalRaised
from engine.domain.models import MarketSpec, Signal, SignalStatus
from engine.market.base import MarketData
from engine.plan import PlanInput, Planner
from engine.runtime import RuntimeSettings
from engine.signals.analysis import Analysis
from engine.signals.scanner import Scanner
from engine.storage.repository import Repository

log = logging.getLogger("engine.signals")


class SignalService:
    def __init__(self, settings: ScanSettings, market: MarketData, scanner: Scanner, planner: Planner,
                 repo: Repository, bus: EventBus, clock: Clock, runtime: RuntimeSettings, paper: bool) -> None:
        self.settings, self.market, self.scanner, self.planner = settings, market, scanner, planner
        self.repo, self.bus, self.clock, self.runtime, self.paper = repo, bus, clock, runtime, paper
        self.last_scan: datetime | None = None
        self.expiry_clock: Clock = clock
        self._deadlines: list[tuple[datetime, str]] = []  # (expires_at, signal id), a heap
        self._scheduled: set[str] = set()

    def restore(self, raised: Iterable[Signal]) -> None:
        """At start: the deadlines of the signals still raised in the database."""
        self._deadlines.clear()
        self._scheduled.clear()
        for signal in raised:
            self._schedule(signal)

    def track(self, signal: Signal) -> None:
        """Expire ``signal`` (raised elsewhere, e.g. from outside) at its deadline."""
        self._schedule(signal)

    def _schedule(self, signal: Signal) -> None:
        if signal.id not in self._scheduled:
            self._scheduled.add(signal.id)
            heapq.heappush(self._deadlines, (signal.expires_at, signal.id))

    @property
    def next_expiry(self) -> datetime | None:
        """The earliest deadline of a signal that may still be raised (None: nothing can expire)."""
        return self._deadlines[0][0] if self._deadlines else None

    async def build(self, analysis: Analysis, market: MarketSpec) -> Signal:
        # the plan is built around the price now, not the close of the last higher-timeframe candle
        entry = await self.market.price(analysis.symbol) or Decimal(repr(analysis.price))
        plan = self.planner.plan(
            PlanInput(side=analysis.side, entry=entry, score=analysis.score,
                      atr=Decimal(repr(analysis.atr)) if analysis.atr else None, atr_pct=analysis.atr_pct,
                      adx=analysis.adx, quote_volume=analysis.quote_volume),
            market, max_leverage=self.runtime.max_leverage, min_score=self.runtime.min_score)
        now = self.clock.now()
        expires_at = self.expiry_clock.now() + timedelta(minutes=self.settings.signal_ttl_min)
        return Signal(
            id=uuid.uuid4().hex[:16], symbol=analysis.symbol, side=analysis.side, score=round(analysis.score, 1),
            factors=analysis.factors, entry=plan.entry, stop=plan.stop, targets=plan.targets,
            leverage=plan.leverage, created_at=now, expires_at=expires_at,
            timeframe=analysis.timeframe, atr_pct=analysis.atr_pct,
        )

    async def analyse(self, symbol: str) -> Signal | None:
        """One symbol, whatever its score: persisted and published with ``on_demand``."""
        analysis = await self.scanner.analyse(symbol)
        if analysis is None:
            return None
        signal = await self.build(analysis, await self.market.market(symbol))
        await self.repo.save_signal(signal)
        self._schedule(signal)
        await self.bus.publish(SignalRaised(ts=self.clock.now(), paper=self.paper, signal=signal, on_demand=True))
        return signal

    async def scan(self, busy_symbols: set[str],
                   worth_raising: Callable[[Signal], Awaitable[bool]] | None = None) -> tuple[int, list[Signal]]:
        """Scan the universe; raise a signal for each analysis at or above the minimum score (and, when
        given, ``worth_raising`` it: auto mode skips a refusal it already said)."""
        universe = await self.scanner.universe(list(self.settings.symbols), self.settings.top_n)
        analyses = await self.scanner.scan(universe)
        self.last_scan = self.clock.now()
        # every raised signal has a deadline on the heap: with none there, nothing is raised (no query)
        pending = ({s.symbol for s in await self.repo.signals_with_status(SignalStatus.RAISED)}
                   if self._scheduled else set())
        raised: list[Signal] = []
        auto = self.runtime.execution_mode == "auto"
        for analysis in analyses:
            if analysis.score < self.runtime.min_score:
                continue
            if analysis.symbol in busy_symbols or analysis.symbol in pending:
                continue
            signal = await self.build(analysis, await self.market.market(analysis.symbol))
            if worth_raising is not None and not await worth_raising(signal):
                continue
            await self.repo.save_signal(signal)
            self._schedule(signal)
            raised.append(signal)
            await self.bus.publish(SignalRaised(ts=self.clock.now(), paper=self.paper, signal=signal, auto=auto))
        log.debug("scan: %d symbols, %d signals", len(universe), len(raised))
        return len(universe), raised

    async def expire(self) -> list[Signal]:
        """Expire the raised signals whose deadline has come (no database read before that)."""
        now = self.expiry_clock.now()
        expired = []
        while self._deadlines and self._deadlines[0][0] <= now:
            _, signal_id = heapq.heappop(self._deadlines)
            self._scheduled.discard(signal_id)
            signal = await self.repo.get_signal(signal_id)
            if signal is None or signal.status is not SignalStatus.RAISED:
                continue  # confirmed, cancelled or gone meanwhile
            if now < signal.expires_at:  # re-planned with a later deadline
                self._schedule(signal)
                continue
            signal = signal.with_status(SignalStatus.EXPIRED, reason="ttl")
            await self.repo.save_signal(signal)
            expired.append(signal)
            await self.bus.publish(SignalExpired(ts=self.clock.now(), paper=self.paper, signal=signal))
        return expired
