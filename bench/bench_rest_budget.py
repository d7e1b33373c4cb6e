"""Benchmark: REST requests per minute of the live adapter with N open positions (steady state).

Against the fake Binance USDⓈ-M (tests/fakes/binance) with the real ccxt / ccxt.pro clients:

1. start the live broker (user-data stream) and the live market data (price and candle streams)
   for a 20-symbol universe, run one warm-up scan (cold candle cache) and open ``--positions`` (5)
   (market entry, reduce-only stop, two take-profits each);
2. steady state: prices move every 0.2 s without reaching a stop or a target; the engine's
   periodic work is simulated — a scan of 20 symbols x 3 timeframes every 60 min (candles,
   quote volume, funding), a reconciliation every 5 min (open orders, positions, balance);
3. count the REST requests the fake received in each simulated minute.

Time is scaled: every interval of the bot (safety poll 60 s, REST fallback polls 20 s / 15 s,
listenKey keep-alive 20 min, reconciliation 5 min, scan 60 min, ticker/funding caches) is divided
by SCALE, so one simulated minute lasts 60/SCALE real seconds. Candle closes are NOT scaled (they
follow the real clock), so REST candle refreshes during an outage are under-counted here; the
text says what they would add.

Scenario A: every stream up. Scenario B: every websocket dropped and kept down (REST fallback).
Budget (issue 9): at 20 positions, at most 6 requests in any minute with streams up and 12 with
every websocket down.
Run: .venv/bin/python bench/bench_rest_budget.py [--positions 5] [--scale 60] [--minutes 60]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr  # noqa: E402

from config.settings import ExchangeSettings  # noqa: E402
from engine.brokers.ccxt import StreamConfig, build_broker, build_live_market  # noqa: E402
from engine.clock import LiveClock  # noqa: E402
from engine.domain.models import OrderRequest, OrderType  # noqa: E402
from engine.domain.values import OrderAction  # noqa: E402
from tests.fakes.binance import DEFAULT_SYMBOLS, FakeBinance, SymbolSpec  # noqa: E402

D = Decimal
BASES = ["SOL", "BNB", "DOGE", "ADA", "LINK", "AVAX", "DOT", "LTC", "TRX", "ATOM", "NEAR", "APT", "ARB", "OP",
         "FIL", "INJ", "SUI"]
POSITIONS = ["BTC", "ETH", "XRP", *BASES]  # the first --positions of them get a position
TIMEFRAMES = ("15m", "1h", "4h")
FALLBACK_PRICES_S = 15.0  # LiveMarketData's default min_fallback_seconds


def universe() -> list[SymbolSpec]:
    extra = [SymbolSpec(f"{b}USDT", b, D("10"), D("0.001"), D("0.1"), D("0.1"), D("1000000"), D("100000"), D("5"),
                        max_leverage=50) for b in BASES]
    return list(DEFAULT_SYMBOLS) + extra


def unified(base: str) -> str:
    return f"{base}/USDT:USDT"


async def open_positions(broker, fake: FakeBinance, n: int) -> dict[str, D]:
    entries = {}
    for i, base in enumerate(POSITIONS[:n]):
        sym = unified(base)
        spec = await broker.market(sym)
        price = fake.exchange.tickers[f"{base}USDT"].last
        qty = max(spec.min_qty, (D("150") / price).quantize(spec.qty_step))
        qty = (qty / 2).quantize(spec.qty_step) * 2
        half = qty / 2
        await broker.prepare(sym, 5)
        await broker.place_order(OrderRequest(f"sp-b{i}-en-0", sym, OrderAction.BUY, OrderType.MARKET, qty))
        await broker.place_order(OrderRequest(f"sp-b{i}-sl-0", sym, OrderAction.SELL, OrderType.STOP_MARKET, qty,
                                              trigger_price=price * D("0.90"), reduce_only=True))
        for n, pct in ((1, D("1.10")), (2, D("1.20"))):
            await broker.place_order(OrderRequest(f"sp-b{i}-tp{n}-0", sym, OrderAction.SELL, OrderType.TAKE_PROFIT,
                                                  half, price=price * pct, reduce_only=True))
        entries[f"{base}USDT"] = price
    return entries


async def scan(market, symbols: list[str]) -> None:
    for sym in symbols:
        for tf in TIMEFRAMES:
            await market.candles(sym, tf, 500)
        await market.quote_volume(sym)
        await market.funding_rate(sym)


async def reconcile(broker) -> None:
    await broker.open_orders()
    await broker.positions()
    await broker.balance()


async def scenario(name: str, scale: float, minutes: int, outage: bool, positions: int) -> list[int]:
    sim_minute = 60.0 / scale
    async with FakeBinance(symbols=universe(), balance="100000") as fake:
        settings = ExchangeSettings(api_key=SecretStr(fake.api_key), api_secret=SecretStr(fake.secret),
                                    base_url=fake.http_base)
        clock = LiveClock()
        backoff = 1e6 if outage else 0.5
        base = StreamConfig()
        config = StreamConfig(poll_interval=base.poll_interval / scale, safety_interval=base.safety_interval / scale,
                              tick=min(1.0, base.poll_interval / scale / 4), backoff_start=backoff, backoff_max=backoff)
        broker = build_broker(settings, clock, stream_config=config, rate_limit=False)
        market = build_live_market(settings, clock, poll_seconds=5 / scale, rate_limit=False,
                                   tickers_ttl=60 / scale, funding_ttl=300 / scale, backoff_start=backoff,
                                   backoff_max=backoff, min_fallback_seconds=FALLBACK_PRICES_S / scale)
        broker.exchange.options["listenKeyRefreshRate"] = int(1_200_000 / scale)
        broker.on_fill(lambda fill: None)
        symbols = await market.symbols()
        ticks = asyncio.Event()

        async def on_tick(tick) -> None:
            await broker.on_price(tick)
            ticks.set()

        await broker.start()
        await scan(market, symbols)  # warm-up: cold candle cache (start-up cost, not steady state)
        prices = await open_positions(broker, fake, positions)
        market.watch(*[unified(b) for b in POSITIONS[:positions]])
        runner = asyncio.create_task(market.run(on_tick))
        await asyncio.wait_for(ticks.wait(), 5)
        await asyncio.sleep(0.5)  # settle: entry fills, first safety poll
        if outage:
            await fake.drop_ws()
            await asyncio.sleep(0.2)
        rng = random.Random(7)
        start = time.monotonic()
        first = len(fake.requests)
        t0_ms = fake.now_ms()
        next_reconcile, next_scan = 5 * sim_minute, 30 * sim_minute  # a scan half-way, then hourly
        scan_minutes: list[int] = []
        while (elapsed := time.monotonic() - start) < minutes * sim_minute:
            for symbol, entry in prices.items():
                move = D(str(round(rng.uniform(-0.03, 0.03), 4)))
                spec = fake.exchange.specs[symbol]
                fake.set_price(symbol, (entry * (1 + move)).quantize(spec.tick_size))
            if elapsed >= next_reconcile:
                next_reconcile += 5 * sim_minute
                await reconcile(broker)
            if elapsed >= next_scan:
                next_scan += 60 * sim_minute
                scan_minutes.append(int(elapsed / sim_minute))
                await scan(market, symbols)
            await asyncio.sleep(0.2)
        window = fake.requests[first:]
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await market.close()
        await broker.close()
    per_minute = [0] * minutes
    for req in window:
        idx = int((req.time_ms - t0_ms) / 1000 / sim_minute)
        if 0 <= idx < minutes:
            per_minute[idx] += 1
    by_endpoint = Counter(f"{r.method} {r.path}" for r in window)
    print(f"\n== {name}: {minutes} simulated minutes (1 simulated minute = {sim_minute:.2f} s real)")
    print(f"REST requests: {len(window)} total; per simulated minute: max {max(per_minute)}, "
          f"mean {sum(per_minute) / minutes:.2f}")
    print(f"minutes with a scan: {scan_minutes} -> {[per_minute[i] for i in scan_minutes if i < minutes]} requests")
    for endpoint, count in by_endpoint.most_common():
        print(f"   {count:5d}  {endpoint}")
    return per_minute


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=60.0)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--positions", type=int, default=5, help=f"open positions (1..{len(POSITIONS)})")
    args = parser.parse_args()
    if not 1 <= args.positions <= len(POSITIONS):
        parser.error(f"--positions must be 1..{len(POSITIONS)}")
    logging.basicConfig(level=logging.ERROR)
    n = args.positions
    a = await scenario("A. streams up (steady state)", args.scale, args.minutes, outage=False, positions=n)
    b = await scenario("B. every websocket down (REST fallback)", args.scale, args.minutes, outage=True, positions=n)
    print(f"\nSummary (REST requests per minute, {n} open positions, 20-symbol universe, scans hourly):")
    print(f"  streams up:   max {max(a)}, mean {sum(a) / len(a):.2f}   (budget at 20 positions: 6)")
    print(f"  streams down: max {max(b)}, mean {sum(b) / len(b):.2f}   (budget at 20 positions: 12)"
          f"   + candle refreshes for each candle"
          f" that closed since the last scan (real clock: up to {len(BASES) + 3} symbols x 3 timeframes"
          f" in the hourly scan minute)")


if __name__ == "__main__":
    asyncio.run(main())
