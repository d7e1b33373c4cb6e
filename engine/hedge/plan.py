"""Sizing a hedge round: one base quantity for both venues.

The size in USDT is divided by the higher of the two prices (so neither leg is larger than the
size), floored to the coarser of the two quantity steps, then checked against both venues'
minimum quantity and minimum notional. Refusals are reason codes with values, never prose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from engine.domain.models import MarketSpec
from engine.domain.values import ZERO, floor_to_step


class PlanRefused(Exception):
    """The round cannot be sized; ``code`` says why, ``detail`` carries the values."""

    def __init__(self, code: str, detail: dict[str, str]) -> None:
        words = {"bad_size": "the size must be positive", "no_price": "no price yet on {venue}",
                 "below_min_qty": "the size gives {qty}, below {venue}'s minimum quantity {min_qty}",
                 "below_min_notional": "the size gives {notional}, below {venue}'s minimum notional {min_notional}"}
        super().__init__(words.get(code, code).format(**detail))
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Sizing:
    qty: Decimal
    step: Decimal
    prices: dict[str, Decimal] = field(default_factory=dict)


def coarser_step(a: Decimal, b: Decimal) -> Decimal:
    """The step both venues accept: the larger, when one divides the other; else a common multiple."""
    big, small = (a, b) if a >= b else (b, a)
    if small <= 0:
        return big
    if (big / small) == (big / small).to_integral_value():
        return big
    k = 1
    while ((big * k) / small) != ((big * k) / small).to_integral_value() and k < 1000:
        k += 1
    return big * k


def size_round(size: Decimal, prices: dict[str, Decimal], specs: dict[str, MarketSpec]) -> Sizing:
    """One quantity for every venue in ``prices``/``specs`` (keyed by venue name)."""
    if size <= 0:
        raise PlanRefused("bad_size", {"size": str(size)})
    for venue, price in prices.items():
        if price is None or price <= 0:
            raise PlanRefused("no_price", {"venue": venue})
    step = ZERO
    for spec in specs.values():
        step = coarser_step(step, spec.qty_step) if step > 0 else spec.qty_step
    qty = floor_to_step(size / max(prices.values()), step)
    for venue, spec in specs.items():
        if qty <= 0 or qty < spec.min_qty:
            raise PlanRefused("below_min_qty", {"venue": venue, "qty": str(qty), "min_qty": str(spec.min_qty)})
        notional = qty * prices[venue]
        if notional < spec.min_notional:
            raise PlanRefused("below_min_notional", {"venue": venue, "notional": str(notional),
                                                     "min_notional": str(spec.min_notional)})
    return Sizing(qty=qty, step=step, prices=dict(prices))
