"""Performance charts: the equity curve with drawdown shading, and daily PnL bars."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import numpy as np
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num

from engine.charts import _common as c
from engine.charts._theme import get_theme


def equity_png(curve: Sequence[tuple[datetime, Decimal]], theme: str = "dark", title: str = "Equity") -> bytes:
    """Equity over time; the gap between the running peak and the equity (the drawdown) is shaded."""
    th = get_theme(theme)
    fig = c.new_figure(th, 1080)
    points = [(c.to_utc(t), float(v)) for t, v in curve if Decimal(v).is_finite()]
    if not points:
        return c.no_data(fig, th, title)
    xs = date2num([t for t, _ in points])
    ys = np.array([v for _, v in points], dtype=np.float64)
    peak = np.maximum.accumulate(ys)
    dd = np.where(peak > 0, (peak - ys) / peak, 0.0)
    change = (ys[-1] / ys[0] - 1) * 100 if ys[0] else 0.0
    c.set_title(fig, th, title, f"{float(ys[-1]):,.6g}   {change:+.2f}%   max DD {dd.max() * 100:.1f}%")
    gs = fig.add_gridspec(2, 1, height_ratios=(3, 1), hspace=0.05, left=0.04, right=0.86, top=0.9, bottom=0.08)
    ax = fig.add_subplot(gs[0])
    axd = fig.add_subplot(gs[1], sharex=ax)
    for a in (ax, axd):
        c.style_axes(a, th)
    if len(xs) == 1:
        ax.scatter(xs, ys, color=th.line, s=80, zorder=3)
    ax.plot(xs, ys, color=th.line, linewidth=2.6)
    ax.fill_between(xs, ys, peak, where=peak > ys, color=th.drawdown, alpha=0.35, linewidth=0, step=None)
    span = float(ys.max() - ys.min()) or abs(float(ys[-1])) or 1.0
    ax.set_ylim(ys.min() - span * 0.08, ys.max() + span * 0.08)
    ax.yaxis.set_major_formatter(c.price_formatter(span))
    ax.tick_params(labelbottom=False)
    axd.fill_between(xs, -dd * 100, 0, color=th.drawdown, alpha=0.6, linewidth=0)
    axd.set_ylabel("drawdown %", color=th.muted, fontsize=c.SMALL_SIZE)
    axd.set_ylim(min(-0.5, -dd.max() * 100 * 1.15), 0)
    locator = AutoDateLocator(minticks=3, maxticks=6)
    axd.xaxis.set_major_locator(locator)
    axd.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    if len(xs) == 1:
        ax.set_xlim(xs[0] - 0.5, xs[0] + 0.5)
    return c.to_png(fig)


def daily_pnl_png(daily: Sequence[tuple[date, Decimal]], theme: str = "dark", title: str = "Daily PnL") -> bytes:
    """One bar per UTC day: green for gains, red for losses."""
    th = get_theme(theme)
    fig = c.new_figure(th, 1080)
    rows = [(d, float(v)) for d, v in daily if Decimal(v).is_finite()]
    if not rows:
        return c.no_data(fig, th, title)
    xs = date2num([datetime(d.year, d.month, d.day) for d, _ in rows])
    ys = np.array([v for _, v in rows], dtype=np.float64)
    total = sum((Decimal(v) for _, v in daily), Decimal(0))
    wins = int((ys > 0).sum())
    c.set_title(fig, th, title, f"total {c.fmt_money(total)}   {wins}/{len(ys)} green days")
    ax = fig.add_axes((0.04, 0.09, 0.82, 0.8))
    c.style_axes(ax, th)
    ax.bar(xs, ys, width=0.7, color=np.where(ys >= 0, th.up, th.down))
    ax.axhline(0, color=th.muted, linewidth=1.2)
    span = float(np.abs(ys).max()) or 1.0
    ax.set_ylim(min(ys.min(), 0) - span * 0.1, max(ys.max(), 0) + span * 0.1)
    ax.yaxis.set_major_formatter(c.price_formatter(span))
    ax.set_xlim(xs.min() - 1, xs.max() + 1)
    locator = AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    return c.to_png(fig)
