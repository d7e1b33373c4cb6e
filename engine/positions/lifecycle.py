"""The position lifecycle as pure functions: (position, orders, input) → Transition.

A Transition says what to persist (position and orders), what to send to the broker (in order)
and which events to publish afterwards. Nothing here does I/O, so every rule is testable alone:
entry fill → stop and targets; TP1 → its share closed, stop to breakeven; last target → closed;
stop → closed; trailing after TP1; time stop; manual/panic close. The stop only ever tightens here;
changes asked for from the chat (partial close, addition, stop and target moves) are in
``engine.positions.adjust``, whose fills come back through ``on_fill``.
A target the venue refuses because its price is already crossed is taken at market
(``take_target``): the same leg, so its fill moves the lifecycle on exactly as a target's does.
The values a step is made of and the pure order helpers (protective orders, fills applied to orders,
targets refused or lost) are in ``engine.positions.orders``, re-exported here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from engine.domain.events import (
    Event,
    OrderFilled,
    PositionClosed,
    PositionOpened,
    StopMoved,
    StopMovedToBreakeven,
    TargetHit,
)
from engine.domain.models import (
    ALGO_ENTRY_LEGS,
    ALGO_EXIT_LEGS,
    ENTRY_LEGS,
    CloseReason,
    Exit,
    Fill,
    Leg,
    Order,
    OrderStatus,
    OrderType,
    Position,
    PositionState,
    Signal,
    Target,
    client_order_id,
)
from engine.domain.values import HUNDRED, ONE, ZERO, price_toward
from engine.positions.orders import (
    Action,
    CancelOrder,
    Context,
    PlaceOrder,
    Transition,
    _protective_orders,
    _tighter,
    apply_fill_to_order,
    breakeven_price,
    live,
    missing_targets,
    next_attempt,
    split_quantities,
    stop_order,
    take_target,
    target_number,
)

# the public surface: the lifecycle's own steps, and the values and order helpers of engine.positions.orders
# (callers use them as ``lifecycle.X``; the two private helpers are used by engine.positions.adjust and
# engine.execution)
__all__ = [
    "open_position", "on_fill", "on_price", "close", "entry_failed",
    "Action", "CancelOrder", "Context", "PlaceOrder", "Transition", "_protective_orders", "_tighter",
    "apply_fill_to_order", "breakeven_price", "live", "missing_targets", "next_attempt", "split_quantities",
    "stop_order", "take_target", "target_number",
]


# --- opening ---------------------------------------------------------------------------------------
def open_position(signal: Signal, position_id: str, qty: Decimal, now: datetime, *, single_target: bool,
                  trailing_pct: Decimal = ZERO, time_stop_at: datetime | None = None,
                  liquidation_price: Decimal | None = None, venue: str = "default") -> Transition:
    targets = signal.targets
    if single_target or len(targets) == 1:
        targets = (Target(targets[0].price, ONE),)
    pos = Position(
        id=position_id, signal_id=signal.id, symbol=signal.symbol, side=signal.side,
        state=PositionState.PENDING, qty=qty, remaining=ZERO, entry_price=signal.entry,
        stop_price=signal.stop, initial_stop=signal.stop, targets=targets, leverage=signal.leverage,
        created_at=now, trailing_pct=trailing_pct, time_stop_at=time_stop_at,
        liquidation_price=liquidation_price, venue=venue,
    )
    entry = Order(client_id=client_order_id(position_id, Leg.ENTRY.value, 0), position_id=position_id,
                  leg=Leg.ENTRY.value, symbol=signal.symbol, action=signal.side.entry_action,
                  type=OrderType.MARKET, qty=qty, created_at=now, venue=venue)
    return Transition(pos, (entry,), (PlaceOrder(entry),))


def on_fill(pos: Position, orders: list[Order], order: Order | None, fill: Fill, ctx: Context, *,
            move_stop: bool = True) -> Transition:
    """Apply one fill of one of the position's orders (``order`` None: a liquidation).

    ``move_stop=False``: a completed target leaves the stop where it is (the rest of the position
    is already gone on the venue, so no stop is to be placed for it)."""
    now = fill.ts
    filled_event = OrderFilled(ts=now, paper=ctx.paper, position_id=pos.id, signal_id=pos.signal_id,
                               client_id=fill.client_id, leg=order.leg if order else "liq", symbol=pos.symbol,
                               qty=fill.qty, price=fill.price, fee=fill.fee)
    if order is not None and order.leg in ALGO_ENTRY_LEGS:  # a TWAP's or an iceberg's entry slice
        from engine.execution import algos  # the algorithms build on this module

        return algos.on_entry_slice_fill(pos, orders, apply_fill_to_order(order, fill), fill, ctx, filled_event)
    if order is not None and order.leg == Leg.ADD.value:  # an addition from the chat
        from engine.positions import adjust  # adjust builds on this module

        return adjust.on_add_fill(pos, orders, apply_fill_to_order(order, fill), fill, ctx, filled_event)
    if order is not None and pos.close_reason is not None and (order.leg == Leg.SCALE.value or (
            order.leg == Leg.ENTRY.value and pos.state is PositionState.OPEN)):
        from engine.positions import adjust  # a part or the entry filled while closing: closed too

        return adjust.orphan_fill(pos, orders, order, fill, ctx)
    if order is not None and (order.leg == Leg.SCALE.value or (
            order.leg == Leg.ENTRY.value and pos.state is PositionState.OPEN)):
        # a scale-in part, or a further fill of a limit entry (the position opened at its first fill, or
        # the rest was cancelled and the fill raced it): the stop and targets re-sized for all that is held
        from engine.positions import adjust

        return adjust.on_add_fill(pos, orders, apply_fill_to_order(order, fill), fill, ctx, filled_event,
                                  every_fill=True)
    if order is not None and order.leg == Leg.ENTRY.value:
        return _on_entry_fill(pos, orders, apply_fill_to_order(order, fill), fill, ctx, filled_event)
    return _on_exit_fill(pos, orders, apply_fill_to_order(order, fill) if order else None, fill, ctx,
                         filled_event, move_stop)


def _on_entry_fill(pos: Position, orders: list[Order], order: Order, fill: Fill, ctx: Context,
                   ev: OrderFilled) -> Transition:
    had = pos.remaining
    total = had + fill.qty
    entry_price = fill.price if had == 0 else (pos.entry_price * had + fill.price * fill.qty) / total
    pos = replace(pos, remaining=total, entry_price=entry_price, fees=pos.fees + fill.fee,
                  realized_pnl=pos.realized_pnl - fill.fee, best_price=entry_price)
    partial = order.status is not OrderStatus.FILLED
    if partial and order.type is not OrderType.LIMIT:  # a market entry in pieces: opened when complete
        return Transition(pos, (order,), (), (ev,))
    # complete, or the first fill of a limit entry: opened for what filled and protected from this fill on;
    # the limit's further fills re-size the stop and targets (``on_fill`` → ``adjust.on_add_fill``)
    pos = replace(pos, state=PositionState.OPEN, qty=total, opened_at=fill.ts)
    protective = _protective_orders(pos, ctx, fill.ts)
    actions = [PlaceOrder(protective[0], protective=True)] + [PlaceOrder(o) for o in protective[1:]]
    opened = PositionOpened(ts=fill.ts, paper=ctx.paper, position=pos, single_target=len(pos.targets) == 1,
                            partial=partial)
    return Transition(pos, (order, *protective), tuple(actions), (ev, opened))


def _exit_reason(pos: Position, order: Order | None) -> str:
    if order is None:
        return "liquidation"
    if order.leg.startswith("tp"):
        return order.leg
    if order.leg == Leg.STOP.value:
        return pos.stop_kind
    return pos.close_reason.value if pos.close_reason else CloseReason.MANUAL.value


def _close_reason(exit_reason: str) -> CloseReason:
    if exit_reason.startswith("tp"):
        return CloseReason.TARGET
    return CloseReason(exit_reason)


def _on_exit_fill(pos: Position, orders: list[Order], order: Order | None, fill: Fill, ctx: Context,
                  ev: OrderFilled, move_stop: bool = True) -> Transition:
    now = fill.ts
    qty = min(fill.qty, pos.remaining)
    gross = (fill.price - pos.entry_price) * qty * pos.side.sign
    reason = _exit_reason(pos, order)
    exit_ = Exit(ts=now, price=fill.price, qty=qty, reason=reason, fee=fill.fee, pnl=gross - fill.fee)
    pos = replace(pos, remaining=pos.remaining - qty, fees=pos.fees + fill.fee,
                  realized_pnl=pos.realized_pnl + gross - fill.fee, exits=(*pos.exits, exit_))
    changed: list[Order] = [order] if order else []
    others = [o for o in live(orders) if order is None or o.client_id != order.client_id]
    events: list[Event] = [ev]
    if pos.remaining <= 0:
        if order is not None and order.reduce_only and order.status is not OrderStatus.FILLED:
            order = replace(order, status=OrderStatus.FILLED)  # the venue clamped it to what was left: done
            changed = [order]
        close_reason = _close_reason(reason)
        pos = replace(pos, state=PositionState.CLOSED, remaining=ZERO, closed_at=now, close_reason=close_reason)
        if order is not None and order.leg.startswith("tp"):
            n = int(order.leg[2:])
            pos = replace(pos, targets_hit=max(pos.targets_hit, n))
            events.append(_target_hit(pos, n, order, None, ctx, now))
        events.append(PositionClosed(ts=now, paper=ctx.paper, position=pos, reason=close_reason,
                                     pnl=pos.realized_pnl, fees=pos.fees, exit_price=fill.price))
        return Transition(pos, tuple(changed), tuple(CancelOrder(o) for o in others), tuple(events))
    if order is not None and order.leg in (Leg.REDUCE.value, *ALGO_EXIT_LEGS) and order.status is OrderStatus.FILLED:
        from engine.positions import adjust  # a partial close (chat, exit slice): protection re-sized

        return adjust.resized(pos, orders, ctx, now, order, events)
    if order is None or not order.leg.startswith("tp") or order.status is not OrderStatus.FILLED:
        return Transition(pos, tuple(changed), (), tuple(events))
    # a target completed and something remains
    n = int(order.leg[2:])
    pos = replace(pos, targets_hit=max(pos.targets_hit, n))
    if not move_stop:
        events.append(_target_hit(pos, n, order, None, ctx, now))
        return Transition(pos, tuple(changed), (), tuple(events))
    old_stop = next((o for o in others if o.leg == Leg.STOP.value), None)
    new_stop_price = pos.stop_price
    kind = pos.stop_kind
    if not pos.breakeven:
        be = breakeven_price(pos, ctx)
        if _tighter(pos, be):
            new_stop_price, kind = be, "breakeven"
    new_pos = replace(pos, stop_price=new_stop_price, stop_kind=kind, breakeven=True, stop_seq=pos.stop_seq + 1)
    stop = stop_order(new_pos, new_pos.stop_seq, new_stop_price, new_pos.remaining, now)
    actions: list[Action] = [PlaceOrder(stop, protective=True)]  # the new stop first, then the old one goes
    if old_stop is not None:
        actions.append(CancelOrder(old_stop))
    events.append(_target_hit(new_pos, n, order, new_stop_price, ctx, now))
    if not pos.breakeven and kind == "breakeven":
        events.append(StopMovedToBreakeven(ts=now, paper=ctx.paper, position=new_pos, old_stop=pos.stop_price,
                                           new_stop=new_stop_price))
    return Transition(new_pos, (*changed, stop), tuple(actions), tuple(events))


def _target_hit(pos: Position, n: int, order: Order, new_stop: Decimal | None, ctx: Context,
                now: datetime) -> TargetHit:
    reason = f"tp{n}"
    pnl = sum((e.pnl for e in pos.exits if e.reason == reason), ZERO)
    qty = sum((e.qty for e in pos.exits if e.reason == reason), ZERO)
    return TargetHit(ts=now, paper=ctx.paper, position=pos, target=n, qty=qty, price=order.avg_price or ZERO,
                     pnl=pnl, new_stop=new_stop)


# --- prices and requests -------------------------------------------------------------------------------
def on_price(pos: Position, orders: list[Order], price: Decimal, now: datetime, ctx: Context) -> Transition | None:
    """Trailing stop (after TP1, or from a profit: ``_trail_distance``) and the time stop; None when nothing changes but the best price."""
    if pos.state is not PositionState.OPEN:
        return None
    if pos.time_stop_at is not None and now >= pos.time_stop_at and not _close_pending(orders):
        return close(pos, orders, CloseReason.TIME, now, ctx)
    best = pos.best_price if pos.best_price is not None else pos.entry_price
    if (price - best) * pos.side.sign > 0:
        best = price
    distance = _trail_distance(pos, best, ctx)
    if distance is None:
        return None
    candidate = price_toward(best * (ONE - pos.side.sign * distance / HUNDRED), ctx.market.price_step,
                             up=pos.side.sign < 0)
    if not _tighter(pos, candidate) or (price - candidate) * pos.side.sign <= 0:
        return None
    old = next((o for o in live(orders) if o.leg == Leg.STOP.value), None)
    new_pos = replace(pos, best_price=best, stop_price=candidate, stop_kind="trailing", stop_seq=pos.stop_seq + 1)
    stop = stop_order(new_pos, new_pos.stop_seq, candidate, pos.remaining, now)
    actions: list[Action] = [PlaceOrder(stop, protective=True)]
    if old is not None:
        actions.append(CancelOrder(old))
    ev = StopMoved(ts=now, paper=ctx.paper, position=new_pos, old_stop=pos.stop_price, new_stop=candidate)
    return Transition(new_pos, (stop,), tuple(actions), (ev,))


def _trail_distance(pos: Position, best: Decimal, ctx: Context) -> Decimal | None:
    """The trailing distance (%) in force: after TP1 the position's own, and from a profit of
    ``trail_activation_pct`` (best price against entry) the profit trail's; the tighter of the two."""
    found: list[Decimal] = []
    if pos.trailing_pct > 0 and pos.targets_hit >= 1:
        found.append(pos.trailing_pct)
    if ctx.trail_distance_pct > 0 and pos.entry_price > 0:
        profit_pct = (best - pos.entry_price) * pos.side.sign / pos.entry_price * HUNDRED
        if profit_pct >= ctx.trail_activation_pct:
            found.append(ctx.trail_distance_pct)
    return min(found) if found else None


def _close_pending(orders: list[Order]) -> bool:
    return any(o.leg == Leg.CLOSE.value and not o.status.is_final for o in orders)


def close(pos: Position, orders: list[Order], reason: CloseReason, now: datetime, ctx: Context) -> Transition | None:
    """Close what remains at market (manual, time, panic, fallback). None when nothing to do."""
    if pos.state is PositionState.PENDING:
        entry = [o for o in live(orders) if o.leg in ENTRY_LEGS]
        return Transition(replace(pos, close_reason=reason), (), tuple(CancelOrder(o) for o in entry))
    if pos.state is not PositionState.OPEN or pos.remaining <= 0 or _close_pending(orders):
        return None
    resting = [o for o in live(orders) if o.leg == Leg.ENTRY.value]  # a limit entry's rest: no more opening
    order = Order(client_id=client_order_id(pos.id, Leg.CLOSE.value, pos.close_seq), position_id=pos.id,
                  venue=pos.venue,
                  leg=Leg.CLOSE.value, symbol=pos.symbol, action=pos.side.exit_action, type=OrderType.MARKET,
                  qty=pos.remaining, created_at=now, reduce_only=True)
    new_pos = replace(pos, close_reason=reason, close_seq=pos.close_seq + 1)
    return Transition(new_pos, (order,), (*(CancelOrder(o) for o in resting), PlaceOrder(order)))


def entry_failed(pos: Position, now: datetime) -> Position:
    return replace(pos, state=PositionState.FAILED, closed_at=now)
