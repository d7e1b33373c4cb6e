"""The scorer: candles of several timeframes → a side and a 0–100 conviction score.

How a score is made (factors are described in engine/signals/factors.py):

1. Per timeframe, each factor gives a direction in [-1, 1] (directional factors) or a quality in
   [0, 1] (modulating factors). Timeframes are weighted 1, 1.5, 2, … from the smallest up, so the
   larger trend counts more; a timeframe without enough history for a factor is left out of that
   factor (and named in its note).
2. The weighted mean direction D of the available directional factors (weights renormalized over
   the available ones) decides the side: D ≥ 0 → long, else short. Its size |D| is the raw
   conviction: every factor fully agreeing gives 1.
3. Each available modulating factor multiplies the conviction by 1 − weight·(1 − quality).
4. score = 100 · |D| · Π multipliers.

Contributions add up to the score: a directional factor contributes 100·wᵢ·dᵢ·sign(side)/Σw
(negative when it disagrees with the side), and the points the modulators take away are shared
among them in proportion to their own penalty.

Indicator snapshots are cached per (symbol, timeframe) and recomputed only when a new candle has
closed, and :meth:`Scorer.score_many` computes every missing snapshot of a whole scan in one
batch (see engine/signals/snapshot.py); a series that only grew at its end continues its
smoothers from where they stood (same values as recomputing it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from engine.domain.models import FactorScore
from engine.domain.values import Side, timeframe_seconds
from engine.market.base import Candles
from engine.signals import factors as fx
from engine.signals.ahead import Ahead, WindowsAhead
from engine.signals.analysis import Analysis
from engine.signals.snapshot import IndicatorParams, SeriesState, TfSnapshot, advance_snapshots

ScoreRequest = tuple[str, Mapping[str, Candles], float, float | None]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


_SECONDS: dict[str, int] = {}


def _tf_seconds(timeframe: str) -> int:
    """``timeframe_seconds``, remembered (a scan asks for the same few timeframes thousands of times)."""
    got = _SECONDS.get(timeframe)
    if got is None:
        got = _SECONDS[timeframe] = timeframe_seconds(timeframe)
    return got


def _none(x: float) -> float | None:
    return x if x == x else None  # NaN → None


class Scorer:
    """Scores symbols; keeps the latest indicator snapshot of every (symbol, timeframe)."""

    def __init__(self, weights: dict[str, float] | None = None,
                 params: IndicatorParams | None = None,
                 liquidity_full: dict[str, float] | None = None) -> None:
        unknown = set(weights or {}) - set(fx.FACTORS)
        if unknown:
            raise ValueError(f"unknown factor weights: {sorted(unknown)} (known: {', '.join(fx.FACTORS)})")
        self.weights = {**fx.DEFAULT_WEIGHTS, **(weights or {})}
        for name, w in self.weights.items():
            if w < 0 or (name in fx.MODULATING and w > 1):
                raise ValueError(f"weight of {name} must be >= 0 (and <= 1 for a modulating factor)")
        self.params = params or IndicatorParams()
        self.liquidity_full = {**fx.DEFAULT_LIQUIDITY_FULL, **(liquidity_full or {})}
        self._need = self.params.history_needed()
        self._cache: dict[tuple[str, str], tuple[tuple[int, int, int], TfSnapshot, SeriesState | None]] = {}
        self.computed = 0  # snapshots computed so far (the rest came from the cache)
        self._ahead: Ahead | None = None

    def look_ahead(self, windows: WindowsAhead) -> None:
        """A source that knows the data ahead (a replay): sliding windows are computed ahead, in
        batches (engine/signals/ahead.py) — the same values, for less."""
        self._ahead = Ahead(windows, self.params)

    # --- public ----------------------------------------------------------------------------
    def score(self, symbol: str, candles_by_tf: Mapping[str, Candles], quote_volume: float,
              funding: float | None) -> Analysis:
        return self.score_many([(symbol, candles_by_tf, quote_volume, funding)])[0]

    def score_many(self, requests: Iterable[ScoreRequest]) -> list[Analysis]:
        """Score many symbols at once (indicators of every new candle computed in one batch).

        Raises ValueError when a request has no timeframe or no candle on its smallest one.
        """
        reqs = list(requests)
        todo: list[tuple[str, str, Candles, tuple[int, int, int]]] = []
        for symbol, by_tf, _qv, _f in reqs:
            tfs = self._timeframes(symbol, by_tf)
            for tf in tfs:
                c = by_tf[tf]
                key = (len(c), int(c.ts[0]) if len(c) else -1, int(c.ts[-1]) if len(c) else -1)
                hit = self._cache.get((symbol, tf))
                if hit is None or hit[0] != key:
                    todo.append((symbol, tf, c, key))
        if todo:
            before = [self._cache.get((t[0], t[1])) for t in todo]
            previous = [b[2] if b is not None else None for b in before]
            known = self._ahead.known([t[:3] for t in todo], previous) if self._ahead is not None else None
            snaps, states = advance_snapshots([t[2] for t in todo], [t[1] for t in todo], previous, self.params,
                                              known)
            self.computed += len(snaps)
            for (symbol, tf, _c, key), snap, state in zip(todo, snaps, states, strict=True):
                self._cache[(symbol, tf)] = (key, snap, state)
        out = []
        for symbol, by_tf, qv, funding in reqs:
            tfs = self._timeframes(symbol, by_tf)
            out.append(self._combine(symbol, tfs, [self._cache[(symbol, tf)][1] for tf in tfs], qv, funding))
        return out

    def retain(self, symbols: set[str] | frozenset[str]) -> None:
        """Drop the cached snapshots of every symbol not in ``symbols`` (those that left the universe)."""
        for key in [k for k in self._cache if k[0] not in symbols]:
            del self._cache[key]
        if self._ahead is not None:
            self._ahead.retain(symbols)

    @property
    def cached_symbols(self) -> set[str]:
        return {symbol for symbol, _tf in self._cache}

    # --- internals -------------------------------------------------------------------------
    @staticmethod
    def _timeframes(symbol: str, by_tf: Mapping[str, Candles]) -> list[str]:
        if not by_tf:
            raise ValueError(f"{symbol}: no timeframes to score")
        tfs = sorted(by_tf, key=_tf_seconds)
        if len(by_tf[tfs[0]]) == 0:
            raise ValueError(f"{symbol}: no closed candle on {tfs[0]}")
        return tfs

    def _per_tf(self, name: str, tfs: list[str], snaps: list[TfSnapshot]
                ) -> tuple[float | None, float | None, str]:
        """(timeframe-weighted direction or quality, displayed value, note) of one factor."""
        total = weight = 0.0
        parts = []
        shown: float | None = None
        middle = len(tfs) // 2
        for i, (tf, s) in enumerate(zip(tfs, snaps, strict=True)):
            if name in fx.PER_TF_DIRECTION:
                x = fx.PER_TF_DIRECTION[name](s)
            else:
                x = fx.PER_TF_QUALITY[name](s, _tf_seconds(tf) / 3600.0)
            if x is None:
                parts.append(f"{tf} n/a ({s.candles}/{self._need[name]})")
                continue
            w = 1.0 + 0.5 * i
            total += w * x
            weight += w
            parts.append(f"{tf} {x:+.2f}")
            if shown is None or i == middle:
                value = fx.display_value(name, s)
                shown = value if value is not None else shown
        if weight == 0:
            return None, None, "not enough history: " + ", ".join(parts)
        return total / weight, shown, " · ".join(parts)

    def _combine(self, symbol: str, tfs: list[str], snaps: list[TfSnapshot], quote_volume: float,
                 funding: float | None) -> Analysis:
        directions: dict[str, tuple[float | None, float | None, str]] = {}
        qualities: dict[str, tuple[float | None, float | None, str]] = {}
        for name in fx.PER_TIMEFRAME:
            target = directions if name in fx.DIRECTIONAL else qualities
            target[name] = self._per_tf(name, tfs, snaps)
        if funding is None or funding != funding:
            directions["funding"] = (None, None, "no funding data")
        else:
            directions["funding"] = (fx.funding_direction(funding), float(funding), "")
        quote = symbol.split("/")[-1].split(":")[0].upper()
        full = self.liquidity_full.get(quote, fx.FALLBACK_LIQUIDITY_FULL)
        qualities["liquidity"] = (fx.liquidity_quality(quote_volume, full), float(quote_volume),
                                  f"full at {full:g} {quote}")

        avail = {n: d[0] for n, d in directions.items() if d[0] is not None and self.weights[n] > 0}
        w_sum = sum(self.weights[n] for n in avail)
        mean = sum(self.weights[n] * d for n, d in avail.items()) / w_sum if w_sum else 0.0
        side = Side.LONG if mean >= 0 else Side.SHORT
        raw = 100.0 * abs(mean)
        mults = {n: 1.0 - self.weights[n] * (1.0 - q[0]) for n, q in qualities.items() if q[0] is not None}
        score = raw
        for m in mults.values():
            score *= m
        lost = score - raw  # <= 0
        penalty = sum(1.0 - m for m in mults.values())

        factors: list[FactorScore] = []
        for name in fx.DIRECTIONAL:
            d, value, note = directions[name]
            if d is None:
                factors.append(FactorScore(name, value, 0.0, self.weights[name], 0.0, False, note))
                continue
            contrib = 100.0 * self.weights[name] * d * side.sign / w_sum if w_sum else 0.0
            factors.append(FactorScore(name, value, d, self.weights[name], contrib, True, note))
        for name in fx.MODULATING:
            q, value, note = qualities[name]
            if q is None:
                factors.append(FactorScore(name, value, 0.0, self.weights[name], 0.0, False, note))
                continue
            share = (1.0 - mults[name]) / penalty if penalty > 0 else 0.0
            factors.append(FactorScore(name, value, 0.0, self.weights[name], lost * share, True,
                                       f"quality {q:.2f}; {note}" if note else f"quality {q:.2f}"))

        small, mid = snaps[0], snaps[len(snaps) // 2]
        return Analysis(
            symbol=symbol, side=side, score=min(100.0, max(0.0, score)), factors=tuple(factors),
            price=float(small.close), atr_pct=_none(small.atr_pct), atr=_none(small.atr),
            adx=_none(mid.adx), quote_volume=float(quote_volume), timeframe=tfs[0],
            ts=_EPOCH + timedelta(milliseconds=small.last_ts),
        )
