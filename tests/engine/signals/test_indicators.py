"""Indicators against values worked out by hand (tiny series) and plain-Python references."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from engine.market.base import Candles
from engine.market.csv_io import load_candle_file
from engine.market.resample import resample
from engine.signals import indicators as ind
from engine.signals.snapshot import IndicatorParams, compute_snapshots

SAMPLE = Path(__file__).resolve().parents[3] / "engine" / "market" / "sample"
nan = math.nan


def same(got: np.ndarray, expected: list[float], tol: float = 1e-9) -> None:
    got = np.asarray(got, dtype=float)
    assert got.shape == (len(expected),)
    for g, e in zip(got, expected, strict=True):
        if math.isnan(e):
            assert math.isnan(g), f"expected NaN, got {g}"
        else:
            assert g == pytest.approx(e, abs=tol, rel=tol)


# --- hand-computed --------------------------------------------------------------------------
def test_sma_and_ema_by_hand() -> None:
    x = np.array([2.0, 4.0, 6.0, 8.0, 10.0, 9.0, 7.0])
    same(ind.sma(x, 3), [nan, nan, 4.0, 6.0, 8.0, 9.0, 26 / 3])
    # EMA(3): alpha = 2/(3+1) = 0.5, seeded with mean(2, 4, 6) = 4 at index 2
    e2 = 4.0
    e3 = e2 + 0.5 * (8 - e2)  # 6
    e4 = e3 + 0.5 * (10 - e3)  # 8
    e5 = e4 + 0.5 * (9 - e4)  # 8.5
    e6 = e5 + 0.5 * (7 - e5)  # 7.75
    same(ind.ema(x, 3), [nan, nan, e2, e3, e4, e5, e6])


def test_rsi_by_hand() -> None:
    close = np.array([10.0, 11.0, 12.0, 11.0, 13.0, 12.0, 12.0])
    # changes: +1 +1 −1 +2 −1 0 → gains 1 1 0 2 0 0, losses 0 0 1 0 1 0
    g3, l3 = (1 + 1 + 0) / 3, (0 + 0 + 1) / 3
    g4, l4 = (g3 * 2 + 2) / 3, (l3 * 2 + 0) / 3
    g5, l5 = (g4 * 2 + 0) / 3, (l4 * 2 + 1) / 3
    g6, l6 = (g5 * 2 + 0) / 3, (l5 * 2 + 0) / 3
    expected = [100 - 100 / (1 + g / lo) for g, lo in ((g3, l3), (g4, l4), (g5, l5), (g6, l6))]
    same(ind.rsi(close, 3), [nan, nan, nan, *expected])
    assert expected[0] == pytest.approx(66.6666667) and expected[1] == pytest.approx(83.3333333)


def test_rsi_edges_all_gains_and_no_movement() -> None:
    same(ind.rsi(np.array([1.0, 2.0, 3.0, 4.0]), 3), [nan, nan, nan, 100.0])
    same(ind.rsi(np.array([5.0, 5.0, 5.0, 5.0]), 3), [nan, nan, nan, 50.0])
    same(ind.rsi(np.array([4.0, 3.0, 2.0, 1.0]), 3), [nan, nan, nan, 0.0])


def test_true_range_and_atr_by_hand() -> None:
    h = np.array([10.0, 11.0, 15.0, 12.0, 13.0])
    lo = np.array([8.0, 9.0, 13.0, 9.0, 11.0])
    c = np.array([9.0, 10.0, 14.0, 10.0, 12.0])
    # TR1 = max(11−9, |11−9|, |9−9|) = 2; TR2 = max(2, |15−10|, |13−10|) = 5 (gap up)
    # TR3 = max(3, |12−14|, |9−14|) = 5; TR4 = max(2, |13−10|, |11−10|) = 3
    same(ind.true_range(h, lo, c), [nan, 2.0, 5.0, 5.0, 3.0])
    a3 = (2 + 5 + 5) / 3  # 4
    a4 = (a3 * 2 + 3) / 3  # 11/3
    same(ind.atr(h, lo, c, 3), [nan, nan, nan, a3, a4])


def test_macd_by_hand() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 6.0])
    # fast EMA(2): alpha 2/3, seed mean(1,2)=1.5 at index 1; slow EMA(3): alpha 1/2, seed 2 at index 2
    f = [nan, 1.5]
    for v in x[2:]:
        f.append(f[-1] + 2 / 3 * (v - f[-1]))
    s = [nan, nan, 2.0]
    for v in x[3:]:
        s.append(s[-1] + 0.5 * (v - s[-1]))
    line = [a - b for a, b in zip(f, s, strict=True)]
    # signal EMA(2) of the line from its first value (index 2): seed mean(line[2], line[3]) at index 3
    sig = [nan, nan, nan, (line[2] + line[3]) / 2]
    for v in line[4:]:
        sig.append(sig[-1] + 2 / 3 * (v - sig[-1]))
    got_line, got_sig, got_hist = ind.macd(x, 2, 3, 2)
    same(got_line, line)
    same(got_sig, sig)
    same(got_hist, [a - b for a, b in zip(line, sig, strict=True)])


def test_ppo_is_macd_in_percent_of_the_slow_ema() -> None:
    x = np.array([10.0, 11.0, 12.0, 11.0, 13.0, 14.0])
    # fast EMA(2): seed 10.5 at index 1, alpha 2/3; slow EMA(3): seed 11 at index 2, alpha 1/2
    f2 = 10.5 + 2 / 3 * (12 - 10.5)  # 11.5
    f3 = f2 + 2 / 3 * (11 - f2)  # 11.1666…
    s3 = 11 + 0.5 * (11 - 11)  # 11
    line2, line3 = 100 * (f2 - 11) / 11, 100 * (f3 - s3) / s3
    got_line, got_sig, _ = ind.ppo(x, 2, 3, 2)
    same(got_line[:4], [nan, nan, line2, line3])
    assert got_sig[3] == pytest.approx((line2 + line3) / 2)
    # a fall and a rise of the same percentage give (nearly) mirrored readings
    up = 100 * 1.01 ** np.arange(60)
    assert ind.ppo(1 / up, 12, 26, 9)[0][-1] == pytest.approx(-ind.ppo(up, 12, 26, 9)[0][-1], rel=0.15)


def test_bollinger_width_volume_z_obv_and_slope_by_hand() -> None:
    # window [1, 2, 3]: mean 2, population σ = sqrt(2/3); width = 2·2·σ / 2
    same(ind.bollinger_width(np.array([1.0, 2.0, 3.0]), 3, 2.0), [nan, nan, 2 * math.sqrt(2 / 3)])
    # volume 10 against the three before it (1, 2, 3): (10 − 2) / sqrt(2/3)
    same(ind.volume_zscore(np.array([1.0, 2.0, 3.0, 10.0]), 3), [nan, nan, nan, 8 / math.sqrt(2 / 3)])
    same(ind.volume_zscore(np.array([5.0, 5.0, 5.0, 9.0]), 3), [nan, nan, nan, 0.0])
    close = np.array([1.0, 2.0, 2.0, 1.0, 3.0])
    vol = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    same(ind.obv(close, vol), [0.0, 20.0, 20.0, -20.0, 30.0])
    same(ind.linear_slope(np.array([1.0, 4.0, 7.0, 10.0]), 3), [nan, nan, 3.0, 3.0])
    # OBV 20, 20, −20 over three candles: slope = ((−1)·20 + 0·20 + 1·(−20)) / 2 = −20
    same(ind.obv_slope(close, vol, 3), [nan, nan, (0 * -1 + 20 * 0 + 20 * 1) / 2, -20.0, (20 * -1 + 30 * 1) / 2])


# --- plain-Python reference for ADX (Wilder's original running sums) ------------------------
def adx_reference(h: list[float], lo: list[float], c: list[float], n: int) -> tuple[float, float, float]:
    tr, pdm, mdm = [], [], []
    for i in range(1, len(c)):
        tr.append(max(h[i] - lo[i], abs(h[i] - c[i - 1]), abs(lo[i] - c[i - 1])))
        up, down = h[i] - h[i - 1], lo[i - 1] - lo[i]
        pdm.append(up if up > down and up > 0 else 0.0)
        mdm.append(down if down > up and down > 0 else 0.0)
    s_tr, s_p, s_m = sum(tr[:n]), sum(pdm[:n]), sum(mdm[:n])
    dxs, pdi, mdi = [], 0.0, 0.0
    for i in range(n - 1, len(tr)):
        if i >= n:
            s_tr = s_tr - s_tr / n + tr[i]
            s_p = s_p - s_p / n + pdm[i]
            s_m = s_m - s_m / n + mdm[i]
        pdi, mdi = 100 * s_p / s_tr, 100 * s_m / s_tr
        dxs.append(100 * abs(pdi - mdi) / (pdi + mdi))
    adx = sum(dxs[:n]) / n
    for dx in dxs[n:]:
        adx = (adx * (n - 1) + dx) / n
    return adx, pdi, mdi


def test_adx_matches_wilders_running_sums() -> None:
    rng = np.random.default_rng(3)
    c = 100 + np.cumsum(rng.normal(0, 1, 60))
    h = c + rng.uniform(0.1, 1.5, 60)
    lo = c - rng.uniform(0.1, 1.5, 60)
    adx, pdi, mdi = ind.adx(h, lo, c, 5)
    assert np.isnan(adx[:9]).all() and not np.isnan(adx[9])  # first ADX at index 2n−1
    ref = adx_reference(list(h), list(lo), list(c), 5)
    assert (adx[-1], pdi[-1], mdi[-1]) == pytest.approx(ref, rel=1e-10)
    ref30 = adx_reference(list(h[:30]), list(lo[:30]), list(c[:30]), 5)
    assert ind.adx(h[:30], lo[:30], c[:30], 5)[0][-1] == pytest.approx(ref30[0], rel=1e-10)


def test_a_flat_market_gives_numbers_not_errors() -> None:
    flat = np.full(40, 7.0)
    adx, pdi, mdi = ind.adx(flat, flat, flat, 5)
    assert adx[-1] == 0.0 and pdi[-1] == 0.0 and mdi[-1] == 0.0
    assert ind.atr(flat, flat, flat, 5)[-1] == 0.0
    assert ind.bollinger_width(flat, 5)[-1] == 0.0


def test_short_series_give_nan_not_errors() -> None:
    x = np.array([1.0, 2.0])
    assert np.isnan(ind.ema(x, 5)).all() and np.isnan(ind.rsi(x, 14)).all()
    assert np.isnan(ind.macd(x)[2]).all() and np.isnan(ind.bollinger_width(x, 20)).all()
    assert ind.ema(np.array([]), 3).shape == (0,)


# --- batches equal single series ------------------------------------------------------------
def real_candles(tf_ms: int) -> Candles:
    f = load_candle_file(SAMPLE / "ETH_BTC-5m.csv")
    return resample(Candles(f.ts, f.open, f.high, f.low, f.close, f.volume), 300_000, tf_ms)


def test_rows_padded_on_the_left_equal_each_series_alone() -> None:
    c = real_candles(900_000)
    series = [c.close[-120:], c.close[-45:], c.close[-7:]]
    block = np.full((3, 120), np.nan)
    for i, s in enumerate(series):
        block[i, 120 - len(s):] = s
    for fn in (lambda x: ind.ema(x, 20), lambda x: ind.rsi(x, 14), lambda x: ind.macd(x)[1],
               lambda x: ind.bollinger_width(x, 20)):
        got = fn(block)
        for i, s in enumerate(series):
            np.testing.assert_allclose(got[i, 120 - len(s):], fn(s), rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("length", [1, 16, 30, 60, 500])
def test_snapshot_equals_the_single_series_functions(length: int) -> None:
    p = IndicatorParams()
    frames = [real_candles(900_000).tail(length), real_candles(3_600_000).tail(500),
              real_candles(14_400_000).tail(length)]
    snaps = compute_snapshots(frames, ["15m", "1h", "4h"], p)
    for cd, s in zip(frames, snaps, strict=True):
        h, lo, c, v = cd.high, cd.low, cd.close, cd.volume
        adx, pdi, mdi = ind.adx(h, lo, c, p.adx)
        line, sig, hist = ind.ppo(c, p.macd_fast, p.macd_slow, p.macd_signal)
        expected = {
            "close": c[-1], "atr": ind.atr(h, lo, c, p.atr)[-1], "ema_fast": ind.ema(c, p.ema_fast)[-1],
            "ema_slow": ind.ema(c, p.ema_slow)[-1], "adx": adx[-1], "plus_di": pdi[-1], "minus_di": mdi[-1],
            "rsi": ind.rsi(c, p.rsi)[-1], "ppo": line[-1], "ppo_signal": sig[-1], "ppo_hist": hist[-1],
            "bb_width": ind.bollinger_width(c, p.bb, p.bb_k)[-1], "volume_z": ind.volume_zscore(v, p.volume_z)[-1],
            "obv_slope": ind.obv_slope(c, v, p.obv_slope)[-1] / v[-p.obv_slope:].mean()
            if len(c) >= p.obv_slope else nan,
        }
        for name, want in expected.items():
            got = getattr(s, name)
            if math.isnan(want):
                assert math.isnan(got), name
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-15), name
        assert s.candles == len(cd) and s.last_ts == int(cd.ts[-1])


def test_smooth_many_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        ind.smooth_many([(np.ones(5), 3, "ema"), (np.ones(6), 3, "ema")])
    with pytest.raises(ValueError):
        ind.smooth_many([(np.ones(5), 0, "wilder")])
    with pytest.raises(ValueError):
        ind.smooth_many([(np.ones(5), 3, "hull")])
