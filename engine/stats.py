"""Trade statistics for front ends (/profit, /daily, /weekly, /performance) and a signal's stake
(what a card shows is at stake): pure functions of closed positions and plain numbers.

Returns in % are on the equity the account had before the trades counted (today's wallet minus the
PnL realized since), so a day's row reads "this day made +1.2 % of what the account had".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from engine.domain.amounts import margin_of, ratio_pct
from engine.domain.models import Position, Signal
from engine.domain.values import ZERO


@dataclass(frozen=True)
class PairResult:
    symbol: str
    trades: int
    wins: int
    net_pnl: Decimal
    return_pct: Decimal | None  # of the equity before the counted trades


@dataclass(frozen=True)
class ProfitView:
    currency: str
    trades: int
    wins: int
    losses: int
    net_pnl: Decimal
    fees: Decimal
    start_equity: Decimal  # before the first counted trade
    return_pct: Decimal | None
    profit_factor: Decimal | None  # gross wins ÷ gross losses; None without a losing trade
    avg_duration_s: float | None
    best: PairResult | None
    worst: PairResult | None
    first_trade_at: datetime | None
    open_positions: int = 0

    @property
    def win_rate(self) -> Decimal:
        return Decimal(self.wins) / Decimal(self.trades) * 100 if self.trades else ZERO


@dataclass(frozen=True)
class PeriodRow:
    start: date  # the UTC day, or the Monday of the week
    trades: int
    net_pnl: Decimal
    return_pct: Decimal | None


@dataclass(frozen=True)
class PeriodTable:
    kind: str  # daily or weekly
    currency: str
    rows: tuple[PeriodRow, ...]  # oldest first, one per period, empty periods included


@dataclass(frozen=True)
class Performance:
    currency: str
    pairs: tuple[PairResult, ...]  # best first


@dataclass(frozen=True)
class Stake:
    """What confirming a signal puts at stake, sized as the risk gate would size it now."""

    currency: str
    qty: Decimal
    notional: Decimal
    margin: Decimal
    risk: Decimal  # lost if the stop is hit, fees included
    risk_pct: Decimal | None  # of equity
    reward_risk: tuple[Decimal, ...]  # per target: price distance to it ÷ distance to the stop
    fees: Decimal  # estimated: taker fee on the entry and on the exits


def _duration(p: Position) -> float | None:
    if p.opened_at is None or p.closed_at is None:
        return None
    return (p.closed_at - p.opened_at).total_seconds()


def _pairs(closed: Sequence[Position], base: Decimal) -> list[PairResult]:
    by_pair: dict[str, list[Position]] = {}
    for p in closed:
        by_pair.setdefault(p.symbol, []).append(p)
    rows = []
    for symbol, trades in by_pair.items():
        net = sum((p.realized_pnl for p in trades), ZERO)
        rows.append(PairResult(symbol, len(trades), sum(1 for p in trades if p.realized_pnl > 0), net,
                               ratio_pct(net, base)))
    return sorted(rows, key=lambda r: (-r.net_pnl, r.symbol))


def profit(closed: Sequence[Position], wallet: Decimal, currency: str, open_positions: int = 0) -> ProfitView:
    net = sum((p.realized_pnl for p in closed), ZERO)
    start = wallet - net
    gains = sum((p.realized_pnl for p in closed if p.realized_pnl > 0), ZERO)
    losses = -sum((p.realized_pnl for p in closed if p.realized_pnl < 0), ZERO)
    durations = [d for d in (_duration(p) for p in closed) if d is not None]
    pairs = _pairs(closed, start)
    wins = sum(1 for p in closed if p.realized_pnl > 0)
    return ProfitView(
        currency=currency, trades=len(closed), wins=wins, losses=len(closed) - wins, net_pnl=net,
        fees=sum((p.fees for p in closed), ZERO), start_equity=start, return_pct=ratio_pct(net, start),
        profit_factor=gains / losses if losses > 0 else None,
        avg_duration_s=sum(durations) / len(durations) if durations else None,
        best=pairs[0] if pairs else None, worst=pairs[-1] if len(pairs) > 1 else None,
        first_trade_at=min((p.opened_at or p.created_at for p in closed), default=None),
        open_positions=open_positions)


def period_start(day: date, kind: str) -> date:
    return day - timedelta(days=day.weekday()) if kind == "weekly" else day


def periods(closed: Sequence[Position], wallet: Decimal, currency: str, kind: str, count: int,
            today: date) -> PeriodTable:
    """The last ``count`` days (or weeks, from Monday), newest last, each with its trades and return."""
    if kind not in ("daily", "weekly"):
        raise ValueError(f"unknown period kind {kind!r}")
    step = timedelta(days=7 if kind == "weekly" else 1)
    last = period_start(today, kind)
    starts = [last - step * i for i in reversed(range(count))]
    rows = []
    for start in starts:
        inside = [p for p in closed if p.closed_at is not None and period_start(p.closed_at.date(), kind) == start]
        later = sum((p.realized_pnl for p in closed if p.closed_at is not None and p.closed_at.date() >= start),
                    ZERO)
        net = sum((p.realized_pnl for p in inside), ZERO)
        rows.append(PeriodRow(start, len(inside), net, ratio_pct(net, wallet - later) if inside else ZERO))
    return PeriodTable(kind, currency, tuple(rows))


def performance(closed: Sequence[Position], wallet: Decimal, currency: str) -> Performance:
    net = sum((p.realized_pnl for p in closed), ZERO)
    return Performance(currency, tuple(_pairs(closed, wallet - net)))


def stake(signal: Signal, qty: Decimal, equity: Decimal, currency: str, taker_fee: Decimal) -> Stake:
    entry, stop = signal.entry, signal.stop
    notional = qty * entry
    to_stop = abs(entry - stop)
    exit_fees = sum((qty * t.share * t.price * taker_fee for t in signal.targets), ZERO)
    risk = qty * to_stop + notional * taker_fee + qty * stop * taker_fee
    return Stake(
        currency=currency, qty=qty, notional=notional, margin=margin_of(entry, qty, signal.leverage), risk=risk,
        risk_pct=ratio_pct(risk, equity),
        reward_risk=tuple(abs(t.price - entry) / to_stop if to_stop else ZERO for t in signal.targets),
        fees=notional * taker_fee + exit_fees)
