"""Continued series (engine/signals/snapshot.py): a series that grew at its end resumes its
smoothers, and every snapshot equals, bit for bit, the one recomputed from the whole window."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from engine.market.base import Candles
from engine.market.csv_io import load_candle_file
from engine.market.resample import resample
from engine.signals.snapshot import (
    IndicatorParams,
    SeriesState,
    TfSnapshot,
    advance_snapshots,
    compute_snapshots,
)

SAMPLE = Path(__file__).resolve().parents[3] / "engine" / "market" / "sample"
TF_MS = {"15m": 900_000, "1h": 3_600_000, "4h": 14_400_000}


def _same(a: TfSnapshot, b: TfSnapshot) -> bool:
    """Equal field by field, NaN equal to NaN, floats compared exactly."""
    for name in a.__slots__:  # type: ignore[attr-defined]
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, float) and math.isnan(x) and math.isnan(y):
            continue
        if x != y:
            return False
    return True


def _frames(path: Path) -> dict[str, Candles]:
    f = load_candle_file(path)
    base = Candles(f.ts, f.open, f.high, f.low, f.close, f.volume)
    return {tf: resample(base, 300_000, ms) for tf, ms in TF_MS.items()}


def _window(c: Candles, end: int, limit: int) -> Candles:
    lo = max(0, end - limit)
    return Candles(c.ts[lo:end], c.open[lo:end], c.high[lo:end], c.low[lo:end], c.close[lo:end],
                   c.volume[lo:end])


def _walk(frames: list[dict[str, Candles]], limit: int, steps: list[int], params: IndicatorParams) -> int:
    """Scan the markets at every 15-minute end in ``steps`` (one batch per scan, as the scorer does);
    every advanced snapshot must equal the recomputed one. Returns how many series were continued."""
    states: dict[tuple[int, str], SeriesState | None] = {}
    continued = 0
    for end15 in steps:
        batch, tfs, keys = [], [], []
        for m, fr in enumerate(frames):
            for tf in TF_MS:
                n = end15 * 900_000 // TF_MS[tf]  # the candles of tf closed by then
                window = _window(fr[tf], min(n, len(fr[tf])), limit)
                if len(window) == 0:
                    continue
                batch.append(window)
                tfs.append(tf)
                keys.append((m, tf))
        before = [states.get(k) for k in keys]
        continued += sum(1 for st, cd in zip(before, batch, strict=True) if st is not None and st.continued_by(cd))
        snaps, new = advance_snapshots(batch, tfs, before, params)
        fresh = compute_snapshots(batch, tfs, params)
        for key, got, want in zip(keys, snaps, fresh, strict=True):
            assert _same(got, want), f"{key} at 15m candle {end15}: {got} != {want}"
        states.update(zip(keys, new, strict=True))
    return continued


@pytest.fixture(scope="module")
def markets(btc_dir: Path) -> list[dict[str, Candles]]:
    return [_frames(p) for p in sorted(btc_dir.glob("*_BTC-5m.csv"))[:2]]


def test_growing_series_continue_with_the_same_values(markets: list[dict[str, Candles]]) -> None:
    # hourly scans from the first candle on, windows of 500: 1h and 4h only grow, 15m slides later
    steps = list(range(1, 1920, 4))
    assert _walk(markets, 500, steps, IndicatorParams()) > 1000


def test_sliding_windows_and_irregular_steps_are_recomputed_alike(markets: list[dict[str, Candles]]) -> None:
    rng = np.random.default_rng(7)
    steps = sorted(set(int(s) for s in np.cumsum(rng.integers(1, 9, size=150))))
    assert _walk(markets, 120, steps, IndicatorParams(ema_fast=5, ema_slow=30, adx=10)) > 50


def test_a_series_that_is_not_an_extension_is_recomputed() -> None:
    fr = _frames(SAMPLE / "ETH_BTC-5m.csv")["15m"]
    snaps, states = advance_snapshots([_window(fr, 300, 500)], ["15m"], [None])
    other = _window(fr, 320, 100)  # its first candle moved: not a continuation
    assert states[0] is not None and not states[0].continued_by(other)
    got, _ = advance_snapshots([other], ["15m"], states)
    assert _same(got[0], compute_snapshots([other], ["15m"])[0])
    short = _window(fr, 30, 500)  # too short for the slow EMA: never continued, always recomputed
    _s, short_state = advance_snapshots([short], ["15m"], [None])
    assert short_state[0] is not None and not short_state[0].seeded
    assert not short_state[0].continued_by(_window(fr, 31, 500))


def test_row_medians_are_numpys_nanmedian() -> None:
    import warnings

    from engine.signals.snapshot import _row_medians

    rng = np.random.default_rng(1)
    for _ in range(300):
        x = rng.random((5, int(rng.integers(1, 120)))) * float(rng.choice([1e-8, 1.0, 1e6]))
        x[rng.random(x.shape) < 0.3] = np.nan
        x[0] = np.nan  # a row with nothing
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = np.nanmedian(x, axis=1)
        assert np.array_equal(_row_medians(x), want, equal_nan=True)
