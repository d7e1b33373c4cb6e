"""Backtest figures a trader reads first: the period, the return, trade durations, the best and worst
trade, and a per-pair table.

Definitions: a trade lasts from its entry to its last exit; a trade's return % is its net PnL as a
percentage of the initial equity (its contribution to the account's return); the return % of the
run is final / initial equity − 1; a pair's figures are those of its trades alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.backtest.report import TradeRecord

ZERO = Decimal(0)


@dataclass(frozen=True)
class TradeRef:
    """One trade as the report names it (the best or the worst)."""

    symbol: str
    side: str
    entry_time: datetime
    pnl: float
    return_pct: float  # of the initial equity
    duration_s: float


@dataclass(frozen=True)
class PairStats:
    symbol: str
    trades: int
    wins: int
    win_rate: float  # 0..1
    net_pnl: float
    return_pct: float  # of the initial equity
    avg_duration_s: float
    exits: dict[str, int]


def duration_s(trade: TradeRecord) -> float:
    """Entry to last exit, in seconds (0 for a trade without exits)."""
    if not trade.exits:
        return 0.0
    last = max(e.time for e in trade.exits)
    return max(0.0, (last - trade.entry_time).total_seconds())


def average_duration_s(trades: Sequence[TradeRecord]) -> float:
    return sum(duration_s(t) for t in trades) / len(trades) if trades else 0.0


def _pct(pnl: Decimal, initial: Decimal) -> float:
    return float(pnl / initial * 100) if initial > 0 else 0.0


def trade_ref(trade: TradeRecord, initial: Decimal) -> TradeRef:
    return TradeRef(trade.symbol, str(trade.side), trade.entry_time, float(trade.pnl), _pct(trade.pnl, initial),
                    duration_s(trade))


def best_and_worst(trades: Sequence[TradeRecord], initial: Decimal) -> tuple[TradeRef | None, TradeRef | None]:
    """The trade with the highest and the one with the lowest net PnL (the first of equals)."""
    if not trades:
        return None, None
    best = max(trades, key=lambda t: t.pnl)
    worst = min(trades, key=lambda t: t.pnl)
    return trade_ref(best, initial), trade_ref(worst, initial)


def pair_table(trades: Sequence[TradeRecord], initial: Decimal) -> list[PairStats]:
    """One row per traded pair, the most profitable first (then by name)."""
    by_symbol: dict[str, list[TradeRecord]] = {}
    for t in trades:
        by_symbol.setdefault(t.symbol, []).append(t)
    rows = []
    for symbol, group in by_symbol.items():
        net = sum((t.pnl for t in group), ZERO)
        wins = sum(1 for t in group if t.pnl > 0)
        exits: dict[str, int] = {}
        for t in group:
            for e in t.exits:
                exits[e.reason] = exits.get(e.reason, 0) + 1
        rows.append(PairStats(symbol, len(group), wins, wins / len(group), float(net), _pct(net, initial),
                              average_duration_s(group), dict(sorted(exits.items()))))
    rows.sort(key=lambda r: (-r.net_pnl, r.symbol))
    return rows


def return_pct(initial: Decimal, final: Decimal) -> float:
    return float((final / initial - 1) * 100) if initial > 0 else 0.0


def human_duration(seconds: float) -> str:
    """``3d 4h``, ``5h 20m``, ``45m``; ``-`` for nothing."""
    if seconds <= 0:
        return "-"
    minutes = int(round(seconds / 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m"
