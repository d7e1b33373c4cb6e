"""Charts as PNG bytes, drawn by ``engine.charts`` in a worker thread so the bot stays responsive.

The renderer (and so matplotlib) is loaded with this module, at start-up — importing it lazily
inside a handler would block the event loop for about half a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from engine.facade import ChartData, candles_png, daily_pnl_png, equity_png, load_charts

load_charts()


def theme_of(runtime: dict[str, str], default: str) -> str:
    theme = runtime.get("chart_theme", default)
    return theme if theme in ("dark", "light") else default


async def candles(data: ChartData, theme: str) -> bytes:
    return await asyncio.to_thread(candles_png, data, theme)


async def equity(curve: Sequence[tuple[datetime, Decimal]], theme: str, currency: str = "") -> bytes:
    """The equity curve; its header labels the final equity in ``currency`` (engine.domain.amounts)."""
    return await asyncio.to_thread(lambda: equity_png(curve, theme, currency=currency))


async def daily(bars: Sequence[tuple[date, Decimal]], theme: str) -> bytes:
    return await asyncio.to_thread(daily_pnl_png, bars, theme)
