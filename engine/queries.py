"""Read models for front ends: positions with marks, status, PnL statistics, chart data."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.domain.algos import progress
from engine.domain.markets import is_ashare_symbol
from engine.domain.models import Position
from engine.domain.reasons import TradingState
from engine.domain.values import ZERO, timeframe_seconds
from engine.market_rules.calendar import SHANGHAI
from engine.views import AlgoRunView, ChartData, ChartLevel, ChartMarker, PnlStats, PositionView, StatusView

if TYPE_CHECKING:
    from engine.wiring import Components

PERIODS = {"today": None, "7d": timedelta(days=7), "30d": timedelta(days=30), "all": None}


class Queries:
    def __init__(self, c: Components) -> None:
        self.c = c

    async def mark(self, symbol: str) -> Decimal | None:
        return self.c.broker.mark_price(symbol) or await self.c.market.price(symbol)

    async def positions(self) -> list[PositionView]:
        views = []
        for pos in self.c.manager.open_positions():
            mark = await self.mark(pos.symbol)
            views.append(PositionView(pos, mark, pos.unrealized(mark) if mark is not None else ZERO,
                                      sellable_from=self._sellable_from(pos), running=self._running(pos)))
        return views

    def _running(self, pos: Position) -> tuple[AlgoRunView, ...]:
        runs = [a for a in self.c.manager.algos_of(pos.id) if not a.status.is_final]
        if not runs:
            return ()
        orders = self.c.manager.orders_of(pos.id)
        out = []
        for run in runs:
            done = progress(run, orders)
            out.append(AlgoRunView(run.kind.value, run.entry, done.done, max(run.slices, done.done), done.avg_price))
        return tuple(out)

    def _sellable_from(self, pos: Position) -> datetime | None:
        """A-shares bought today: the next trading day's first session (T+1); else None."""
        if not is_ashare_symbol(pos.symbol) or pos.opened_at is None:
            return None
        from engine.market_rules.ashare import AShareRules

        rules = self.c.rules  # the engine's one set of A-share rules (engine.wiring)
        if not isinstance(rules, AShareRules):
            return None
        now = self.c.clock.now()
        if rules.calendar.trading_day(pos.opened_at) < rules.calendar.trading_day(now):
            return None
        day_end = datetime.combine(rules.calendar.trading_day(now), time(23, 59), SHANGHAI)
        return rules.next_open(day_end)

    async def status(self, next_scan: datetime | None, venue_down_since: datetime | None = None) -> StatusView:
        """Without a reachable exchange: no venue request (a live balance is then None, symbols 0)."""
        c = self.c
        state = c.risk.state
        now = c.clock.now()
        down = venue_down_since is not None
        return StatusView(
            mode=c.runtime.execution_mode, paper=c.settings.paper, trading_state=state.state.value,
            pause_reason=state.reason.value if state.reason and state.state is not TradingState.ACTIVE else None,
            paused_until=state.until, balance=None if down and not c.broker.paper else await c.broker.balance(),
            open_positions=len(c.manager.open_positions()),
            today_pnl=state.day_pnl if state.day == now.date() else await self._realized_since_midnight(now),
            next_scan=next_scan, last_scan=c.signals.last_scan,
            symbols=0 if down else len(await c.market.symbols()), venue_down_since=venue_down_since)

    async def _realized_since_midnight(self, now: datetime) -> Decimal:
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return sum((p.realized_pnl for p in await self.c.repo.closed_positions(since=midnight)), ZERO)

    async def pnl(self, period: str) -> PnlStats:
        if period not in PERIODS:
            raise ValueError(f"unknown period {period!r}: use today, 7d, 30d or all")
        now = self.c.clock.now()
        start: datetime | None
        if period == "today":
            start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        elif period == "all":
            start = None
        else:
            start = now - PERIODS[period]  # type: ignore[operator]
        closed = await self.c.repo.closed_positions(since=start)
        daily: dict = {}
        for p in closed:
            assert p.closed_at is not None
            day = p.closed_at.date()
            daily[day] = daily.get(day, ZERO) + p.realized_pnl
        curve = await self.c.repo.equity_since(start)
        curve.append((now, (await self.c.broker.balance()).equity))
        wins = sum(1 for p in closed if p.realized_pnl > 0)
        return PnlStats(period=period, start=start, trades=len(closed), wins=wins, losses=len(closed) - wins,
                        net_pnl=sum((p.realized_pnl for p in closed), ZERO), fees=sum((p.fees for p in closed), ZERO),
                        daily=tuple(sorted(daily.items())), equity_curve=tuple(curve))

    async def chart_data(self, symbol: str, timeframe: str, limit: int) -> ChartData:
        timeframe_seconds(timeframe)  # ValueError on a bad timeframe
        candles = await self.c.market.candles(symbol, timeframe, max(10, min(limit, 500)))
        pos: Position | None = next((p for p in self.c.manager.open_positions() if p.symbol == symbol), None)
        if pos is None:
            pos = next((p for p in await self.c.repo.closed_positions(limit=20) if p.symbol == symbol), None)
        if pos is None:
            return ChartData(symbol, timeframe, candles)
        levels = [ChartLevel("entry", pos.entry_price),
                  ChartLevel("breakeven" if pos.stop_kind == "breakeven" else "stop", pos.stop_price)]
        if pos.stop_kind == "breakeven":
            levels.append(ChartLevel("stop", pos.initial_stop))
        levels += [ChartLevel(f"tp{i + 1}", t.price) for i, t in enumerate(pos.targets)]
        markers = [ChartMarker(pos.opened_at, pos.entry_price, "entry")] if pos.opened_at else []
        markers += [ChartMarker(e.ts, e.price, e.reason) for e in pos.exits]
        return ChartData(symbol, timeframe, candles, tuple(levels), tuple(markers))
