"""Benchmark: the outside-world paths. Free-text parsing (the test corpus, messages per second), a
TradingView webhook's round trip over HTTP on 127.0.0.1 (request → planned, persisted card → answer;
p50/p95 over distinct alerts, paper engine on the bundled replay), a /metrics scrape, and an online
SQLite backup of the engine's database. No goal is fixed by an issue: the figures are for regressions.

Run: .venv/bin/python bench/bench_outside.py [--alerts 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402

from engine.facade import Engine  # noqa: E402
from engine.intake.text import parse_text  # noqa: E402
from tests.conftest import engine_settings  # noqa: E402
from tests.engine.intake.corpus import CORPUS  # noqa: E402

SECRET = "bench-secret"


def bench_parser(rounds: int = 200) -> float:
    messages = [m for m, _ in CORPUS]
    started = time.perf_counter()
    for _ in range(rounds):
        for message in messages:
            parse_text(message)
    return rounds * len(messages) / (time.perf_counter() - started)


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


async def bench_http(alerts: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = engine_settings(f"sqlite+aiosqlite:///{tmp}/bench.db", http={"enabled": True, "port": 0},
                                   hooks={"tradingview_secret": SECRET, "rate_per_min": alerts + 10},
                                   backup={"dir": f"{tmp}/backups"})
        engine = await Engine.create(settings)
        await engine.start(run_feed=False, run_jobs=False)
        try:
            await engine.step_market(1)
            assert engine.http is not None
            base = f"http://127.0.0.1:{engine.http.port}"
            times = []
            async with aiohttp.ClientSession() as session:
                for i in range(alerts):
                    body = {"symbol": "ETHBTC" if i % 2 else "LTCBTC", "side": "buy" if i % 3 else "sell", "id": str(i)}
                    started = time.perf_counter()
                    async with session.post(f"{base}/hook/tradingview/{SECRET}", json=body) as resp:
                        assert resp.status == 201, await resp.text()
                    times.append(time.perf_counter() - started)
                started = time.perf_counter()
                async with session.get(f"{base}/metrics") as resp:
                    assert resp.status == 200
                    await resp.read()
                scrape = time.perf_counter() - started
            started = time.perf_counter()
            path = await engine.backup_now()
            backup = time.perf_counter() - started
            return {"p50_ms": statistics.median(times) * 1000, "p95_ms": pct(times, 0.95) * 1000,
                    "scrape_ms": scrape * 1000, "backup_ms": backup * 1000, "backup_kb": path.stat().st_size / 1024}
        finally:
            await engine.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=200)
    args = parser.parse_args()
    print(f"free-text parser: {bench_parser():,.0f} messages/s ({len(CORPUS)}-message corpus)")
    r = asyncio.run(bench_http(args.alerts))
    print(f"TradingView webhook → card: p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms ({args.alerts} alerts)")
    print(f"/metrics scrape: {r['scrape_ms']:.1f} ms; online backup: {r['backup_ms']:.1f} ms ({r['backup_kb']:.0f} KiB)")


if __name__ == "__main__":
    main()
