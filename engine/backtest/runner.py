"""Backtest: replays candles through the very same services as paper and live trading
(scanner → plan → risk gate → paper broker → lifecycle) at full speed, then reports.

The engine is started by ``Engine.start`` like any paper run (same jobs: scan, expiry, equity);
the runner only drives the replay bar by bar, keeps the equity curve in memory and closes what is
still open at the end. The database is a throwaway SQLite file that never waits for the disk.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event

from config.settings import Settings
from engine.backtest.report import ExitRecord, Summary, TradeRecord, summarize
from engine.clock import ManualClock
from engine.domain.models import CloseReason, Position
from engine.domain.values import timeframe_seconds
from engine.market.replay import ReplayMarketData
from engine.wiring import EPOCH, Components, build

if TYPE_CHECKING:
    from engine.facade import Engine

log = logging.getLogger("engine.backtest")

Progress = Callable[[int, int], None]


@dataclass
class BacktestResult:
    summary: Summary
    trades: list[TradeRecord]
    equity_curve: list[tuple[datetime, Decimal]]
    initial_equity: Decimal
    candles: int
    currency: str


def trade_record(pos: Position) -> TradeRecord:
    """A closed position as the report's trade record."""
    assert pos.opened_at is not None
    return TradeRecord(
        symbol=pos.symbol, side=pos.side.value, entry_time=pos.opened_at, entry_price=pos.entry_price,
        qty=pos.qty, leverage=pos.leverage, stop=pos.initial_stop,
        targets=[(t.price, t.share) for t in pos.targets],
        exits=[ExitRecord(e.ts, e.price, e.qty, e.reason) for e in pos.exits],
        fees=pos.fees, pnl=pos.realized_pnl,
    )


async def run_backtest(settings: Settings, data_dir: Path, symbols: list[str], timeframe: str,
                       start: datetime | None = None, end: datetime | None = None,
                       progress: Progress | None = None) -> BacktestResult:
    """Replay ``symbols`` from ``data_dir``; signals at or above the minimum score are executed."""
    from engine.facade import Engine  # the façade reads run summaries, which use trade_record below

    clock = ManualClock(EPOCH)
    market = ReplayMarketData(data_dir, clock, base_timeframe=timeframe, symbols=symbols or None,
                              warmup=settings.market.replay_warmup, speed=0, start=start, end=end)
    if market.progress[1] == 0:
        raise ValueError(_empty_window(market, start, end, settings.market.replay_warmup))
    settings = settings.model_copy(update={"mode": "paper"})
    with tempfile.TemporaryDirectory(prefix="sp-backtest-") as tmp:
        c = await build(settings, clock=clock, market=market, database_url=f"sqlite+aiosqlite:///{tmp}/backtest.db",
                        persist_venue=False)  # a throwaway run: the venue lives in memory
        event.listen(c.db.engine.sync_engine, "connect", _scratch_pragmas)
        engine = Engine(c)
        engine.equity_history = False  # the curve the report needs is kept in memory (see _replay)
        engine.serve_outside = False  # no HTTP server, backups or alerts beyond Telegram for a backtest
        try:
            await engine.start(run_feed=False, run_jobs=False)  # the engine's one start routine
            return await _replay(engine, c, progress)
        finally:
            await engine.stop()


def _empty_window(market: ReplayMarketData, start: datetime | None, end: datetime | None, warmup: int) -> str:
    """Why nothing would be replayed, with the period the data covers."""
    fmt = "%Y-%m-%d %H:%M"
    covered = f"the data covers {market.first_time.strftime(fmt)} → {market.last_time.strftime(fmt)} UTC"
    if start is not None and start >= market.last_time:
        return f"--from {start.strftime(fmt)} is after the end of the data: {covered}"
    if end is not None and end <= market.first_time:
        return f"--to {end.strftime(fmt)} is before the start of the data: {covered}"
    if start is not None and end is not None and start >= end:
        return "--from must be before --to"
    return (f"no candles to replay between the {warmup} warm-up candles and the end of the window: {covered}; "
            "widen --from/--to")


def _scratch_pragmas(dbapi_conn: object, _record: object) -> None:
    """A throwaway database: nothing needs to survive a crash, so SQLite never waits for the disk."""
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=MEMORY")
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


async def _replay(engine: Engine, c: Components, progress: Progress | None) -> BacktestResult:
    """The started engine (built here from ``c``)'s replay, bar by bar, with the equity curve the report
    needs kept in memory."""
    market = c.replay
    assert market is not None
    c.runtime.values["execution_mode"] = "auto"
    clock = c.clock
    initial = (await c.broker.balance()).equity
    curve: list[tuple[datetime, Decimal]] = [(clock.now(), initial)]
    bar_seconds = timeframe_seconds(market.base_timeframe)
    candles = 0

    async def on_bar(now: datetime) -> None:
        nonlocal candles
        await c.jobs.on_bar(now)
        equity = (await c.broker.balance()).equity
        curve.append((now, equity))  # the risk service sees equity through the engine's equity job
        candles += 1
        if progress is not None:
            done, total = market.progress
            progress(done, total)

    await market.run(engine.on_tick, on_bar)
    end_of_data = getattr(c.broker, "end_of_data", None)
    if end_of_data is not None:
        end_of_data()  # sessions and T+1 aside: the last price marks what is still open
    for pos in list(c.manager.open_positions()):
        await c.manager.close(pos.id, CloseReason.END)
    final = (await c.broker.balance()).equity
    if curve[-1][1] != final:
        curve.append((clock.now(), final))
    closed = sorted(await c.repo.closed_positions(), key=lambda p: p.opened_at or p.created_at)
    trades = [trade_record(p) for p in closed if p.opened_at is not None]
    periods_per_year = 365 * 86400 / bar_seconds
    summary = summarize(trades, curve, initial, periods_per_year)
    return BacktestResult(summary, trades, curve, initial, candles, c.currency)
