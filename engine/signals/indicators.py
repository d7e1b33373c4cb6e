"""Technical indicators, vectorized with numpy (float64).

Every function takes a 1-D series or a 2-D block of series (one row per series, time on the last
axis) and returns arrays of the same shape, NaN where there is not enough history yet. Rows of a
block may start with NaN padding (series of different lengths aligned on their last candle): each
row's history starts at its first finite value.

Conventions (the ones TA-Lib and most charting sites use):

* ``ema(x, n)``: alpha = 2/(n+1), seeded with the simple mean of the first n values (first value at
  index n-1).
* Wilder smoothing (RSI, ATR, ADX): alpha = 1/n, seeded the same way.
* ``rsi``: Wilder averages of gains and losses of close-to-close changes; first value at index n.
  No losses → 100, no movement at all → 50.
* ``atr``: Wilder average of the true range; the first candle has no true range (no previous close),
  so the first ATR is the mean of TR[1..n] at index n.
* ``adx``: +DM/−DM and TR smoothed by Wilder; DX = 100·|+DI−−DI|/(+DI+−DI); ADX = Wilder average of DX,
  first value at index 2n-1.
* ``macd``: EMA(fast) − EMA(slow); signal = EMA(signal) of that line from its first value;
  ``ppo`` is the same in percent of EMA(slow).
* ``bollinger_width``: (upper − lower) / middle = 2·k·σ/SMA, σ the population standard deviation.
* ``volume_zscore``: the candle's volume against the mean and σ of the n candles before it.
* ``obv``: on-balance volume, 0 at the first candle; ``linear_slope`` is the least-squares slope per
  candle over a rolling window.

The recursive smoothers run one Python loop over time that is vectorized across rows, and
:func:`smooth_many` stacks many series (several indicators × many symbols) into one loop: that is
what makes scoring hundreds of symbols cheap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Kind = str  # "ema" or "wilder"


def _rows(x: np.ndarray) -> tuple[np.ndarray, bool]:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        return a[None, :], True
    if a.ndim != 2:
        raise ValueError("indicators take a 1-D series or a 2-D block (rows × time)")
    return a, False


def _back(a: np.ndarray, one: bool) -> np.ndarray:
    return a[0] if one else a


def _alpha(kind: Kind, period: np.ndarray) -> np.ndarray:
    if kind == "ema":
        return 2.0 / (period + 1.0)
    if kind == "wilder":
        return 1.0 / period
    raise ValueError(f"unknown smoothing {kind!r}")


def _recursive(x: np.ndarray, period: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """y[seed] = mean(x[start:start+n]); y[t] = y[t-1] + alpha·(x[t] − y[t-1]) afterwards. x: (R, T)."""
    n_rows, n_t = x.shape
    out = np.full((n_t, n_rows), np.nan)
    if n_rows == 0 or n_t == 0:
        return out.T
    finite = np.isfinite(x)
    start = np.where(finite.any(axis=1), finite.argmax(axis=1), n_t)
    seed_at = start + period - 1
    ready = np.flatnonzero(seed_at < n_t)
    if ready.size == 0:
        return out.T
    # the seeds need the running sums only up to the last seed (a prefix of the same running sum)
    hi = int(seed_at[ready].max()) + 1
    csum = np.zeros((n_rows, hi + 1))
    np.cumsum(np.where(finite[:, :hi], x[:, :hi], 0.0), axis=1, out=csum[:, 1:])
    seeds = (csum[ready, seed_at[ready] + 1] - csum[ready, start[ready]]) / period[ready]
    by_time: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for t in np.unique(seed_at[ready]):
        pick = seed_at[ready] == t
        by_time[int(t)] = (ready[pick], seeds[pick])
    xt = np.ascontiguousarray(x.T)
    t0 = min(by_time)
    prev = out[t0 - 1] if t0 > 0 else np.full(n_rows, np.nan)
    for t in range(t0, n_t):
        row = out[t]
        np.subtract(xt[t], prev, out=row)
        row *= alpha
        row += prev
        seeded = by_time.get(t)
        if seeded is not None:
            row[seeded[0]] = seeded[1]
        prev = row
    return out.T


def smooth_many(specs: Sequence[tuple[np.ndarray, int | np.ndarray, Kind]]) -> list[np.ndarray]:
    """Run several smoothings in one loop over time; each spec is ``(x, period, kind)``.

    All ``x`` must share the time length; ``period`` may be one int or one per row.
    """
    blocks, periods, alphas, shapes = [], [], [], []
    length = None
    for x, period, kind in specs:
        a, one = _rows(x)
        if length is None:
            length = a.shape[1]
        elif a.shape[1] != length:
            raise ValueError("smooth_many needs series of one length")
        p = np.broadcast_to(np.asarray(period, dtype=np.int64), (a.shape[0],))
        if (p < 1).any():
            raise ValueError("periods must be >= 1")
        blocks.append(a)
        periods.append(p)
        alphas.append(_alpha(kind, p.astype(np.float64)))
        shapes.append((a.shape[0], one))
    if not blocks:
        return []
    out = _recursive(np.concatenate(blocks), np.concatenate(periods), np.concatenate(alphas))
    result, at = [], 0
    for n_rows, one in shapes:
        result.append(_back(out[at:at + n_rows], one))
        at += n_rows
    return result


def resume_many(specs: Sequence[tuple[np.ndarray, np.ndarray, int, Kind]]) -> list[np.ndarray]:
    """Continue smoothings already seeded; each spec is ``(x, last, period, kind)`` with ``x`` the
    new values (rows × time) and ``last`` each row's last smoothed value. The step is the one of
    :func:`smooth_many` (``y = y_prev + alpha·(x − y_prev)``, same operations, same order), so a
    resumed series has exactly the values of a series smoothed in one go."""
    if not specs:
        return []
    x = np.concatenate([s[0] for s in specs])
    prev = np.concatenate([np.asarray(s[1], dtype=np.float64) for s in specs])
    alpha = np.concatenate([_alpha(s[3], np.full(len(s[1]), float(s[2]))) for s in specs])
    n_rows, n_t = x.shape
    out = np.empty((n_t, n_rows))
    xt = np.ascontiguousarray(x.T)
    for t in range(n_t):
        row = out[t]
        np.subtract(xt[t], prev, out=row)
        row *= alpha
        row += prev
        prev = row
    result, at = [], 0
    for s in specs:
        result.append(out.T[at:at + len(s[1])])
        at += len(s[1])
    return result


def ema(x: np.ndarray, n: int) -> np.ndarray:
    return smooth_many([(x, n, "ema")])[0]


def wilder(x: np.ndarray, n: int) -> np.ndarray:
    return smooth_many([(x, n, "wilder")])[0]


def sma(x: np.ndarray, n: int) -> np.ndarray:
    return rolling_mean_std(x, n)[0]


def rolling_mean_std(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling mean and population σ over windows of n values ending at each index."""
    a, one = _rows(x)
    mean = np.full(a.shape, np.nan)
    std = np.full(a.shape, np.nan)
    if a.shape[1] >= n:
        win = sliding_window_view(a, n, axis=1)
        m = win.mean(axis=2)
        mean[:, n - 1:] = m
        std[:, n - 1:] = np.sqrt(((win - m[:, :, None]) ** 2).mean(axis=2))
    return _back(mean, one), _back(std, one)


def _prev(a: np.ndarray) -> np.ndarray:
    p = np.empty_like(a)
    p[:, 0] = np.nan
    p[:, 1:] = a[:, :-1]
    return p


def gains_losses(close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c, one = _rows(close)
    d = c - _prev(c)
    return _back(np.maximum(d, 0.0), one), _back(np.maximum(-d, 0.0), one)


def rsi_from_averages(avg_gain: np.ndarray, avg_loss: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        r = 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
    r = np.where(avg_loss == 0, np.where(avg_gain > 0, 100.0, 50.0), r)
    return np.where(np.isnan(avg_gain) | np.isnan(avg_loss), np.nan, r)


def rsi(close: np.ndarray, n: int = 14) -> np.ndarray:
    g, lo = gains_losses(close)
    ag, al = smooth_many([(g, n, "wilder"), (lo, n, "wilder")])
    return rsi_from_averages(ag, al)


def macd(close: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(MACD line, signal line, histogram)."""
    ef, es = smooth_many([(close, fast, "ema"), (close, slow, "ema")])
    line = ef - es
    sig = ema(line, signal)
    return line, sig, line - sig


def ppo(close: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MACD in percent of the slow EMA (the percentage price oscillator): (line, signal, histogram).

    Unlike MACD in price units it treats a rise and a fall of the same percentage alike, so it
    compares across symbols and does not favour uptrends.
    """
    ef, es = smooth_many([(close, fast, "ema"), (close, slow, "ema")])
    with np.errstate(divide="ignore", invalid="ignore"):
        line = np.where(es != 0, 100.0 * (ef - es) / es, np.nan)
    sig = ema(line, signal)
    return line, sig, line - sig


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """max(high−low, |high−prev close|, |low−prev close|); NaN on the first candle."""
    h, one = _rows(high)
    lo, _ = _rows(low)
    pc = _prev(_rows(close)[0])
    tr = np.maximum(h - lo, np.maximum(np.abs(h - pc), np.abs(lo - pc)))
    return _back(tr, one)


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 14) -> np.ndarray:
    return wilder(true_range(high, low, close), n)


def directional_movement(high: np.ndarray, low: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(+DM, −DM): the up-move when it beats the down-move (and is positive), and vice versa."""
    h, one = _rows(high)
    lo, _ = _rows(low)
    up = h - _prev(h)
    down = _prev(lo) - lo
    plus = np.where((up > down) & (up > 0), up, 0.0)
    minus = np.where((down > up) & (down > 0), down, 0.0)
    nan = np.isnan(up) | np.isnan(down)
    plus[nan] = np.nan
    minus[nan] = np.nan
    return _back(plus, one), _back(minus, one)


def di_dx(sm_tr: np.ndarray, sm_plus: np.ndarray, sm_minus: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(+DI, −DI, DX) from Wilder-smoothed TR, +DM and −DM (a zero range gives 0, not a crash)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        pdi = np.where(sm_tr > 0, 100.0 * sm_plus / sm_tr, 0.0)
        mdi = np.where(sm_tr > 0, 100.0 * sm_minus / sm_tr, 0.0)
        total = pdi + mdi
        dx = np.where(total > 0, 100.0 * np.abs(pdi - mdi) / total, 0.0)
    nan = np.isnan(sm_tr) | np.isnan(sm_plus) | np.isnan(sm_minus)
    return np.where(nan, np.nan, pdi), np.where(nan, np.nan, mdi), np.where(nan, np.nan, dx)


def adx(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 14
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ADX, +DI, −DI)."""
    plus, minus = directional_movement(high, low)
    s_tr, s_p, s_m = smooth_many([(true_range(high, low, close), n, "wilder"),
                                  (plus, n, "wilder"), (minus, n, "wilder")])
    pdi, mdi, dx = di_dx(s_tr, s_p, s_m)
    return wilder(dx, n), pdi, mdi


def bollinger_width(close: np.ndarray, n: int = 20, k: float = 2.0) -> np.ndarray:
    """Band width as a fraction of the middle band: 0.02 means the bands are 2 % apart."""
    mean, std = rolling_mean_std(close, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean != 0, 2.0 * k * std / mean, np.nan)


def volume_zscore(volume: np.ndarray, n: int = 20) -> np.ndarray:
    """(v − mean) / σ of the n volumes before each candle; 0 when those volumes are all equal."""
    v, one = _rows(volume)
    mean, std = rolling_mean_std(v, n)
    m, s = _prev(mean), _prev(std)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (v - m) / s, 0.0)
    return _back(np.where(np.isnan(m) | np.isnan(v), np.nan, z), one)


def obv(close: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """On-balance volume: 0 at a row's first candle, then ± each candle's volume by its close change."""
    c, one = _rows(close)
    v, _ = _rows(volume)
    step = np.sign(c - _prev(c)) * v
    valid = np.isfinite(c) & np.isfinite(v)
    out = np.cumsum(np.where(np.isfinite(step), step, 0.0), axis=1)
    return _back(np.where(valid, out, np.nan), one)


def linear_slope(x: np.ndarray, n: int) -> np.ndarray:
    """Least-squares slope per step over the n values ending at each index."""
    a, one = _rows(x)
    out = np.full(a.shape, np.nan)
    if n >= 2 and a.shape[1] >= n:
        j = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
        out[:, n - 1:] = sliding_window_view(a, n, axis=1) @ (j / (j @ j))
    return _back(out, one)


def obv_slope(close: np.ndarray, volume: np.ndarray, n: int = 20) -> np.ndarray:
    return linear_slope(obv(close, volume), n)
