"""Benchmark: backtest of the ten *_BTC-5m files over their full 20 days (about 57,000 candles).

Prints the wall time and candles per second. Run: .venv/bin/python bench/bench_backtest.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.settings import Settings  # noqa: E402
from engine.backtest.report import format_text  # noqa: E402
from engine.backtest.runner import run_backtest  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "candles"
SYMBOLS = [f"{b}/BTC" for b in ("ADA", "DASH", "ETC", "ETH", "LTC", "NXT", "TRX", "XLM", "XMR", "ZEC")]


async def main() -> None:
    settings = Settings(_env_file=None)
    started = time.perf_counter()
    cpu = time.process_time()
    result = await run_backtest(settings, DATA, SYMBOLS, "5m")
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    rows = sum(len((DATA / f"{s.replace('/', '_')}-5m.csv").read_text().splitlines()) - 1 for s in SYMBOLS)
    print(format_text(result.summary))
    print(f"candles in files: {rows}; replayed periods: {result.candles}")
    print(f"wall {wall:.1f} s, cpu {cpu:.1f} s, {rows / wall:,.0f} candles/s")


if __name__ == "__main__":
    asyncio.run(main())
