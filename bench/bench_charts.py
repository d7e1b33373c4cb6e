"""Benchmark: wall time to draw the bot's charts (200 candles with levels and a marker; an equity
curve; daily PnL bars) as 1080×1080 PNGs. Goal: well under a second for a candle chart in a chat
(about 0.2 s measured on this 2-core machine kind, idle).

Run: .venv/bin/python bench/bench_charts.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.charts import candles_png, daily_pnl_png, equity_png  # noqa: E402
from engine.views import ChartData, ChartMarker  # noqa: E402
from tests.engine.test_charts import LEVELS, T0, candles  # noqa: E402


def timed(draw, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    draw()  # warm-up: fonts and caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        draw()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    data = ChartData("ETH/BTC", "15m", candles(), LEVELS,
                     (ChartMarker(T0 + timedelta(hours=10), Decimal("0.098"), "entry"),))
    curve = [(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=i), Decimal(1000 + i % 37)) for i in range(500)]
    bars = [(date(2026, 1, 1) + timedelta(days=i), Decimal((i % 11) - 5)) for i in range(60)]
    for name, draw in (("candles (200, levels, marker)", lambda: candles_png(data)),
                       ("equity curve (500 points)", lambda: equity_png(curve)),
                       ("daily PnL (60 bars)", lambda: daily_pnl_png(bars))):
        times = timed(draw, args.repeat)
        print(f"{name}: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
              f"over {args.repeat}")


if __name__ == "__main__":
    main()
