"""Latest indicator values of many candle series at once (one row per symbol × timeframe).

:func:`compute_snapshots` pads the series to one length (NaN on the left), runs every recursive
smoother of every row in a single loop over time (``indicators.smooth_many``) and keeps only what
the factors read: the values at the last closed candle. Values without enough history are NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.market.base import Candles
from engine.signals import indicators as ind


@dataclass(frozen=True, slots=True)
class IndicatorParams:
    """Periods of every indicator the scorer reads."""

    ema_fast: int = 20
    ema_slow: int = 50
    rsi: int = 14
    macd_fast: int = 12
    macd_slow: int = 26
    macd_signal: int = 9
    atr: int = 14
    adx: int = 14
    bb: int = 20
    bb_k: float = 2.0
    bb_lookback: int = 100  # width is compared with its median over this many candles
    volume_z: int = 20
    obv_slope: int = 20

    def history_needed(self) -> dict[str, int]:
        """Candles each per-timeframe factor needs before it has a value."""
        return {
            "ema_trend": max(self.ema_slow, self.atr + 1),
            "adx": 2 * self.adx,
            "rsi": self.rsi + 1,
            "macd": max(self.macd_slow + self.macd_signal - 1, self.atr + 1),
            "atr_pct": self.atr + 1,
            "bb_width": 2 * self.bb - 1,
            "volume_z": self.volume_z + 1,
            "obv_slope": self.obv_slope,
        }


@dataclass(frozen=True, slots=True)
class TfSnapshot:
    """One series' indicator values at its last closed candle (NaN = not enough history)."""

    timeframe: str
    candles: int
    last_ts: int  # open time of the last candle, ms UTC (-1 when empty)
    close: float
    atr: float
    ema_fast: float
    ema_slow: float
    adx: float
    plus_di: float
    minus_di: float
    rsi: float
    ppo: float  # MACD line in % of the slow EMA
    ppo_signal: float
    ppo_hist: float
    bb_width: float  # fraction of the middle band
    bb_rel: float  # width / its median over the lookback
    volume_z: float
    obv_slope: float  # OBV slope per candle / mean volume of the window (about −1 … +1)

    @property
    def atr_pct(self) -> float:
        return 100.0 * self.atr / self.close if self.close > 0 else float("nan")


def _pad(series: Sequence[np.ndarray], length: int) -> np.ndarray:
    out = np.full((len(series), length), np.nan)
    for i, s in enumerate(series):
        if len(s):
            out[i, length - len(s):] = s
    return out


def compute_snapshots(candles: Sequence[Candles], timeframes: Sequence[str],
                      params: IndicatorParams = IndicatorParams()) -> list[TfSnapshot]:
    """Snapshots of every series in ``candles`` (``timeframes[i]`` labels row i)."""
    if not candles:
        return []
    p = params
    length = max(1, max(len(c) for c in candles))
    h = _pad([cd.high for cd in candles], length)
    lo = _pad([cd.low for cd in candles], length)
    c = _pad([cd.close for cd in candles], length)
    v = _pad([cd.volume for cd in candles], length)

    gain, loss = ind.gains_losses(c)
    tr = ind.true_range(h, lo, c)
    pdm, mdm = ind.directional_movement(h, lo)
    e_fast, e_slow, m_fast, m_slow, a_gain, a_loss, s_atr, s_tr, s_pdm, s_mdm = ind.smooth_many([
        (c, p.ema_fast, "ema"), (c, p.ema_slow, "ema"), (c, p.macd_fast, "ema"), (c, p.macd_slow, "ema"),
        (gain, p.rsi, "wilder"), (loss, p.rsi, "wilder"), (tr, p.atr, "wilder"),
        (tr, p.adx, "wilder"), (pdm, p.adx, "wilder"), (mdm, p.adx, "wilder"),
    ])
    with np.errstate(divide="ignore", invalid="ignore"):
        line = np.where(m_slow != 0, 100.0 * (m_fast - m_slow) / m_slow, np.nan)  # PPO: MACD in %
    pdi, mdi, dx = ind.di_dx(s_tr, s_pdm, s_mdm)
    signal, adx_v = ind.smooth_many([(line, p.macd_signal, "ema"), (dx, p.adx, "wilder")])
    rsi_v = ind.rsi_from_averages(a_gain[:, -1], a_loss[:, -1])

    width = ind.bollinger_width(c[:, -(p.bb_lookback + p.bb - 1):], p.bb, p.bb_k)
    enough = np.isfinite(width).sum(axis=1) >= p.bb
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(width, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        bb_rel = np.where(enough & (median > 0), width[:, -1] / median, np.nan)
    bb_rel = np.where(enough & (median == 0), 1.0, bb_rel)

    vz = ind.volume_zscore(v[:, -(p.volume_z + 1):], p.volume_z)[:, -1]
    n = p.obv_slope
    tail_c, tail_v = c[:, -(n + 1):], v[:, -(n + 1):]
    slope = ind.obv_slope(tail_c, tail_v, n)[:, -1]
    mean_v = tail_v[:, -n:].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        obv_norm = np.where(mean_v > 0, slope / mean_v, np.where(np.isnan(slope), np.nan, 0.0))

    cols = [c[:, -1], s_atr[:, -1], e_fast[:, -1], e_slow[:, -1], adx_v[:, -1], pdi[:, -1], mdi[:, -1],
            rsi_v, line[:, -1], signal[:, -1], line[:, -1] - signal[:, -1], width[:, -1], bb_rel, vz, obv_norm]
    table = np.column_stack(cols).tolist()
    return [TfSnapshot(tf, len(cd), int(cd.ts[-1]) if len(cd) else -1, *row)
            for tf, cd, row in zip(timeframes, candles, table, strict=True)]
