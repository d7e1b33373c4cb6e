"""Charts as PNG bytes (matplotlib Agg, Figure object API, thread-safe): call through asyncio.to_thread.

- ``candles_png(ChartData, theme)``: candlesticks, volume, entry/stop/TP/breakeven lines, fill markers
- ``equity_png(curve, theme)``: equity curve with drawdown shading
- ``daily_pnl_png(daily, theme)``: daily PnL bars
"""

from engine.charts.candles import candles_png
from engine.charts.performance import daily_pnl_png, equity_png

__all__ = ["candles_png", "daily_pnl_png", "equity_png"]
