"""The scoring factors: how each indicator reading becomes a direction or a quality.

Two kinds of factor:

* **directional** factors say where price is heading, as a direction in [-1, +1]
  (−1 = strongly bearish, +1 = strongly bullish): ``ema_trend``, ``adx``, ``rsi``, ``macd``,
  ``obv_slope`` (per timeframe) and ``funding`` (per symbol, only where the data has it);
* **modulating** factors say how much to trust that direction, as a quality in [0, 1]:
  ``atr_pct`` (volatility neither dead nor wild), ``bb_width`` (bands expanding rather than
  squeezed), ``volume_z`` (volume at least ordinary) per timeframe and ``liquidity`` (24 h quote
  volume) per symbol.

Each function returns None when the snapshot lacks the history it needs. The numbers below were
calibrated on the 2018 Binance BTC-quoted 5m files (see bench/bench_scoring.py and the tests).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from engine.signals.snapshot import TfSnapshot

DIRECTIONAL = ("ema_trend", "adx", "rsi", "macd", "obv_slope", "funding")
MODULATING = ("atr_pct", "bb_width", "volume_z", "liquidity")
PER_TIMEFRAME = ("ema_trend", "adx", "rsi", "macd", "obv_slope", "atr_pct", "bb_width", "volume_z")
FACTORS = DIRECTIONAL + MODULATING

# Directional weights are relative (renormalized over the available ones); a modulating weight
# is the largest share of the score that factor can take away (quality 0 → score × (1 − weight)).
DEFAULT_WEIGHTS: dict[str, float] = {
    "ema_trend": 0.30, "adx": 0.15, "rsi": 0.15, "macd": 0.20, "obv_slope": 0.10, "funding": 0.10,
    "atr_pct": 0.25, "bb_width": 0.10, "volume_z": 0.10, "liquidity": 0.30,
}

# 24 h quote volume at which liquidity counts as full (quality 1), per quote currency; a hundred
# times less gives quality 0. BTC- and ETH-quoted markets trade far smaller nominal amounts.
DEFAULT_LIQUIDITY_FULL: dict[str, float] = {
    "USDT": 50e6, "USDC": 50e6, "USD": 50e6, "BUSD": 50e6, "FDUSD": 50e6, "BTC": 1_000.0, "ETH": 20_000.0,
}
FALLBACK_LIQUIDITY_FULL = 50e6

# Volatility band, in ATR % per square root of an hour (so 15m, 1h and 4h compare): inside it
# quality is 1; it falls linearly to 0 at zero and at twice the upper bound.
ATR_BAND = (0.25, 3.0)
NEUTRAL_FUNDING = 0.0001  # the usual 0.01 % per 8 h: no crowding
FUNDING_SPAN = 0.0005


def _ok(*values: float) -> bool:
    for v in values:
        if not math.isfinite(v):
            return False
    return True


def _clip(x: float, lo: float = -1.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x


def ema_trend(s: TfSnapshot) -> float | None:
    """Close above the fast EMA above the slow EMA, distances measured in ATRs."""
    if not _ok(s.ema_slow, s.ema_fast, s.atr, s.close) or s.atr <= 0:
        return None
    return 0.5 * math.tanh(1.0 * (s.close - s.ema_fast) / s.atr) + \
        0.5 * math.tanh(0.75 * (s.ema_fast - s.ema_slow) / s.atr)


def adx(s: TfSnapshot) -> float | None:
    """+DI against −DI, scaled by trend strength: nothing below ADX 15, full from ADX 35."""
    if not _ok(s.adx, s.plus_di, s.minus_di):
        return None
    total = s.plus_di + s.minus_di
    if total <= 0:
        return 0.0
    strength = _clip((s.adx - 15.0) / 20.0, 0.0, 1.0)
    return strength * _clip(2.5 * (s.plus_di - s.minus_di) / total)


def rsi(s: TfSnapshot) -> float | None:
    """RSI 50 → 0, 70 → +1, 30 → −1; fading again beyond 80 / below 20 (exhaustion)."""
    if not _ok(s.rsi):
        return None
    x = s.rsi - 50.0
    if abs(x) <= 30.0:
        return _clip(x / 20.0)
    return math.copysign(1.0 - (abs(x) - 30.0) / 40.0, x)


def macd(s: TfSnapshot) -> float | None:
    """MACD line and histogram (in percent, as PPO), measured in ATRs."""
    if not _ok(s.ppo, s.ppo_hist, s.atr, s.close) or s.atr <= 0 or s.close <= 0:
        return None
    atr_pct = s.atr_pct
    return 0.5 * math.tanh(s.ppo / (0.4 * atr_pct)) + 0.5 * math.tanh(s.ppo_hist / (0.2 * atr_pct))


def obv_slope(s: TfSnapshot) -> float | None:
    """Money flow: OBV rising by a quarter of the average volume per candle → about +0.6."""
    if not _ok(s.obv_slope):
        return None
    return math.tanh(3.0 * s.obv_slope)


def atr_quality(s: TfSnapshot, tf_hours: float) -> float | None:
    if not _ok(s.atr, s.close) or s.close <= 0:
        return None
    x = s.atr_pct / math.sqrt(tf_hours)
    lo, hi = ATR_BAND
    if x < lo:
        return x / lo
    if x > hi:
        return _clip(2.0 - x / hi, 0.0, 1.0)
    return 1.0


def bb_quality(s: TfSnapshot) -> float | None:
    """Bands at least 1.2× their usual width → 1; squeezed to half → 0."""
    if not _ok(s.bb_rel):
        return None
    return _clip((s.bb_rel - 0.5) / 0.7, 0.0, 1.0)


def volume_quality(s: TfSnapshot) -> float | None:
    """Volume z-score ≥ 0.5 → 1; z ≤ −1.5 (a dead candle) → 0."""
    if not _ok(s.volume_z):
        return None
    return _clip((s.volume_z + 1.5) / 2.0, 0.0, 1.0)


def liquidity_quality(quote_volume: float, full: float) -> float:
    if not quote_volume or quote_volume <= 0 or not math.isfinite(quote_volume):
        return 0.0
    return _clip(1.0 + math.log10(quote_volume / full) / 2.0, 0.0, 1.0)


def funding_direction(rate: float) -> float:
    """Longs paying more than usual is crowding: a mild bearish lean (and the reverse)."""
    return -_clip((rate - NEUTRAL_FUNDING) / FUNDING_SPAN)


PER_TF_DIRECTION: dict[str, Callable[[TfSnapshot], float | None]] = {
    "ema_trend": ema_trend, "adx": adx, "rsi": rsi, "macd": macd, "obv_slope": obv_slope,
}
PER_TF_QUALITY: dict[str, Callable[[TfSnapshot, float], float | None]] = {
    "atr_pct": atr_quality,
    "bb_width": lambda s, _h: bb_quality(s),
    "volume_z": lambda s, _h: volume_quality(s),
}


def _ema_distance(s: TfSnapshot) -> float:
    return (s.close - s.ema_slow) / s.atr if _ok(s.ema_slow, s.atr) and s.atr > 0 else math.nan


def _macd_in_atr(s: TfSnapshot) -> float:
    atr_pct = s.atr_pct
    return s.ppo_hist / atr_pct if _ok(s.ppo_hist, atr_pct) and atr_pct > 0 else math.nan


_DISPLAY: dict[str, Callable[[TfSnapshot], float]] = {
    "ema_trend": _ema_distance,
    "adx": lambda s: s.adx,
    "rsi": lambda s: s.rsi,
    "macd": _macd_in_atr,
    "obv_slope": lambda s: s.obv_slope,
    "atr_pct": lambda s: s.atr_pct,
    "bb_width": lambda s: 100.0 * s.bb_width,
    "volume_z": lambda s: s.volume_z,
}


def display_value(name: str, s: TfSnapshot) -> float | None:
    """The reading shown on a card for a per-timeframe factor."""
    raw = _DISPLAY[name](s)
    return float(raw) if math.isfinite(raw) else None
