"""Price and candle streams end when nothing needs them (real ccxt.pro against the fake Binance):
``price`` alone subscribes to nothing; ``retain`` ends the streams of symbols it leaves out, on the
venue too (UNSUBSCRIBE); ``retain_candles`` ends the candle streams and drops the cached candles of
symbols that left the scan's universe."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from config.settings import ExchangeSettings
from engine.brokers.ccxt import build_live_market
from engine.clock import LiveClock
from engine.market.base import PriceTick
from tests.fakes.binance import FakeBinance

BTC, ETH = "BTC/USDT:USDT", "ETH/USDT:USDT"


def _market(fake: FakeBinance):  # type: ignore[no-untyped-def]
    market = build_live_market(ExchangeSettings(base_url=fake.http_base), LiveClock(), poll_seconds=0.2,
                               rate_limit=False)
    market.exchange.timeout_on_exit = 0
    return market


def subscribed(fake: FakeBinance, kind: str) -> set[str]:
    """The venue's view: symbols with a ``kind`` stream (``ticker`` — any ticker —, ``kline_1m``) open."""
    return {s.split("@")[0] for conn in fake.ws.connections for s in conn.streams
            if s.split("@")[1].lower().endswith(kind.lower())}


async def until(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]  # a hang guard
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_price_streams_follow_retain_and_end_on_the_venue() -> None:
    async with FakeBinance() as fake:
        market = _market(fake)
        ticks: list[PriceTick] = []

        async def on_tick(tick: PriceTick) -> None:
            ticks.append(tick)

        runner = asyncio.create_task(market.run(on_tick))
        try:
            assert await market.price("ETHUSDT") == Decimal("3000")
            assert market.watched == frozenset()  # a one-off price is not a watch
            market.retain({BTC, ETH})
            await until(lambda: subscribed(fake, "ticker") == {"btcusdt", "ethusdt"})
            market.retain({BTC})
            await until(lambda: subscribed(fake, "ticker") == {"btcusdt"})
            assert market.watched == {BTC}
            fake.set_price("ETHUSDT", "3050")
            fake.set_price("BTCUSDT", "60100")
            await until(lambda: any(t.price == Decimal("60100") for t in ticks))
            assert not any(t.price == Decimal("3050") for t in ticks)
            market.retain(set())
            await until(lambda: subscribed(fake, "ticker") == set())
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
            await market.close()


async def test_candle_streams_and_caches_of_symbols_that_left_the_universe_end() -> None:
    async with FakeBinance() as fake:
        market = _market(fake)
        try:
            await market.candles(BTC, "1m", 20)
            await market.candles(ETH, "1m", 20)
            await until(lambda: subscribed(fake, "kline_1m") == {"btcusdt", "ethusdt"})
            market.retain_candles({BTC})
            assert market.candle_streams == {(BTC, "1m")}
            await until(lambda: subscribed(fake, "kline_1m") == {"btcusdt"})
            klines = fake.count("/fapi/v1/klines")
            await market.candles(ETH, "1m", 20)  # asked again: loaded again, its cache was dropped
            assert fake.count("/fapi/v1/klines") == klines + 1
        finally:
            await market.close()
