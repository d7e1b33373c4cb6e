"""Changes to an open position asked for from the chat, as pure functions → lifecycle Transitions.

- ``reduce``: a partial close (reduce-only market order, leg ``rd``); when it has filled, ``resized``
  replaces the stop and the targets not hit yet with orders for what remains.
- ``add``: an addition (market order, leg ``ad``); its fill re-averages the entry, re-plans the
  breakeven price (a breakeven stop follows it only when that is tighter) and re-sizes the same way.
- ``move_stop``: tighter always; looser only with ``allow_loosen`` (an admin's explicit second tap).
- ``move_target``: target N not hit yet, to a price still on the profit side of the market.

A refusal is a ``Refusal`` with a reason code. Client ids stay deterministic: the next attempt of
the leg (``lifecycle.next_attempt``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from engine.domain.events import (
    Event,
    OrderFilled,
    PositionResized,
    StopMovedByHand,
    StopMovedToBreakeven,
    TargetMoved,
)
from engine.domain.models import (
    CloseReason,
    Fill,
    Leg,
    Order,
    OrderStatus,
    OrderType,
    Position,
    PositionState,
    Target,
    client_order_id,
    split_by_shares,
)
from engine.domain.reasons import AdjustReason
from engine.domain.values import ZERO, Side, floor_to_step, price_toward
from engine.positions import lifecycle as lc

BUSY_LEGS = (Leg.CLOSE.value, Leg.REDUCE.value, Leg.ADD.value)


@dataclass(frozen=True)
class Refusal:
    reason: AdjustReason
    detail: dict[str, str] = field(default_factory=dict)


Result = lc.Transition | Refusal


def ready(pos: Position, orders: list[Order]) -> Refusal | None:
    """None when ``pos`` may be changed now: open, not closing, no close, partial close or addition working."""
    if pos.state is not PositionState.OPEN or pos.remaining <= 0 or pos.close_reason is not None:
        return Refusal(AdjustReason.NOT_OPEN)
    if any(o.leg in BUSY_LEGS for o in lc.live(orders)):
        return Refusal(AdjustReason.BUSY)
    return None


def _market_order(pos: Position, orders: list[Order], leg: str, qty: Decimal, now: datetime) -> Order:
    exit_ = leg != Leg.ADD.value
    return Order(client_id=client_order_id(pos.id, leg, lc.next_attempt(orders, leg)), position_id=pos.id, leg=leg,
                 symbol=pos.symbol, action=pos.side.exit_action if exit_ else pos.side.entry_action,
                 type=OrderType.MARKET, qty=qty, created_at=now, reduce_only=exit_)


# --- partial close -------------------------------------------------------------------------------------
def reduce(pos: Position, orders: list[Order], qty: Decimal, now: datetime, ctx: lc.Context) -> Result:
    """Close ``qty`` at market; the whole position when what would remain is below the market minimum."""
    refused = ready(pos, orders)
    if refused is not None:
        return refused
    if qty <= 0:
        return Refusal(AdjustReason.BAD_AMOUNT)
    mkt = ctx.market
    qty = floor_to_step(min(qty, pos.remaining), mkt.qty_step)
    if qty <= 0 or qty < mkt.min_qty:
        return Refusal(AdjustReason.TOO_SMALL, {"min_qty": str(mkt.min_qty)})
    rest = pos.remaining - qty
    if rest <= 0 or rest < mkt.min_qty:
        tr = lc.close(pos, orders, CloseReason.MANUAL, now, ctx)
        return tr if tr is not None else Refusal(AdjustReason.BUSY)
    order = _market_order(pos, orders, Leg.REDUCE.value, qty, now)
    return lc.Transition(pos, (order,), (lc.PlaceOrder(order),))


def qty_of_share(pos: Position, pct: Decimal, step: Decimal) -> Decimal:
    """``pct`` % of what remains, rounded down to the lot step."""
    return floor_to_step(pos.remaining * pct / Decimal(100), step)


# --- addition ----------------------------------------------------------------------------------------------
def add(pos: Position, orders: list[Order], qty: Decimal, now: datetime, ctx: lc.Context) -> Result:
    refused = ready(pos, orders)
    if refused is not None:
        return refused
    qty = floor_to_step(qty, ctx.market.qty_step) if qty > 0 else ZERO
    if qty <= 0 or qty < ctx.market.min_qty:
        return Refusal(AdjustReason.TOO_SMALL if qty >= 0 else AdjustReason.BAD_AMOUNT,
                       {"min_qty": str(ctx.market.min_qty)})
    order = _market_order(pos, orders, Leg.ADD.value, qty, now)
    return lc.Transition(pos, (order,), (lc.PlaceOrder(order),))


def on_add_fill(pos: Position, orders: list[Order], order: Order, fill: Fill, ctx: lc.Context,
                ev: OrderFilled, *, every_fill: bool = False) -> lc.Transition:
    """``order`` has the fill applied already. The stop and targets are re-placed when the order is
    complete, or on ``every_fill`` (scale-in parts: protected from their first fill on)."""
    total = pos.remaining + fill.qty
    entry = (pos.entry_price * pos.remaining + fill.price * fill.qty) / total
    pos = replace(pos, qty=pos.qty + fill.qty, remaining=total, entry_price=entry, fees=pos.fees + fill.fee,
                  realized_pnl=pos.realized_pnl - fill.fee)
    if order.status is not OrderStatus.FILLED and not every_fill:
        return lc.Transition(pos, (order,), (), (ev,))
    return resized(pos, orders, ctx, fill.ts, order, [ev])


def orphan_fill(pos: Position, orders: list[Order], order: Order, fill: Fill, ctx: lc.Context) -> lc.Transition:
    """An opening fill (a scale-in part) for a position already closed, or closing: held again for that
    quantity and closed at once at market (reduce-only), under the same position."""
    applied = lc.apply_fill_to_order(order, fill)
    held = pos.remaining + fill.qty
    entry = (pos.entry_price * pos.remaining + fill.price * fill.qty) / held
    ev = OrderFilled(ts=fill.ts, paper=ctx.paper, position_id=pos.id, signal_id=pos.signal_id,
                     client_id=fill.client_id, leg=order.leg, symbol=pos.symbol, qty=fill.qty, price=fill.price,
                     fee=fill.fee)
    again = replace(pos, state=PositionState.OPEN, qty=pos.qty + fill.qty, remaining=held, entry_price=entry,
                    fees=pos.fees + fill.fee, realized_pnl=pos.realized_pnl - fill.fee, closed_at=None)
    close = Order(client_id=client_order_id(pos.id, Leg.CLOSE.value, lc.next_attempt(orders, Leg.CLOSE.value)),
                  position_id=pos.id, leg=Leg.CLOSE.value, symbol=pos.symbol, action=pos.side.exit_action,
                  type=OrderType.MARKET, qty=fill.qty, created_at=fill.ts, reduce_only=True)
    again = replace(again, close_seq=max(pos.close_seq, lc.next_attempt(orders, Leg.CLOSE.value) + 1))
    return lc.Transition(again, (applied, close), (lc.PlaceOrder(close),), (ev,))


# --- protection for what remains ---------------------------------------------------------------------------
def resized(pos: Position, orders: list[Order], ctx: lc.Context, now: datetime, done: Order,
            events: list[Event]) -> lc.Transition:
    """After a partial close or an addition (``done``, filled): a new stop for all that remains (placed
    before the old one goes) and the targets not hit yet re-split over it (the old ones cancelled first)."""
    others = [o for o in lc.live(orders) if o.client_id != done.client_id]
    be = lc.breakeven_price(pos, ctx)
    stop_price, kind = pos.stop_price, pos.stop_kind
    if done.leg == Leg.ADD.value and pos.breakeven and lc._tighter(pos, be):
        stop_price, kind = be, "breakeven"
    new_pos = replace(pos, stop_price=stop_price, stop_kind=kind, stop_seq=pos.stop_seq + 1)
    stop = lc.stop_order(new_pos, new_pos.stop_seq, stop_price, new_pos.remaining, now)
    actions: list[lc.Action] = [lc.PlaceOrder(stop, protective=True)]
    actions += [lc.CancelOrder(o) for o in others if o.leg == Leg.STOP.value]
    actions += [lc.CancelOrder(o) for o in others if lc.target_number(o.leg) is not None]
    placed = _targets_for(new_pos, orders, ctx, now)
    actions += [lc.PlaceOrder(o) for o in placed]
    qty = done.filled_qty
    resized_ev = PositionResized(ts=now, paper=ctx.paper, position=new_pos, leg=done.leg, qty=qty,
                                 price=done.avg_price or ZERO, breakeven_price=be)
    return lc.Transition(new_pos, (done, stop, *placed), tuple(actions), (*events, resized_ev))


def _targets_for(pos: Position, orders: list[Order], ctx: lc.Context, now: datetime) -> list[Order]:
    """Targets not hit yet, each its share (re-normalised) of what remains; a part below the market
    minimum is carried into the next target."""
    pending = [(n, pos.targets[n - 1]) for n in range(pos.targets_hit + 1, len(pos.targets) + 1)]
    if not pending:
        return []
    total = sum((t.share for _, t in pending), ZERO)
    shares = [t.share / total for _, t in pending] if total > 0 else [Decimal(1) / len(pending)] * len(pending)
    parts = split_by_shares(pos.remaining, shares, ctx.market.qty_step)
    found: list[Order] = []
    carry = ZERO
    for i, ((n, target), part) in enumerate(zip(pending, parts, strict=True)):
        part += carry
        carry = ZERO
        if i < len(pending) - 1 and (part <= 0 or part < ctx.market.min_qty):
            carry = part
            continue
        if part <= 0:
            continue
        leg = f"{Leg.TARGET.value}{n}"
        found.append(Order(client_id=client_order_id(pos.id, leg, lc.next_attempt(orders, leg)), position_id=pos.id,
                           leg=leg, symbol=pos.symbol, action=pos.side.exit_action, type=OrderType.TAKE_PROFIT,
                           qty=part, created_at=now, price=target.price, reduce_only=True))
    return found


# --- stop and targets ----------------------------------------------------------------------------------------
def move_stop(pos: Position, orders: list[Order], price: Decimal, mark: Decimal, now: datetime, ctx: lc.Context,
              *, by: str, allow_loosen: bool = False, breakeven: bool = False) -> Result:
    """The stop to ``price`` (rounded to the tick, toward the position's side). Refused when the market
    is already through it, or when it is looser and ``allow_loosen`` is not given."""
    if pos.state is not PositionState.OPEN or pos.remaining <= 0 or pos.close_reason is not None:
        return Refusal(AdjustReason.NOT_OPEN)
    if price <= 0:
        return Refusal(AdjustReason.BAD_AMOUNT)
    price = price_toward(price, ctx.market.price_step, up=pos.side is Side.LONG)
    if price == pos.stop_price:
        return Refusal(AdjustReason.UNCHANGED, {"stop": str(price)})
    if (mark - price) * pos.side.sign <= 0:
        return Refusal(AdjustReason.WOULD_TRIGGER, {"price": str(price), "mark": str(mark)})
    looser = not lc._tighter(pos, price)
    if looser and not allow_loosen:
        return Refusal(AdjustReason.LOOSEN_NEEDS_CONFIRM, {"stop": str(pos.stop_price), "price": str(price)})
    kind = "breakeven" if breakeven else "stop"
    new_pos = replace(pos, stop_price=price, stop_kind=kind, stop_seq=pos.stop_seq + 1,
                      breakeven=pos.breakeven if not looser else False)
    if breakeven:
        new_pos = replace(new_pos, breakeven=True)
    stop = lc.stop_order(new_pos, new_pos.stop_seq, price, pos.remaining, now)
    actions: list[lc.Action] = [lc.PlaceOrder(stop, protective=True)]
    actions += [lc.CancelOrder(o) for o in lc.live(orders) if o.leg == Leg.STOP.value]
    event: Event
    if breakeven:
        event = StopMovedToBreakeven(ts=now, paper=ctx.paper, position=new_pos, old_stop=pos.stop_price, new_stop=price)
    else:
        event = StopMovedByHand(ts=now, paper=ctx.paper, position=new_pos, old_stop=pos.stop_price, new_stop=price,
                                by=by, loosened=looser)
    return lc.Transition(new_pos, (stop,), tuple(actions), (event,))


def to_breakeven(pos: Position, orders: list[Order], mark: Decimal, now: datetime, ctx: lc.Context, *,
                 by: str) -> Result:
    """The stop to the breakeven price now (fees and buffer included); only ever tighter."""
    be = lc.breakeven_price(pos, ctx)
    if pos.state is PositionState.OPEN and not lc._tighter(pos, be):
        return Refusal(AdjustReason.UNCHANGED, {"stop": str(pos.stop_price)})
    return move_stop(pos, orders, be, mark, now, ctx, by=by, breakeven=True)


def move_target(pos: Position, orders: list[Order], n: int, price: Decimal, mark: Decimal, now: datetime,
                ctx: lc.Context, *, by: str) -> Result:
    refused = ready(pos, orders)
    if refused is not None and refused.reason is not AdjustReason.BUSY:
        return refused
    if n <= pos.targets_hit or n > len(pos.targets):
        return Refusal(AdjustReason.NO_SUCH_TARGET, {"n": str(n)})
    if price <= 0:
        return Refusal(AdjustReason.BAD_AMOUNT)
    price = price_toward(price, ctx.market.price_step, up=pos.side is Side.SHORT)
    old = pos.targets[n - 1]
    if price == old.price:
        return Refusal(AdjustReason.UNCHANGED, {"price": str(price)})
    if (price - mark) * pos.side.sign <= 0:
        return Refusal(AdjustReason.WOULD_TRIGGER, {"price": str(price), "mark": str(mark)})
    leg = f"{Leg.TARGET.value}{n}"
    working = [o for o in lc.live(orders) if o.leg == leg]
    if not working:
        return Refusal(AdjustReason.NO_SUCH_TARGET, {"n": str(n)})
    targets = tuple(Target(price, t.share) if i == n - 1 else t for i, t in enumerate(pos.targets))
    new_pos = replace(pos, targets=targets)
    qty = sum((o.qty - o.filled_qty for o in working), ZERO)
    order = Order(client_id=client_order_id(pos.id, leg, lc.next_attempt(orders, leg)), position_id=pos.id, leg=leg,
                  symbol=pos.symbol, action=pos.side.exit_action, type=OrderType.TAKE_PROFIT, qty=qty,
                  created_at=now, price=price, reduce_only=True)
    actions: list[lc.Action] = [lc.CancelOrder(o) for o in working]
    actions.append(lc.PlaceOrder(order))
    event = TargetMoved(ts=now, paper=ctx.paper, position=new_pos, target=n, old_price=old.price, new_price=price,
                        by=by)
    return lc.Transition(new_pos, (order,), tuple(actions), (event,))
