"""Resampling base candles into a larger timeframe (15m, 1h, 4h, …) with numpy.

Buckets are aligned to the UTC epoch (a 4h bucket starts at 00:00, 04:00, … UTC). A bucket is
built from whatever base candles exist inside it: open of the first, close of the last, the
highest high, the lowest low and the summed volume. A bucket with no base candle at all does
not exist (gaps stay gaps). Whether a bucket is closed is decided by the caller from its close
time, so a bucket whose last base candles are missing still closes on time.
"""

from __future__ import annotations

import numpy as np

from engine.market.base import Candles


def resample(candles: Candles, base_ms: int, target_ms: int) -> Candles:
    """Candles of ``target_ms`` built from ``candles`` of ``base_ms`` (both in milliseconds)."""
    if target_ms == base_ms:
        return candles
    if target_ms < base_ms or target_ms % base_ms:
        raise ValueError(f"cannot build {target_ms} ms candles from {base_ms} ms candles "
                         "(the target must be a multiple of the base timeframe)")
    if len(candles) == 0:
        return Candles.empty()
    bucket = candles.ts - candles.ts % target_ms
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], bucket.size] - 1
    out = Candles(
        ts=bucket[starts],
        open=candles.open[starts],
        high=np.maximum.reduceat(candles.high, starts),
        low=np.minimum.reduceat(candles.low, starts),
        close=candles.close[ends],
        volume=np.add.reduceat(candles.volume, starts),
    )
    for arr in (out.ts, out.open, out.high, out.low, out.close, out.volume):
        arr.flags.writeable = False
    return out
