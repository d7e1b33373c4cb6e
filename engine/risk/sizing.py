"""Position sizing methods: how much to buy for an entry, before rounding to the lot size.

- fixed: a fixed notional (``fixed_notional``).
- percent: margin = equity × ``percent_equity`` %, notional = margin × leverage.
- risk: lose ``risk_per_trade_pct`` % of equity if the stop is hit: qty = equity × risk% ÷ stop distance.
- volatility: notional such that one ATR move costs ``volatility_target_pct`` % of equity.
- kelly: risk a fraction (``kelly_fraction``) of the Kelly bet f* = W − (1 − W) ÷ R of equity.
"""

from __future__ import annotations

from decimal import Decimal

from config.settings import RiskSettings
from engine.domain.values import HUNDRED, ONE, ZERO


def size_qty(method: str, settings: RiskSettings, equity: Decimal, entry: Decimal, stop: Decimal,
             leverage: int, atr_pct: float | None, risk_pct: Decimal | None = None) -> Decimal:
    """Unrounded quantity for an entry; ZERO when it cannot be sized."""
    if entry <= 0 or equity <= 0:
        return ZERO
    distance = abs(entry - stop)
    if method == "fixed":
        return settings.fixed_notional / entry
    if method == "percent":
        return equity * settings.percent_equity / HUNDRED * Decimal(leverage) / entry
    if method == "volatility":
        if not atr_pct or atr_pct <= 0:
            return ZERO
        notional = equity * settings.volatility_target_pct / Decimal(str(atr_pct))
        return notional / entry
    if distance <= 0:
        return ZERO
    if method == "kelly":
        w, r = settings.kelly_win_rate, settings.kelly_payoff
        f_star = w - (ONE - w) / r
        if f_star <= 0:
            return ZERO
        return equity * settings.kelly_fraction * f_star / distance
    # risk per trade (default)
    pct = risk_pct if risk_pct is not None else settings.risk_per_trade_pct
    return equity * pct / HUNDRED / distance
