"""Backtest report: trade records, summary statistics, the JSON shape other tools read, and a text table.

Money stays exact (Decimal) in trade records; summary statistics are floats. Definitions:

- a win is a trade with pnl > 0, a loss one with pnl < 0 (pnl is net of the trade's fees);
- profit factor = gross win / gross loss; 0.0 with no trades or no wins; capped at ``PROFIT_FACTOR_CAP``
  (also when there is no losing trade) so the JSON stays valid;
- per-bar returns come from consecutive points of the equity curve (a point whose previous equity is not
  positive has no return); Sharpe = mean / sample std · √periods_per_year; Sortino = mean / downside
  deviation (root mean square of the negative returns over all returns) · √periods_per_year;
- max drawdown = largest fall from the running peak (seeded with the initial equity), as a fraction 0..1;
- Calmar = annualized growth (initial → final equity over the number of bar returns, compounded
  periods_per_year times a year) / max drawdown;
- every ratio is 0.0 when it is undefined (fewer than two returns, no variance, no drawdown).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

EXIT_KEYS = ("tp1", "tp2", "stop", "breakeven", "trailing", "time", "end")
PROFIT_FACTOR_CAP = 999.0
_MAX_LOG_GROWTH = 50.0  # annualized growth beyond e^50 is meaningless; keeps Calmar finite
ZERO = Decimal(0)


@dataclass(frozen=True)
class ExitRecord:
    time: datetime
    price: Decimal
    qty: Decimal
    reason: str  # tp1, tp2, …, stop, breakeven, trailing, time, end, manual, liquidation, …


@dataclass(frozen=True)
class TradeRecord:
    symbol: str
    side: str  # "long" or "short"
    entry_time: datetime
    entry_price: Decimal
    qty: Decimal
    leverage: int
    stop: Decimal  # the initial stop
    targets: Sequence[tuple[Decimal, Decimal]]  # (price, share of the quantity)
    exits: Sequence[ExitRecord]
    fees: Decimal
    pnl: Decimal  # net of fees


@dataclass(frozen=True)
class Summary:
    trades: int
    win_rate: float  # 0..1
    profit_factor: float
    expectancy: float  # mean pnl per trade
    net_pnl: float
    fees: float
    max_drawdown: float  # 0..1 of the peak
    sharpe: float
    sortino: float
    calmar: float
    exits: dict[str, int] = field(default_factory=dict)  # number of exit records per reason


def returns(curve: Sequence[tuple[datetime, Decimal]]) -> list[float]:
    values = [float(v) for _, v in curve]
    return [b / a - 1.0 for a, b in zip(values, values[1:], strict=False) if a > 0]


def max_drawdown(curve: Sequence[tuple[datetime, Decimal]], initial_equity: Decimal | None = None) -> float:
    """Largest fall from a running peak, as a fraction of that peak (0..1)."""
    peak = float(initial_equity) if initial_equity is not None else -math.inf
    worst = 0.0
    for _, value in curve:
        v = float(value)
        peak = max(peak, v)
        if peak > 0:
            worst = max(worst, (peak - v) / peak)
    return min(worst, 1.0)


def sharpe(rets: Sequence[float], periods_per_year: float) -> float:
    if len(rets) < 2:
        return 0.0
    mean = sum(rets) / len(rets)
    var = sum((r - mean) ** 2 for r in rets) / (len(rets) - 1)
    return _finite(mean / math.sqrt(var) * math.sqrt(periods_per_year)) if var > 0 else 0.0


def sortino(rets: Sequence[float], periods_per_year: float) -> float:
    if len(rets) < 2:
        return 0.0
    mean = sum(rets) / len(rets)
    downside = math.sqrt(sum(min(r, 0.0) ** 2 for r in rets) / len(rets))
    return _finite(mean / downside * math.sqrt(periods_per_year)) if downside > 0 else 0.0


def calmar(initial: Decimal, final: Decimal, bars: int, periods_per_year: float, mdd: float) -> float:
    if mdd <= 0 or bars <= 0 or initial <= 0 or periods_per_year <= 0:
        return 0.0
    if final <= 0:
        return _finite(-1.0 / mdd)  # everything lost: -100 % a year
    log_growth = math.log(float(final / initial)) * periods_per_year / bars
    annual = math.exp(max(-_MAX_LOG_GROWTH, min(_MAX_LOG_GROWTH, log_growth))) - 1.0
    return _finite(annual / mdd)


def summarize(trades: Sequence[TradeRecord], equity_curve: Sequence[tuple[datetime, Decimal]],
              initial_equity: Decimal, periods_per_year: float) -> Summary:
    n = len(trades)
    pnls = [t.pnl for t in trades]
    gross_win = sum((p for p in pnls if p > 0), ZERO)
    gross_loss = -sum((p for p in pnls if p < 0), ZERO)
    if gross_win == 0:
        pf = 0.0
    elif gross_loss == 0:
        pf = PROFIT_FACTOR_CAP
    else:
        pf = min(PROFIT_FACTOR_CAP, float(gross_win / gross_loss))
    net = sum(pnls, ZERO)
    rets = returns(equity_curve)
    mdd = max_drawdown(equity_curve, initial_equity)
    final = equity_curve[-1][1] if equity_curve else initial_equity
    return Summary(
        trades=n,
        win_rate=sum(1 for p in pnls if p > 0) / n if n else 0.0,
        profit_factor=pf,
        expectancy=float(net / n) if n else 0.0,
        net_pnl=float(net),
        fees=float(sum((t.fees for t in trades), ZERO)),
        max_drawdown=mdd,
        sharpe=sharpe(rets, periods_per_year),
        sortino=sortino(rets, periods_per_year),
        calmar=calmar(initial_equity, final, len(rets), periods_per_year, mdd),
        exits=count_exits(trades),
    )


def count_exits(trades: Sequence[TradeRecord]) -> dict[str, int]:
    """Exit records per reason: the standard keys always (in ``EXIT_KEYS`` order), then others sorted."""
    counts: dict[str, int] = {}
    for trade in trades:
        for e in trade.exits:
            counts[e.reason] = counts.get(e.reason, 0) + 1
    out = {k: counts.pop(k, 0) for k in EXIT_KEYS}
    out.update(sorted(counts.items()))
    return out


def to_json_dict(summary: Summary, trades: Sequence[TradeRecord]) -> dict[str, Any]:
    """The report as JSON-safe data: summary numbers as numbers, trade money as exact decimal strings."""
    s = summary
    return {
        "summary": {
            "trades": s.trades, "win_rate": _r(s.win_rate, 6), "profit_factor": _r(s.profit_factor, 4),
            "expectancy": _r(s.expectancy, 10), "net_pnl": _r(s.net_pnl, 10), "fees": _r(s.fees, 10),
            "max_drawdown": _r(s.max_drawdown, 6), "sharpe": _r(s.sharpe, 4), "sortino": _r(s.sortino, 4),
            "calmar": _r(s.calmar, 4), "exits": dict(s.exits),
        },
        "trades": [_trade_dict(t) for t in trades],
    }


def _trade_dict(t: TradeRecord) -> dict[str, Any]:
    return {
        "symbol": t.symbol, "side": str(t.side), "entry_time": iso_utc(t.entry_time),
        "entry_price": dec(t.entry_price), "qty": dec(t.qty), "leverage": int(t.leverage), "stop": dec(t.stop),
        "targets": [{"price": dec(p), "share": dec(sh)} for p, sh in t.targets],
        "exits": [{"time": iso_utc(e.time), "price": dec(e.price), "qty": dec(e.qty), "reason": e.reason}
                  for e in t.exits],
        "fees": dec(t.fees), "pnl": dec(t.pnl),
    }


def dec(d: Decimal) -> str:
    """A Decimal as a plain string, never in exponent form ("0.00000001", not "1E-8")."""
    return format(d, "f")


def iso_utc(dt: datetime) -> str:
    """ISO-8601 in UTC with a Z suffix; a naive datetime is taken as UTC."""
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.isoformat().replace("+00:00", "Z")


def _finite(x: float) -> float:
    return x if math.isfinite(x) else 0.0


def _r(x: float, places: int) -> float:
    return round(x, places) + 0.0 if math.isfinite(x) else 0.0  # + 0.0 turns -0.0 into 0.0


def format_text(summary: Summary) -> str:
    """The summary as a plain-text table for a terminal."""
    s = summary
    rows = [
        ("trades", f"{s.trades}"),
        ("win rate", f"{s.win_rate:.1%}"),
        ("profit factor", f"{s.profit_factor:.2f}" + (" (no losing trade)" if s.profit_factor >= PROFIT_FACTOR_CAP
                                                      else "")),
        ("expectancy", f"{s.expectancy:+.8g}"),
        ("net PnL", f"{s.net_pnl:+.8g}"),
        ("fees", f"{s.fees:.8g}"),
        ("max drawdown", f"{s.max_drawdown:.2%}"),
        ("Sharpe", f"{s.sharpe:.2f}"),
        ("Sortino", f"{s.sortino:.2f}"),
        ("Calmar", f"{s.calmar:.2f}"),
    ]
    exits = [(f"  {reason}", str(count)) for reason, count in s.exits.items()]
    width = max(len(k) for k, _ in rows + exits)
    rule = "-" * (width + 14)
    lines = ["Backtest summary", rule]
    lines += [f"{k.ljust(width)}  {v}" for k, v in rows]
    lines += [rule, "exits"] + [f"{k.ljust(width)}  {v}" for k, v in exits]
    return "\n".join(lines)
