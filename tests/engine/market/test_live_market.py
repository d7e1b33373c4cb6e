"""Live market data against the fake Binance: universe, specs, closed candles with a cache,
prices pushed over the websocket and polled over REST while the socket is down."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from config.settings import ExchangeSettings
from engine.brokers.ccxt import build_live_market
from engine.clock import LiveClock, ManualClock
from engine.domain.values import to_millis
from engine.market.base import PriceTick
from tests.fakes.binance import FakeBinance

XRP_5M = Path("/work/shared/data/candles/XRP_USDT-5m.csv")
XRP = "XRP/USDT:USDT"


def _market(fake: FakeBinance, clock, poll_seconds: float = 0.2, **options: float):
    return build_live_market(ExchangeSettings(base_url=fake.http_base), clock, poll_seconds=poll_seconds,
                             rate_limit=False, **options)


async def test_universe_and_market_specs_come_from_the_venue():
    async with FakeBinance() as fake:
        market = _market(fake, LiveClock())
        try:
            assert await market.symbols() == ["BTC/USDT:USDT", "ETH/USDT:USDT", XRP]
            spec = await market.market("XRPUSDT")
            assert (spec.symbol, spec.price_step, spec.qty_step, spec.min_notional) == (
                XRP, Decimal("0.0001"), Decimal("0.1"), Decimal("5"))
            assert (await market.market("ETH/USDT")).symbol == "ETH/USDT:USDT"
        finally:
            await market.close()


async def test_candles_are_closed_ones_at_the_clock_and_later_calls_fetch_only_new_ones():
    async with FakeBinance() as fake:
        fake.load_klines_csv("XRPUSDT", "5m", XRP_5M)
        clock = ManualClock(datetime(2021, 11, 18, 12, 7, 30, tzinfo=UTC))
        market = _market(fake, clock)
        try:
            candles = await market.candles(XRP, "5m", 100)
            assert len(candles) == 100
            assert candles.ts[-1] == to_millis(datetime(2021, 11, 18, 12, 0, tzinfo=UTC))  # 12:05 still open
            assert np.all(np.diff(candles.ts) == 300_000)
            assert fake.count("/fapi/v1/klines") == 1
            again = await market.candles(XRP, "5m", 50)
            assert again.ts[-1] == candles.ts[-1] and len(again) == 50
            assert fake.count("/fapi/v1/klines") == 1  # served from the cache
            clock.set(clock.now() + timedelta(minutes=10))
            later = await market.candles(XRP, "5m", 100)
            assert later.ts[-1] == to_millis(datetime(2021, 11, 18, 12, 10, tzinfo=UTC))
            assert np.array_equal(later.ts[:-2], candles.ts[2:])
            assert fake.count("/fapi/v1/klines") == 2
            assert fake.requests[-1].params["limit"] == "3"  # only what closed since
        finally:
            await market.close()


async def test_streamed_candles_keep_the_cache_current_without_rest():
    async with FakeBinance() as fake:
        # the fake's (running) clock starts one second into a minute: the test has 59 s to stay inside it
        real_ms = fake.now_ms()
        fake.clock_offset_ms = (real_ms // 60_000 + 1) * 60_000 + 1_000 - real_ms
        now = datetime.fromtimestamp(fake.now_ms() / 1000, UTC)
        clock = ManualClock(now)
        market = _market(fake, clock)

        def streamed() -> tuple[float, float] | None:
            """High and close of the open candle as the market's kline stream last received it."""
            rows = market._live_rows.get(("BTC/USDT:USDT", "1m")) or {}
            return (rows[max(rows)][1], rows[max(rows)][3]) if rows else None

        try:
            first = await market.candles("BTC/USDT:USDT", "1m", 20)
            assert fake.count("/fapi/v1/klines") == 1
            await _until(lambda: streamed() is not None, 10.0)  # subscribed: the fake sent the open candle
            fake.set_price("BTCUSDT", "60100")
            fake.set_price("BTCUSDT", "60050")
            await _until(lambda: streamed() == (60100.0, 60050.0), 10.0)
            clock.set(clock.now() + timedelta(minutes=1))
            later = await market.candles("BTC/USDT:USDT", "1m", 20)
            assert later.ts[-1] == first.ts[-1] + 60_000
            assert (later.high[-1], later.close[-1]) == (60100.0, 60050.0)
            assert fake.count("/fapi/v1/klines") == 1  # the new candle came over the websocket
        finally:
            await market.close()


async def test_prices_stream_and_fall_back_to_rest_while_the_socket_is_down():
    async with FakeBinance() as fake:
        market = _market(fake, LiveClock(), backoff_start=30.0,  # the socket stays down for the test
                         min_fallback_seconds=0.2)
        ticks: list[PriceTick] = []

        async def on_tick(tick: PriceTick) -> None:
            ticks.append(tick)

        try:
            assert await market.price("ETHUSDT") == Decimal("3000")
            market.watch("ETH/USDT:USDT")
            runner = asyncio.create_task(market.run(on_tick))
            await _until(lambda: any(t.price == Decimal("3000") for t in ticks))
            fake.set_price("ETHUSDT", "3010.5")
            await _until(lambda: ticks[-1].price == Decimal("3010.5"))
            rest_before = fake.count("/fapi/v1/ticker/24hr")
            await fake.drop_ws()
            fake.set_price("ETHUSDT", "3020")  # nobody subscribed hears it
            await _until(lambda: ticks[-1].price == Decimal("3020"), 10.0)
            assert ticks[-1].symbol == "ETH/USDT:USDT"
            assert fake.count("/fapi/v1/ticker/24hr") > rest_before  # it came over REST
            assert fake.ws.connections == set()
            assert await market.price("ETH/USDT:USDT") == Decimal("3020")
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
        finally:
            await market.close()


async def test_quote_volume_and_funding_rate_come_from_one_all_market_request_each():
    async with FakeBinance() as fake:
        market = _market(fake, LiveClock())
        try:
            for symbol in ("BTC/USDT:USDT", "ETH/USDT:USDT", XRP):
                assert await market.quote_volume(symbol) >= 0.0
                assert await market.funding_rate(symbol) == 0.0001
            assert fake.count("/fapi/v1/ticker/24hr") == 1
            assert fake.count("/fapi/v1/premiumIndex") == 1
        finally:
            await market.close()


async def _until(predicate, timeout: float = 10.0) -> None:  # a hang guard
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)
