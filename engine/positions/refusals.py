"""What an order the venue refused means for its position (``placement_failed``), decided with the
manager's public API: an entry refused fails the position; a target refused because its price is
already crossed is taken at market (``lifecycle.take_target``); a reduce-only order refused on a
position already flat on the venue raises no alarm (``flat.already_flat``); a stop that cannot be
placed closes the position at market; anything else is told (an ``EngineError`` alert)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from engine.brokers.errors import (
    AuthError,
    BrokerError,
    InsufficientFunds,
    InvalidOrder,
    WouldTriggerImmediately,
)
from engine.domain.models import CloseReason, Leg, Order, Position
from engine.domain.reasons import ErrorCode
from engine.positions import flat
from engine.positions import lifecycle as lc

if TYPE_CHECKING:
    from engine.positions.manager import PositionManager

log = logging.getLogger("engine.positions")


def error_code(exc: BrokerError) -> ErrorCode:
    """What a venue error means for a human: auth errors pause trading (see RiskService)."""
    if isinstance(exc, AuthError):
        return ErrorCode.AUTH
    if isinstance(exc, InsufficientFunds):
        return ErrorCode.INSUFFICIENT_FUNDS
    if exc.retryable:
        return ErrorCode.NETWORK
    return ErrorCode.EXCHANGE_REJECTED


async def placement_failed(mgr: PositionManager, pos: Position, order: Order, action: lc.PlaceOrder,
                       exc: BrokerError) -> lc.Transition | None:
    """``order`` was refused (it carries its REJECTED status): it is staged (or saved) here with
    the alert it causes, if any."""
    pos = mgr.position(pos.id) or pos
    now = mgr.clock.now()
    if order.leg == Leg.ENTRY.value:
        failed = lc.entry_failed(pos, now)
        alert = mgr.engine_error(error_code(exc), f"{exc.code}: {exc}", pos.id, pos.signal_id)
        await mgr.record(failed, [order], events=(alert,), alerts=(alert,))
        return None
    if lc.target_number(order.leg) is not None and isinstance(exc, WouldTriggerImmediately):
        mgr.stage(order)
        log.info("target %s is already crossed: taking it at market", order.client_id)
        return lc.take_target(pos, mgr.orders_of(pos.id), order, now)
    if order.reduce_only and isinstance(exc, InvalidOrder | WouldTriggerImmediately) \
            and await flat.already_flat(mgr, pos, skip=order.client_id):
        mgr.stage(order)
        log.info("%s not placed: position %s is already flat on the venue", order.client_id, pos.id)
        return None
    if action.protective:
        mgr.stage(order, mgr.engine_error(ErrorCode.STOP_NOT_PLACED, f"{exc.code}: {exc}",
                                              pos.id, pos.signal_id))
        reason = CloseReason.STOP if isinstance(exc, WouldTriggerImmediately) or not pos.breakeven else CloseReason.BREAKEVEN
        return lc.close(pos, mgr.orders_of(pos.id), reason, now, await mgr.ctx(pos.symbol))
    mgr.stage(order, mgr.engine_error(error_code(exc), f"{order.leg} {exc.code}: {exc}",
                                          pos.id, pos.signal_id))
    return None
