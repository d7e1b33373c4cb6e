"""The scanner over the replayed real candles: ranking, bad symbols, universe selection."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from engine.clock import ManualClock
from engine.domain.models import MarketSpec
from engine.market.base import Candles, TickHandler
from engine.market.replay import ReplayMarketData
from engine.signals.scanner import Scanner
from engine.signals.scorer import Scorer
from tests.engine.signals.conftest import SAMPLE, replay_at

DAY10 = datetime(2018, 1, 20, 12, tzinfo=UTC)


class BrokenFor:
    """A local fake: the real replay, except that one symbol's candles cannot be fetched."""

    def __init__(self, inner: ReplayMarketData, broken: str) -> None:
        self.inner, self.broken = inner, broken

    async def symbols(self) -> list[str]:
        return await self.inner.symbols()

    async def market(self, symbol: str) -> MarketSpec:
        return await self.inner.market(symbol)

    async def candles(self, symbol: str, timeframe: str, limit: int) -> Candles:
        if symbol == self.broken:
            raise RuntimeError("exchange said no")
        return await self.inner.candles(symbol, timeframe, limit)

    async def price(self, symbol: str) -> Decimal | None:
        return await self.inner.price(symbol)

    async def quote_volume(self, symbol: str) -> float:
        if symbol == self.broken:
            raise RuntimeError("exchange said no")
        return await self.inner.quote_volume(symbol)

    async def funding_rate(self, symbol: str) -> float | None:
        return await self.inner.funding_rate(symbol)

    async def run(self, on_tick: TickHandler) -> None:
        await self.inner.run(on_tick)

    async def close(self) -> None:
        await self.inner.close()


async def test_scan_returns_every_symbol_best_first() -> None:
    market = replay_at(SAMPLE, DAY10)
    scanner = Scanner(market, Scorer())
    results = await scanner.scan(await market.symbols())
    assert sorted(a.symbol for a in results) == ["ADA/BTC", "ETH/BTC", "LTC/BTC", "XMR/BTC"]
    scores = [a.score for a in results]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4
    assert all(0 <= s <= 100 for s in scores) and scanner.last_errors == []
    one = await scanner.analyse("LTC/BTC")
    assert one is not None and one.score == next(a.score for a in results if a.symbol == "LTC/BTC")


async def test_a_broken_symbol_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    scanner = Scanner(BrokenFor(replay_at(SAMPLE, DAY10), "ETH/BTC"), Scorer())
    with caplog.at_level(logging.WARNING, logger="engine.signals.scanner"):
        results = await scanner.scan(["ADA/BTC", "ETH/BTC", "LTC/BTC", "XMR/BTC"])
    assert [a.symbol for a in results].count("ETH/BTC") == 0 and len(results) == 3
    assert scanner.last_errors == [("ETH/BTC", "RuntimeError: exchange said no")]
    assert "ETH/BTC" in caplog.text


async def test_no_data_and_unknown_symbols_give_none() -> None:
    clock = ManualClock(datetime(2000, 1, 1, tzinfo=UTC))
    market = ReplayMarketData(SAMPLE, clock, warmup=0, speed=0)
    scanner = Scanner(market, Scorer())
    clock.set(datetime(2018, 1, 10, 4, 59, tzinfo=UTC))  # the first candle (04:55) has not closed
    assert await scanner.analyse("ETH/BTC") is None
    assert await scanner.scan(["ETH/BTC", "LTC/BTC"]) == []
    clock.set(datetime(2018, 1, 10, 5, 0, tzinfo=UTC))  # the 04:45 bucket closes, built from one candle
    assert await scanner.analyse("ETH/BTC") is not None
    assert await scanner.analyse("DOGE/BTC") is None


async def test_universe_explicit_or_top_by_quote_volume() -> None:
    market = replay_at(SAMPLE, DAY10)
    scanner = Scanner(market, Scorer())
    assert await scanner.universe(["XMR/BTC", "ETH/BTC", "XMR/BTC"], 1) == ["XMR/BTC", "ETH/BTC"]
    volumes = {s: await market.quote_volume(s) for s in await market.symbols()}
    expected = sorted(volumes, key=lambda s: -volumes[s])[:2]
    assert await scanner.universe([], 2) == expected
    assert expected[0] == "ETH/BTC"  # by far the most traded of the four in January 2018
    broken = Scanner(BrokenFor(market, "ETH/BTC"), Scorer())
    assert "ETH/BTC" not in await broken.universe([], 4) and len(await broken.universe([], 4)) == 3


async def test_scanning_the_ten_real_markets_over_twenty_days(btc_dir: Path) -> None:
    """Every 4 h of replay time, scan the ten BTC-quoted markets: strong aligned trends cross 75
    now and then, most readings do not."""
    clock = ManualClock(datetime(2000, 1, 1, tzinfo=UTC))
    market = ReplayMarketData(btc_dir, clock, warmup=576, speed=0)  # two days of history first
    scanner = Scanner(market, Scorer())
    symbols = await market.symbols()
    assert len(symbols) == 10

    async def nothing(_t: object) -> None:
        return None

    readings, strong, scans = 0, [], 0
    while await market.step(nothing):
        now = clock.now()
        if now.minute == 0 and now.hour % 4 == 0:
            results = await scanner.scan(symbols)
            scans += 1
            assert len(results) == 10 and scanner.last_errors == []
            assert [a.score for a in results] == sorted((a.score for a in results), reverse=True)
            readings += len(results)
            strong += [a for a in results if a.score >= 75]
    assert scans >= 100
    assert 0 < len(strong) < readings * 0.1
    assert len(Counter(a.symbol for a in strong)) >= 2
    for a in strong:  # the big contributions agree with the side: trend and momentum in line
        assert a.factor("ema_trend").contribution > 0 and a.factor("macd").contribution > 0
        assert a.adx is not None


async def test_scorer_snapshots_of_symbols_that_left_the_universe_are_dropped() -> None:
    scanner = Scanner(replay_at(SAMPLE, DAY10), Scorer(), timeframes=("5m", "1h"), candles=200)
    await scanner.scan(["ETH/BTC", "LTC/BTC", "XMR/BTC"])
    assert scanner.scorer.cached_symbols == {"ETH/BTC", "LTC/BTC", "XMR/BTC"}
    assert await scanner.analyse("ADA/BTC") is not None  # asked for by hand, outside the universe
    assert "ADA/BTC" in scanner.scorer.cached_symbols
    await scanner.scan(["ETH/BTC"])  # the universe shrank
    assert scanner.scorer.cached_symbols == {"ETH/BTC"}
