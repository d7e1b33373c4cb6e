"""The replay market source: candles from CSV files, a clock moved candle by candle.

Files ``{BASE}_{QUOTE}-{tf}.csv`` of the base timeframe in one directory make the universe
(``ETH_BTC-5m.csv`` → ``ETH/BTC``). Larger timeframes are resampled from the base candles
(engine/market/resample.py). Only candles whose close time is at or before the clock's now are
ever returned, so nothing from the future leaks into a scan.

The replay starts after ``warmup`` base candles (of the union of every symbol's timestamps) and
then advances one base period at a time. Inside a candle the price visits
open → nearer extreme → farther extreme → close (see :func:`tick_path`), one quarter of the
period apart, so whether a stop or a target was touched first is decided the same way on every
run. Ticks of all symbols are emitted point by point, so the clock never goes back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from engine.clock import ManualClock
from engine.domain.models import MarketSpec
from engine.domain.values import timeframe_seconds
from engine.market.base import Candles, PriceTick, TickHandler
from engine.market.csv_io import (
    CandleFile,
    CsvFormatError,
    load_candle_file,
    load_funding_file,
    load_market_overrides,
    parse_file_name,
    symbol_file_stem,
)
from engine.market.resample import resample
from engine.market_rules.ashare import ashare_spec, is_ashare_symbol

BarHandler = Callable[[datetime], Awaitable[None]]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_DAY_MS = 86_400_000
_DEFAULT_QTY_STEP = Decimal("0.001")
_SPEC_KEYS = {"price_step", "qty_step", "min_qty", "min_notional", "max_leverage"}


def _to_ms(dt: datetime) -> int:
    """Exact milliseconds since the epoch (no float rounding)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - _EPOCH) // _MS


def _from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=int(ms))


def tick_path(o: Decimal, h: Decimal, low: Decimal, c: Decimal) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """The four prices a candle visits: open, the extreme nearer the open, the farther one, close.

    On a tie (open exactly halfway) a rising candle (close >= open) dips first and a falling one
    rallies first, which is the path that reaches the close last.
    """
    up, down = h - o, o - low
    if down < up or (down == up and c >= o):
        return o, low, h, c
    return o, h, low, c


@dataclass(slots=True)
class _Series:
    """One symbol's base candles and what is derived from them."""

    file: CandleFile
    base_ms: int
    tick_step: Decimal
    base: Candles = field(init=False)
    qv_cum: np.ndarray = field(init=False)  # prefix sums of close*volume, leading 0
    frames: dict[int, tuple[Candles, np.ndarray]] = field(default_factory=dict)  # tf ms → candles, close ms
    cursor: int = 0  # next base candle to replay
    decimals: dict[float, Decimal] = field(default_factory=dict)  # price → exact Decimal, made once
    times: list[int] = field(init=False)  # the open times as Python ints (the replay loop reads them)
    ohlc: list[tuple[float, float, float, float]] = field(init=False)  # … and the prices

    def __post_init__(self) -> None:
        f = self.file
        self.base = Candles(f.ts, f.open, f.high, f.low, f.close, f.volume)
        self.qv_cum = np.concatenate(([0.0], np.cumsum(f.close * f.volume)))
        self.frames[self.base_ms] = (self.base, f.ts + self.base_ms)
        self.times = f.ts.tolist()
        self.ohlc = list(zip(f.open.tolist(), f.high.tolist(), f.low.tolist(), f.close.tolist(), strict=True))

    def path(self, i: int) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """The four prices candle ``i`` visits (:func:`tick_path`)."""
        o, h, lo, c = self.ohlc[i]
        price = self.price
        return tick_path(price(o), price(h), price(lo), price(c))

    def frame(self, tf_ms: int) -> tuple[Candles, np.ndarray]:
        got = self.frames.get(tf_ms)
        if got is None:
            candles = resample(self.base, self.base_ms, tf_ms)
            got = self.frames[tf_ms] = (candles, candles.ts + tf_ms)
        return got

    def price(self, value: float) -> Decimal:
        """The file's price as an exact Decimal (float repr round-trips the CSV text)."""
        x = float(value)
        got = self.decimals.get(x)
        if got is None:
            got = self.decimals[x] = Decimal(repr(x)).quantize(self.tick_step)
        return got


class ReplayMarketData:
    """MarketData over CSV files, driven by a ManualClock (see the module docstring)."""

    def __init__(self, directory: Path, clock: ManualClock, base_timeframe: str = "5m",
                 symbols: list[str] | None = None, warmup: int = 300, speed: float = 1.0,
                 start: datetime | None = None, end: datetime | None = None) -> None:
        self._dir = Path(directory)
        if not self._dir.is_dir():
            raise FileNotFoundError(f"replay directory not found: {self._dir}")
        if warmup < 0 or speed < 0:
            raise ValueError("warmup and speed must not be negative")
        self._clock = clock
        self.base_timeframe = base_timeframe
        self._base_ms = timeframe_seconds(base_timeframe) * 1000
        self._warmup = warmup
        self._speed = speed
        self._series = self._load(symbols)
        self._overrides = load_market_overrides(self._dir / "markets.json")
        for sym, spec in self._overrides.items():
            unknown = set(spec) - _SPEC_KEYS
            if unknown:
                raise CsvFormatError(f"markets.json: unknown keys for {sym}: {sorted(unknown)}")
        self._funding: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        self._last_price: dict[str, Decimal] = {}
        self._times = np.unique(np.concatenate([s.file.ts for s in self._series.values()]))
        n = int(self._times.size)
        first = min(warmup, n)
        if start is not None:
            first = max(first, int(np.searchsorted(self._times, _to_ms(start), "left")))
        stop = n
        if end is not None:  # replay the periods that close at or before ``end``
            stop = int(np.searchsorted(self._times + self._base_ms, _to_ms(end), "right"))
        self._first, self._stop = first, max(first, stop)
        self._cursor: int | None = None
        self._lock = asyncio.Lock()  # one step at a time, even when run() and step() overlap

    def _load(self, wanted: list[str] | None) -> dict[str, _Series]:
        series: dict[str, _Series] = {}
        for path in sorted(self._dir.glob(f"*-{self.base_timeframe}.csv")):
            parsed = parse_file_name(path.name)
            if parsed is None or parsed[1] != self.base_timeframe:
                continue
            if wanted is not None and parsed[0] not in {self._norm(w) for w in wanted}:
                continue
            f = load_candle_file(path)
            if len(f.ts) == 0:
                continue
            series[f.symbol] = _Series(f, self._base_ms, Decimal(1).scaleb(-f.price_decimals))
        if wanted is not None:
            missing = sorted({self._norm(w) for w in wanted} - set(series))
            if missing:
                raise FileNotFoundError(f"no {self.base_timeframe} candle file in {self._dir} for {missing}")
        if not series:
            raise FileNotFoundError(f"no *-{self.base_timeframe}.csv candle files in {self._dir}")
        return series

    @staticmethod
    def _norm(symbol: str) -> str:
        return symbol.strip().upper().replace("_", "/")

    def _get(self, symbol: str) -> _Series:
        s = self._series.get(self._norm(symbol))
        if s is None:
            raise KeyError(f"unknown symbol {symbol!r} in the replay data (known: {', '.join(self._series)})")
        return s

    def _now_ms(self) -> int:
        return _to_ms(self._clock.now())

    # --- MarketData ------------------------------------------------------------------------
    async def symbols(self) -> list[str]:
        return list(self._series)

    async def market(self, symbol: str) -> MarketSpec:
        s = self._get(symbol)
        o = self._overrides.get(s.file.symbol, {})
        if is_ashare_symbol(s.file.symbol) and not o:
            return ashare_spec(s.file.symbol)  # lots of 100, 0.01 CNY, no leverage
        base, quote = s.file.symbol.split("/")
        return MarketSpec(
            symbol=s.file.symbol, base=base, quote=quote,
            price_step=Decimal(str(o["price_step"])) if "price_step" in o else s.tick_step,
            qty_step=Decimal(str(o.get("qty_step", _DEFAULT_QTY_STEP))),
            min_qty=Decimal(str(o.get("min_qty", _DEFAULT_QTY_STEP))),
            min_notional=Decimal(str(o.get("min_notional", 0))),
            max_leverage=int(str(o.get("max_leverage", 125))),
        )

    async def candles(self, symbol: str, timeframe: str, limit: int) -> Candles:
        frame, close_ms = self._get(symbol).frame(timeframe_seconds(timeframe) * 1000)
        hi = int(np.searchsorted(close_ms, self._now_ms(), "right"))
        lo = max(0, hi - max(0, limit))
        if lo >= hi:
            return Candles.empty()
        return Candles(frame.ts[lo:hi], frame.open[lo:hi], frame.high[lo:hi], frame.low[lo:hi],
                       frame.close[lo:hi], frame.volume[lo:hi])

    def windows_ahead(self, symbol: str, timeframe: str, length: int, last_open_ms: Sequence[int]) -> list[Candles]:
        """What ``candles(symbol, timeframe, length)`` will return once each candle opening at
        ``last_open_ms`` has closed, for those the data holds (full windows only): the scorer
        computes sliding windows ahead with them (engine/signals/ahead.py)."""
        frame, _close = self._get(symbol).frame(timeframe_seconds(timeframe) * 1000)
        wanted = np.asarray(last_open_ms, dtype=np.int64)
        at = np.searchsorted(frame.ts, wanted, "left")
        out: list[Candles] = []
        for ms, i in zip(wanted.tolist(), at.tolist(), strict=True):
            if i < frame.ts.size and int(frame.ts[i]) == ms and i + 1 >= length > 0:
                lo, hi = i + 1 - length, i + 1
                out.append(Candles(frame.ts[lo:hi], frame.open[lo:hi], frame.high[lo:hi], frame.low[lo:hi],
                                   frame.close[lo:hi], frame.volume[lo:hi]))
        return out

    async def price(self, symbol: str) -> Decimal | None:
        return self._last_price.get(self._get(symbol).file.symbol)

    async def quote_volume(self, symbol: str) -> float:
        s = self._get(symbol)
        close_ms = s.frames[self._base_ms][1]
        now = self._now_ms()
        hi = int(np.searchsorted(close_ms, now, "right"))
        lo = int(np.searchsorted(close_ms, now - _DAY_MS, "right"))
        return float(s.qv_cum[hi] - s.qv_cum[lo])

    async def funding_rate(self, symbol: str) -> float | None:
        sym = self._get(symbol).file.symbol
        if sym not in self._funding:
            self._funding[sym] = self._load_funding(sym)
        data = self._funding[sym]
        if data is None:
            return None
        i = int(np.searchsorted(data[0], self._now_ms(), "right")) - 1
        return float(data[1][i]) if i >= 0 else None

    def _load_funding(self, symbol: str) -> tuple[np.ndarray, np.ndarray] | None:
        name = f"{symbol_file_stem(symbol)}-8h-funding.csv"
        for path in (self._dir / "funding" / name, self._dir / name, self._dir.parent / "funding" / name):
            if path.is_file():
                return load_funding_file(path)
        return None

    async def close(self) -> None:
        return None

    # --- replay ----------------------------------------------------------------------------
    @property
    def first_time(self) -> datetime:
        """Open time of the first base candle in the data."""
        return _from_ms(int(self._times[0]))

    @property
    def last_time(self) -> datetime:
        """Close time of the last base candle in the data."""
        return _from_ms(int(self._times[-1]) + self._base_ms)

    @property
    def start_time(self) -> datetime:
        """Where the clock is put when the replay starts (after the warmup candles)."""
        first = self._first
        if first == 0:
            return self.first_time
        return _from_ms(int(self._times[first - 1]) + self._base_ms)

    @property
    def finished(self) -> bool:
        return (self._first if self._cursor is None else self._cursor) >= self._stop

    @property
    def progress(self) -> tuple[int, int]:
        """(base periods replayed, base periods to replay in total)."""
        done = 0 if self._cursor is None else self._cursor - self._first
        return done, self._stop - self._first

    def _set_clock(self, when: datetime) -> None:
        if when > self._clock.now():
            self._clock.set(when)

    def _prime(self) -> None:
        """First step or run: move the clock to the end of the warmup and place the cursors."""
        if self._cursor is not None:
            return
        self._set_clock(self.start_time)
        # a clock already past the warmup (e.g. a resumed backtest) starts from its own now
        now_first = int(np.searchsorted(self._times, self._now_ms(), "left"))
        self._first = min(max(self._first, now_first), self._stop)
        self._cursor = self._first
        if self._first < self._times.size:
            t0 = self._times[self._first]
            for s in self._series.values():
                s.cursor = int(np.searchsorted(s.file.ts, t0, "left"))

    async def step(self, on_tick: TickHandler, on_bar: BarHandler | None = None) -> bool:
        """Replay exactly one base period; False (and nothing done) when the data is finished."""
        async with self._lock:
            return await self._step(on_tick, on_bar)

    async def _step(self, on_tick: TickHandler, on_bar: BarHandler | None) -> bool:
        self._prime()
        assert self._cursor is not None
        if self._cursor >= self._stop:
            return False
        t_ms = int(self._times[self._cursor])
        paths: list[tuple[str, tuple[Decimal, ...]]] = []
        for s in self._series.values():
            i = s.cursor
            if i < len(s.times) and s.times[i] == t_ms:
                paths.append((s.file.symbol, s.path(i)))
                s.cursor = i + 1
        t = _from_ms(t_ms)
        quarter = timedelta(milliseconds=self._base_ms) / 4
        last_price = self._last_price
        for k in range(4):
            when = t + quarter * k
            self._set_clock(when)
            for symbol, path in paths:
                price = last_price[symbol] = path[k]
                await on_tick(PriceTick(symbol, price, when))
        self._cursor += 1
        bar_end = _from_ms(t_ms + self._base_ms)
        self._set_clock(bar_end)
        if on_bar is not None:
            await on_bar(bar_end)
        return True

    async def run(self, on_tick: TickHandler, on_bar: BarHandler | None = None) -> None:
        """Replay to the end of the data at ``speed`` base candles per second (0 = flat out)."""
        while await self.step(on_tick, on_bar):
            await asyncio.sleep(1.0 / self._speed if self._speed > 0 else 0)
