"""Live market data from the exchange through ccxt (REST) and ccxt.pro (websocket prices).

* ``candles`` returns closed candles only (open time + timeframe <= the clock's now; asked with
  ``until`` so a replayed clock works too) and keeps a cache per (symbol, timeframe): a later
  call fetches just the candles that closed since.
* with ``stream_candles`` every (symbol, timeframe) loaded once is then kept current by
  ``watch_ohlcv``: a scan of an unchanged universe costs no REST request at all; a gap in the
  streamed candles (a dropped socket) is filled over REST.
* ``run(on_tick)`` streams last prices (``watch_ticker``, one loop per watched symbol) and
  falls back to one REST ``fetch_tickers`` call (every symbol's ticker in one request) per
  ``poll_seconds`` for the symbols whose stream is down; that answer also refreshes the
  ``quote_volume`` cache, so a scan during an outage does not ask again. The watched symbols are what ``watch``/``retain`` say (the engine keeps them to
  open positions and cards, see engine/market/watches.py); ``price`` alone watches nothing. A
  symbol no longer watched has its stream ended on the venue too (``un_watch_ticker``).
* ``retain_candles(symbols)`` (the scanner, after each scan) ends the candle streams and drops
  the cached candles of symbols that left the universe.
* ``quote_volume`` and ``funding_rate`` read one all-market request, cached for a while.

Build it with ``engine.brokers.ccxt.build_live_market(settings, clock)``.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any

import numpy as np

from engine.brokers.ccxt import convert
from engine.brokers.ccxt.errors import translate
from engine.brokers.ccxt.retry import Caller
from engine.brokers.ccxt.venues import Venue
from engine.brokers.errors import BrokerError, InvalidOrder
from engine.clock import Clock
from engine.domain.models import MarketSpec
from engine.domain.values import dec, timeframe_seconds, to_millis
from engine.market.base import Candles, PriceTick, TickHandler
from engine.tasks import cancel_all, quiet, spawn

log = logging.getLogger("engine.market.live")

MAX_CANDLES = 1500  # Binance's kline limit per request


class LiveMarketData:
    def __init__(self, exchange: Any, venue: Venue, clock: Clock, *, poll_seconds: float = 5.0,
                 stream: bool = True, tickers_ttl: float = 60.0, funding_ttl: float = 300.0,
                 backoff_start: float = 0.5, backoff_max: float = 30.0, stream_candles: bool = True,
                 max_candle_streams: int = 200, min_fallback_seconds: float = 15.0) -> None:
        self.exchange = exchange
        self.venue = venue
        self.clock = clock
        self.call = Caller(exchange, clock)
        self.poll_seconds = poll_seconds
        self.stream = stream and hasattr(exchange, "watch_ticker")
        self.tickers_ttl = tickers_ttl
        self.funding_ttl = funding_ttl
        self.backoff_start = backoff_start
        self.backoff_max = backoff_max
        self._candles: dict[tuple[str, str], Candles] = {}
        self._prices: dict[str, tuple[Decimal, float]] = {}
        self._tickers: tuple[float, dict[str, Any]] | None = None
        self._funding: tuple[float, dict[str, Any]] | None = None
        self._watched: set[str] = set()
        self._loops: dict[str, asyncio.Task[Any]] = {}
        self._down: set[str] = set()
        self._changed = asyncio.Event()
        self.stream_candles = stream_candles and hasattr(exchange, "watch_ohlcv")
        self.max_candle_streams = max_candle_streams
        self.fallback_seconds = max(poll_seconds, min_fallback_seconds)  # REST prices while a socket is down
        self._live_rows: dict[tuple[str, str], dict[int, tuple[float, ...]]] = {}
        self._kline_loops: dict[tuple[str, str], asyncio.Task[Any]] = {}

    def _now(self) -> float:
        return self.clock.now().timestamp()

    # --- markets ---------------------------------------------------------------------------
    async def _markets(self) -> dict[str, Any]:
        if not self.exchange.markets:
            await self.call("load markets", self.exchange.load_markets)
        return self.exchange.markets

    async def resolve(self, symbol: str) -> str:
        """The venue's unified symbol for ``BTC/USDT:USDT``, ``BTC/USDT`` or ``BTCUSDT``."""
        markets = await self._markets()
        found = convert.find_market(markets, getattr(self.exchange, "markets_by_id", None), symbol,
                                    self.venue.settle)
        if found is not None:
            return str(found["symbol"])
        raise InvalidOrder(f"{self.venue.name} has no market {symbol!r}")

    async def symbols(self) -> list[str]:
        markets = await self._markets()
        return sorted(sym for sym, m in markets.items()
                      if m.get("swap") and m.get("linear") and m.get("active") is not False
                      and m.get("settle") == self.venue.settle)

    async def market(self, symbol: str) -> MarketSpec:
        sym = await self.resolve(symbol)
        return convert.market_spec(self.exchange.markets[sym], self.exchange.precisionMode,
                                   self.venue.max_leverage)

    # --- candles ---------------------------------------------------------------------------
    async def candles(self, symbol: str, timeframe: str, limit: int) -> Candles:
        sym = await self.resolve(symbol)
        step = timeframe_seconds(timeframe) * 1000
        last_closed = (to_millis(self.clock.now()) // step) * step - step  # open time of the last closed
        key = (sym, timeframe)
        cached = self._absorb(key, last_closed)
        if cached is not None and len(cached) >= limit and int(cached.ts[-1]) >= last_closed:
            view = _upto(cached, last_closed).tail(limit)
            if int(view.ts[-1]) == last_closed and _contiguous(view, step):
                return view
            cached = None  # a hole (socket was down): load again
        if cached is not None and len(cached) >= limit and _contiguous(cached.tail(limit), step):
            missing = (last_closed - int(cached.ts[-1])) // step
            since = int(cached.ts[-1]) + step
            count = min(int(missing) + 1, MAX_CANDLES)
            rows = await self.call(f"candles {sym} {timeframe}", self.exchange.fetch_ohlcv, sym, timeframe,
                                   since, count, {"until": last_closed + step - 1})
            merged = _merge(cached, rows)
        else:
            count = min(limit + 1, MAX_CANDLES)
            rows = await self.call(f"candles {sym} {timeframe}", self.exchange.fetch_ohlcv, sym, timeframe,
                                   None, count, {"until": last_closed + step - 1})
            merged = _merge(Candles.empty(), rows)
        merged = _upto(merged, last_closed)
        self._candles[key] = merged.tail(max(limit, min(len(merged), MAX_CANDLES)))
        self._stream_klines(key)
        return merged.tail(limit)

    def _absorb(self, key: tuple[str, str], last_closed: int) -> Candles | None:
        """The cache with the streamed candles that have closed merged in."""
        cached = self._candles.get(key)
        live = self._live_rows.get(key)
        if cached is None or not live:
            return cached
        closed = [[ts, *row] for ts, row in sorted(live.items()) if ts <= last_closed]
        if closed:
            for row in closed:
                live.pop(int(row[0]), None)
            cached = _merge(cached, closed)
            self._candles[key] = cached.tail(min(len(cached), MAX_CANDLES))
        return cached

    def _stream_klines(self, key: tuple[str, str]) -> None:
        if not self.stream_candles or key in self._kline_loops or len(self._kline_loops) >= self.max_candle_streams:
            return
        self._kline_loops[key] = spawn(self._kline_loop(*key), f"candles-{key[0]}-{key[1]}")

    async def _kline_loop(self, symbol: str, timeframe: str) -> None:
        delay = self.backoff_start
        key = (symbol, timeframe)
        while True:
            try:
                rows = await self.exchange.watch_ohlcv(symbol, timeframe)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("candle stream %s %s down: %s", symbol, timeframe,
                         translate(exc, f"candle stream {symbol}"))
                await self.clock.sleep(delay)
                delay = min(delay * 2, self.backoff_max)
                continue
            delay = self.backoff_start
            live = self._live_rows.setdefault(key, {})
            for row in rows[-3:]:
                live[int(row[0])] = tuple(float(x) for x in row[1:6])

    # --- prices ----------------------------------------------------------------------------
    def watch(self, *symbols: str) -> None:
        """Stream these symbols' prices through ``run`` (ids are resolved on the first tick)."""
        new = set(symbols) - self._watched
        if new:
            self._watched |= new
            self._changed.set()

    def retain(self, symbols: set[str] | frozenset[str]) -> None:
        """Watch exactly these symbols: the others' price streams end."""
        wanted = set(symbols)
        if wanted != self._watched:
            self._watched = wanted
            self._changed.set()
        for sym in [s for s in self._prices if s not in wanted]:
            if self._now() - self._prices[sym][1] > self.fallback_seconds:
                del self._prices[sym]

    @property
    def watched(self) -> frozenset[str]:
        return frozenset(self._watched)

    def retain_candles(self, symbols: set[str] | frozenset[str]) -> None:
        """Keep candle streams and cached candles for these symbols only (the scan's universe)."""
        for key in [k for k in self._kline_loops if k[0] not in symbols]:
            self._kline_loops.pop(key).cancel()
            self._unsubscribe("un_watch_ohlcv", key[0], key[1])
        for key in [k for k in self._candles if k[0] not in symbols]:
            del self._candles[key]
        for key in [k for k in self._live_rows if k[0] not in symbols]:
            del self._live_rows[key]

    @property
    def candle_streams(self) -> frozenset[tuple[str, str]]:
        return frozenset(self._kline_loops)

    def _unsubscribe(self, method: str, *args: str) -> None:
        """End a stream on the venue too (ccxt.pro's un_watch_*), where the exchange class can."""
        unwatch = getattr(self.exchange, method, None)
        if unwatch is not None and self.stream:
            spawn(self._quietly(unwatch, *args), f"{method}-{args[0]}")

    @staticmethod
    async def _quietly(call: Any, *args: str) -> None:
        try:
            await call(*args)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket may be gone already: nothing left to end
            log.debug("%s%s: %s", getattr(call, "__name__", "unwatch"), args, exc)

    async def price(self, symbol: str) -> Decimal | None:
        sym = await self.resolve(symbol)
        cached = self._prices.get(sym)
        streaming = sym in self._loops and sym not in self._down
        if cached is not None and (streaming or self._now() - cached[1] <= self.fallback_seconds):
            return cached[0]
        if self._tickers is not None and self._now() - self._tickers[0] <= self.fallback_seconds:
            ticker = self._tickers[1].get(sym)  # the all-symbol answer of a moment ago
            last = ticker and (ticker.get("last") or ticker.get("close"))
            if last:
                return dec(last)
        answer = await self.call(f"ticker {sym}", self.exchange.fetch_ticker, sym)
        last = answer.get("last") or answer.get("close")
        if last is None:
            return None
        self._prices[sym] = (dec(last), self._now())
        return dec(last)

    async def quote_volume(self, symbol: str) -> float:
        sym = await self.resolve(symbol)
        now = self._now()
        if self._tickers is None or now - self._tickers[0] > self.tickers_ttl:
            await self._fetch_tickers("tickers")
        assert self._tickers is not None
        ticker = self._tickers[1].get(sym) or {}
        return float(ticker.get("quoteVolume") or 0.0)

    async def _fetch_tickers(self, what: str) -> dict[str, Any]:
        """Every symbol's 24 h ticker in one request (``ticker/24hr``), kept for ``quote_volume``:
        the price fallback and the scan's volumes share it."""
        tickers = await self.call(what, self.exchange.fetch_tickers)
        self._tickers = (self._now(), tickers)
        return tickers

    async def funding_rate(self, symbol: str) -> float | None:
        sym = await self.resolve(symbol)
        if not self.exchange.has.get("fetchFundingRates"):
            return None
        now = self._now()
        if self._funding is None or now - self._funding[0] > self.funding_ttl:
            self._funding = (now, await self.call("funding rates", self.exchange.fetch_funding_rates))
        rate = (self._funding[1].get(sym) or {}).get("fundingRate")
        return None if rate is None else float(rate)

    # --- streaming -------------------------------------------------------------------------
    async def run(self, on_tick: TickHandler) -> None:
        """Stream prices of the watched symbols until cancelled (REST polling for those down)."""
        last_poll = 0.0
        try:
            while True:
                self._sync_loops(on_tick)
                down = sorted(self._down | (self._watched if not self.stream else set()))
                if down and self._now() - last_poll >= self.fallback_seconds:
                    last_poll = self._now()
                    await self._poll(down, on_tick)
                self._changed.clear()
                try:
                    await asyncio.wait_for(self._changed.wait(), timeout=min(1.0, self.poll_seconds))
                except TimeoutError:
                    pass
        finally:
            loops, self._loops = list(self._loops.values()), {}
            await cancel_all(loops)

    def _sync_loops(self, on_tick: TickHandler) -> None:
        if not self.stream:
            return
        for sym in self._watched - set(self._loops):
            self._loops[sym] = spawn(self._watch_loop(sym, on_tick), f"price-{sym}")
        for sym in set(self._loops) - self._watched:
            self._loops.pop(sym).cancel()
            self._down.discard(sym)
            self._unsubscribe("un_watch_ticker", sym)

    async def _watch_loop(self, symbol: str, on_tick: TickHandler) -> None:
        delay = self.backoff_start
        while True:
            try:
                ticker = await self.exchange.watch_ticker(symbol)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if symbol not in self._down:
                    log.warning("price stream %s down (%s): REST every %gs", symbol,
                                translate(exc, f"price stream {symbol}"), self.fallback_seconds)
                self._down.add(symbol)
                self._changed.set()
                await self.clock.sleep(delay)
                delay = min(delay * 2, self.backoff_max)
                continue
            delay = self.backoff_start
            self._down.discard(symbol)
            await self._emit(symbol, ticker, on_tick)

    async def _poll(self, symbols: list[str], on_tick: TickHandler) -> None:
        try:
            tickers = await self._fetch_tickers("tickers (stream down)")
        except BrokerError as exc:
            log.warning("price poll failed: %s", exc)
            return
        for sym in symbols:
            if sym in tickers:
                await self._emit(sym, tickers[sym], on_tick)

    async def _emit(self, symbol: str, ticker: dict[str, Any], on_tick: TickHandler) -> None:
        last = ticker.get("last") or ticker.get("close")
        if last is None:
            return
        price = dec(last)
        self._prices[symbol] = (price, self._now())
        try:
            await on_tick(PriceTick(symbol, price, self.clock.now()))
        except Exception as exc:
            log.error("tick handler failed for %s: %s", symbol, exc, exc_info=None if quiet(exc) else exc)

    async def close(self) -> None:
        loops = list(self._loops.values()) + list(self._kline_loops.values())
        self._loops, self._kline_loops = {}, {}
        await cancel_all(loops)
        try:
            await self.exchange.close()
        except Exception:
            log.debug("market exchange close failed")


def _merge(cached: Candles, rows: list[list[Any]]) -> Candles:
    """``cached`` plus ccxt OHLCV rows; a row with a known open time replaces the old one."""
    if not rows:
        return cached
    table = {int(t): (o, h, lo, c, v) for t, o, h, lo, c, v in zip(
        cached.ts.tolist(), cached.open.tolist(), cached.high.tolist(), cached.low.tolist(),
        cached.close.tolist(), cached.volume.tolist(), strict=True)}
    for row in rows:
        o, h, lo, c, v = (float(x if x is not None else np.nan) for x in row[1:6])
        table[int(row[0])] = (o, h, lo, c, v)
    keys = sorted(table)
    values = np.array([table[k] for k in keys], dtype=np.float64).reshape(len(keys), 5)
    return Candles(np.array(keys, dtype=np.int64), values[:, 0].copy(), values[:, 1].copy(),
                   values[:, 2].copy(), values[:, 3].copy(), values[:, 4].copy())


def _contiguous(candles: Candles, step: int) -> bool:
    return len(candles) < 2 or bool(np.all(np.diff(candles.ts) == step))


def _upto(candles: Candles, last_open: int) -> Candles:
    """Only the candles that opened at or before ``last_open`` (closed ones)."""
    n = int(np.searchsorted(candles.ts, last_open, side="right"))
    if n == len(candles):
        return candles
    return Candles(candles.ts[:n], candles.open[:n], candles.high[:n], candles.low[:n], candles.close[:n],
                   candles.volume[:n])
