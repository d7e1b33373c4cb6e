"""The scanner: fetches candles for a universe of symbols and has the scorer rank them.

Data for every symbol is gathered first (a few requests at a time), then all symbols are scored
in one batch. A symbol whose data cannot be fetched is logged, recorded in ``last_errors`` and
skipped; it never stops the scan. After a scan, what is kept for symbols outside its universe
(the scorer's snapshots, a live source's candle streams) is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from engine.domain.values import timeframe_seconds
from engine.market.base import Candles, MarketData
from engine.signals.analysis import Analysis
from engine.signals.scorer import Scorer, ScoreRequest

log = logging.getLogger(__name__)


class Scanner:
    """Scores symbols from a MarketData source across several timeframes."""

    def __init__(self, market: MarketData, scorer: Scorer, timeframes: Sequence[str] = ("15m", "1h", "4h"),
                 candles: int = 500, concurrency: int = 8) -> None:
        if not timeframes:
            raise ValueError("the scanner needs at least one timeframe")
        self.market = market
        self.scorer = scorer
        self.timeframes = tuple(sorted(dict.fromkeys(timeframes), key=timeframe_seconds))
        self.candles = candles
        self._gate = asyncio.Semaphore(max(1, concurrency))
        self.last_errors: list[tuple[str, str]] = []  # (symbol, error) of the last scan
        windows_ahead = getattr(market, "windows_ahead", None)  # a replay knows the data ahead
        if windows_ahead is not None:
            scorer.look_ahead(windows_ahead)

    async def _fetch(self, symbol: str) -> ScoreRequest | None:
        """Everything the scorer needs for one symbol; None when it has no closed candle yet."""
        async with self._gate:
            by_tf: dict[str, Candles] = {}
            for tf in self.timeframes:
                by_tf[tf] = await self.market.candles(symbol, tf, self.candles)
            if len(by_tf[self.timeframes[0]]) == 0:
                return None
            quote_volume = await self.market.quote_volume(symbol)
            funding = await self.market.funding_rate(symbol)
        return symbol, by_tf, float(quote_volume), funding

    async def analyse(self, symbol: str) -> Analysis | None:
        """Score one symbol now; None when it is unknown to the source or has no closed candle yet.
        Other errors of the source propagate."""
        try:
            request = await self._fetch(symbol)
        except KeyError:
            log.debug("analyse: unknown symbol %s", symbol)
            return None
        if request is None:
            return None
        return self.scorer.score_many([request])[0]

    async def scan(self, symbols: Sequence[str]) -> list[Analysis]:
        """Score every symbol, best first; symbols without data or with errors are skipped."""
        errors: list[tuple[str, str]] = []
        unique = list(dict.fromkeys(symbols))
        fetched = await asyncio.gather(*(self._fetch(s) for s in unique), return_exceptions=True)
        requests: list[ScoreRequest] = []
        for symbol, got in zip(unique, fetched, strict=True):
            if isinstance(got, BaseException):
                if isinstance(got, asyncio.CancelledError):
                    raise got
                log.warning("scan: skipping %s: %s", symbol, got)
                errors.append((symbol, f"{type(got).__name__}: {got}"))
            elif got is not None:
                requests.append(got)
        try:
            results = self.scorer.score_many(requests)
        except Exception:  # one bad series must not cost the whole scan: score one by one
            log.exception("scan: batch scoring failed; scoring symbols one by one")
            results = []
            for req in requests:
                try:
                    results.extend(self.scorer.score_many([req]))
                except Exception as exc:  # noqa: BLE001 - logged and reported
                    log.warning("scan: skipping %s: %s", req[0], exc)
                    errors.append((req[0], f"{type(exc).__name__}: {exc}"))
        self.last_errors = errors
        self._prune(set(unique))
        return sorted(results, key=lambda a: a.score, reverse=True)

    def _prune(self, universe: set[str]) -> None:
        """Symbols that left the universe: their indicator snapshots and candle streams go."""
        self.scorer.retain(universe)
        retain_candles = getattr(self.market, "retain_candles", None)
        if retain_candles is not None:
            retain_candles(universe)

    async def universe(self, explicit: Sequence[str], top_n: int) -> list[str]:
        """The explicit list when given, else the ``top_n`` symbols by 24 h quote volume."""
        if explicit:
            return list(dict.fromkeys(explicit))
        symbols = await self.market.symbols()

        async def volume(symbol: str) -> float:
            async with self._gate:
                return float(await self.market.quote_volume(symbol))

        volumes = await asyncio.gather(*(volume(s) for s in symbols), return_exceptions=True)
        ranked = [(v, s) for s, v in zip(symbols, volumes, strict=True) if not isinstance(v, BaseException)]
        for s, v in zip(symbols, volumes, strict=True):
            if isinstance(v, BaseException):
                log.warning("universe: no quote volume for %s: %s", s, v)
        ranked.sort(key=lambda vs: (-vs[0], vs[1]))
        return [s for _v, s in ranked[:max(0, top_n)]]
