"""Trade plan: stop, targets and leverage for a scored signal.

Base stop 2 %, TP1 4 % closing 50 %, TP2 8 % closing the rest (configurable; N targets allowed).
Factor adjustments: strong signal → stop 20 % tighter and targets 30 % farther; strong trend →
targets 20 % farther; deep liquidity → stop 10 % tighter; high volatility → stop 50 % wider.
An ATR multiple is the alternative stop method. Leverage rises with the score up to the cap, and
is lowered until the stop sits inside the liquidation distance with a buffer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from config.settings import PlanSettings
from engine.domain.models import MarketSpec, Target
from engine.domain.values import HUNDRED, ONE, ZERO, Side, price_toward

STRONG_STOP = Decimal("0.8")
STRONG_TARGETS = Decimal("1.3")
TREND_TARGETS = Decimal("1.2")
LIQUID_STOP = Decimal("0.9")
VOLATILE_STOP = Decimal("1.5")


@dataclass(frozen=True, slots=True)
class PlanInput:
    side: Side
    entry: Decimal
    score: float
    atr: Decimal | None = None
    atr_pct: float | None = None
    adx: float | None = None
    quote_volume: float = 0.0


@dataclass(frozen=True, slots=True)
class TradePlan:
    entry: Decimal
    stop: Decimal
    targets: tuple[Target, ...]
    leverage: int
    adjustments: tuple[str, ...]  # strong_signal, strong_trend, deep_liquidity, high_volatility, atr_stop, leverage_capped

    @property
    def stop_pct(self) -> Decimal:
        return abs(self.entry - self.stop) / self.entry * HUNDRED


class Planner:
    def __init__(self, settings: PlanSettings, maintenance_margin_pct: Decimal = Decimal("0.5")) -> None:
        self.settings = settings
        self.mm = maintenance_margin_pct / HUNDRED

    def plan(self, data: PlanInput, market: MarketSpec, max_leverage: int, min_score: float) -> TradePlan:
        s = self.settings
        notes: list[str] = []
        stop_pct = s.stop_pct
        if s.stop_method == "atr" and data.atr is not None and data.atr > 0:
            stop_pct = data.atr * s.atr_mult / data.entry * HUNDRED
            notes.append("atr_stop")
        target_mult = ONE
        if data.score >= s.strong_score:
            stop_pct *= STRONG_STOP
            target_mult *= STRONG_TARGETS
            notes.append("strong_signal")
        if data.adx is not None and data.adx >= s.strong_trend_adx:
            target_mult *= TREND_TARGETS
            notes.append("strong_trend")
        if s.deep_liquidity_quote_volume > 0 and Decimal(str(data.quote_volume)) >= s.deep_liquidity_quote_volume:
            stop_pct *= LIQUID_STOP
            notes.append("deep_liquidity")
        if data.atr_pct is not None and data.atr_pct >= s.high_volatility_atr_pct:
            stop_pct *= VOLATILE_STOP
            notes.append("high_volatility")

        leverage = self._leverage(data.score, min_score, min(max_leverage, market.max_leverage))
        fitting = self.max_leverage_for_stop(stop_pct)
        if fitting < 1:
            # even 1x would not keep the stop inside liquidation: tighten the stop to fit at 1x
            stop_pct = (ONE - self.mm) * (ONE - s.liquidation_buffer_pct / HUNDRED) * HUNDRED
            fitting = 1
        if leverage > fitting:
            leverage = fitting
            notes.append("leverage_capped")
        return self.levels(data.side, data.entry, stop_pct, target_mult, leverage, market, tuple(notes))

    def levels(self, side: Side, entry: Decimal, stop_pct: Decimal, target_mult: Decimal, leverage: int,
               market: MarketSpec, notes: tuple[str, ...] = ()) -> TradePlan:
        tick = market.price_step
        entry = price_toward(entry, tick, up=True) if tick > 0 else entry
        sign = side.sign
        # the stop is rounded toward the entry (never wider than planned)
        stop = price_toward(entry * (ONE - sign * stop_pct / HUNDRED), tick, up=side is Side.LONG)
        if stop == entry:
            stop = entry - sign * tick
        targets = []
        for pct, share in self.settings.target_pairs():
            raw = entry * (ONE + sign * pct * target_mult / HUNDRED)
            price = price_toward(raw, tick, up=side is Side.SHORT)
            targets.append(Target(price, share))
        return TradePlan(entry, stop, tuple(targets), leverage, notes)

    def replan(self, side: Side, old_entry: Decimal, old_stop: Decimal, old_targets: tuple[Target, ...],
               new_entry: Decimal, leverage: int, market: MarketSpec) -> TradePlan:
        """Same distances (in %) around a new entry price: used when the price drifted."""
        tick = market.price_step
        ratio = new_entry / old_entry
        stop = price_toward(old_stop * ratio, tick, up=side is Side.LONG)
        targets = tuple(Target(price_toward(t.price * ratio, tick, up=side is Side.SHORT), t.share)
                        for t in old_targets)
        return TradePlan(price_toward(new_entry, tick, up=True), stop, targets, leverage, ("replanned",))

    def _leverage(self, score: float, min_score: float, cap: int) -> int:
        low = min(self.settings.min_leverage, cap)
        if score <= min_score or min_score >= 100:
            return max(1, low)
        frac = Decimal(str(min(1.0, (score - min_score) / (100 - min_score))))
        lev = Decimal(low) + frac * Decimal(cap - low)
        return max(1, min(cap, int(lev.to_integral_value(rounding=ROUND_FLOOR))))

    def max_leverage_for_stop(self, stop_pct: Decimal) -> int:
        """Highest leverage whose liquidation distance, less the buffer, still contains the stop."""
        buffer = ONE - self.settings.liquidation_buffer_pct / HUNDRED
        needed = stop_pct / HUNDRED / buffer + self.mm  # liquidation distance ≈ 1/lev − mm
        if needed <= ZERO:
            return 125
        return int((ONE / needed).to_integral_value(rounding=ROUND_FLOOR))

    def liquidation_price(self, side: Side, entry: Decimal, leverage: int) -> Decimal:
        dist = ONE / Decimal(leverage) - self.mm
        return entry * (ONE - side.sign * dist)
