"""Outside signals → the same path as the scanner's: the planner fills in the missing levels, the
signal is persisted and raised on the bus (a card in confirm and signal-only modes), and in auto mode
TradingView signals are executed through ``TradingService.auto_execute`` — the same risk gate.

Idempotent: a signal's id is a hash of its source and key (the sender's ``id``, a channel post's
id, or the body and the minute), so a repeat finds the first one. Rate-limited per source.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from config.settings import Settings
from engine.bus import EventBus
from engine.clock import Clock
from engine.domain.events import SignalRaised
from engine.domain.models import MarketSpec, Signal, Target
from engine.domain.reasons import ExecutionMode
from engine.domain.values import ONE, Side, price_toward
from engine.intake.model import ExternalSignal
from engine.intake.result import IntakeOutcome, IntakeResult
from engine.intake.text import check_levels
from engine.market.base import MarketData
from engine.plan import PlanInput, Planner
from engine.runtime import RuntimeSettings
from engine.signal_service import SignalService
from engine.storage.repository import Repository
from engine.trading import TradingService

log = logging.getLogger("engine.intake")

WINDOW = timedelta(minutes=1)
EXTERNAL_TIMEFRAME = "ext"


def signal_id(source: str, key: str) -> str:
    return hashlib.sha256(f"{source}\x00{key}".encode()).hexdigest()[:16]


def shares(n: int, configured: list[Decimal]) -> list[Decimal]:
    """The configured shares when the counts match; else equal shares, the last taking the rest."""
    if len(configured) == n:
        return configured
    each = (ONE / n).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)
    return [each] * (n - 1) + [ONE - each * (n - 1)]


async def resolve_symbol(market: MarketData, text: str) -> str | None:
    """The venue's symbol for ``BTC/USDT``, ``BTCUSDT`` or ``BTC`` (when one market has that base); for
    A-shares ``600000.SH`` or its code ``600000``."""
    wanted = text.strip().upper().replace("-", "/").replace("_", "/")
    symbols = await market.symbols()
    if wanted in symbols:
        return wanted
    flat = {s.split(":")[0].replace("/", ""): s for s in symbols}
    if wanted.replace("/", "") in flat:
        return flat[wanted.replace("/", "")]
    by_base = [s for s in symbols if s.split("/")[0] == wanted or s.split(".")[0] == wanted]
    return by_base[0] if len(by_base) == 1 else None


class IntakeService:
    def __init__(self, settings: Settings, market: MarketData, planner: Planner, repo: Repository, bus: EventBus,
                 clock: Clock, runtime: RuntimeSettings, signals: SignalService, trading: TradingService,
                 resolve: Callable[[str], Awaitable[str | None]],
                 on_outcome: Callable[[str, str], None] | None = None) -> None:
        self.settings, self.market, self.planner, self.repo, self.bus = settings, market, planner, repo, bus
        self.clock, self.runtime, self.signals, self.trading, self.resolve = clock, runtime, signals, trading, resolve
        self.on_outcome = on_outcome or (lambda source, outcome: None)
        self._recent: dict[str, deque] = {}

    def _allow(self, source: str) -> float:
        """0 when one more signal from ``source`` is allowed now; else seconds until one is."""
        now = self.clock.now()
        seen = self._recent.setdefault(source, deque())
        while seen and seen[0] <= now - WINDOW:
            seen.popleft()
        if len(seen) >= self.settings.hooks.rate_per_min:
            return max(1.0, (seen[0] + WINDOW - now).total_seconds())
        seen.append(now)
        return 0.0

    def minute_key(self, body: bytes | str) -> str:
        """The key of a body without an id: its hash and the current minute."""
        raw = body.encode() if isinstance(body, str) else body
        return hashlib.sha256(raw).hexdigest() + self.clock.now().strftime("%Y%m%d%H%M")

    async def submit(self, ext: ExternalSignal, source: str, key: str, *, may_execute: bool,
                     on_demand: bool = False) -> IntakeResult:
        result = await self._submit(ext, source, key, may_execute=may_execute, on_demand=on_demand)
        self.on_outcome(source, result.outcome.value)
        return result

    async def refuse(self, source: str, result: IntakeResult) -> IntakeResult:
        """A signal refused before ``submit`` (it could not be parsed): counted all the same."""
        self.on_outcome(source, result.outcome.value)
        return result

    async def _submit(self, ext: ExternalSignal, source: str, key: str, *, may_execute: bool,
                      on_demand: bool) -> IntakeResult:
        sid = signal_id(source, key)
        existing = await self.repo.get_signal(sid)
        if existing is not None:
            return IntakeResult(IntakeOutcome.DUPLICATE, existing)
        wait = self._allow(source)
        if wait:
            return IntakeResult(IntakeOutcome.RATE_LIMITED, retry_after=wait)
        symbol = await self.resolve(ext.symbol)
        if symbol is None:
            return IntakeResult(IntakeOutcome.UNKNOWN_SYMBOL, field="symbol", detail=ext.symbol)
        spec = await self.market.market(symbol)
        price = await self.trading.price(symbol)
        if price is None:
            return IntakeResult(IntakeOutcome.NO_PRICE, field="entry", detail=symbol)
        auto = may_execute and self.runtime.execution_mode == ExecutionMode.AUTO
        planned = self._plan(ext, spec, price, auto)
        if isinstance(planned, IntakeResult):
            return planned
        entry, stop, targets, leverage = planned
        now = self.clock.now()
        signal = Signal(
            id=sid, symbol=symbol, side=ext.side, score=0.0, factors=(), entry=entry, stop=stop, targets=targets,
            leverage=leverage, created_at=now, timeframe=EXTERNAL_TIMEFRAME, source=source,
            expires_at=self.signals.expiry_clock.now() + timedelta(minutes=self.settings.scan.signal_ttl_min))
        await self.repo.save_signal(signal)
        self.signals.track(signal)
        log.info("%s signal %s: %s %s (%s)", source, sid, ext.side.value, symbol, "auto" if auto else "card")
        await self.bus.publish(SignalRaised(ts=now, paper=self.settings.paper, signal=signal, auto=auto,
                                            on_demand=on_demand))
        if auto:
            await self.trading.auto_execute([signal])
            signal = await self.repo.get_signal(sid) or signal
        return IntakeResult(IntakeOutcome.RAISED, signal)

    def _plan(self, ext: ExternalSignal, spec: MarketSpec, price: Decimal,
              auto: bool) -> tuple[Decimal, Decimal, tuple[Target, ...], int] | IntakeResult:
        """The sender's levels where given, the planner's where not; rounded to the tick; in auto mode
        moved (same distances) to the price now, as a drifted card is."""
        side, tick = ext.side, spec.price_step
        entry = ext.entry if ext.entry is not None else price
        base = self.planner.plan(PlanInput(side=side, entry=entry, score=0.0), spec,
                                 max_leverage=self.runtime.max_leverage, min_score=self.runtime.min_score)
        stop = ext.stop if ext.stop is not None else base.stop
        if ext.targets:
            configured = [share for _, share in self.settings.plan.target_pairs()]
            targets = tuple(Target(p, s) for p, s in zip(ext.targets, shares(len(ext.targets), configured),
                                                         strict=True))
        else:
            targets = base.targets
        up = side is Side.LONG
        entry = price_toward(entry, tick, up=True) if tick > 0 else entry
        if tick > 0:
            stop = price_toward(stop, tick, up=up)
            targets = tuple(Target(price_toward(t.price, tick, up=not up), t.share) for t in targets)
        problem = check_levels(side, entry, None, stop, tuple(t.price for t in targets))
        if problem is not None:
            return IntakeResult(IntakeOutcome.INVALID, field=problem.field,
                                detail=f"{problem.detail} (entry {entry})")
        stop_pct = abs(entry - stop) / entry * 100
        wanted = ext.leverage if ext.leverage is not None else base.leverage
        leverage = max(1, min(wanted, self.runtime.max_leverage, spec.max_leverage,
                              self.planner.max_leverage_for_stop(stop_pct)))
        if auto and entry != price:
            moved = self.planner.replan(side, entry, stop, targets, price, leverage, spec)
            return moved.entry, moved.stop, moved.targets, leverage
        return entry, stop, targets, leverage
