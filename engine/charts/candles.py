"""Candlestick chart of one market: candles, a volume panel, trade levels with price tags, fill markers."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from engine.charts import _common as c
from engine.charts._theme import Theme, get_theme, level_style, marker_shape
from engine.views import ChartData, ChartLevel, ChartMarker

BODY_HALF_WIDTH = 0.36
LABEL_GAP = 0.05  # minimum vertical distance between two level tags, in axes fractions
LEVEL_NAMES = {"entry": "Entry", "stop": "Stop", "breakeven": "BE", "trailing": "Trail", "liquidation": "Liq"}


def candles_png(data: ChartData, theme: str = "dark") -> bytes:
    """PNG of ``data``: candles with volume, each level as a labelled line, each marker as a fill point."""
    th = get_theme(theme)
    fig = c.new_figure(th, 1080)
    title = f"{data.symbol} · {data.timeframe}"
    k = data.candles
    n = len(k)
    o, h, lo_, cl, vol = (np.asarray(a, dtype=np.float64) for a in (k.open, k.high, k.low, k.close, k.volume))
    if n == 0 or not np.isfinite(cl).any():
        return c.no_data(fig, th, title)

    last = float(cl[np.isfinite(cl)][-1])
    first = float(cl[np.isfinite(cl)][0])
    change = (last / first - 1.0) * 100.0 if first else 0.0
    levels = [lv for lv in data.levels if lv.price.is_finite()]
    ts = np.asarray(k.ts, dtype=np.int64)
    markers = _visible(data.markers, ts)
    lo, hi = _price_range(lo_, h, [float(lv.price) for lv in levels] + [float(m.price) for _, m in markers])
    places = c.decimals_for(hi - lo)
    c.set_title(fig, th, title, f"{last:,.{places}f}   {change:+.2f}%   UTC")

    gs = fig.add_gridspec(2, 1, height_ratios=(4, 1), hspace=0.03, left=0.05, right=0.83, top=0.9, bottom=0.07)
    ax = fig.add_subplot(gs[0])
    axv = fig.add_subplot(gs[1], sharex=ax)
    for a in (ax, axv):
        c.style_axes(a, th)

    x = np.arange(n, dtype=np.float64)
    up = cl >= o
    colours = np.where(up, th.up, th.down)
    _draw_candles(ax, x, o, h, lo_, cl, colours, min_body=(hi - lo) * 0.0015)
    _draw_volume(axv, th, x, vol, colours)

    ax.set_xlim(-1.0, n + max(2.0, n * 0.03))
    ax.set_ylim(lo, hi)
    ax.yaxis.set_major_formatter(c.price_formatter(hi - lo))
    ax.tick_params(labelbottom=False)

    tags = _draw_levels(ax, th, levels, lo, hi)
    ticks = [t for t in c.y_locator().tick_values(lo, hi)
             if lo <= t <= hi and all(abs((t - lo) / (hi - lo) - y) > LABEL_GAP * 0.7 for y in tags)]
    ax.yaxis.set_major_locator(FixedLocator(ticks))  # tick labels hidden behind a price tag are dropped
    _draw_markers(ax, th, markers)
    _time_axis(axv, ts)
    return c.to_png(fig)


def _price_range(low: np.ndarray, high: np.ndarray, extra: list[float]) -> tuple[float, float]:
    vals = [float(np.nanmin(low)), float(np.nanmax(high))] + [v for v in extra if math.isfinite(v)]
    lo, hi = min(vals), max(vals)
    span = hi - lo
    if span <= 0:
        span = abs(hi) * 0.01 or 1.0
    return lo - span * 0.05, hi + span * 0.05


def _draw_candles(ax: Axes, x: np.ndarray, o: np.ndarray, h: np.ndarray, lo: np.ndarray, cl: np.ndarray,
                  colours: np.ndarray, min_body: float) -> None:
    wicks = np.stack([np.column_stack([x, lo]), np.column_stack([x, h])], axis=1)
    ax.add_collection(LineCollection(list(wicks), colors=colours, linewidths=1.3, zorder=2))
    bottom = np.minimum(o, cl)
    top = np.maximum(np.maximum(o, cl), bottom + min_body)
    ax.add_collection(PolyCollection(list(_boxes(x, bottom, top)), facecolors=colours, edgecolors=colours,
                                     linewidths=0.5, zorder=3))


def _draw_volume(ax: Axes, th: Theme, x: np.ndarray, vol: np.ndarray, colours: np.ndarray) -> None:
    v = np.nan_to_num(vol, nan=0.0)
    ax.add_collection(PolyCollection(list(_boxes(x, np.zeros_like(v), v)), facecolors=colours, edgecolors="none",
                                     alpha=th.volume_alpha))
    top = float(v.max()) if v.size else 0.0
    ax.set_ylim(0, top * 1.1 if top > 0 else 1.0)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=2, min_n_ticks=2))
    ax.yaxis.set_major_formatter(c.compact_formatter())
    ax.text(0.01, 0.92, "Volume", transform=ax.transAxes, ha="left", va="top", color=th.muted,
            fontsize=c.SMALL_SIZE)


def _boxes(x: np.ndarray, bottom: np.ndarray, top: np.ndarray) -> np.ndarray:
    left, right = x - BODY_HALF_WIDTH, x + BODY_HALF_WIDTH
    return np.stack([np.column_stack([left, bottom]), np.column_stack([left, top]),
                     np.column_stack([right, top]), np.column_stack([right, bottom])], axis=1)


def _draw_levels(ax: Axes, th: Theme, levels: list[ChartLevel], lo: float, hi: float) -> list[float]:
    """Draw each level; returns where its price tag sits (axes fractions)."""
    if not levels:
        return []
    ordered = sorted(levels, key=lambda lv: lv.price)
    ys = _spread([(float(lv.price) - lo) / (hi - lo) for lv in ordered], LABEL_GAP)
    for lv, y in zip(ordered, ys, strict=True):
        colour = th.level_colour(lv.name)
        ax.axhline(float(lv.price), color=colour, linestyle=level_style(lv.name), linewidth=2.2, zorder=4)
        box = {"boxstyle": "square,pad=0.28", "facecolor": colour, "edgecolor": colour}
        ax.text(1.004, y, c.fmt_decimal(lv.price), transform=ax.transAxes, ha="left", va="center",
                fontsize=c.TICK_SIZE, color=c.text_on(colour), bbox=box, clip_on=False, zorder=6)
        name = LEVEL_NAMES.get(lv.name.lower(), lv.name.upper())
        tag = {"boxstyle": "round,pad=0.25", "facecolor": th.panel, "edgecolor": colour, "alpha": 0.9}
        ax.text(0.985, y, name, transform=ax.transAxes, ha="right", va="center", fontsize=c.SMALL_SIZE,
                color=colour, fontweight="bold", bbox=tag, zorder=6)
    return ys


def _spread(ys: list[float], gap: float) -> list[float]:
    """Nudge sorted positions (0..1) apart so that neighbours are at least ``gap`` away, staying inside."""
    out = list(ys)
    for i in range(1, len(out)):
        out[i] = max(out[i], out[i - 1] + gap)
    top = 1.0 - gap / 2
    if out and out[-1] > top:
        out[-1] = top
        for i in range(len(out) - 2, -1, -1):
            out[i] = min(out[i], out[i + 1] - gap)
    return out


def _visible(markers: tuple[ChartMarker, ...], ts: np.ndarray) -> list[tuple[int, ChartMarker]]:
    """The markers inside the candles shown, each with the index of the candle it falls in."""
    n = len(ts)
    step = int(np.median(np.diff(ts))) if n > 1 else 1
    out = []
    for m in markers:
        t = int(c.to_utc(m.ts).timestamp() * 1000)
        if m.price.is_finite() and ts[0] <= t < ts[-1] + max(step, 1):
            out.append((int(np.searchsorted(ts, t, side="right")) - 1, m))
    return out


def _draw_markers(ax: Axes, th: Theme, markers: list[tuple[int, ChartMarker]]) -> None:
    seen: dict[str, Line2D] = {}
    for i, m in markers:
        colour = th.level_colour(m.kind)
        shape = marker_shape(m.kind)
        ax.scatter([i], [float(m.price)], marker=shape, s=260, c=colour, edgecolors=th.text, linewidths=1.4,
                   zorder=7)
        seen.setdefault(m.kind, Line2D([], [], linestyle="none", marker=shape, markersize=14,
                                       markerfacecolor=colour, markeredgecolor=th.text, label=m.kind))
    if seen:
        leg = ax.legend(handles=list(seen.values()), loc="upper left", fontsize=c.SMALL_SIZE, ncols=len(seen),
                        facecolor=th.panel, edgecolor=th.grid, framealpha=0.85, handletextpad=0.2,
                        columnspacing=0.8, borderpad=0.4)
        for text in leg.get_texts():
            text.set_color(th.text)


def _time_axis(ax: Axes, ts: np.ndarray) -> None:
    n = len(ts)
    step = int(np.median(np.diff(ts))) if n > 1 else 60_000
    span = int(ts[-1] - ts[0]) if n > 1 else 0
    fmt = "%H:%M" if span < 86_400_000 else "%d %b %H:%M" if span < 20 * 86_400_000 else "%d %b"

    def label(v: float, _pos: int) -> str:
        i = int(round(v))
        if i < 0 or i > n - 1 + 60:
            return ""
        t = int(ts[min(i, n - 1)]) + max(0, i - (n - 1)) * step
        return datetime.fromtimestamp(t / 1000, UTC).strftime(fmt)

    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(label))
