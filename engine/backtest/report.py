"""Backtest report: trade records, summary statistics, the JSON shape other tools read, and a text table.

Money stays Decimal in trade records; summary statistics are floats. Ratios are 0.0 when they are
undefined (no trades, no variance). A profit factor with no losing trade is capped at 999.0 so the
JSON stays valid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

EXIT_KEYS = ("tp1", "tp2", "stop", "breakeven", "trailing", "time", "end")
PROFIT_FACTOR_CAP = 999.0


@dataclass(frozen=True)
class ExitRecord:
    time: datetime
    price: Decimal
    qty: Decimal
    reason: str


@dataclass(frozen=True)
class TradeRecord:
    symbol: str
    side: str
    entry_time: datetime
    entry_price: Decimal
    qty: Decimal
    leverage: int
    stop: Decimal
    targets: list[tuple[Decimal, Decimal]]
    exits: list[ExitRecord]
    fees: Decimal
    pnl: Decimal


@dataclass(frozen=True)
class Summary:
    trades: int
    win_rate: float
    profit_factor: float
    expectancy: float
    net_pnl: float
    fees: float
    max_drawdown: float
    sharpe: float
    sortino: float
    calmar: float
    exits: dict[str, int] = field(default_factory=dict)


def _returns(curve: Sequence[tuple[datetime, Decimal]]) -> list[float]:
    values = [float(v) for _, v in curve]
    return [(b - a) / a for a, b in zip(values, values[1:], strict=False) if a != 0]


def max_drawdown(curve: Sequence[tuple[datetime, Decimal]]) -> float:
    """Largest fall from a running peak, as a fraction of that peak (0..1)."""
    peak, worst = -math.inf, 0.0
    for _, value in curve:
        v = float(value)
        peak = max(peak, v)
        if peak > 0:
            worst = max(worst, (peak - v) / peak)
    return worst


def sharpe(returns: Sequence[float], periods_per_year: float) -> float:
    if len(returns) < 2:
        return 0.0
    mean = sum(returns) / len(returns)
    var = sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    return mean / math.sqrt(var) * math.sqrt(periods_per_year) if var > 0 else 0.0


def sortino(returns: Sequence[float], periods_per_year: float) -> float:
    if len(returns) < 2:
        return 0.0
    mean = sum(returns) / len(returns)
    downside = math.sqrt(sum(min(r, 0.0) ** 2 for r in returns) / len(returns))
    return mean / downside * math.sqrt(periods_per_year) if downside > 0 else 0.0


def summarize(trades: Sequence[TradeRecord], equity_curve: Sequence[tuple[datetime, Decimal]],
              initial_equity: Decimal, periods_per_year: float) -> Summary:
    exits = dict.fromkeys(EXIT_KEYS, 0)
    for trade in trades:
        for e in trade.exits:
            exits[e.reason] = exits.get(e.reason, 0) + 1
    n = len(trades)
    pnls = [t.pnl for t in trades]
    gross_win = sum((p for p in pnls if p > 0), Decimal(0))
    gross_loss = -sum((p for p in pnls if p < 0), Decimal(0))
    if n == 0:
        pf = 0.0
    elif gross_loss == 0:
        pf = PROFIT_FACTOR_CAP if gross_win > 0 else 0.0
    else:
        pf = min(PROFIT_FACTOR_CAP, float(gross_win / gross_loss))
    net = sum(pnls, Decimal(0))
    returns = _returns(equity_curve)
    mdd = max_drawdown(equity_curve)
    calmar = 0.0
    if mdd > 0 and len(equity_curve) >= 2 and initial_equity > 0:
        span = (equity_curve[-1][0] - equity_curve[0][0]).total_seconds() / (365 * 86400)
        final = float(equity_curve[-1][1])
        if span > 0 and final > 0:
            annual = (final / float(initial_equity)) ** (1 / span) - 1
            calmar = annual / mdd
    return Summary(
        trades=n, win_rate=sum(1 for p in pnls if p > 0) / n if n else 0.0, profit_factor=pf,
        expectancy=float(net / n) if n else 0.0, net_pnl=float(net),
        fees=float(sum((t.fees for t in trades), Decimal(0))), max_drawdown=mdd,
        sharpe=sharpe(returns, periods_per_year), sortino=sortino(returns, periods_per_year), calmar=calmar,
        exits=exits)


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _r(x: float) -> float:
    return round(x, 10) if math.isfinite(x) else 0.0


def to_json_dict(summary: Summary, trades: Sequence[TradeRecord]) -> dict[str, Any]:
    return {
        "summary": {
            "trades": summary.trades, "win_rate": _r(summary.win_rate), "profit_factor": _r(summary.profit_factor),
            "expectancy": _r(summary.expectancy), "net_pnl": _r(summary.net_pnl), "fees": _r(summary.fees),
            "max_drawdown": _r(summary.max_drawdown), "sharpe": _r(summary.sharpe), "sortino": _r(summary.sortino),
            "calmar": _r(summary.calmar), "exits": dict(summary.exits),
        },
        "trades": [
            {"symbol": t.symbol, "side": t.side, "entry_time": _iso(t.entry_time), "entry_price": str(t.entry_price),
             "qty": str(t.qty), "leverage": t.leverage, "stop": str(t.stop),
             "targets": [{"price": str(p), "share": str(s)} for p, s in t.targets],
             "exits": [{"time": _iso(e.time), "price": str(e.price), "qty": str(e.qty), "reason": e.reason}
                       for e in t.exits],
             "fees": str(t.fees), "pnl": str(t.pnl)}
            for t in trades
        ],
    }


def format_text(summary: Summary) -> str:
    rows = [
        ("trades", f"{summary.trades}"), ("win rate", f"{summary.win_rate:.1%}"),
        ("profit factor", f"{summary.profit_factor:.2f}"), ("expectancy", f"{summary.expectancy:.8g}"),
        ("net PnL", f"{summary.net_pnl:.8g}"), ("fees", f"{summary.fees:.8g}"),
        ("max drawdown", f"{summary.max_drawdown:.2%}"), ("Sharpe", f"{summary.sharpe:.2f}"),
        ("Sortino", f"{summary.sortino:.2f}"), ("Calmar", f"{summary.calmar:.2f}"),
        ("exits", ", ".join(f"{k} {v}" for k, v in summary.exits.items())),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)
