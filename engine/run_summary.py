"""What a front end shows around a run on a replay: the window still to play, and at the end a summary
(trades, win rate, return %, max drawdown) computed with the backtest report's own figures
(engine.backtest.report) from the positions and equity in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from config.settings import default_paper_balance
from engine.backtest.report import Summary, summarize
from engine.backtest.runner import trade_record
from engine.wiring import Components

EQUITY_POINTS_PER_YEAR = 365 * 24 * 4  # the equity job stores a point every 15 minutes


@dataclass(frozen=True)
class ReplayWindow:
    symbols: tuple[str, ...]
    start: datetime  # where the replay stands (its start, or where the last run stopped)
    end: datetime  # where it will stop
    speed: float  # base candles per second, 0 = as fast as possible
    candle_seconds: int  # length of a base candle

    @property
    def done(self) -> bool:
        return self.start >= self.end


@dataclass(frozen=True)
class RunSummary:
    summary: Summary
    initial_equity: Decimal
    final_equity: Decimal
    currency: str
    start: datetime  # first equity point (the start of the first run on this database)
    end: datetime  # the engine's clock when summed up

    @property
    def return_pct(self) -> Decimal:
        if self.initial_equity <= 0:
            return Decimal(0)
        return (self.final_equity - self.initial_equity) / self.initial_equity * 100


async def run_summary(c: Components) -> RunSummary:
    """Every closed position and the stored equity curve of this database, up to the clock's now."""
    closed = sorted(await c.repo.closed_positions(), key=lambda p: p.opened_at or p.created_at)
    trades = [trade_record(p) for p in closed if p.opened_at is not None]
    now = c.clock.now()
    final = (await c.broker.balance()).equity
    curve = await c.repo.equity_since(None)
    if c.broker.paper:
        initial = c.settings.broker.paper_balance or default_paper_balance(c.currency)
    else:
        initial = curve[0][1] if curve else final
    start = curve[0][0] if curve else now
    curve = [(start, initial), *curve, (now, final)]
    summary = summarize(trades, curve, initial, EQUITY_POINTS_PER_YEAR)
    return RunSummary(summary, initial, final, c.currency, start, now)
