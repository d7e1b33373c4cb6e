"""Latest indicator values of many candle series at once (one row per symbol × timeframe).

:func:`compute_snapshots` pads the series to one length (NaN on the left), runs every recursive
smoother of every row in a single loop over time (``indicators.smooth_many``) and keeps only what
the factors read: the values at the last closed candle. Values without enough history are NaN.

:func:`advance_snapshots` does the same but continues a series it has seen before: when a series
is the previous one with new candles at its end (same first candle), its smoothers resume from
their last values (:class:`SeriesState`) over the new candles only — the same floating-point
operations in the same order, so the same values as a full recomputation (tests compare them
bit for bit). A series whose window moved (its first candle changed) is recomputed. The rest
(Bollinger width, volume z-score, OBV slope) reads only the last ~120 candles and is recomputed.
"""

from __future__ import annotations

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
    """Rows of ``length``: each series' last ``length`` values, NaN on the left where it is shorter."""
    out = np.full((len(series), length), np.nan)
    for i, s in enumerate(series):
        n = min(len(s), length)
        if n:
            out[i, length - n:] = s[len(s) - n:]
    return out


@dataclass(frozen=True, slots=True)
class SeriesState:
    """Where the recursive smoothers of one series stand at its last candle."""

    first_ts: int
    last_ts: int
    candles: int
    values: np.ndarray  # last value of the 10 first-pass smoothers, then the MACD signal and the ADX
    seeded: bool  # every smoother had its seed: only then can the recursion simply go on

    def continued_by(self, cd: Candles) -> bool:
        """``cd`` is this series with one or more new candles at its end."""
        return (self.seeded and len(cd) > self.candles and int(cd.ts[0]) == self.first_ts
                and int(cd.ts[self.candles - 1]) == self.last_ts)


def _smoother_inputs(p: IndicatorParams, h: np.ndarray, lo: np.ndarray, c: np.ndarray
                     ) -> tuple[list[np.ndarray], list[int], list[str]]:
    """The first-pass smoothers: inputs (rows × time, from the candles ``h``/``lo``/``c``), periods, kinds."""
    gain, loss = ind.gains_losses(c)
    tr = ind.true_range(h, lo, c)
    pdm, mdm = ind.directional_movement(h, lo)
    xs = [c, c, c, c, gain, loss, tr, tr, pdm, mdm]
    periods = [p.ema_fast, p.ema_slow, p.macd_fast, p.macd_slow, p.rsi, p.rsi, p.atr, p.adx, p.adx, p.adx]
    kinds = ["ema"] * 4 + ["wilder"] * 6
    return xs, periods, kinds


def _derived(first: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(PPO line, +DI, −DI, DX) from the first-pass smoothers."""
    m_fast, m_slow, s_tr, s_pdm, s_mdm = first[2], first[3], first[7], first[8], first[9]
    with np.errstate(divide="ignore", invalid="ignore"):
        line = np.where(m_slow != 0, 100.0 * (m_fast - m_slow) / m_slow, np.nan)  # PPO: MACD in %
    pdi, mdi, dx = ind.di_dx(s_tr, s_pdm, s_mdm)
    return line, pdi, mdi, dx


# the columns of _Lasts.values: the 10 first-pass smoothers, then signal and ADX
_E_FAST, _E_SLOW, _A_GAIN, _A_LOSS, _S_ATR, _SIGNAL, _ADX = 0, 1, 4, 5, 6, 10, 11


@dataclass(slots=True)
class _Lasts:
    """The recursive part of a batch at each row's last candle."""

    values: np.ndarray  # rows × 12
    line: np.ndarray
    pdi: np.ndarray
    mdi: np.ndarray
    seeded: np.ndarray  # bool per row


def _had_a_value(series: np.ndarray) -> np.ndarray:
    """Per row: the smoother was seeded (it had a finite value at some time; usually the last)."""
    seen = np.isfinite(series[:, -1])
    if not seen.all():
        rest = ~seen
        seen[rest] = np.isfinite(series[rest]).any(axis=1)
    return seen


def _full(p: IndicatorParams, candles: Sequence[Candles]) -> _Lasts:
    """Every smoother of every row from its first candle (one loop over time for the batch)."""
    length = max(1, max(len(cd) for cd in candles))
    h = _pad([cd.high for cd in candles], length)
    lo = _pad([cd.low for cd in candles], length)
    c = _pad([cd.close for cd in candles], length)
    xs, periods, kinds = _smoother_inputs(p, h, lo, c)
    first = ind.smooth_many(list(zip(xs, periods, kinds, strict=True)))
    line, pdi, mdi, dx = _derived(first)
    second = ind.smooth_many([(line, p.macd_signal, "ema"), (dx, p.adx, "wilder")])
    series = [*first, *second]
    seeded = np.logical_and.reduce([_had_a_value(s) for s in series])
    return _Lasts(np.column_stack([s[:, -1] for s in series]), line[:, -1], pdi[:, -1], mdi[:, -1], seeded)


def _continued(p: IndicatorParams, candles: Sequence[Candles], states: Sequence[SeriesState]) -> _Lasts:
    """Every smoother of every row resumed from its state over the row's new candles only."""
    new = [len(cd) - st.candles for cd, st in zip(candles, states, strict=True)]
    width = max(new) + 1  # the new candles and the one before them (for the differences)

    def block(field: str) -> np.ndarray:  # the new candles at the left, NaN after a row's end
        out = np.full((len(candles), width), np.nan)
        for i, (cd, st) in enumerate(zip(candles, states, strict=True)):
            values = getattr(cd, field)[st.candles - 1:]
            out[i, :values.size] = values
        return out

    h, lo, c = block("high"), block("low"), block("close")
    xs, periods, kinds = _smoother_inputs(p, h, lo, c)
    prev = np.stack([st.values for st in states])
    first = ind.resume_many([(x[:, 1:], prev[:, k], periods[k], kinds[k]) for k, x in enumerate(xs)])
    line, pdi, mdi, dx = _derived(first)
    second = ind.resume_many([(line, prev[:, _SIGNAL], p.macd_signal, "ema"), (dx, prev[:, _ADX], p.adx, "wilder")])
    at = np.array(new) - 1  # each row's last new candle
    rows = np.arange(len(candles))
    series = [*first, *second]
    return _Lasts(np.column_stack([s[rows, at] for s in series]), line[rows, at], pdi[rows, at], mdi[rows, at],
                  np.ones(len(candles), dtype=bool))


@dataclass(frozen=True, slots=True)
class Recursive:
    """The recursive part of one series at its last candle, as a full recomputation gives it."""

    values: np.ndarray  # the 12 smoothers (see _Lasts)
    line: float
    pdi: float
    mdi: float
    seeded: bool


def full_recursive(candles: Sequence[Candles], params: IndicatorParams = IndicatorParams()) -> list[Recursive]:
    """The recursive part of every series in ``candles``, each from its first candle, in one batch
    of series of one length (so none is padded). A row's values never depend on the other rows of
    its batch: these are the values :func:`advance_snapshots` computes for such a series."""
    if not candles:
        return []
    if len({len(cd) for cd in candles}) != 1:
        raise ValueError("full_recursive takes series of one length")
    r = _full(params, candles)
    return [Recursive(r.values[i].copy(), float(r.line[i]), float(r.pdi[i]), float(r.mdi[i]), bool(r.seeded[i]))
            for i in range(len(candles))]


def _snapshots(p: IndicatorParams, candles: Sequence[Candles], timeframes: Sequence[str], r: _Lasts
               ) -> list[TfSnapshot]:
    """The snapshots: the recursive part ``r`` plus what reads only the last candles."""
    tail = max(p.bb_lookback + p.bb - 1, p.volume_z + 1, p.obv_slope + 1)
    c = _pad([cd.close for cd in candles], tail)
    v = _pad([cd.volume for cd in candles], tail)
    width = ind.bollinger_width(c[:, -(p.bb_lookback + p.bb - 1):], p.bb, p.bb_k)
    enough = np.isfinite(width).sum(axis=1) >= p.bb
    median = _row_medians(width[:, p.bb - 1:])  # (its first bb-1 columns are NaN: windows not full)
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
    rsi_v = ind.rsi_from_averages(r.values[:, _A_GAIN], r.values[:, _A_LOSS])

    val = r.values
    cols = [c[:, -1], val[:, _S_ATR], val[:, _E_FAST], val[:, _E_SLOW], val[:, _ADX], r.pdi, r.mdi,
            rsi_v, r.line, val[:, _SIGNAL], r.line - val[:, _SIGNAL], width[:, -1], bb_rel, vz, obv_norm]
    table = np.column_stack(cols).tolist()
    return [TfSnapshot(tf, len(cd), int(cd.ts[-1]) if len(cd) else -1, *row)
            for tf, cd, row in zip(timeframes, candles, table, strict=True)]


def _row_medians(x: np.ndarray) -> np.ndarray:
    """``np.nanmedian(x, axis=1)``, the same values, without its slow path for short rows: rows
    without NaN in one ``np.median``, the others one by one over their finite values."""
    present = ~np.isnan(x)
    whole = present.all(axis=1)
    out = np.full(x.shape[0], np.nan)
    if whole.any():
        out[whole] = np.median(x[whole], axis=1)
    for i in np.flatnonzero(~whole):
        row = x[i][present[i]]
        if row.size:
            out[i] = np.median(row)
    return out


def compute_snapshots(candles: Sequence[Candles], timeframes: Sequence[str],
                      params: IndicatorParams = IndicatorParams()) -> list[TfSnapshot]:
    """Snapshots of every series in ``candles`` (``timeframes[i]`` labels row i)."""
    if not candles:
        return []
    return _snapshots(params, candles, timeframes, _full(params, candles))


def advance_snapshots(candles: Sequence[Candles], timeframes: Sequence[str],
                      states: Sequence[SeriesState | None], params: IndicatorParams = IndicatorParams(),
                      known: Sequence[Recursive | None] | None = None
                      ) -> tuple[list[TfSnapshot], list[SeriesState | None]]:
    """Like :func:`compute_snapshots`, continuing every series whose ``states[i]`` it extends; also
    returns the new states (None for an empty series). ``known[i]``: the recursive part of a series
    not continued, computed before (:func:`full_recursive`) — not computed again."""
    if not candles:
        return [], []
    go_on = [i for i, (cd, st) in enumerate(zip(candles, states, strict=True))
             if st is not None and st.continued_by(cd)]
    rest = sorted(set(range(len(candles))) - set(go_on))
    given = [i for i in rest if known is not None and known[i] is not None]
    anew = [i for i in rest if known is None or known[i] is None]
    parts: list[tuple[list[int], _Lasts]] = []
    if given:
        rows_known = [r for i in given if known is not None and (r := known[i]) is not None]
        parts.append((given, _Lasts(np.stack([r.values for r in rows_known]), np.array([r.line for r in rows_known]),
                                    np.array([r.pdi for r in rows_known]), np.array([r.mdi for r in rows_known]),
                                    np.array([r.seeded for r in rows_known], dtype=bool))))
    if anew:
        parts.append((anew, _full(params, [candles[i] for i in anew])))
    if go_on:
        parts.append((go_on, _continued(params, [candles[i] for i in go_on],
                                        [states[i] for i in go_on])))  # type: ignore[misc]
    values = np.empty((len(candles), 12))
    line, pdi, mdi = np.empty(len(candles)), np.empty(len(candles)), np.empty(len(candles))
    seeded = np.empty(len(candles), dtype=bool)
    for rows, got in parts:
        values[rows], line[rows], pdi[rows], mdi[rows], seeded[rows] = (got.values, got.line, got.pdi,
                                                                         got.mdi, got.seeded)
    snaps = _snapshots(params, candles, timeframes, _Lasts(values, line, pdi, mdi, seeded))
    new_states: list[SeriesState | None] = [
        SeriesState(int(cd.ts[0]), int(cd.ts[-1]), len(cd), values[i].copy(), bool(seeded[i])) if len(cd) else None
        for i, cd in enumerate(candles)]
    return snaps, new_states
