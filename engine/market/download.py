"""Downloading candles from an exchange into the replay CSV format (``{BASE}_{QUOTE}-{tf}.csv``).

One file per symbol and timeframe, header ``timestamp,open,high,low,close,volume`` (open time in ms
UTC). Only closed candles are written (open time + timeframe ≤ the end). A file that already exists
is resumed: only candles after its last row are fetched and appended, so a second run adds the
missing tail and never writes a row twice. Pages are fetched with ccxt's ``fetch_ohlcv(since, limit)``
on a client built with ``enableRateLimit`` (ccxt spaces the calls by the venue's weights).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt

from engine.domain.values import timeframe_seconds
from engine.errors import DownloadError
from engine.market.csv_io import CANDLE_HEADER, last_candle_time, symbol_file_stem

PAGE_LIMIT = 1000  # candles per request; binance answers up to 1500 (weight 10), 1000 costs 5
Progress = Callable[[int], None]  # candles written since the last call


@dataclass(frozen=True)
class FileResult:
    path: Path
    symbol: str
    timeframe: str
    added: int  # rows appended by this run
    resumed: bool  # the file existed before


def candle_path(out_dir: Path, symbol: str, timeframe: str) -> Path:
    return out_dir / f"{symbol_file_stem(symbol)}-{timeframe}.csv"


def _number(value: Any) -> str:
    """A price or volume from ccxt (float or str) as plain text, never in exponent form."""
    text = repr(value) if isinstance(value, float) else str(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    if text.endswith(".0"):
        text = text[:-2]
    return text


def resolve_symbol(markets: dict[str, Any], symbol: str) -> str:
    """``BTC/USDT`` → the venue's market id in ccxt (``BTC/USDT:USDT`` on a USDⓈ-M venue)."""
    if symbol in markets:
        return symbol
    if "/" in symbol and ":" not in symbol:
        quote = symbol.split("/")[1]
        for candidate in (f"{symbol}:{quote}",):
            if candidate in markets:
                return candidate
    raise DownloadError(f"unknown symbol {symbol!r} on this exchange")


def missing_span(path: Path, since_ms: int, end_ms: int, step_ms: int) -> tuple[int, int]:
    """``(first open time to fetch, number of closed candles expected)`` for one file."""
    last = last_candle_time(path) if path.is_file() else None
    start = since_ms if last is None else max(since_ms, last + step_ms)
    start = -(-start // step_ms) * step_ms  # align to the timeframe
    expected = max(0, (end_ms - start) // step_ms)
    return start, expected


async def download(exchange: Any, symbols: Sequence[str], timeframes: Sequence[str], since: datetime,
                   end: datetime, out_dir: Path, *, progress: Progress | None = None,
                   on_total: Callable[[int], None] | None = None, page_limit: int = PAGE_LIMIT) -> list[FileResult]:
    """Fetch ``[since, end)`` for every symbol × timeframe into ``out_dir``; returns one result per file.

    ``exchange`` is a ccxt async client (see ``engine.brokers.ccxt.client.make_exchange``); the caller
    closes it. ``on_total`` gets the number of candles expected in all, before the first request.
    """
    if since >= end:
        raise DownloadError("nothing to download: the start is not before the end")
    for tf in timeframes:
        try:
            timeframe_seconds(tf)
        except (KeyError, ValueError):
            raise DownloadError(f"unknown timeframe {tf!r} (use e.g. 1m, 5m, 1h, 1d)") from None
    try:
        markets = await exchange.load_markets()
    except Exception as exc:  # ccxt.NetworkError, ExchangeError …
        raise DownloadError(f"cannot load the exchange's markets ({type(exc).__name__})",
                            network=isinstance(exc, ccxt.NetworkError)) from None
    resolved = [(s, resolve_symbol(markets, s)) for s in symbols]
    venue_timeframes = getattr(exchange, "timeframes", None) or {}
    for tf in timeframes:
        if venue_timeframes and tf not in venue_timeframes:
            raise DownloadError(f"the exchange has no {tf} candles")
    out_dir.mkdir(parents=True, exist_ok=True)
    since_ms, end_ms = int(since.timestamp() * 1000), int(end.timestamp() * 1000)
    plan = []
    for symbol, market in resolved:
        for tf in timeframes:
            step = timeframe_seconds(tf) * 1000
            path = candle_path(out_dir, symbol, tf)
            start, expected = missing_span(path, since_ms, end_ms, step)
            plan.append((symbol, market, tf, step, path, start, expected))
    if on_total is not None:
        on_total(sum(p[-1] for p in plan))
    results = []
    for symbol, market, tf, step, path, start, expected in plan:
        resumed = path.is_file()
        added = await _fetch_into(exchange, market, tf, step, path, start, end_ms, expected, page_limit, progress)
        results.append(FileResult(path, symbol, tf, added, resumed))
    return results


async def _fetch_into(exchange: Any, market: str, tf: str, step: int, path: Path, start: int, end_ms: int,
                      expected: int, page_limit: int, progress: Progress | None) -> int:
    if expected <= 0:
        return 0
    new_file = not path.is_file() or path.stat().st_size == 0
    added = 0
    cursor = start
    with path.open("a", encoding="utf-8", newline="\n") as fh:
        if new_file:
            fh.write(",".join(CANDLE_HEADER) + "\n")
        while cursor + step <= end_ms:
            try:
                page = await exchange.fetch_ohlcv(market, tf, since=cursor, limit=page_limit,
                                                  params={"until": end_ms - 1})
            except Exception as exc:
                network = isinstance(exc, ccxt.NetworkError)
                what = "cannot reach the exchange" if network else "the exchange refused the request"
                raise DownloadError(f"{market} {tf}: {what} ({type(exc).__name__}); {added} candles were saved, "
                                    "run again to resume", network=network) from None
            rows = [r for r in page if r[0] >= cursor and r[0] + step <= end_ms]
            rows.sort(key=lambda r: r[0])
            lines = []
            for r in rows:
                if r[0] < cursor:  # a repeated candle inside the page
                    continue
                lines.append(",".join([str(int(r[0]))] + [_number(v) for v in r[1:6]]))
                cursor = int(r[0]) + step
            fh.write("".join(line + "\n" for line in lines))
            fh.flush()
            added += len(lines)
            if progress is not None and lines:
                progress(len(lines))
            if not lines:
                if page and page[-1][0] >= cursor:  # a gap in the venue's history: jump over it
                    cursor = int(page[-1][0]) + step
                    continue
                break  # nothing more before the end
    return added
