"""Benchmark of the scorer: CPU time to score a whole universe from cold (no cached indicators).

1. Synthetic: 200 symbols × 3 timeframes (15m, 1h, 4h) × 500 candles of seeded random walks,
   scored in one ``Scorer.score_many`` call. The project's target is under 0.5 s of CPU.
2. Real: the 5m files of a data directory replayed through ``ReplayMarketData`` and scanned with
   the ``Scanner`` every hour of replay time (indicators cached between scans, as in the bot).

Run: ``.venv/bin/python bench/bench_scoring.py [--data /work/shared/data/candles] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.clock import ManualClock  # noqa: E402
from engine.market.base import Candles  # noqa: E402
from engine.market.replay import ReplayMarketData  # noqa: E402
from engine.signals.scanner import Scanner  # noqa: E402
from engine.signals.scorer import Scorer, ScoreRequest  # noqa: E402

TIMEFRAMES = {"15m": 900_000, "1h": 3_600_000, "4h": 14_400_000}


def random_walk(rng: np.random.Generator, n: int, tf_ms: int, end_ms: int) -> Candles:
    vol = rng.uniform(0.002, 0.02)
    close = 100.0 * np.exp(np.cumsum(rng.normal(rng.normal(0, vol / 10), vol, n)))
    open_ = np.r_[close[0], close[:-1]]
    wick = np.abs(rng.normal(0, vol, (2, n))) * close
    high = np.maximum(open_, close) + wick[0]
    low = np.minimum(open_, close) - wick[1]
    volume = rng.lognormal(10, 0.6, n)
    ts = end_ms - tf_ms * np.arange(n, 0, -1, dtype=np.int64)
    return Candles(ts, open_, high, low, close, volume)


def synthetic_requests(symbols: int, candles: int, seed: int = 7) -> list[ScoreRequest]:
    rng = np.random.default_rng(seed)
    end = 1_700_000_000_000 - 1_700_000_000_000 % 14_400_000
    return [(f"S{i:03d}/USDT", {tf: random_walk(rng, candles, ms, end) for tf, ms in TIMEFRAMES.items()},
             float(rng.lognormal(17, 1.5)), float(rng.normal(0.0001, 0.0003)) if i % 2 else None)
            for i in range(symbols)]


def bench_synthetic(symbols: int, candles: int, repeat: int) -> float:
    requests = synthetic_requests(symbols, candles)
    Scorer().score_many(requests[:2])  # import and first-call costs out of the measure
    times = []
    for _ in range(repeat):
        scorer = Scorer()  # cold cache: every indicator is computed
        t0 = time.process_time()
        results = scorer.score_many(requests)
        times.append(time.process_time() - t0)
        assert len(results) == symbols and scorer.computed == symbols * len(TIMEFRAMES)
    best, median = min(times), statistics.median(times)
    print(f"synthetic: {symbols} symbols × {len(TIMEFRAMES)} timeframes × {candles} candles: "
          f"CPU best {best:.3f} s, median {median:.3f} s over {repeat} runs")
    scores = [a.score for a in results]
    print(f"  scores: min {min(scores):.1f}, median {statistics.median(scores):.1f}, max {max(scores):.1f}")
    return median


async def bench_real(data: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:  # only the 5m files, not other timeframes
        for f in data.glob("*-5m.csv"):
            (Path(tmp) / f.name).symlink_to(f.resolve())
        clock = ManualClock(datetime(2000, 1, 1, tzinfo=UTC))
        market = ReplayMarketData(Path(tmp), clock, warmup=300, speed=0)
        scanner = Scanner(market, Scorer())
        symbols = await market.symbols()

        async def nothing(_tick: object) -> None:
            return None

        scans, cpu, periods, above = 0, 0.0, 0, 0
        while await market.step(nothing):
            periods += 1
            if clock.now().minute == 0:  # hourly, like the default scan interval
                t0 = time.process_time()
                results = await scanner.scan(symbols)
                cpu += time.process_time() - t0
                scans += 1
                above += sum(a.score >= 75 for a in results)
        print(f"real: {len(symbols)} symbols from {data}, {periods} base candles replayed, {scans} hourly scans: "
              f"CPU {cpu:.2f} s in scans ({1000 * cpu / max(1, scans):.1f} ms per scan); "
              f"{above} of {scans * len(symbols)} analyses scored >= 75")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbols", type=int, default=200)
    ap.add_argument("--candles", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data/candles"))
    args = ap.parse_args()
    median = bench_synthetic(args.symbols, args.candles, args.repeat)
    print(f"  target < 0.5 s CPU: {'OK' if median < 0.5 else 'MISSED'}")
    if args.data.is_dir():
        asyncio.run(bench_real(args.data))


if __name__ == "__main__":
    main()
