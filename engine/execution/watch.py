"""Drives limit entries and scale-ins on every tick (backtest, paper and live alike): ends a limit
entry at its fill threshold or timeout, and places a scale-in's resting parts once the position is
open (a limit entry opens the position at its first fill; this only cancels its rest). Called
after the manager, through its ``adjust`` (one step under its lock)."""

from __future__ import annotations

from collections.abc import Callable

from engine.clock import Clock
from engine.domain.models import Leg, OrderType, PositionState
from engine.execution.entry import EntryPlan, finish_entry, scale_orders
from engine.market.base import PriceTick
from engine.positions.manager import PositionManager


class EntryWatch:
    def __init__(self, manager: PositionManager, clock: Clock, plan: Callable[[], EntryPlan]) -> None:
        self.manager, self.clock, self._plan = manager, clock, plan

    async def on_tick(self, tick: PriceTick) -> None:
        held = self.manager.positions_on(tick.symbol)
        if not held:
            return
        plan = self._plan()
        now = self.clock.now()
        for pos in held:
            orders = self.manager.orders_of(pos.id)
            if pos.state in (PositionState.PENDING, PositionState.OPEN) and any(
                    o.leg == Leg.ENTRY.value and o.type is OrderType.LIMIT and not o.status.is_final for o in orders):
                await self.manager.adjust(pos.id, lambda p, o, c: finish_entry(p, o, now, c, plan))
            elif pos.state is PositionState.OPEN and plan.scales and not any(o.leg == Leg.SCALE.value for o in orders):
                await self.manager.adjust(pos.id, lambda p, o, c: scale_orders(p, o, now, c, plan))
