"""Sliding windows computed ahead, when the market source knows what comes next (a replay).

A scan reads the last ``N`` candles of each timeframe. Once a series has ``N`` candles its window
slides: the first candle changes at every new one, so the recursive smoothers (seeded on the
window's first candles) must start again from the window's first candle — one loop over the
``N`` candles per scan, whose cost is in its steps, hardly in its rows. A replay holds the data
ahead, so the windows the next scans will read are computed now, many to a batch
(:func:`engine.signals.snapshot.full_recursive`: each row's values are the ones it would get
alone), and each is taken when a scan reads exactly that window. Nothing ahead is ever used
before a scan reads it: a window is recognized by its first and last candle, its length and its
prices.

Which windows come next is guessed from the last two windows read (the step between scans); a
wrong guess costs only the batch computed for nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from engine.market.base import Candles
from engine.signals.snapshot import IndicatorParams, Recursive, SeriesState, full_recursive

# (symbol, timeframe, window length, open times of the windows' last candles) → those windows the data holds
WindowsAhead = Callable[[str, str, int, Sequence[int]], list[Candles]]
Key = tuple[int, int, int]  # candles, first and last open time (ms)

AHEAD = 24  # windows computed ahead per series (one batch with the window read now)


def key_of(c: Candles) -> Key:
    return len(c), int(c.ts[0]) if len(c) else -1, int(c.ts[-1]) if len(c) else -1


def _same(a: Candles, b: Candles) -> bool:
    return (np.array_equal(a.ts, b.ts) and np.array_equal(a.high, b.high) and np.array_equal(a.low, b.low)
            and np.array_equal(a.close, b.close))


class Ahead:
    """The windows computed ahead, per (symbol, timeframe)."""

    def __init__(self, windows: WindowsAhead, params: IndicatorParams, count: int = AHEAD) -> None:
        self._windows, self._params, self._count = windows, params, count
        self._done: dict[tuple[str, str], dict[Key, tuple[Candles, Recursive]]] = {}
        self._last: dict[tuple[str, str], int] = {}  # last open time of the previous sliding window read

    def known(self, todo: Sequence[tuple[str, str, Candles]], states: Sequence[SeriesState | None]
              ) -> list[Recursive | None]:
        """The recursive part of each sliding window of ``todo`` (one whose previous state has its length
        and another first candle); None for the others (growing or new series: computed as usual)."""
        out: list[Recursive | None] = [None] * len(todo)
        batch: list[Candles] = []
        owners: list[tuple[int, tuple[str, str]]] = []  # (row of todo or -1, series) of each window of the batch
        for i, ((symbol, tf, c), st) in enumerate(zip(todo, states, strict=True)):
            n = len(c)
            if st is None or n == 0 or st.candles != n or st.first_ts == int(c.ts[0]):
                continue  # not a sliding window
            series = (symbol, tf)
            last, previous = int(c.ts[-1]), self._last.get(series)
            self._last[series] = last
            hit = self._done.get(series, {}).pop(key_of(c), None)
            if hit is not None and _same(hit[0], c):
                out[i] = hit[1]
                continue
            self._done[series] = {}
            batch.append(c)
            owners.append((i, series))
            if previous is not None and last > previous:
                step = last - previous
                for w in self._windows(symbol, tf, n, [last + step * k for k in range(1, self._count + 1)]):
                    if len(w) == n:
                        batch.append(w)
                        owners.append((-1, series))
        for n in sorted({len(w) for w in batch}):  # (sliding windows have the scan's length: one batch)
            picked = [j for j, w in enumerate(batch) if len(w) == n]
            for j, r in zip(picked, full_recursive([batch[j] for j in picked], self._params), strict=True):
                i, series = owners[j]
                if i >= 0:
                    out[i] = r
                else:
                    self._done[series][key_of(batch[j])] = (batch[j], r)
        return out

    def retain(self, symbols: set[str] | frozenset[str]) -> None:
        for series in [s for s in self._done if s[0] not in symbols]:
            del self._done[series]
        for series in [s for s in self._last if s[0] not in symbols]:
            del self._last[series]
