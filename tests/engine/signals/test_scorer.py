"""The scorer on real candles: bounded, explained scores; short history never crashes; caching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from engine.domain.values import Side
from engine.market.base import Candles
from engine.market.replay import ReplayMarketData
from engine.signals.analysis import Analysis
from engine.signals.factors import DIRECTIONAL, FACTORS, MODULATING
from engine.signals.scorer import Scorer
from tests.engine.signals.conftest import SAMPLE, replay_at

TFS = ("15m", "1h", "4h")
DAY10 = datetime(2018, 1, 20, 12, tzinfo=UTC)


async def inputs(market: ReplayMarketData, symbol: str, funding: float | None = None
                 ) -> tuple[str, dict[str, Candles], float, float | None]:
    by_tf = {tf: await market.candles(symbol, tf, 500) for tf in TFS}
    return symbol, by_tf, await market.quote_volume(symbol), funding


def check_explained(a: Analysis) -> None:
    assert 0.0 <= a.score <= 100.0
    assert [f.name for f in a.factors] == list(FACTORS)
    total = sum(f.contribution for f in a.factors)
    assert total == pytest.approx(a.score, abs=1e-9)  # contributions add up to the score
    directional = sum(f.contribution for f in a.factors if f.name in DIRECTIONAL)
    assert directional >= 0  # the side is the one the directional factors lean to
    assert all(f.contribution <= 0 for f in a.factors if f.name in MODULATING)
    assert all(f.contribution == 0 and f.note for f in a.factors if not f.available)


async def test_real_candles_give_bounded_explained_scores() -> None:
    market = replay_at(SAMPLE, DAY10)
    scorer = Scorer()
    for symbol in await market.symbols():
        a = scorer.score(*await inputs(market, symbol))
        check_explained(a)
        assert a.symbol == symbol and a.timeframe == "15m"
        assert a.ts == datetime(2018, 1, 20, 11, 45, tzinfo=UTC)  # last closed 15m candle
        assert a.price > 0 and a.atr is not None and a.atr > 0 and a.atr_pct is not None
        assert a.adx is not None and 0 <= a.adx <= 100
        assert a.quote_volume == await market.quote_volume(symbol)
        assert all(f.available for f in a.factors if f.name != "funding")
        assert a.factor("funding") is not None and not a.factor("funding").available  # spot data


async def test_short_history_leaves_factors_out_without_crashing() -> None:
    start = datetime(2018, 1, 10, 4, 55, tzinfo=UTC)
    scorer = Scorer()
    market = replay_at(SAMPLE, start + timedelta(minutes=150))  # 30 base candles: 10 × 15m, 3 × 1h, no 4h
    a = scorer.score(*await inputs(market, "ETH/BTC"))
    check_explained(a)
    ema = a.factor("ema_trend")
    assert ema is not None and not ema.available and "not enough history" in ema.note
    assert "4h n/a (0/50)" in ema.note  # the first 4h bucket is still forming
    assert not a.factor("macd").available and a.factor("liquidity").available
    # one closed 15m candle only
    one = scorer.score(*await inputs(replay_at(SAMPLE, start + timedelta(minutes=15)), "ETH/BTC"))
    check_explained(one)
    assert one.score == 0.0 and one.atr is None and one.adx is None
    # a day in: the small timeframes have their history, 4h does not yet
    day = scorer.score(*await inputs(replay_at(SAMPLE, start + timedelta(hours=25)), "ETH/BTC"))
    check_explained(day)
    ema = day.factor("ema_trend")
    assert ema.available and "4h n/a" in ema.note and "15m " in ema.note
    assert day.factor("rsi").available and "1h n/a" not in day.factor("rsi").note


async def test_no_candle_on_the_smallest_timeframe_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no closed candle"):
        Scorer().score("ETH/BTC", {"15m": Candles.empty(), "1h": Candles.empty()}, 0.0, None)


async def test_batch_equals_one_by_one_and_cache_reuses_snapshots() -> None:
    market = replay_at(SAMPLE, DAY10)
    reqs = [await inputs(market, s) for s in await market.symbols()]
    batch = Scorer()
    together = batch.score_many(reqs)
    assert batch.computed == len(reqs) * 3
    alone = [Scorer().score(*r) for r in reqs]
    assert [a.score for a in together] == pytest.approx([a.score for a in alone], rel=1e-12)
    assert [a.side for a in together] == [a.side for a in alone]
    again = batch.score_many(reqs)  # same closed candles: nothing recomputed
    assert batch.computed == len(reqs) * 3 and [a.score for a in again] == [a.score for a in together]
    # fifteen minutes on, only the 15m candles changed: only those snapshots are recomputed
    later = replay_at(SAMPLE, DAY10 + timedelta(minutes=15))
    batch.score_many([await inputs(later, s) for s in await later.symbols()])
    assert batch.computed == len(reqs) * 4


async def test_funding_leans_against_the_crowd() -> None:
    market = replay_at(SAMPLE, DAY10)
    scorer = Scorer()
    symbol, by_tf, qv, _ = await inputs(market, "LTC/BTC")
    crowded_long = scorer.score(symbol, by_tf, qv, 0.002)
    crowded_short = scorer.score(symbol, by_tf, qv, -0.002)
    check_explained(crowded_long)
    f_long, f_short = crowded_long.factor("funding"), crowded_short.factor("funding")
    assert f_long.available and f_long.direction == -1.0 and f_long.value == 0.002
    assert f_short.direction == 1.0
    sign = {Side.LONG: 1, Side.SHORT: -1}
    lean_long = sign[crowded_long.side] * crowded_long.score
    lean_short = sign[crowded_short.side] * crowded_short.score
    assert lean_long < lean_short  # paying longs push the reading toward short


async def test_thin_liquidity_costs_points() -> None:
    market = replay_at(SAMPLE, DAY10)
    scorer = Scorer()
    symbol, by_tf, qv, _ = await inputs(market, "ETH/BTC")
    deep = scorer.score(symbol, by_tf, 5_000.0, None)
    thin = scorer.score(symbol, by_tf, 20.0, None)
    assert deep.factor("liquidity").contribution == 0.0
    assert thin.factor("liquidity").contribution < 0 and thin.score < deep.score
    usdt = scorer.score("ETH/USDT", by_tf, 5_000.0, None)  # 5,000 USDT a day is nothing
    assert usdt.factor("liquidity").contribution < 0


def trend(n: int, step: float, tf_ms: int, end: int, seed: int) -> Candles:
    """A steady trend of ``step`` log-return per candle with noise; volume heavier on up candles."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(step + rng.normal(0, 0.004, n)))
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.003, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.003, n))
    vol = rng.lognormal(8, 0.3, n) * np.where(close > open_, 1.3, 0.8)
    return Candles(end - tf_ms * np.arange(n, 0, -1), open_, high, low, close, vol)


def mirror(c: Candles) -> Candles:
    """The same market upside down (prices inverted: every rise becomes a fall)."""
    return Candles(c.ts, 1 / c.open, 1 / c.low, 1 / c.high, 1 / c.close, c.volume)


def test_clean_trends_score_high_in_their_direction_and_symmetrically() -> None:
    end = 1_700_006_400_000
    tf_ms = {"15m": 900_000, "1h": 3_600_000, "4h": 14_400_000}
    up = {tf: trend(300, 0.003, ms, end, i) for i, (tf, ms) in enumerate(tf_ms.items())}
    down = {tf: mirror(c) for tf, c in up.items()}
    scorer = Scorer()
    a_up = scorer.score("UP/USDT", up, 1e9, None)
    a_down = scorer.score("DOWN/USDT", down, 1e9, None)
    assert a_up.side is Side.LONG and a_up.score >= 75
    assert a_down.side is Side.SHORT and a_down.score == pytest.approx(a_up.score, abs=2.0)
    check_explained(a_up)
    check_explained(a_down)
    flat = {tf: trend(300, 0.0, ms, end, i + 10) for i, (tf, ms) in enumerate(tf_ms.items())}
    assert scorer.score("FLAT/USDT", flat, 1e9, None).score < 50


def test_weights_are_validated_and_used() -> None:
    with pytest.raises(ValueError, match="unknown factor"):
        Scorer(weights={"astrology": 1.0})
    with pytest.raises(ValueError):
        Scorer(weights={"liquidity": 1.5})
    end = 1_700_006_400_000
    up = {"15m": trend(300, 0.004, 900_000, end, 1), "1h": trend(300, 0.004, 3_600_000, end, 2)}
    only_rsi = Scorer(weights={n: 0.0 for n in FACTORS if n != "rsi"})
    a = only_rsi.score("UP/USDT", up, 1e9, None)
    rsi = a.factor("rsi")
    assert rsi.contribution == pytest.approx(a.score) and rsi.contribution == pytest.approx(100 * rsi.direction)
    assert all(f.contribution == 0 for f in a.factors if f.name != "rsi")
