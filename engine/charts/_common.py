"""Shared plumbing for the charts: a themed Agg figure, PNG export, "no data" panels, number formats.

Only the ``Figure`` object API is used (never pyplot), so each call owns its figure and the
functions are safe to run in worker threads (``asyncio.to_thread``).
"""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime
from decimal import Decimal

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from engine.charts._theme import Theme

DPI = 100
WIDTH_PX = 1080
TITLE_SIZE = 26
LABEL_SIZE = 19
TICK_SIZE = 17
SMALL_SIZE = 15


def new_figure(theme: Theme, height_px: int = 1080, width_px: int = WIDTH_PX) -> Figure:
    fig = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, facecolor=theme.background)
    FigureCanvasAgg(fig)
    return fig


def to_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # no "Software" metadata: the same input gives the same bytes on every version
    fig.savefig(buf, format="png", dpi=DPI, facecolor=fig.get_facecolor(), metadata={"Software": None})
    return buf.getvalue()


def style_axes(ax: Axes, theme: Theme, *, right: bool = True) -> None:
    ax.set_facecolor(theme.panel)
    for spine in ax.spines.values():
        spine.set_color(theme.grid)
    ax.tick_params(colors=theme.muted, labelsize=TICK_SIZE, length=4)
    ax.grid(True, color=theme.grid, linewidth=0.8, alpha=0.9)
    ax.set_axisbelow(True)
    if right:
        ax.yaxis.tick_right()
        ax.yaxis.set_label_position("right")


def set_title(fig: Figure, theme: Theme, title: str, subtitle: str = "") -> None:
    fig.text(0.03, 0.975, title, ha="left", va="top", color=theme.text, fontsize=TITLE_SIZE,
             fontweight="bold")
    if subtitle:
        fig.text(0.97, 0.968, subtitle, ha="right", va="top", color=theme.muted, fontsize=LABEL_SIZE)


def no_data(fig: Figure, theme: Theme, title: str, note: str = "no data") -> bytes:
    """A valid PNG with the title and a centred note, for empty inputs."""
    set_title(fig, theme, title)
    ax = fig.add_axes((0.05, 0.08, 0.9, 0.8))
    style_axes(ax, theme)
    ax.grid(False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.5, 0.5, note, transform=ax.transAxes, ha="center", va="center", color=theme.muted,
            fontsize=TITLE_SIZE + 6)
    return to_png(fig)


def decimals_for(span: float, ticks: int = 6) -> int:
    """Decimal places that tell apart ticks over a price range of ``span``."""
    if not math.isfinite(span) or span <= 0:
        return 2
    step = span / ticks
    return max(0, min(10, 1 - math.floor(math.log10(step))))


def price_formatter(span: float) -> FuncFormatter:
    places = decimals_for(span)
    return FuncFormatter(lambda v, _pos: f"{v:,.{places}f}")


def compact(v: float) -> str:
    """1234567 → 1.23M; for volume and money axes."""
    a = abs(v)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= div:
            return f"{v / div:.3g}{suffix}"
    if a == 0:
        return "0"
    if a >= 1:
        return f"{v:.4g}"
    return f"{v:.3g}"


def compact_formatter() -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: compact(v))


def fmt_decimal(d: Decimal, max_sig: int = 10) -> str:
    """A plain (never scientific) string for an exact price, trimmed to ``max_sig`` significant digits."""
    if not d.is_finite():
        return str(d)
    if d == 0:
        return "0"
    digits = len(d.as_tuple().digits)
    if digits > max_sig:
        exp = d.adjusted() - max_sig + 1
        d = d.quantize(Decimal(1).scaleb(exp))
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def fmt_money(d: Decimal | float) -> str:
    v = float(d)
    sign = "+" if v > 0 else ""
    if abs(v) >= 1000:
        return f"{sign}{v:,.0f}"
    if abs(v) >= 1 or v == 0:
        return f"{sign}{v:,.2f}"
    return f"{sign}{v:.4g}"


def y_locator() -> MaxNLocator:
    return MaxNLocator(nbins=6, min_n_ticks=3)


def to_utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def text_on(colour: str) -> str:
    """Black or white, whichever reads better on ``colour``."""
    r, g, b = to_rgb(colour)
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if lum > 0.45 else "#ffffff"
