"""Exposure caps: total and per-coin notional (an entry made smaller to fit, refused when nothing
fits) and the correlation cap computed from hourly candles."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from config.settings import RiskSettings
from engine.domain.models import Position, PositionState
from engine.domain.reasons import RejectReason
from engine.domain.values import Side
from engine.market.base import Candles
from engine.risk.exposure import correlated_with, correlation, exposure_room, find_correlated
from tests.engine.risk.test_gate import T0, check

HOUR_MS = 3_600_000


def held(symbol: str, qty: str, price: str) -> Position:
    return Position(id=symbol, signal_id="x", symbol=symbol, side=Side.LONG, state=PositionState.OPEN,
                    qty=Decimal(qty), remaining=Decimal(qty), entry_price=Decimal(price), stop_price=Decimal(1),
                    initial_stop=Decimal(1), targets=(), leverage=1, created_at=T0)


def candles(closes: np.ndarray, start: int = 0) -> Candles:
    ts = (np.arange(len(closes), dtype=np.int64) + start) * HOUR_MS
    return Candles(ts, closes, closes, closes, closes, np.ones(len(closes)))


def walk(seed: int, n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.asarray(100 * np.exp(np.cumsum(rng.normal(0, 0.01, n))), dtype=np.float64)


def test_total_cap_makes_the_entry_smaller_to_fit() -> None:
    # 10 000 equity, cap 100 % → 10 000; BTC holds 6 000, so 4 000 is left = 2 ETH at 2000 (risk sizing wanted 2.5)
    d = check(RiskSettings(max_exposure_pct=Decimal("100")), open_positions=[held("BTC/USDT", "0.1", "60000")])
    assert d.ok and d.qty == Decimal("2.000")


def test_total_cap_refuses_when_nothing_is_left() -> None:
    d = check(RiskSettings(max_exposure_pct=Decimal("50")), open_positions=[held("BTC/USDT", "0.1", "60000")])
    assert not d.ok and d.reason is RejectReason.EXPOSURE_TOTAL and d.detail["limit_pct"] == "50"


def test_total_cap_refuses_when_the_room_is_below_the_market_minimum() -> None:
    # 4.001 % left of 10 000 = 0.4 → below the 5 minimum notional
    d = check(RiskSettings(max_exposure_pct=Decimal("60.004")), open_positions=[held("BTC/USDT", "0.1", "60000")])
    assert not d.ok and d.reason is RejectReason.EXPOSURE_TOTAL


def test_coin_cap_counts_every_market_of_the_coin() -> None:
    other_eth = held("ETH/BTC", "1", "2000")  # 2000 of ETH already held through another market
    settings = RiskSettings(max_coin_exposure_pct=Decimal("30"))
    d = check(settings, open_positions=[other_eth])
    assert d.ok and d.qty == Decimal("0.500")  # 3000 − 2000 = 1000 → 0.5 ETH
    d = check(settings, open_positions=[other_eth, held("XRP/USDT", "10000", "1")])  # XRP does not count
    assert d.ok and d.qty == Decimal("0.500")
    d = check(RiskSettings(max_coin_exposure_pct=Decimal("20")), open_positions=[other_eth])
    assert not d.ok and d.reason is RejectReason.EXPOSURE_COIN and d.detail["coin"] == "ETH"


def test_no_caps_by_default() -> None:
    room = exposure_room("ETH/USDT", [held("BTC/USDT", "10", "60000")], Decimal("10000"), Decimal(0), Decimal(0))
    assert room.room is None and room.reason is None


def test_correlation_of_markets() -> None:
    a = walk(1)
    noise = walk(2) / 100
    assert correlation(candles(a), candles(a * 1.5)) > 0.99
    assert abs(correlation(candles(a), candles(walk(3))) or 0) < 0.5
    assert correlation(candles(a), candles(a + noise)) > 0.9
    # only shared hours count: shifted by 190 hours, 10 shared candles → too few
    assert correlation(candles(a), candles(a, start=190)) is None
    assert correlation(candles(a), candles(np.full(200, 5.0))) is None  # a flat market


def test_correlation_cap_refuses_the_entry() -> None:
    a = walk(1)
    found = correlated_with(candles(a), {"BTC/USDT": candles(a * 2), "XRP/USDT": candles(walk(5))}, 0.8)
    assert found is not None and found[0] == "BTC/USDT" and found[1] > 0.99
    assert correlated_with(candles(a), {"XRP/USDT": candles(walk(5))}, 0.8) is None
    assert correlated_with(candles(a), {"BTC/USDT": candles(a)}, 0) is None  # off
    d = check(RiskSettings(max_correlation=0.8), correlated=found)
    assert not d.ok and d.reason is RejectReason.CORRELATION and d.detail["symbol"] == "BTC/USDT"


class Cached:
    """A market source holding hourly candles (what the scanner left in the cache)."""

    def __init__(self, data: dict[str, np.ndarray]) -> None:
        self.data = data
        self.asked: list[tuple[str, str, int]] = []

    async def candles(self, symbol: str, timeframe: str, limit: int) -> Candles:
        self.asked.append((symbol, timeframe, limit))
        return candles(self.data[symbol]).tail(limit)


async def test_find_correlated_reads_n_days_of_hourly_candles() -> None:
    a = walk(7, 400)
    market = Cached({"ETH/USDT": a, "BTC/USDT": a * 3, "XRP/USDT": walk(8, 400)})
    found = await find_correlated(market, "ETH/USDT", [held("BTC/USDT", "1", "1"), held("XRP/USDT", "1", "1")],  # type: ignore[arg-type]
                                  0.9, 7)
    assert found is not None and found[0] == "BTC/USDT"
    assert ("ETH/USDT", "1h", 7 * 24 + 1) in market.asked
    assert await find_correlated(market, "ETH/USDT", [held("XRP/USDT", "1", "1")], 0.9, 7) is None  # type: ignore[arg-type]
    market.asked.clear()
    assert await find_correlated(market, "ETH/USDT", [held("BTC/USDT", "1", "1")], 0, 7) is None  # type: ignore[arg-type]
    assert market.asked == []  # off: no candles asked for
