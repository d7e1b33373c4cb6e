"""Performance charts: the equity curve with its drawdown, and realized PnL per day as green/red bars."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

import numpy as np
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from engine.charts import _common as c
from engine.charts._theme import Theme, get_theme
from engine.domain import amounts

MARK_KINDS = ("long", "short", "win", "loss")  # an entry long/short, a close with a gain/loss


def equity_png(curve: Sequence[tuple[datetime, Decimal]], theme: str = "dark", title: str = "Equity", *,
               currency: str = "", marks: Sequence[tuple[datetime, str]] = ()) -> bytes:
    """Equity over time with its running peak, trade marks on the line, and a drawdown panel below.

    ``marks`` are ``(time, kind)`` with kind in ``MARK_KINDS``: ▲/▼ where a long/short was opened,
    a green/red dot where a trade closed with a gain/loss. The header labels the final equity, the
    return, the deepest drawdown and the number of closed trades.
    """
    th = get_theme(theme)
    fig = c.new_figure(th, 1080)
    points = sorted(((c.to_utc(t), float(v)) for t, v in curve if v.is_finite()), key=lambda p: p[0])
    if not points:
        return c.no_data(fig, th, title)

    x = mdates.date2num([t for t, _ in points])
    eq = np.array([v for _, v in points], dtype=np.float64)
    peak = np.maximum.accumulate(eq)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, (eq - peak) / peak * 100.0, 0.0)
    change = (eq[-1] / eq[0] - 1.0) * 100.0 if eq[0] > 0 else 0.0
    closes = sum(1 for _, kind in marks if kind in ("win", "loss"))
    header = (f"Final {amounts.amount(float(eq[-1]), currency)}   Return {amounts.pct(change)}   "
              f"Max drawdown {dd.min():.1f}%" + (f"   Trades {closes}" if marks else ""))
    c.set_title(fig, th, title)
    fig.text(0.03, 0.915, header, ha="left", va="top", color=th.muted, fontsize=c.LABEL_SIZE)

    gs = fig.add_gridspec(2, 1, height_ratios=(3, 1), hspace=0.04, left=0.04, right=0.86, top=0.86, bottom=0.08)
    ax = fig.add_subplot(gs[0])
    axd = fig.add_subplot(gs[1], sharex=ax)
    for a in (ax, axd):
        c.style_axes(a, th)

    marker = "o" if len(eq) == 1 else None
    ax.plot(x, eq, color=th.line, linewidth=2.2, marker=marker, markersize=10, zorder=3, label="equity")
    ax.plot(x, peak, color=th.muted, linewidth=1.0, linestyle=":", zorder=2, label="running peak")
    _marks(ax, th, x, eq, marks)
    lo, hi = float(eq.min()), float(peak.max())
    pad = (hi - lo) * 0.06 or abs(hi) * 0.01 or 1.0
    ax.set_ylim(lo - pad, hi + pad)
    ax.yaxis.set_major_locator(c.y_locator())
    ax.yaxis.set_major_formatter(c.price_formatter(hi - lo + 2 * pad))
    ax.tick_params(labelbottom=False)
    if marks:
        legend = ax.legend(loc="best", fontsize=c.SMALL_SIZE - 2, framealpha=0.85, facecolor=th.panel,
                           edgecolor=th.panel, labelcolor=th.muted, ncols=2)
        legend.set_zorder(5)

    # the drawdown: the fall below the running peak, in % of the peak, as an area under zero
    axd.fill_between(x, dd, 0.0, where=dd < 0, color=th.drawdown, alpha=0.5, linewidth=0, step="post")
    axd.step(x, dd, where="post", color=th.drawdown, linewidth=1.2)
    axd.axhline(0.0, color=th.muted, linewidth=0.8)
    floor = min(float(dd.min()) * 1.15, -1.0)
    axd.set_ylim(floor, 0.0 - floor * 0.04)
    axd.yaxis.set_major_locator(MaxNLocator(nbins=3, min_n_ticks=2))
    axd.yaxis.set_major_formatter(_percent_formatter(-floor))
    axd.text(0.01, 0.08, "Drawdown from peak", transform=axd.transAxes, ha="left", va="bottom", color=th.muted,
             fontsize=c.SMALL_SIZE)
    _date_axis(axd, x)
    return c.to_png(fig)


def _marks(ax: Axes, th: Theme, x: np.ndarray, eq: np.ndarray,
           marks: Sequence[tuple[datetime, str]]) -> None:
    """Trade marks placed on the equity line at their time."""
    styles = {"long": ("^", th.text, "long entry"), "short": ("v", th.text, "short entry"),
              "win": ("o", th.up, "closed with a gain"), "loss": ("o", th.down, "closed with a loss")}
    for kind, (shape, colour, label) in styles.items():
        times = [c.to_utc(t) for t, k in marks if k == kind]
        if not times:
            continue
        mx = mdates.date2num(times)
        my = np.interp(mx, x, eq)
        ax.scatter(mx, my, marker=shape, s=70, color=colour, edgecolors=th.panel, linewidths=0.8, zorder=4,
                   label=label)


def daily_pnl_png(daily: Sequence[tuple[date, Decimal]], theme: str = "dark", title: str = "Daily PnL") -> bytes:
    """Realized PnL per day: green bars for gains, red for losses, with the total in the title."""
    th = get_theme(theme)
    fig = c.new_figure(th, 810)
    days = sorted(((d, float(v)) for d, v in daily if v.is_finite()), key=lambda p: p[0])
    if not days:
        return c.no_data(fig, th, title)

    x = mdates.date2num([datetime.combine(d, time(), UTC) for d, _ in days])
    v = np.array([p for _, p in days], dtype=np.float64)
    wins, losses = int((v > 0).sum()), int((v < 0).sum())
    c.set_title(fig, th, title, f"total {c.fmt_money(float(v.sum()))}   {wins} up / {losses} down")

    ax = fig.add_axes((0.04, 0.1, 0.82, 0.76))
    c.style_axes(ax, th)
    colours = np.where(v >= 0, th.up, th.down)
    ax.bar(x, v, width=0.75, color=colours, zorder=2)
    ax.axhline(0.0, color=th.muted, linewidth=1.2, zorder=3)
    top = float(np.abs(v).max()) or 1.0
    lo = min(float(v.min()), 0.0)
    hi = max(float(v.max()), 0.0)
    ax.set_ylim(lo - top * 0.15, hi + top * 0.15)
    ax.set_xlim(x[0] - 1.0, x[-1] + 1.0)
    ax.yaxis.set_major_locator(c.y_locator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda val, _p: c.compact(val)))
    if len(v) <= 14:  # few bars: print each value on its bar
        for xi, vi in zip(x, v, strict=True):
            ax.text(xi, vi + (top * 0.03 if vi >= 0 else -top * 0.03), c.fmt_money(vi), ha="center",
                    va="bottom" if vi >= 0 else "top", color=th.text, fontsize=c.SMALL_SIZE)
    _date_axis(ax, x, single="%d %b %Y")
    return c.to_png(fig)


def _percent_formatter(span: float) -> FuncFormatter:
    places = 0 if span >= 5 else 1

    def fmt(v: float, _pos: int) -> str:
        text = f"{v:.{places}f}"
        return ("0" if float(text) == 0 else text) + "%"  # never "-0%"

    return FuncFormatter(fmt)


def _date_axis(ax: Axes, x: np.ndarray, single: str = "%d %b %Y %H:%M") -> None:
    span = float(x[-1] - x[0]) if len(x) > 1 else 0.0
    if span == 0.0:  # a single day / point: one labelled tick in the middle
        ax.set_xlim(x[0] - 1.0, x[0] + 1.0)
        ax.xaxis.set_major_locator(FixedLocator([float(x[0])]))
        ax.xaxis.set_major_formatter(mdates.DateFormatter(single, tz=UTC))
        return
    fmt = "%d %b %Y\n%H:%M" if span < 2.0 else "%d %b %Y" if span < 300 else "%b %Y"  # always a year
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=6, tz=UTC))
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt, tz=UTC))
