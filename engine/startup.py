"""Starting, running and stopping the engine: the database opened, the exchange connected (and
reconnected with a doubling backoff while it cannot be reached), jobs and the market feed started,
each price tick dispatched, and a database that stops taking writes halting new entries. A part of
``engine.facade.Engine``, kept apart to keep the façade small."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from engine.brokers.errors import AuthError, NetworkError
from engine.clock import LiveClock
from engine.domain.events import EngineError, StorageFailed, StorageFault, VenueConnected, VenueUnreachable
from engine.domain.models import CloseReason, SignalStatus
from engine.domain.reasons import ErrorCode
from engine.domain.values import timeframe_seconds
from engine.positions.reconcile import reconcile
from engine.preflight import StartupError
from engine.run_summary import ReplayWindow, RunSummary, run_summary
from engine.storage.probe import describe as describe_db_error
from engine.tasks import cancel_all, spawn

if TYPE_CHECKING:
    from config.settings import Settings
    from engine.bus import EventBus
    from engine.clock import Clock
    from engine.hedge.service import HedgeService
    from engine.market.base import PriceTick
    from engine.market.watches import PriceWatches
    from engine.metrics import Metrics
    from engine.views import ScanResult
    from engine.wiring import Components

log = logging.getLogger("engine")

REPLAY_CLOCK_KEY = "replay_clock"


class EngineRun:
    """Start, stop and the running engine's own jobs; ``Engine`` mixes this in."""

    _c: Components
    settings: Settings
    bus: EventBus
    clock: Clock
    paper: bool
    _tasks: list[asyncio.Task[object]]
    _bars: int
    started: bool
    _run_feed: bool
    _run_jobs: bool
    reconnect_base: float
    reconnect_max: float
    venue_down: VenueUnreachable | None
    venue_failure: BaseException | None
    failure: StorageFailed | None
    failed: asyncio.Event
    watches: PriceWatches
    replay_finished: asyncio.Event
    equity_history: bool
    hedge: HedgeService
    metrics: Metrics | None
    last_tick_at: datetime | None

    if TYPE_CHECKING:  # the façade's other parts (engine.outside, engine.hedge.controls, engine.parts, Engine)
        async def _start_outside(self) -> None: ...
        async def _stop_outside(self) -> None: ...
        async def _resume_hedge(self) -> None: ...
        def count_ttl_in(self, clock: Clock) -> None: ...
        async def scan_now(self) -> ScanResult: ...

    # --- start and stop ----------------------------------------------------------------------------
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
