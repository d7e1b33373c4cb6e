"""What the lifecycle's steps are made of: the ``Transition`` and ``Context`` values and the pure
order helpers of ``engine.positions.lifecycle`` (which re-exports them): a position's protective
orders (stop and targets), a fill applied to its order, and targets refused as crossed or lost on the
venue (``take_target``, ``missing_targets``). No I/O."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from engine.domain.algos import Algo
from engine.domain.events import Event
from engine.domain.ids import ClientOrderId
from engine.domain.models import (
    Fill,
    Leg,
    MarketSpec,
    Order,
    OrderStatus,
    OrderType,
    Position,
    PositionState,
    Target,
    client_order_id,
    split_by_shares,
)
from engine.domain.values import HUNDRED, ONE, ZERO, price_toward


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    order: Order
    protective: bool = False  # a stop: if it cannot be placed the position is closed at market


@dataclass(frozen=True, slots=True)
class CancelOrder:
    order: Order


Action = PlaceOrder | CancelOrder


@dataclass(frozen=True, slots=True)
class Transition:
    position: Position
    orders: tuple[Order, ...] = ()
    actions: tuple[Action, ...] = ()
    events: tuple[Event, ...] = ()
    algos: tuple[Algo, ...] = ()  # execution algorithms' state changed with it (engine.execution.algos)


@dataclass(frozen=True, slots=True)
class Context:
    market: MarketSpec
    taker_fee: Decimal
    breakeven_buffer_pct: Decimal = Decimal("0.05")
    paper: bool = True
    trail_activation_pct: Decimal = ZERO  # profit trailing (independent of TP1): off while the distance is 0
    trail_distance_pct: Decimal = ZERO


def split_quantities(qty: Decimal, targets: tuple[Target, ...], step: Decimal) -> list[Decimal]:
    return split_by_shares(qty, [t.share for t in targets], step)


def breakeven_price(pos: Position, ctx: Context) -> Decimal:
    """The stop price at which the rest of the position cannot lose, fees (and a buffer) included."""
    f = ctx.taker_fee
    buf = ctx.breakeven_buffer_pct / HUNDRED
    if pos.side.sign > 0:
        raw = pos.entry_price * (ONE + f) / (ONE - f) * (ONE + buf)
        return price_toward(raw, ctx.market.price_step, up=True)
    raw = pos.entry_price * (ONE - f) / (ONE + f) * (ONE - buf)
    return price_toward(raw, ctx.market.price_step, up=False)


def _tighter(pos: Position, new_stop: Decimal) -> bool:
    """True when ``new_stop`` is strictly more favourable than the current stop."""
    return (new_stop - pos.stop_price) * pos.side.sign > 0


def live(orders: list[Order] | tuple[Order, ...]) -> list[Order]:
    return [o for o in orders if not o.status.is_final]


def stop_order(pos: Position, seq: int, trigger: Decimal, qty: Decimal, now: datetime) -> Order:
    return Order(client_id=client_order_id(pos.id, Leg.STOP.value, seq), position_id=pos.id, venue=pos.venue,
                 leg=Leg.STOP.value, symbol=pos.symbol, action=pos.side.exit_action,
                 type=OrderType.STOP_MARKET, qty=qty, created_at=now, trigger_price=trigger, reduce_only=True)


def _protective_orders(pos: Position, ctx: Context, now: datetime) -> list[Order]:
    orders = [stop_order(pos, pos.stop_seq, pos.stop_price, pos.remaining, now)]
    for i, (target, part) in enumerate(zip(pos.targets, split_quantities(pos.remaining, pos.targets,
                                                                          ctx.market.qty_step), strict=True)):
        leg = f"tp{i + 1}"
        orders.append(Order(client_id=client_order_id(pos.id, leg, 0), position_id=pos.id, leg=leg,
                            venue=pos.venue,
                            symbol=pos.symbol, action=pos.side.exit_action, type=OrderType.TAKE_PROFIT,
                            qty=part, created_at=now, price=target.price, reduce_only=True))
    return orders


# --- fills to orders ------------------------------------------------------------------------------
def apply_fill_to_order(order: Order, fill: Fill) -> Order:
    filled = order.filled_qty + fill.qty
    avg = fill.price if order.avg_price is None or order.filled_qty == 0 else (
        (order.avg_price * order.filled_qty + fill.price * fill.qty) / filled)
    status = OrderStatus.FILLED if filled >= order.qty else OrderStatus.OPEN
    if status is OrderStatus.OPEN and order.status is OrderStatus.CANCELLED:
        status = order.status  # a fill that raced the order's cancel: the order stays done
    return replace(order, filled_qty=filled, avg_price=avg, fee=order.fee + fill.fee, status=status)


# --- targets refused or lost ---------------------------------------------------------------------------
def target_number(leg: str) -> int | None:
    """1 for ``tp1``, 2 for ``tp2`` …; None for any other leg."""
    return int(leg[2:]) if leg.startswith(Leg.TARGET.value) and leg[2:].isdigit() else None


def next_attempt(orders: list[Order] | tuple[Order, ...], leg: str) -> int:
    """The attempt number of a new order for ``leg``: one past every order of that leg so far."""
    attempts = [parsed.attempt for o in orders if o.leg == leg and (parsed := ClientOrderId.parse(o.client_id))]
    return max(attempts) + 1 if attempts else 0


def take_target(pos: Position, orders: list[Order], refused: Order, now: datetime) -> Transition | None:
    """A target whose price is already crossed (the venue refused it: it would trigger at once) is
    taken at once: a reduce-only market order for its quantity, under the target's own leg and the
    next attempt of that leg's client id. None when the position has nothing left to take."""
    if pos.state is not PositionState.OPEN or pos.remaining <= 0 or pos.close_reason is not None:
        return None
    qty = min(refused.qty - refused.filled_qty, pos.remaining)
    if qty <= 0:
        return None
    take = Order(client_id=client_order_id(pos.id, refused.leg, next_attempt(orders, refused.leg)),
                 position_id=pos.id, venue=pos.venue, leg=refused.leg, symbol=pos.symbol, action=pos.side.exit_action,
                 type=OrderType.MARKET, qty=qty, created_at=now, reduce_only=True)
    return Transition(pos, (take,), (PlaceOrder(take),))


def missing_targets(pos: Position, orders: list[Order], ctx: Context, now: datetime) -> list[Order]:
    """Targets of an open position not hit yet with no order working for them (refused as crossed,
    lost, or never sent): a new take-profit order for each, at the next attempt of its leg."""
    if pos.state is not PositionState.OPEN or pos.remaining <= 0 or pos.close_reason is not None:
        return []
    parts = split_quantities(pos.qty, pos.targets, ctx.market.qty_step)
    working = [o for o in live(orders) if target_number(o.leg) is not None]
    free = pos.remaining - sum((o.qty - o.filled_qty for o in working), ZERO)  # not promised to a target
    found: list[Order] = []
    for n in range(pos.targets_hit + 1, len(pos.targets) + 1):
        leg = f"{Leg.TARGET.value}{n}"
        mine = [o for o in orders if o.leg == leg]
        if any(not o.status.is_final or o.status is OrderStatus.FILLED for o in mine):
            continue
        if mine and not _retry_worth(mine[-1]):
            continue
        left = free - sum((o.qty for o in found), ZERO)
        qty = min(parts[n - 1], left) if n < len(pos.targets) else left
        if qty <= 0:
            continue
        found.append(Order(client_id=client_order_id(pos.id, leg, next_attempt(orders, leg)), position_id=pos.id,
                           venue=pos.venue,
                           leg=leg, symbol=pos.symbol, action=pos.side.exit_action, type=OrderType.TAKE_PROFIT,
                           qty=qty, created_at=now, price=pos.targets[n - 1].price, reduce_only=True))
    return found


def _retry_worth(last: Order) -> bool:
    """A target's last order ended without filling: worth another order when it was refused as
    crossed (taken now) or lost/cancelled on the venue — not when refused for another reason."""
    if last.status is OrderStatus.CANCELLED:
        return True
    return last.status is OrderStatus.REJECTED and (last.error or "").startswith("would_trigger")
