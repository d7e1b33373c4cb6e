"""Charts as PNG bytes (matplotlib, Agg backend, Figure object API — never pyplot).

Every function is synchronous and thread-safe (each call owns its figure); the async code calls them
through ``asyncio.to_thread``. Empty inputs give a PNG with a "no data" note, never an exception.
Themes: "dark" (default) and "light"; any other name raises ValueError.
"""

from engine.charts.candles import candles_png
from engine.charts.performance import daily_pnl_png, equity_png

__all__ = ["candles_png", "daily_pnl_png", "equity_png"]
