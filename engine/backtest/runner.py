"""Backtest: replays candles through the very same services as paper and live trading
(scanner → plan → risk gate → paper broker → lifecycle) at full speed, then reports."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from config.settings import Settings
from engine.backtest.report import ExitRecord, Summary, TradeRecord, summarize
from engine.clock import ManualClock
from engine.domain.models import CloseReason, Position
from engine.domain.values import timeframe_seconds
from engine.market.replay import ReplayMarketData
from engine.positions.recovery import recover
from engine.wiring import EPOCH, build

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
    clock = ManualClock(EPOCH)
    market = ReplayMarketData(data_dir, clock, base_timeframe=timeframe, symbols=symbols or None,
                              warmup=settings.market.replay_warmup, speed=0, start=start, end=end)
    if market.progress[1] == 0:
        raise ValueError(_empty_window(market, start, end, settings.market.replay_warmup))
    settings = settings.model_copy(update={"mode": "paper"})
    with tempfile.TemporaryDirectory(prefix="sp-backtest-") as tmp:
        c = await build(settings, clock=clock, market=market, database_url=f"sqlite+aiosqlite:///{tmp}/backtest.db",
                        persist_venue=False)  # a throwaway run: the venue lives in memory
        try:
            return await _replay(c, market, progress)
        finally:
            await c.broker.close()
            await c.db.close()


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


async def _replay(c, market: ReplayMarketData, progress: Progress | None) -> BacktestResult:  # type: ignore[no-untyped-def]
    await c.db.migrate()
    c.runtime.values["execution_mode"] = "auto"
    clock = c.clock
    clock.set(market.start_time)
    await c.broker.start()
    await recover(c.manager)
    initial = (await c.broker.balance()).equity
    await c.risk.load(initial)
    curve: list[tuple[datetime, Decimal]] = [(clock.now(), initial)]

    async def scan() -> None:
        busy = {p.symbol for p in c.manager.open_positions()}
        _, raised = await c.signals.scan(busy)
        await c.trading.auto_execute(raised)

    c.jobs.add("scan", scan, c.runtime.scan_interval_min, run_now=True)
    c.jobs.add("expire", c.signals.expire, 1)
    bar_seconds = timeframe_seconds(market.base_timeframe)
    candles = 0

    async def on_bar(now: datetime) -> None:
        nonlocal candles
        await c.jobs.on_bar(now)
        equity = (await c.broker.balance()).equity
        curve.append((now, equity))
        if len(curve) % max(1, 3600 // bar_seconds) == 0:
            await c.risk.on_equity(equity)
        candles += 1
        if progress is not None:
            done, total = market.progress
            progress(done, total)

    await market.run(c.manager.on_tick, on_bar)
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
