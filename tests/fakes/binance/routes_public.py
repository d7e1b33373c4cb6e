"""Public market-data endpoints: time, exchangeInfo, klines, tickers, premiumIndex, depth.

Each handler takes ``(fake, params)`` and returns the JSON body. Klines come from rows loaded
with ``fake.load_klines`` (e.g. the real candles in /work/shared/data); without rows the fake
makes flat candles at the current price so that the call still answers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from . import errors
from .markets import exchange_info
from .state import s

if TYPE_CHECKING:
    from .server import FakeBinance

INTERVAL_MS = {"1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
               "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000, "8h": 28_800_000,
               "12h": 43_200_000, "1d": 86_400_000, "3d": 259_200_000, "1w": 604_800_000,
               "1M": 2_592_000_000}


def _symbols(fake: FakeBinance, params: dict) -> list[str]:
    symbol = params.get("symbol")
    if symbol:
        fake.exchange.spec(symbol)
        return [symbol]
    return list(fake.exchange.specs)


def _one_or_all(params: dict, rows: list[dict]):
    return rows[0] if params.get("symbol") else rows


def ping(fake: FakeBinance, params: dict) -> dict:
    return {}


def server_time(fake: FakeBinance, params: dict) -> dict:
    return {"serverTime": fake.now_ms()}


def info(fake: FakeBinance, params: dict) -> dict:
    return exchange_info(list(fake.exchange.specs.values()), fake.now_ms(),
                         fake.budget.requests_per_minute or 2400)


def klines(fake: FakeBinance, params: dict) -> list[list]:
    symbol = params.get("symbol")
    fake.exchange.spec(symbol)
    interval = params.get("interval")
    if interval not in INTERVAL_MS:
        raise errors.bad_param("interval")
    limit = min(int(params.get("limit", 500)), 1500)
    start = params.get("startTime")
    end = params.get("endTime")
    rows = fake.klines.get((symbol, interval))
    step = INTERVAL_MS[interval]
    if rows is None:
        last = fake.exchange.tickers[symbol].last
        now = fake.now_ms()
        first = (now // step) * step - (limit - 1) * step
        rows = [[first + i * step, last, last, last, last, Decimal("0")] for i in range(limit)]
    if start is not None:
        rows = [r for r in rows if r[0] >= int(start)]
    if end is not None:
        rows = [r for r in rows if r[0] <= int(end)]
    rows = rows[:limit] if start is not None else rows[-limit:]
    return [[r[0], s(r[1]), s(r[2]), s(r[3]), s(r[4]), s(r[5]), r[0] + step - 1, s(r[5] * r[4]), 1,
             "0", "0", "0"] for r in rows]


def ticker_price(fake: FakeBinance, params: dict):
    now = fake.now_ms()
    rows = [{"symbol": sym, "price": s(fake.exchange.tickers[sym].last), "time": now}
            for sym in _symbols(fake, params)]
    return _one_or_all(params, rows)


def ticker_24hr(fake: FakeBinance, params: dict):
    now = fake.now_ms()
    rows = []
    for sym in _symbols(fake, params):
        t = fake.exchange.tickers[sym]
        change = t.last - t.open
        pct = (change / t.open * 100).quantize(Decimal("0.001")) if t.open else Decimal("0")
        vwap = t.quote_volume / t.volume if t.volume else t.last
        rows.append({
            "symbol": sym, "priceChange": s(change), "priceChangePercent": s(pct),
            "weightedAvgPrice": s(vwap), "lastPrice": s(t.last), "lastQty": "0", "openPrice": s(t.open),
            "highPrice": s(t.high), "lowPrice": s(t.low), "volume": s(t.volume),
            "quoteVolume": s(t.quote_volume), "openTime": now - 86_400_000, "closeTime": now,
            "firstId": 1, "lastId": t.count, "count": t.count,
        })
    return _one_or_all(params, rows)


def premium_index(fake: FakeBinance, params: dict):
    now = fake.now_ms()
    rows = []
    for sym in _symbols(fake, params):
        t = fake.exchange.tickers[sym]
        rows.append({
            "symbol": sym, "markPrice": s(t.mark), "indexPrice": s(t.mark), "estimatedSettlePrice": s(t.mark),
            "lastFundingRate": s(t.funding_rate), "interestRate": "0.00010000",
            "nextFundingTime": (now // 28_800_000 + 1) * 28_800_000, "time": now,
        })
    return _one_or_all(params, rows)


def book_ticker(fake: FakeBinance, params: dict):
    now = fake.now_ms()
    rows = []
    for sym in _symbols(fake, params):
        last = fake.exchange.tickers[sym].last
        tick = fake.exchange.specs[sym].tick_size
        rows.append({"symbol": sym, "bidPrice": s(last - tick), "bidQty": "10", "askPrice": s(last + tick),
                     "askQty": "10", "time": now})
    return _one_or_all(params, rows)


def depth(fake: FakeBinance, params: dict) -> dict:
    symbol = params.get("symbol")
    spec = fake.exchange.spec(symbol)
    last = fake.exchange.tickers[symbol].last
    levels = min(int(params.get("limit", 20)), 100)
    bids = [[s(last - spec.tick_size * (i + 1)), "10"] for i in range(levels)]
    asks = [[s(last + spec.tick_size * (i + 1)), "10"] for i in range(levels)]
    now = fake.now_ms()
    return {"lastUpdateId": now, "E": now, "T": now, "bids": bids, "asks": asks}


ROUTES = {
    ("GET", "/fapi/v1/ping"): ping,
    ("GET", "/fapi/v1/time"): server_time,
    ("GET", "/fapi/v1/exchangeInfo"): info,
    ("GET", "/fapi/v1/klines"): klines,
    ("GET", "/fapi/v1/ticker/price"): ticker_price,
    ("GET", "/fapi/v2/ticker/price"): ticker_price,
    ("GET", "/fapi/v1/ticker/24hr"): ticker_24hr,
    ("GET", "/fapi/v1/premiumIndex"): premium_index,
    ("GET", "/fapi/v1/ticker/bookTicker"): book_ticker,
    ("GET", "/fapi/v1/depth"): depth,
}
