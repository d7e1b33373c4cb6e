"""The Engine façade: built from Settings; the one object the bot and the CLI talk to.

Every method is safe to call from a Telegram handler: it validates input and returns a result
value with a reason code instead of raising for business outcomes. Wiring lives in
``engine.wiring``; reading models in ``engine.queries``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from decimal import Decimal

from config.settings import Settings
from engine.brokers.errors import AuthError, NetworkError
from engine.clock import Clock, LiveClock
from engine.control import AdjustResult, PositionControl
from engine.domain.events import (
    EngineError,
    Event,
    PanicCompleted,
    ScanCompleted,
    StorageFailed,
    StorageFault,
    VenueConnected,
    VenueUnreachable,
)
from engine.domain.models import Balance, CloseReason, Position, Signal, SignalStatus
from engine.domain.reasons import ErrorCode, PauseReason, RejectReason
from engine.domain.values import timeframe_seconds
from engine.frontend_memory import FrontEndMemory, PendingAlert
from engine.hedge.controls import HedgeControls
from engine.hedge.service import HedgeService, HedgeStart, HedgeStatus
from engine.intake.result import IntakeOutcome, IntakeResult
from engine.intake.service import resolve_symbol
from engine.market.base import PriceTick
from engine.market.watches import PriceWatches
from engine.outside import OutsideWorld
from engine.parts import RealParts
from engine.positions.reconcile import reconcile
from engine.preflight import StartupError
from engine.queries import Queries
from engine.reporting import About, Reporting
from engine.run_summary import ReplayWindow, RunSummary, run_summary
from engine.runtime import SPECS
from engine.stats import PairResult, Performance, PeriodRow, PeriodTable, ProfitView, Stake
from engine.storage.probe import describe as describe_db_error
from engine.tasks import cancel_all, spawn
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

REPLAY_CLOCK_KEY = "replay_clock"


class Engine(FrontEndMemory, OutsideWorld, Reporting, HedgeControls, PositionControl, RealParts):
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

    async def start(self, *, run_feed: bool = True, run_jobs: bool = True) -> None:
        """Open the database (``StartupError`` if it cannot be), then connect to the exchange; if it
        cannot be reached, ``VenueUnreachable`` is published and ``_reconnect`` retries in the background
        (refused keys raise). Tests pass ``run_feed=False, run_jobs=False`` and drive prices with
        ``step_market`` or ``on_tick``."""
        self._run_feed, self._run_jobs = run_feed, run_jobs
        await self._open_storage()
        self.started = True
        await self._start_outside()  # HTTP (health answers even while the exchange is away), backups, alerts
        try:
            await self._connect()
        except NetworkError as exc:
            await self._unreachable(exc)
            self._tasks.append(spawn(self._reconnect(), "venue-reconnect"))
        self._c.db.on_fault = self._storage_failed
        await self._resume_hedge()

    async def _open_storage(self) -> None:
        """The part that must succeed: database schema, runtime settings, the replay's clock."""
        c = self._c
        try:
            await c.db.migrate()
        except Exception as exc:
            raise StartupError(describe_db_error(exc, c.db.url)) from None
        await c.runtime.load()
        if c.replay is not None:
            saved = await c.repo.kv_get(REPLAY_CLOCK_KEY)
            start = c.replay.start_time
            if saved and datetime.fromisoformat(saved) > start:
                start = datetime.fromisoformat(saved)
            c.clock.set(max(start, c.clock.now()))  # type: ignore[attr-defined]

    async def _connect(self) -> None:
        """Markets, broker, reconciliation and the risk baseline; then watches, jobs, fills and the feed."""
        c = self._c
        markets = len(await c.market.symbols())  # live data: loads the exchange's markets
        try:
            await c.broker.start()
            await self.reconcile_now()
            await c.risk.load((await c.broker.balance()).equity)
        except NetworkError:
            if not c.broker.paper:
                await c.broker.close()  # the next attempt starts it afresh
            raise
        raised = await c.repo.signals_with_status(SignalStatus.RAISED)
        c.signals.restore(raised)  # expiry deadlines (engine.signal_service)
        self.watches.start(self.bus, raised)
        c.jobs.add("scan", self._scan_job, c.runtime.scan_interval_min, run_now=True)
        c.jobs.add("expire", c.signals.expire, 1)
        c.jobs.add("equity", self._equity_job, 15)
        if not c.broker.paper:
            c.jobs.add("reconcile", self.reconcile_now, self.settings.exchange.reconcile_min)
        if self._run_jobs:
            c.jobs.start()
        if not c.broker.paper:
            self._tasks.append(spawn(c.manager.run_inbox(), "fills"))
        if self._run_feed:
            speed = self.settings.market.replay_speed
            if c.replay is not None and (speed == 0 or speed * timeframe_seconds(c.replay.base_timeframe) > 1):
                # a replay faster than real time: a card's time to live counts in wall-clock minutes
                self.count_ttl_in(LiveClock())
            self._tasks.append(spawn(self._feed(), "market-feed"))
        if self.venue_down is not None:
            down, self.venue_down = self.venue_down, None
            log.warning("%s answers again: markets loaded, state reconciled, scanning resumed", down.venue)
            await self.bus.publish(VenueConnected(ts=self.clock.now(), paper=self.paper, venue=down.venue,
                                                  down_since=down.since, markets=markets))
        log.info("engine started (%s, %s data)", "paper" if self.paper else "live", self.settings.market.source)

    async def _unreachable(self, exc: Exception) -> None:
        self.venue_down = VenueUnreachable(ts=self.clock.now(), paper=self.paper, venue=self.settings.exchange.name,
                                           since=self.clock.now(), detail=str(exc)[:300],
                                           retry_in=self.reconnect_base)
        log.warning("%s cannot be reached (%s): running without it, retrying in the background",
                    self.settings.exchange.name, exc)
        await self.bus.publish(self.venue_down)

    async def _reconnect(self) -> None:
        """Try again with a doubling delay (capped) until the exchange answers or refuses us."""
        delay = self.reconnect_base
        while True:
            await self.clock.sleep(delay)
            try:
                await self._connect()
                return
            except NetworkError as exc:
                delay = min(delay * 2, self.reconnect_max)
                log.warning("%s still unreachable (%s); next try in %.0f s", self.settings.exchange.name, exc, delay)
            except Exception as exc:  # keys refused, hedge mode with positions…: a human must act
                log.error("cannot start trading: %s", exc)
                code = ErrorCode.AUTH if isinstance(exc, AuthError) else ErrorCode.EXCHANGE_REJECTED
                await self.bus.publish(EngineError(ts=self.clock.now(), paper=self.paper, code=code,
                                                   detail=str(exc)[:300]))
                self.venue_failure = exc
                self.failed.set()
                return

    async def _feed(self) -> None:
        if self._c.replay is not None:
            await self._c.replay.run(self.on_tick, self._on_bar)
            self.replay_finished.set()
        else:
            await self._c.market.run(self.on_tick)
        log.info("market data finished")

    async def stop(self) -> None:
        """Stop the feed and jobs; state is already persisted (after a storage failure: what could be)."""
        await cancel_all(self._tasks)
        self._tasks.clear()
        await self._stop_outside()
        await self.hedge.stop()
        await self._c.jobs.stop()
        try:
            if self._c.replay is not None and self.started and self.failure is None:
                await self._c.repo.kv_put(REPLAY_CLOCK_KEY, self.clock.now().isoformat())
            await self._c.broker.close()  # the paper venue saves itself here
        except Exception as exc:
            if self.failure is None:
                raise
            log.warning("state not saved: %s", exc)  # the database is what failed (it was said once)
        await self._c.market.close()
        await self._c.db.close()
        self.started = False

    async def replay_window(self) -> ReplayWindow | None:
        """Replay only (None otherwise): its symbols, where it stands and where it will stop."""
        replay = self._c.replay
        if replay is None:
            return None
        end = replay.last_time
        if self.settings.market.replay_to is not None:
            end = min(end, self.settings.market.replay_to)
        return ReplayWindow(tuple(await replay.symbols()), self.clock.now(), end, self.settings.market.replay_speed,
                            timeframe_seconds(replay.base_timeframe))

    async def finish_replay(self) -> RunSummary:
        """Once the replay's data is finished: close what is still open at the last price (reason ``end``,
        as a backtest does; paper only) and sum the run up."""
        if self._c.broker.paper:
            for pos in list(self._c.manager.open_positions()):
                await self._c.trading.close(pos.id, CloseReason.END)
        return await run_summary(self._c)

    async def step_market(self, candles: int = 1) -> None:
        """Replay only: advance by ``candles`` base candles through the normal tick path."""
        if self._c.replay is None:
            raise RuntimeError("step_market needs the replay market source")
        for _ in range(candles):
            if not await self._c.replay.step(self.on_tick, self._on_bar):
                break

    async def on_tick(self, tick: PriceTick) -> None:
        """A price from the market source: the broker matches resting orders, positions react."""
        self.last_tick_at, metrics = tick.ts, self.metrics  # for /readyz and /metrics (engine.outside)
        started = metrics.tick_started() if metrics is not None else 0.0
        await self._c.manager.on_tick(tick)
        await self._c.guard.on_tick(tick)  # the per-position loss cap, whatever the stop order did
        await self._c.entries.on_tick(tick)  # limit entries' threshold and timeout, scale-in parts
        if self._c.algos is not None:
            await self._c.algos.on_tick(tick)  # TWAP and iceberg slices
        if metrics is not None:
            metrics.tick_finished(started)

    async def _on_bar(self, now: datetime) -> None:
        await self._c.jobs.on_bar(now)
        self._bars += 1
        if self._c.replay is not None and self._bars % 12 == 0:
            await self._c.repo.kv_put(REPLAY_CLOCK_KEY, now.isoformat())

    async def _scan_job(self) -> None:
        if not self._c.rules.is_open(self.clock.now()):
            return  # a market with sessions (A-shares): scheduled scans run inside them
        await self.scan_now()

    # --- a database that stops taking writes -------------------------------------------------------
    def _storage_failed(self, fault: StorageFault, detail: str) -> None:
        """Called by the database, once, inside the failing call: no new entries from now on (the
        feed and the jobs stop, confirmations are refused), protective orders stay where they are on
        the venue, ``StorageFailed`` goes on the bus and ``failed`` is set (the CLI then exits)."""
        if self.failure is not None:
            return
        self.failure = StorageFailed(ts=self.clock.now(), paper=self.paper, fault=fault, detail=detail)
        self._c.jobs.pause()
        spawn(self._halt(self.failure), "storage-failed")

    async def _halt(self, failure: StorageFailed) -> None:
        await cancel_all(self._tasks)
        self._tasks.clear()
        await self.bus.publish(failure)
        self.failed.set()

    async def reconcile_now(self) -> None:
        """Compare state with the venue and repair it now (what the reconcile job runs every
        SP_EXCHANGE__RECONCILE_MIN minutes); repairs are published as ``EngineError`` RECONCILED."""
        report = await reconcile(self._c.manager)
        if report.repaired:
            await self.bus.publish(EngineError(ts=self.clock.now(), paper=self.paper, code=ErrorCode.RECONCILED,
                                               detail=report.summary()))

    async def _equity_job(self) -> None:
        equity = (await self._c.broker.balance()).equity
        if self.equity_history:
            await self._c.repo.add_equity(self.clock.now(), equity)
        await self._c.risk.on_equity(equity)

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
