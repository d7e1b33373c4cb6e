"""Reconciliation with the venue (at start and every few minutes): adopt what the exchange says.

- a position closed on the exchange (stop filled while the bot was down, or closed by hand) is
  closed in the database with its real fills: our orders' fills (recovery.py: told by the same
  events as live), else the venue's trades since it opened (``external``), else — no trade
  found — at the last known price; a ``PositionClosed`` (reason ``external``) tells it;
- a missing protective order is placed again (recovery.py does it for every open position);
- an orphan order of ours (our client id prefix, no live order in the database) is cancelled;
- a venue position we do not know about is reported, never touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from engine.brokers.errors import BrokerError
from engine.domain.events import PositionClosed
from engine.domain.ids import ClientOrderId
from engine.domain.models import CloseReason, Exit, Fill, OrderStatus, Position, PositionState
from engine.domain.values import ZERO
from engine.positions.manager import PositionManager
from engine.positions.recovery import RecoveryReport, recover

log = logging.getLogger("engine.reconcile")


@dataclass
class ReconcileReport:
    recovery: RecoveryReport
    closed_external: list[str] = field(default_factory=list)
    orphans_cancelled: list[str] = field(default_factory=list)
    unknown_positions: list[str] = field(default_factory=list)

    @property
    def repaired(self) -> bool:
        """Whether a human needs to hear about it (the façade raises ``RECONCILED`` then): an
        anomaly — an order lost, a stop gone, a position closed or opened outside the bot, an
        orphan order. Fills applied and orders re-sent are not: their own events told them."""
        return self.recovery.anomalies or bool(self.closed_external or self.orphans_cancelled
                                               or self.unknown_positions)

    def summary(self) -> str:
        """The anomalies, as ``name=count`` pairs."""
        r = self.recovery
        parts = [f"{name}={len(items)}" for name, items in (
            ("orders_lost", r.lost), ("stops_replaced", r.stops_replaced),
            ("entries_failed", r.failed_entries), ("old_stops_cancelled", r.old_stops_cancelled),
            ("leftovers_cancelled", r.leftovers_cancelled),
            ("closed_on_exchange", self.closed_external),
            ("orphans_cancelled", self.orphans_cancelled), ("unknown_positions", self.unknown_positions)) if items]
        return ", ".join(parts)

    def routine(self) -> str:
        """What was done as part of the normal lifecycle (logged only)."""
        r = self.recovery
        return (f"fills_applied={r.fills_applied}, orders_resent={len(r.resent)}, "
                f"targets_placed={len(r.targets_placed)}")


async def reconcile(mgr: PositionManager) -> ReconcileReport:
    report = ReconcileReport(await recover(mgr))
    # positions open BEFORE the venue is asked: one opening meanwhile is not "flat on the venue"
    candidates = [p for p in mgr.open_positions() if p.state is PositionState.OPEN]
    known = {p.symbol for p in mgr.open_positions()}
    venue = {p.symbol: p for p in await mgr.broker.positions()}
    now = mgr.clock.now()
    for pos in candidates:
        if pos.symbol in venue and venue[pos.symbol].qty > 0:
            continue
        # flat on the venue but open here: first the fills of its own live orders (one of ours may
        # have filled after recovery looked, e.g. the market close of a stop that could not be put back)
        await _own_fills(mgr, pos)
        # still open and no fill explains it: adopt the venue's word
        async with mgr.locked():
            current = mgr.position(pos.id)
            if current is None or current.state is not PositionState.OPEN:
                continue
            exits, trades = await _outside_exits(mgr, current)
            left = current.remaining - sum((e.qty for e in exits), ZERO)
            if left > 0:  # no trade found for (the rest of) it: the last known price
                mark = mgr.broker.mark_price(pos.symbol) or pos.stop_price
                gross = (mark - pos.entry_price) * left * pos.side.sign
                exits.append(Exit(ts=now, price=mark, qty=left, reason=CloseReason.EXTERNAL.value, fee=ZERO,
                                  pnl=gross))
            fees = sum((e.fee for e in exits), ZERO)
            closed = replace(current, state=PositionState.CLOSED, remaining=ZERO,
                             closed_at=max((e.ts for e in exits), default=now), close_reason=CloseReason.EXTERNAL,
                             realized_pnl=current.realized_pnl + sum((e.pnl for e in exits), ZERO),
                             fees=current.fees + fees, exits=(*current.exits, *exits))
            stale = [replace(o, status=OrderStatus.CANCELLED, error="position closed on the exchange")
                     for o in mgr.orders_of(pos.id) if not o.status.is_final]
            await mgr.record(closed, stale, fills=trades)  # the venue's trades recorded with what they did
        for order in stale:
            try:
                await mgr.broker.cancel_order(order.client_id, order.symbol)
            except Exception:  # already gone on the venue
                pass
        report.closed_external.append(pos.id)
        # told on the card's thread like any close (with its PnL); the "needs attention" alert follows
        await mgr.publish(PositionClosed(ts=now, paper=mgr.paper, position=closed, reason=CloseReason.EXTERNAL,
                                         pnl=closed.realized_pnl, fees=closed.fees,
                                         exit_price=closed.exits[-1].price if closed.exits else None))
    # the venue's orders BEFORE the database's: an order placed meanwhile is in the database first
    resting = await mgr.broker.open_orders()
    live_ids = {o.client_id for o in await mgr.repo.live_orders()}
    for venue_order in resting:
        if ClientOrderId.is_ours(venue_order.client_id) and venue_order.client_id not in live_ids:
            try:
                await mgr.broker.cancel_order(venue_order.client_id, venue_order.symbol)
                report.orphans_cancelled.append(venue_order.client_id)
            except Exception as exc:
                log.warning("orphan %s not cancelled: %s", venue_order.client_id, exc)
    # ours when the venue was asked, or since: one that closed meanwhile (its fill came in while
    # this ran) was on the venue then, and is not a stranger
    ours = known | {p.symbol for p in mgr.open_positions()}
    report.unknown_positions = [s for s, p in venue.items() if p.qty > 0 and s not in ours]
    if report.repaired:
        log.warning("reconciliation: %s (%s)", report.summary(), report.routine())
    elif report.recovery.repaired:
        log.info("reconciliation: %s", report.routine())
    return report


async def _own_fills(mgr: PositionManager, pos: Position) -> None:
    for order in [o for o in mgr.orders_of(pos.id) if not o.status.is_final]:
        try:
            fills = await mgr.broker.fetch_fills(order.client_id, order.symbol)
        except BrokerError as exc:
            log.warning("fills of %s not available: %s", order.client_id, exc)
            continue
        for fill in fills:
            mgr.on_fill(fill)
    await mgr.process_inbox()


async def _outside_exits(mgr: PositionManager, pos: Position) -> tuple[list[Exit], list[Fill]]:
    """The venue's trades that closed ``pos`` outside the bot (by hand, liquidation), with the fills
    to record for them; empty when the broker cannot list an account's trades or none is found."""
    fills_since = getattr(mgr.broker, "fills_since", None)
    if fills_since is None or pos.opened_at is None:
        return [], []
    try:
        trades: list[Fill] = await fills_since(pos.symbol, pos.opened_at)
    except BrokerError as exc:
        log.warning("trades of %s not available (%s): closing %s at the last price", pos.symbol, exc, pos.id)
        return [], []
    known = {f.trade_id for f in await mgr.repo.fills_for(pos.id)}
    exits: list[Exit] = []
    used: list[Fill] = []
    left = pos.remaining
    for fill in sorted(trades, key=lambda f: f.ts):
        if left <= 0:
            break
        if fill.trade_id in known or fill.action is not pos.side.exit_action or fill.ts < pos.opened_at:
            continue
        qty = min(fill.qty, left)
        gross = (fill.price - pos.entry_price) * qty * pos.side.sign
        used.append(fill)
        exits.append(Exit(ts=fill.ts, price=fill.price, qty=qty, reason=CloseReason.EXTERNAL.value, fee=fill.fee,
                          pnl=gross - fill.fee))
        left -= qty
    return exits, used
