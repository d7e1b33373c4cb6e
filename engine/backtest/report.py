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
- every ratio is 0.0 when it is undefined (fewer than two returns, no variance, no drawdown);
- the period is the equity curve's first to last time; return %, durations, the best and worst trade and
  the per-pair table are defined in ``engine.backtest.breakdown``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from engine.backtest.breakdown import (
    PairStats,
    TradeRef,
    average_duration_s,
    best_and_worst,
    human_duration,
    pair_table,
    return_pct,
)
from engine.domain import amounts

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
    start: datetime | None = None  # the period covered (the equity curve's first and last time)
    end: datetime | None = None
    initial_equity: float = 0.0
    final_equity: float = 0.0
    return_pct: float = 0.0  # final / initial equity − 1, in %
    avg_duration_s: float = 0.0  # entry to last exit, mean over the trades
    best: TradeRef | None = None
    worst: TradeRef | None = None
    pairs: tuple[PairStats, ...] = ()


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
    best, worst = best_and_worst(trades, initial_equity)
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
        start=equity_curve[0][0] if equity_curve else None,
        end=equity_curve[-1][0] if equity_curve else None,
        initial_equity=float(initial_equity),
        final_equity=float(final),
        return_pct=return_pct(initial_equity, final),
        avg_duration_s=average_duration_s(trades),
        best=best,
        worst=worst,
        pairs=tuple(pair_table(trades, initial_equity)),
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
            "period": {"start": iso_utc(s.start) if s.start else None, "end": iso_utc(s.end) if s.end else None,
                       "days": _r((s.end - s.start).total_seconds() / 86400, 4) if s.start and s.end else 0.0},
            "initial_equity": _r(s.initial_equity, 10), "final_equity": _r(s.final_equity, 10),
            "return_pct": _r(s.return_pct, 6), "avg_trade_duration_s": _r(s.avg_duration_s, 1),
            "best_trade": _ref_dict(s.best), "worst_trade": _ref_dict(s.worst),
            "pairs": [_pair_dict(p) for p in s.pairs],
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


def _ref_dict(t: TradeRef | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"symbol": t.symbol, "side": t.side, "entry_time": iso_utc(t.entry_time), "pnl": _r(t.pnl, 10),
            "return_pct": _r(t.return_pct, 6), "duration_s": _r(t.duration_s, 1)}


def _pair_dict(p: PairStats) -> dict[str, Any]:
    return {"symbol": p.symbol, "trades": p.trades, "wins": p.wins, "win_rate": _r(p.win_rate, 6),
            "net_pnl": _r(p.net_pnl, 10), "return_pct": _r(p.return_pct, 6),
            "avg_duration_s": _r(p.avg_duration_s, 1), "exits": dict(p.exits)}


def trade_marks(trades: Sequence[TradeRecord]) -> list[tuple[datetime, str]]:
    """Chart marks: each entry (``long``/``short``) and each trade's last exit (``win``/``loss``)."""
    marks: list[tuple[datetime, str]] = []
    for t in trades:
        marks.append((t.entry_time, "long" if str(t.side) == "long" else "short"))
        if t.exits:
            marks.append((max(e.time for e in t.exits), "win" if t.pnl > 0 else "loss"))
    return marks


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


def money(value: float | Decimal, currency: str, signed: bool = False) -> str:
    """An amount as every front end writes it (engine.domain.amounts): with its currency, rounded for it."""
    return amounts.amount(value, currency, signed)


def format_text(summary: Summary, currency: str = "") -> str:
    """The summary as plain-text tables for a terminal: headline figures, trades per pair, exits."""
    s = summary
    unit = f" {currency}" if currency else ""
    rows = [
        ("period", _period(s)),
        ("equity", f"{money(s.initial_equity, currency)} → {money(s.final_equity, currency)}" if s.start else "-"),
        ("return", f"{s.return_pct:+.2f}%"),
        ("trades", f"{s.trades}"),
        ("win rate", f"{s.win_rate:.1%}"),
        ("profit factor", f"{s.profit_factor:.2f}" + (" (no losing trade)" if s.profit_factor >= PROFIT_FACTOR_CAP
                                                      else "")),
        ("expectancy", money(s.expectancy, currency, signed=True)),
        ("net PnL", money(s.net_pnl, currency, signed=True)),
        ("fees", money(s.fees, currency)),
        ("avg duration", human_duration(s.avg_duration_s)),
        ("best trade", _ref_text(s.best, currency)),
        ("worst trade", _ref_text(s.worst, currency)),
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
    if s.pairs:
        lines += [rule, "per pair", *_pair_lines(s.pairs, unit, currency)]
    lines += [rule, "exits"] + [f"{k.ljust(width)}  {v}" for k, v in exits]
    return "\n".join(lines)


def _period(s: Summary) -> str:
    if s.start is None or s.end is None:
        return "-"
    days = (s.end - s.start).total_seconds() / 86400
    fmt = "%Y-%m-%d %H:%M"
    return f"{s.start.astimezone(UTC).strftime(fmt)} → {s.end.astimezone(UTC).strftime(fmt)} UTC ({days:.1f} days)"


def _ref_text(t: TradeRef | None, currency: str) -> str:
    if t is None:
        return "-"
    when = t.entry_time.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return f"{t.symbol} {t.side} {money(t.pnl, currency, signed=True)} ({t.return_pct:+.2f}%), opened {when}, {human_duration(t.duration_s)}"


def _pair_lines(pairs: Sequence[PairStats], unit: str, currency: str = "") -> list[str]:
    head = ("pair", "trades", "win rate", f"net PnL{unit}", "return", "avg duration")
    body = [(p.symbol, str(p.trades), f"{p.win_rate:.0%}", amounts.number(p.net_pnl, currency, signed=True), f"{p.return_pct:+.2f}%",
             human_duration(p.avg_duration_s)) for p in pairs]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    out = []
    for r in [head, *body]:
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        out.append("  " + "  ".join(cells))
    return out
