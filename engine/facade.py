"""The Engine façade: built from Settings; the one object the bot and the CLI talk to.

Every method is safe to call from a Telegram handler: it validates input and returns a result
value with a reason code instead of raising for business outcomes. Wiring lives in
``engine.wiring``; reading models in ``engine.queries``; starting, running and stopping in
``engine.startup``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from decimal import Decimal

from config.settings import Settings
from engine.clock import Clock, LiveClock
from engine.control import AdjustResult, PositionControl
from engine.domain.events import (
    Event,
    PanicCompleted,
    ScanCompleted,
    StorageFailed,
    VenueUnreachable,
)
from engine.domain.models import Balance, CloseReason, Position, Signal
from engine.domain.reasons import PauseReason, RejectReason
from engine.frontend_memory import FrontEndMemory, PendingAlert
from engine.hedge.controls import HedgeControls
from engine.hedge.service import HedgeService, HedgeStart, HedgeStatus
from engine.intake.result import IntakeOutcome, IntakeResult
from engine.intake.service import resolve_symbol
from engine.market.watches import PriceWatches
from engine.outside import OutsideWorld
from engine.parts import RealParts
from engine.queries import Queries
from engine.reporting import About, Reporting
from engine.run_summary import ReplayWindow, RunSummary
from engine.runtime import SPECS
from engine.startup import REPLAY_CLOCK_KEY as REPLAY_CLOCK_KEY  # tests and tools read it from here
from engine.startup import EngineRun
from engine.stats import PairResult, Performance, PeriodRow, PeriodTable, ProfitView, Stake
from engine.tasks import spawn
from engine.tools import (
    BacktestResult,
    Check,
    PlanRefused,
    RedactingFilter,
    RunLock,
    backup_database,
    backups_of,
    candles_png,
    daily_pnl_png,
    download_candles,
    equity_png,
    export_trades,
    format_text,
    hedge_round_json,
    load_charts,
    make_exchange,
    offline_checks,
    online_checks,
    redact,
    register_secret,
    restore_database,
    run_backtest,
    run_hedge_replay,
    run_qmt_server,
    setup_logging,
    sqlite_path,
    to_json_dict,
    trade_marks,
    verify_keys,
)
from engine.views import (
    CancelResult,
    ChartData,
    CloseResult,
    ConfirmOutcome,
    ConfirmResult,
    PnlStats,
    PositionView,
    ScanResult,
    SettingError,
    SettingUpdate,
    StatusView,
)
from engine.wiring import Components, build

# The façade's public surface: the Engine and the values its methods return (the bot imports
# these from here, never from engine.views or engine.run_summary), ``spawn`` for the bot's
# own background tasks, ``Clock``/``LiveClock`` for its timers (the same clock the engine runs on),
# and the tools of engine/tools.py (backtest, charts, checks, redaction, download, key check).
__all__ = [
    "AdjustResult", "CancelResult", "ChartData", "Clock", "LiveClock", "CloseResult", "ConfirmOutcome",
    "ConfirmResult", "Engine", "HedgeStart", "HedgeStatus", "IntakeOutcome", "IntakeResult", "PnlStats",
    "PendingAlert", "PositionView", "ReplayWindow", "RunSummary", "ScanResult", "SettingError", "SettingUpdate",
    "StatusView",
    "About", "PairResult", "Performance", "PeriodRow", "PeriodTable", "ProfitView", "Stake", "spawn",
    "BacktestResult", "Check", "RedactingFilter", "candles_png", "daily_pnl_png", "download_candles", "equity_png",
    "format_text", "load_charts", "make_exchange", "offline_checks", "online_checks", "redact", "register_secret",
    "run_backtest", "setup_logging", "to_json_dict", "trade_marks", "verify_keys",
    "PlanRefused", "RunLock", "backup_database", "backups_of", "export_trades", "hedge_round_json",
    "restore_database", "run_hedge_replay", "run_qmt_server", "sqlite_path",
]

log = logging.getLogger("engine")


class Engine(EngineRun, FrontEndMemory, OutsideWorld, Reporting, HedgeControls, PositionControl, RealParts):
    """SignalPilot's engine. ``engine = await Engine.create(settings)`` then ``await engine.start()``.
    Its components are private (``_c``); tests and tools needing a real part use ``engine.parts``' properties."""

    def __init__(self, c: Components) -> None:
        self._c = c  # the wiring's components: private (engine.parts exposes the few a test may need)
        self.settings: Settings = c.settings
        self.bus = c.bus
        self.clock = c.clock
        self.paper = c.settings.paper
        self.queries = Queries(c)
        self._tasks: list[asyncio.Task[object]] = []
        self._bars = 0
        self.started = False
        self._run_feed = self._run_jobs = True
        self.reconnect_base = 2.0  # seconds before the first new attempt to reach the exchange
        self.reconnect_max = 60.0  # cap of the doubling backoff
        self.venue_down: VenueUnreachable | None = None  # set while the exchange cannot be reached
        self.venue_failure: BaseException | None = None  # the exchange answered but refused us (keys, …)
        self.failure: StorageFailed | None = None  # the database stopped taking writes
        self.failed = asyncio.Event()  # set on either failure: the process stops
        self.watches = PriceWatches(c.market, lambda: [(p.id, p.symbol) for p in c.manager.open_positions()])
        self.replay_finished = asyncio.Event()  # set when a replay feed has played its data to the end
        self.equity_history = True  # the equity job stores a point; a backtest keeps its curve in memory
        # alerts published without a state change of their own (a pause, a refusal) reach the outbox
        # here, before any front end hears of them (subscribers are called in subscription order)
        self.bus.subscribe(Event, self._record_alert)
        self.hedge = HedgeService(c.settings, c.repo, c.clock, c.bus, c.risk)  # the cross-venue hedge (/hedge)

    # --- lifecycle -------------------------------------------------------------------------------
    @classmethod
    async def create(cls, settings: Settings, *, clock: object = None) -> Engine:
        """Build every component from the settings (nothing is started yet)."""
        return cls(await build(settings, clock=clock))

    # --- signals -----------------------------------------------------------------------------------
    async def known_symbol(self, symbol: str) -> str | None:
        """The canonical symbol for input such as ``eth/btc``, ``ETHBTC`` or ``ETH``; None if unknown."""
        return await resolve_symbol(self._c.market, symbol)

    async def analyse(self, symbol: str) -> Signal | None:
        """Score one symbol now; its signal whatever the score (persisted, published with
        ``on_demand=True``: the requesting handler shows the card). None when unknown or no data."""
        canonical = await self.known_symbol(symbol)
        if canonical is None:
            return None
        return await self._c.signals.analyse(canonical)

    async def scan_now(self) -> ScanResult:
        if self.failure is not None:
            return ScanResult(0, ())
        busy = {p.symbol for p in self._c.manager.open_positions()}
        auto = self._c.runtime.execution_mode == "auto"
        count, raised = await self._c.signals.scan(busy, self._c.trading.worth_raising if auto else None)
        await self.bus.publish(ScanCompleted(ts=self.clock.now(), paper=self.paper, symbols=count,
                                             raised=len(raised), next_at=self.next_scan_at()))
        if self._c.runtime.execution_mode == "auto" and self.failure is None:
            await self._c.trading.auto_execute(raised)
        return ScanResult(count, tuple(raised))

    async def get_signal(self, signal_id: str) -> Signal | None:
        return await self._c.repo.get_signal(signal_id)

    async def confirm(self, signal_id: str, by: str, max_drift_pct: Decimal | None = None,
                      algo: str | None = None) -> ConfirmResult:
        """Execute a raised signal (idempotent: a second call returns ALREADY). Past ``max_drift_pct``
        the signal is re-planned at the new price and DRIFT is returned: ask the user again.
        ``algo``: ``"twap"`` executes the entry as a TWAP (the card's button), ``"market"`` as one
        order; None: as the settings say (SP_RISK__ALGO_ABOVE_NOTIONAL)."""
        if self.failure is not None:  # no new entries once the database stopped taking writes
            return ConfirmResult(ConfirmOutcome.REJECTED, None, reason=RejectReason.HALTED)
        return await self._c.trading.confirm(signal_id, by, max_drift_pct, algo)

    async def cancel(self, signal_id: str, by: str) -> CancelResult:
        return await self._c.trading.cancel(signal_id, by)

    # --- positions ---------------------------------------------------------------------------------
    async def positions(self) -> list[PositionView]:
        return await self.queries.positions()

    async def get_position(self, position_id: str) -> Position | None:
        return await self._c.repo.get_position(position_id)

    async def find_open_position(self, symbol: str) -> Position | None:
        canonical = await self.known_symbol(symbol) or symbol
        return next((p for p in self._c.manager.open_positions() if p.symbol == canonical), None)

    async def close_position(self, position_id: str, by: str) -> CloseResult:
        log.info("close of %s asked by %s", position_id, by)
        return await self._c.trading.close(position_id, CloseReason.MANUAL)

    async def panic(self, by: str) -> PanicCompleted:
        """Cancel every order, close every position at market (hedge legs too), pause entries."""
        done = await self._c.trading.panic(by)
        await self.hedge.stop_round()
        return done

    async def pause(self, by: str) -> bool:
        return await self._c.risk.pause(PauseReason.MANUAL, by)

    async def resume(self, by: str) -> bool:
        return await self._c.risk.resume(by)

    # --- reading -------------------------------------------------------------------------------------
    async def status(self) -> StatusView:
        down = self.venue_down.since if self.venue_down is not None else None
        return await self.queries.status(self.next_scan_at(), venue_down_since=down)

    async def balance(self) -> Balance:
        return await self._c.broker.balance()

    async def pnl(self, period: str) -> PnlStats:
        """``period`` in today, 7d, 30d, all (ValueError otherwise)."""
        return await self.queries.pnl(period)

    async def history(self, n: int = 10) -> list[Position]:
        return await self._c.repo.closed_positions(limit=max(1, min(n, 100)))

    async def chart_data(self, symbol: str, timeframe: str = "15m", limit: int = 120) -> ChartData:
        """Candles plus the levels and fills of the symbol's open (or last) position.
        ValueError for an unknown symbol or timeframe."""
        canonical = await self.known_symbol(symbol)
        if canonical is None:
            raise ValueError(f"unknown symbol {symbol!r}")
        return await self.queries.chart_data(canonical, timeframe, limit)

    # --- runtime settings --------------------------------------------------------------------------
    def runtime_settings(self) -> dict[str, str]:
        return self._c.runtime.as_text()

    async def update_setting(self, key: str, value: str) -> SettingUpdate:
        """Validate, persist and apply one runtime setting (it then overrides the environment)."""
        if key not in SPECS:
            return SettingUpdate(False, key, error=SettingError.UNKNOWN_KEY, detail=", ".join(SPECS))
        try:
            parsed = self._c.runtime.validate(key, value)
        except ValueError as exc:
            return SettingUpdate(False, key, error=SettingError.INVALID_VALUE, detail=str(exc))
        await self._c.runtime.set(key, parsed)
        if key == "scan_interval_min":
            self._c.jobs.reschedule("scan", float(parsed))  # type: ignore[arg-type]
        return SettingUpdate(True, key, value=str(parsed))

    def next_scan_at(self) -> datetime | None:
        return self._c.jobs.next_run("scan")
