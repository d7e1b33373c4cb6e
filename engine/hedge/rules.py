"""What to do with a round at a price: pure functions, no I/O.

``decide(round, marks, now, rules)`` returns the actions in the order they must be taken:
force-close at the deadline (or on request), close a leg losing ``stop_pct`` or more (unless a
resting stop on its venue does it), place a reduce-only limit at ``take_pct`` from the entry on a
leg gaining that much, and cancel that limit when the price falls back (``take_fallback=cancel``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from engine.domain.hedge import HedgeLeg, HedgeRound, LegExit, RoundState
from engine.domain.values import HUNDRED, ONE, price_toward


@dataclass(frozen=True, slots=True)
class Rules:
    stop_pct: Decimal
    take_pct: Decimal
    take_fallback: str = "keep"  # keep | cancel


@dataclass(frozen=True, slots=True)
class Action:
    kind: str  # "close", "place_tp", "cancel_tp"
    role: str
    reason: LegExit | None = None


def stop_price(leg: HedgeLeg, rules: Rules, tick: Decimal) -> Decimal:
    """Where the leg has lost ``stop_pct``: below the entry for a long, above for a short."""
    assert leg.entry is not None
    raw = leg.entry * (ONE - leg.side.sign * rules.stop_pct / HUNDRED)
    return price_toward(raw, tick, up=leg.side.sign < 0)  # on the tick at or past the distance: loss ≥ stop_pct


def take_price(leg: HedgeLeg, rules: Rules, tick: Decimal) -> Decimal:
    """``take_pct`` from the entry, in the leg's favour (rounded toward the entry's far side)."""
    assert leg.entry is not None
    raw = leg.entry * (ONE + leg.side.sign * rules.take_pct / HUNDRED)
    return price_toward(raw, tick, up=leg.side.sign > 0)


def decide(rnd: HedgeRound, marks: dict[str, Decimal | None], now: datetime, rules: Rules) -> list[Action]:
    if rnd.state is not RoundState.OPEN:
        return []
    open_legs = [leg for leg in rnd.legs if leg.is_open and leg.closing is None]
    if rnd.stop_requested or now >= rnd.deadline:
        return [Action("close", leg.role, LegExit.FORCE) for leg in open_legs]
    actions: list[Action] = []
    for leg in open_legs:
        mark = marks.get(leg.role)
        if mark is None:
            continue
        pct = leg.pnl_pct(mark)
        if pct <= -rules.stop_pct:
            if not leg.stop_resting:
                actions.append(Action("close", leg.role, LegExit.STOP))
        elif pct >= rules.take_pct:
            if not leg.tp_active:
                actions.append(Action("place_tp", leg.role))
        elif leg.tp_active and rules.take_fallback == "cancel":
            actions.append(Action("cancel_tp", leg.role))
    return actions
