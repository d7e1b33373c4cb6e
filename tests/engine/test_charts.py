"""Charts: valid phone-sized PNGs in both themes, levels and markers visible, empty inputs handled,
safe in worker threads. How fast they are drawn: bench/bench_charts.py."""

from __future__ import annotations

import io
import math
import struct
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from matplotlib.image import imread

from engine.charts import candles_png, daily_pnl_png, equity_png
from engine.market.base import Candles
from engine.views import ChartData, ChartLevel, ChartMarker

PNG = b"\x89PNG\r\n\x1a\n"
T0 = datetime(2018, 1, 20, tzinfo=UTC)
STOP_DARK = (255, 23, 68)  # the stop colour of the dark theme (#ff1744), used by no candle
TP1_LIGHT = (0, 161, 82)  # the tp1 colour of the light theme (#00a152)
LEVELS = (ChartLevel("entry", Decimal("0.098")), ChartLevel("stop", Decimal("0.096")),
          ChartLevel("tp1", Decimal("0.1019")), ChartLevel("tp2", Decimal("0.1058")),
          ChartLevel("breakeven", Decimal("0.09812")))


def candles(n: int = 200) -> Candles:
    rng = np.random.default_rng(7)
    close = 0.098 + np.cumsum(rng.normal(0, 0.0004, n))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) + 0.0002
    low = np.minimum(open_, close) - 0.0002
    ts = np.array([int((T0 + timedelta(minutes=15 * i)).timestamp() * 1000) for i in range(n)], dtype=np.int64)
    return Candles(ts, open_, high, low, close, rng.uniform(10, 100, n))


def size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG, "not a PNG"
    return struct.unpack(">II", png[16:24])  # IHDR width, height


def reddish(png: bytes) -> int:
    img = imread(io.BytesIO(png))[..., :3]
    return int(((img[..., 0] - img[..., 1] > 0.25) & (img[..., 0] - img[..., 2] > 0.2)).sum())


def pixels_of(png: bytes, rgb: tuple[int, int, int]) -> int:
    img = np.round(imread(io.BytesIO(png))[..., :3] * 255).astype(int)
    return int(np.all(img == rgb, axis=-1).sum())


def test_200_candles_with_levels_are_a_phone_sized_png() -> None:
    # how fast: bench/bench_charts.py (a timed assertion here would fail on a loaded CI machine)
    data = ChartData("ETH/BTC", "15m", candles(), LEVELS, (ChartMarker(T0 + timedelta(hours=10), Decimal("0.098"),
                                                                       "entry"),))
    png = candles_png(data)
    assert size(png) == (1080, 1080)


def test_levels_are_drawn_in_their_colours() -> None:
    k = candles()
    with_levels = candles_png(ChartData("ETH/BTC", "15m", k, LEVELS))
    bare = candles_png(ChartData("ETH/BTC", "15m", k))
    assert with_levels != bare
    assert pixels_of(with_levels, STOP_DARK) > 500  # the stop line and its price tag
    assert pixels_of(bare, STOP_DARK) == 0
    only_entry = candles_png(ChartData("ETH/BTC", "15m", k, LEVELS[:1]))
    assert pixels_of(only_entry, STOP_DARK) == 0


def test_levels_far_outside_the_candles_stay_in_view() -> None:
    k = candles()
    far = (ChartLevel("tp1", Decimal("0.2")),)  # twice the price: the axis must stretch to show it
    png = candles_png(ChartData("ETH/BTC", "15m", k, far), theme="light")
    assert pixels_of(png, TP1_LIGHT) > 500


def test_markers_change_the_picture_and_stray_ones_are_ignored() -> None:
    k = candles()
    bare = candles_png(ChartData("ETH/BTC", "15m", k))
    fill = (ChartMarker(T0 + timedelta(hours=20), Decimal("0.099"), "tp1"),)
    assert candles_png(ChartData("ETH/BTC", "15m", k, markers=fill)) != bare
    stray = (ChartMarker(T0 - timedelta(days=30), Decimal("0.099"), "stop"),
             ChartMarker(T0 + timedelta(days=30), Decimal("0.099"), "stop"),
             ChartMarker(T0 + timedelta(hours=5), Decimal("NaN"), "entry"))
    assert candles_png(ChartData("ETH/BTC", "15m", k, markers=stray)) == bare


def test_dark_and_light_themes_differ() -> None:
    k = candles(60)
    dark = candles_png(ChartData("ETH/BTC", "1h", k, LEVELS))
    light = candles_png(ChartData("ETH/BTC", "1h", k, LEVELS), theme="light")
    assert size(dark) == size(light) == (1080, 1080) and dark != light
    bg_dark = imread(io.BytesIO(dark))[5, 5, :3]
    bg_light = imread(io.BytesIO(light))[5, 5, :3]
    assert bg_dark.mean() < 0.2 < 0.9 < bg_light.mean()


def test_an_unknown_theme_is_refused() -> None:
    with pytest.raises(ValueError, match="theme"):
        candles_png(ChartData("ETH/BTC", "1h", candles(10)), theme="neon")


def test_equity_curve_with_drawdown_in_both_themes() -> None:
    curve = [(T0 + timedelta(hours=i), Decimal(1000) + Decimal(i % 7) * 10 - Decimal(i)) for i in range(50)]
    dark, light = equity_png(curve), equity_png(curve, theme="light", title="Backtest equity")
    assert size(dark) == size(light) == (1080, 1080) and dark != light
    rising = [(T0 + timedelta(hours=i), Decimal(1000 + i)) for i in range(50)]
    # the red drawdown shading appears only when equity fell below its running peak
    assert reddish(dark) > 20_000 and reddish(light) > 20_000
    assert reddish(equity_png(rising)) < 2_000


def test_daily_pnl_bars_green_and_red() -> None:
    days = [(date(2018, 1, d), Decimal(d % 3 - 1) / 100) for d in range(10, 20)]
    dark, light = daily_pnl_png(days), daily_pnl_png(days, theme="light")
    assert size(dark) == (1080, 810) and dark != light
    assert pixels_of(dark, (0x26, 0xA6, 0x9A)) > 1000 and pixels_of(dark, (0xEF, 0x53, 0x50)) > 1000
    gains_only = [(d, abs(v) + Decimal("0.01")) for d, v in days]
    assert pixels_of(daily_pnl_png(gains_only), (0xEF, 0x53, 0x50)) == 0


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_empty_and_degenerate_inputs_still_give_an_image(theme: str) -> None:
    nan = np.full(3, math.nan)
    ts = np.arange(3, dtype=np.int64) * 60_000
    flat = np.full(5, 0.1)
    cases = [
        equity_png([], theme), daily_pnl_png([], theme), candles_png(ChartData("ETH/BTC", "1h", Candles.empty()), theme),
        candles_png(ChartData("ETH/BTC", "1m", Candles(ts, nan, nan, nan, nan, nan)), theme),
        candles_png(ChartData("ETH/BTC", "1m", Candles(ts[:1], flat[:1], flat[:1], flat[:1], flat[:1], flat[:1]),
                              (ChartLevel("entry", Decimal("0.1")), ChartLevel("stop", Decimal("NaN")))), theme),
        equity_png([(T0, Decimal("1"))], theme), daily_pnl_png([(date(2018, 1, 1), Decimal(0))], theme),
        equity_png([(T0, Decimal(0)), (T0 + timedelta(days=1), Decimal(0))], theme),
    ]
    for png in cases:
        assert size(png)[0] == 1080


def test_the_empty_note_differs_from_a_chart() -> None:
    assert equity_png([]) != equity_png([(T0, Decimal(1)), (T0 + timedelta(days=1), Decimal(2))])


def test_drawing_in_threads_gives_the_same_pictures() -> None:
    data = ChartData("ETH/BTC", "15m", candles(120), LEVELS)
    serial = {th: candles_png(data, th) for th in ("dark", "light")}
    with ThreadPoolExecutor(4) as pool:
        themes = ["dark", "light"] * 3
        results = list(pool.map(lambda th: candles_png(data, th), themes))
    assert all(png == serial[th] for th, png in zip(themes, results, strict=True))


def test_equity_marks_trades_and_keeps_the_main_panel_free_of_a_drawdown_block() -> None:
    # an early spike, then equity stays below that peak for the rest: a long drawdown
    values = [1000, 1080] + [990 + (i % 5) for i in range(60)]
    curve = [(T0 + timedelta(hours=2 * i), Decimal(v)) for i, v in enumerate(values)]
    marks = [(T0 + timedelta(hours=2), "long"), (T0 + timedelta(hours=6), "loss"),
             (T0 + timedelta(hours=40), "short"), (T0 + timedelta(hours=60), "win")]
    plain, marked = equity_png(curve), equity_png(curve, currency="USDT", marks=marks)
    img = imread(io.BytesIO(plain))[..., :3]
    top = img[int(0.16 * 1080):int(0.70 * 1080)]  # the equity panel
    red_top = int(((top[..., 0] - top[..., 1] > 0.08) & (top[..., 0] - top[..., 2] > 0.05)).sum())  # even faint red
    assert red_top < 500, "the gap below the peak is not filled in the equity panel"
    assert reddish(plain) > 20_000, "the drawdown panel shows the drawdown"
    green = (0x26, 0xA6, 0x9A)
    assert pixels_of(plain, green) == 0 < pixels_of(marked, green)  # the winning close
    assert reddish(marked) > reddish(plain)  # the losing close
