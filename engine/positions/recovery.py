"""Resume after a restart: reconcile our orders with the broker by client id, apply missed fills,
re-send what was persisted but never reached the broker, cancel a stop superseded by a moved one
and the orders a finished position left resting, and make sure every open position has a stop
and an order for each target not hit yet (a target whose price is already crossed is taken).

Missed fills go through the manager's inbox, earliest first, so what happened while the bot was
down is told with the same events as live (TargetHit, StopMovedToBreakeven, PositionClosed).
Only anomalies (``RecoveryReport.anomalies``) need a human: applied fills, re-sent orders and
re-placed targets are the normal lifecycle."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from engine.domain.models import Leg, OrderStatus, PositionState, client_order_id
from engine.positions import lifecycle as lc
from engine.positions.manager import PositionManager

log = logging.getLogger("engine.recovery")


@dataclass
class RecoveryReport:
    checked: int = 0
    resent: list[str] = field(default_factory=list)
    fills_applied: int = 0
    lost: list[str] = field(default_factory=list)
    stops_replaced: list[str] = field(default_factory=list)
    failed_entries: list[str] = field(default_factory=list)
    old_stops_cancelled: list[str] = field(default_factory=list)
    leftovers_cancelled: list[str] = field(default_factory=list)
    targets_placed: list[str] = field(default_factory=list)

    @property
    def repaired(self) -> bool:
        """Anything done at all (logged)."""
        return bool(self.resent or self.fills_applied or self.targets_placed) or self.anomalies

    @property
    def anomalies(self) -> bool:
        """Something a human should hear about: an order lost, a stop gone, an entry never sent, our
        own orders left behind. Fills applied and orders re-sent are told by their own events."""
        return bool(self.lost or self.stops_replaced or self.failed_entries or self.old_stops_cancelled
                    or self.leftovers_cancelled)


async def recover(mgr: PositionManager) -> RecoveryReport:
    """At start, and from the periodic reconciliation while the engine trades. Each check and
    repair holds the manager's lock: orders are only placed under it, so while we hold it no order
    of ours is on its way and a NEW order is one that never got an answer (sent or not)."""
    report = RecoveryReport()
    async with mgr.locked():
        await mgr.load()
    for listed in await mgr.repo.live_orders():
        async with mgr.locked():
            await _check_order(mgr, listed.client_id, report)
    async with mgr.locked():
        await mgr.load()
    await mgr.process_inbox()
    async with mgr.locked():
        await mgr.load()
        await _cancel_superseded_stops(mgr, report)
        await _ensure_stops(mgr, report)
        await _ensure_targets(mgr, report)
    await mgr.process_inbox()  # the fills of targets taken at market just now (a synchronous venue)
    if report.repaired:
        log.info("recovery: %s", report)
    return report


async def _check_order(mgr: PositionManager, client_id: str, report: RecoveryReport) -> None:
    """One order the database says is live, against the venue. Called with the lock held."""
    order = await mgr.repo.get_order(client_id)
    if order is None or order.status.is_final:
        return  # settled since the list was read
    report.checked += 1
    now = mgr.clock.now()
    pos = mgr.position(order.position_id) or await mgr.repo.get_position(order.position_id)
    if pos is None:
        return
    venue = await mgr.broker.fetch_order(order.client_id, order.symbol)
    if venue is None:
        if order.status is OrderStatus.NEW and order.leg == Leg.ENTRY.value:
            # never reached the broker: do not enter late, fail the position
            await mgr.record(lc.entry_failed(pos, now), [replace(order, status=OrderStatus.REJECTED,
                                                                 error="not sent before restart")])
            report.failed_entries.append(pos.id)
        elif order.status is OrderStatus.NEW and pos.is_open and (pos.close_reason is None
                                                               or order.leg == Leg.CLOSE.value):
            extra = await mgr.place(pos, lc.PlaceOrder(order, protective=order.leg == Leg.STOP.value))
            if extra is not None:  # a stop that cannot rest: the position is closed at market now
                await mgr.apply(extra)
            report.resent.append(order.client_id)
        else:
            await mgr.record(None, [replace(order, status=OrderStatus.CANCELLED, error="unknown at venue")])
            report.lost.append(order.client_id)
        return
    fills = await mgr.broker.fetch_fills(order.client_id, order.symbol)
    for fill in fills:
        mgr.on_fill(fill)
    report.fills_applied += len(fills)
    if not pos.is_open and not venue.status.is_final:
        # the position is over, its cancels never happened (a crash, or they failed): a reduce-only
        # order left resting would hit the next position on the symbol
        await mgr.cancel(pos, order)
        report.leftovers_cancelled.append(order.client_id)
    elif venue.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED) and not fills:
        await mgr.record(None, [replace(order, status=venue.status)])
    elif order.status is OrderStatus.NEW:
        await mgr.record(None, [replace(order, status=OrderStatus.OPEN, exchange_id=venue.exchange_id)])


async def _ensure_stops(mgr: PositionManager, report: RecoveryReport) -> None:
    """Every open position has a live stop; one is placed where none is. Called with the lock held."""
    now = mgr.clock.now()
    for pos in mgr.open_positions():
        if pos.state is not PositionState.OPEN:
            continue
        orders = mgr.orders_of(pos.id)
        if any(o.leg == Leg.STOP.value and not o.status.is_final for o in orders):
            continue
        new_pos = replace(pos, stop_seq=pos.stop_seq + 1)
        stop = lc.stop_order(new_pos, new_pos.stop_seq, pos.stop_price, pos.remaining, now)
        await mgr.apply(lc.Transition(new_pos, (stop,), (lc.PlaceOrder(stop, protective=True),)))
        report.stops_replaced.append(pos.id)


async def _cancel_superseded_stops(mgr: PositionManager, report: RecoveryReport) -> None:
    """An older stop still resting next to the current one (the bot was killed, or the cancel
    failed, after the moved stop was placed): cancel it, once the current stop rests. Called with
    the lock held."""
    for pos in mgr.open_positions():
        if pos.state is not PositionState.OPEN:
            continue
        current = client_order_id(pos.id, Leg.STOP.value, pos.stop_seq)
        stops = [o for o in mgr.orders_of(pos.id) if o.leg == Leg.STOP.value and not o.status.is_final]
        if not any(o.client_id == current and o.status is OrderStatus.OPEN for o in stops):
            continue  # the current stop is not resting: whatever rests keeps protecting the position
        for old in stops:
            if old.client_id == current:
                continue
            await mgr.cancel(pos, old)
            after = next((o for o in mgr.orders_of(pos.id) if o.client_id == old.client_id), None)
            if after is not None and after.status is OrderStatus.CANCELLED:
                report.old_stops_cancelled.append(old.client_id)


async def _ensure_targets(mgr: PositionManager, report: RecoveryReport) -> None:
    """A target not hit yet with no order working for it (refused as crossed, lost, never sent) gets
    one again; one whose price is already crossed is refused by the venue and so taken at market
    (``PositionManager`` does that for every target). Called with the lock held."""
    now = mgr.clock.now()
    for pos in mgr.open_positions():
        orders = lc.missing_targets(pos, mgr.orders_of(pos.id), await mgr.ctx(pos.symbol), now)
        if orders:
            await mgr.apply(lc.Transition(pos, tuple(orders), tuple(lc.PlaceOrder(o) for o in orders)))
            report.targets_placed.extend(o.client_id for o in orders)
