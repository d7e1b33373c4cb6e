"""Charts: valid PNGs in both themes, levels drawn, empty inputs handled, fast enough for a chat."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np

from engine.charts import candles_png, daily_pnl_png, equity_png
from engine.market.base import Candles
from engine.views import ChartData, ChartLevel, ChartMarker

PNG = b"\x89PNG\r\n\x1a\n"
T0 = datetime(2018, 1, 20, tzinfo=UTC)


def candles(n: int = 200) -> Candles:
    rng = np.random.default_rng(7)
    close = 0.098 + np.cumsum(rng.normal(0, 0.0004, n))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) + 0.0002
    low = np.minimum(open_, close) - 0.0002
    ts = np.array([int((T0 + timedelta(minutes=15 * i)).timestamp() * 1000) for i in range(n)], dtype=np.int64)
    return Candles(ts, open_, high, low, close, rng.uniform(10, 100, n))


def test_candles_with_levels_in_both_themes_quickly() -> None:
    k = candles()
    levels = (ChartLevel("entry", Decimal("0.098")), ChartLevel("stop", Decimal("0.096")),
              ChartLevel("tp1", Decimal("0.1019")), ChartLevel("tp2", Decimal("0.1058")),
              ChartLevel("breakeven", Decimal("0.09812")))
    markers = (ChartMarker(T0 + timedelta(hours=10), Decimal("0.098"), "entry"),)
    started = time.perf_counter()
    dark = candles_png(ChartData("ETH/BTC", "15m", k, levels, markers))
    elapsed = time.perf_counter() - started
    bare = candles_png(ChartData("ETH/BTC", "15m", k))
    light = candles_png(ChartData("ETH/BTC", "15m", k, levels, markers), theme="light")
    for png in (dark, bare, light):
        assert png[:8] == PNG and len(png) > 20_000
    assert dark != bare and dark != light
    assert elapsed < 2.0


def test_equity_and_daily_pnl() -> None:
    curve = [(T0 + timedelta(hours=i), Decimal(1) + Decimal(i % 7) / 100 - Decimal(i) / 1000) for i in range(50)]
    a = equity_png(curve)
    b = equity_png(curve, theme="light")
    c = daily_pnl_png([(date(2018, 1, d), Decimal(d % 3 - 1) / 100) for d in range(10, 20)])
    for png in (a, b, c):
        assert png[:8] == PNG
    assert a != b


def test_empty_inputs_still_give_an_image() -> None:
    for png in (equity_png([]), daily_pnl_png([]), candles_png(ChartData("ETH/BTC", "1h", Candles.empty())),
                equity_png([(T0, Decimal("1"))])):
        assert png[:8] == PNG
