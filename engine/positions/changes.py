"""Changes to an open position asked for from the chat (partial close, stop and target moves,
additions: the pure transitions of ``engine.positions.adjust``), a scale-in part that filled on
the venue after its position closed, and a limit entry's fill that raced its cancel after the
entry ended "not filled" (``engine.execution.entry.late_fill``). Both go through the position manager's public API: under its
lock, one unit of work per step (``PositionManager.apply``), no commit path of their own."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from engine.domain.models import ENTRY_LEGS, CloseReason, Fill, Leg, Order, Position, PositionState
from engine.execution.entry import late_fill
from engine.positions import adjust
from engine.positions import lifecycle as lc

if TYPE_CHECKING:
    from engine.positions.manager import PositionManager

log = logging.getLogger("engine.positions")

# (position, its orders, context) → a Transition to execute, or anything else to hand back (a refusal)
Build = Callable[[Position, list[Order], lc.Context], object]


async def adjust_position(manager: PositionManager, position_id: str, build: Build, *,
                          dry_run: bool = False) -> tuple[object, Position | None]:
    """Run ``build(position, orders, context)`` under the manager's lock; a Transition it returns is
    applied (not with ``dry_run``), its fills are taken after. Answers (what ``build`` returned, the
    position after) — (None, None) for no open position."""
    async with manager.locked():
        pos = manager.position(position_id)
        if pos is None:
            return None, None
        result = build(pos, manager.orders_of(pos.id), await manager.ctx(pos.symbol))
        if isinstance(result, lc.Transition) and not dry_run:
            await manager.apply(result)
    await manager.process_inbox()
    return result, manager.position(position_id) or await manager.repo.get_position(position_id)


def orphaned(pos: Position, order: Order) -> bool:
    """A scale-in part's (an entry slice's, a limit entry's rest) fill for a position already closed (one gap
    through the part and the stop; the rest of a partly filled limit entry racing its cancel at the close)."""
    return not pos.is_open and order.leg in ENTRY_LEGS + (Leg.SCALE.value,) and pos.state is PositionState.CLOSED


async def close_orphan(manager: PositionManager, pos: Position, orders: list[Order], order: Order,
                       fill: Fill) -> None:
    """What the part opened is held again and closed at market (``adjust.orphan_fill``): one step, the
    fill recorded in its commit. Lock held; ``orders``: all of the position's orders."""
    log.warning("scale-in part %s filled after position %s closed: closing it", fill.client_id, pos.id)
    tr = adjust.orphan_fill(pos, orders, order, fill, await manager.ctx(pos.symbol))
    # held again with all its orders in view; its realized PnL as it was, so only the fee is booked
    manager.remember(replace(pos, state=PositionState.OPEN), orders)
    try:
        await manager.apply(tr, fill)
    except BaseException:
        manager.remember(pos)  # not applied: forgotten again
        raise


def late_entry(pos: Position, order: Order) -> bool:
    """An entry fill for a limit entry already ended "not filled": the fill raced the cancel."""
    return order.leg == Leg.ENTRY.value and pos.close_reason is CloseReason.NOT_FILLED


async def open_late_entry(manager: PositionManager, pos: Position, orders: list[Order], order: Order,
                          fill: Fill) -> None:
    """The position is opened for what filled and protected (``late_fill``): one step, the fill
    recorded in its commit. Lock held; ``orders``: all of the position's orders."""
    log.warning("entry %s filled after it ended not filled: position %s opened for %s", fill.client_id, pos.id,
                fill.qty)
    tr = late_fill(pos, orders, order, fill, await manager.ctx(pos.symbol))
    manager.remember(replace(pos, state=PositionState.PENDING), orders)  # held again, its orders in view
    try:
        await manager.apply(tr, fill)
    except BaseException:
        manager.remember(pos)  # not applied: as it was
        raise
