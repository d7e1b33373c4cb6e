"""Limit entries and scale-in, as pure functions → lifecycle Transitions.

- Limit entry: the entry is a limit order at the planned price. Its first fill opens the position
  for what filled, with a reduce-only stop and the targets sized to it (``lifecycle.on_fill``); each
  further fill re-sizes them for all that is held, as a scale-in part's fill does
  (``adjust.on_add_fill``), so every filled quantity is protected from its fill on. Once
  ``min_fill_pct`` of it has filled, or at ``timeout``, the rest is cancelled (``finish_entry``:
  nothing more is placed). Nothing filled at the timeout → the entry is cancelled,
  ``EntryNotFilled`` is told, and the position ends as failed (never opened). A fill that raced the
  cancel (the venue filled it as the cancel arrived) is protected all the same: with the position
  open, the stop and targets are re-sized for it; with the position ended "not filled", it is
  opened for that fill and protected (``late_fill``); with the position closing or closed, it is
  closed at once (``adjust.orphan_fill``).
- Scale-in: the entry is split in parts at offsets (% of the entry price toward the stop) with
  shares; the first part (offset 0) is the entry order; once the position is open, the others
  rest as limit orders (leg ``sc``). Each part's fill re-averages the entry and re-places the
  stop and the targets for all that is held, so every part is protected by the stop from its
  fill on. A level at or beyond the stop is left out. What rests is cancelled when the position
  closes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from config.settings import RiskSettings
from engine.domain.events import EntryNotFilled, OrderFilled, PositionOpened
from engine.domain.models import (
    CloseReason,
    Fill,
    Leg,
    Order,
    OrderType,
    Position,
    PositionState,
    client_order_id,
    split_by_shares,
)
from engine.domain.values import HUNDRED, ONE, ZERO, Side, floor_to_step, price_toward
from engine.positions import lifecycle as lc


@dataclass(frozen=True)
class EntryPlan:
    limit: bool = False
    timeout: timedelta = timedelta(minutes=15)
    min_fill_pct: Decimal = Decimal(90)
    parts: tuple[tuple[Decimal, Decimal], ...] = ()  # (offset %, share); empty or one part = no scale-in

    @property
    def scales(self) -> bool:
        return len(self.parts) > 1

    @property
    def first_share(self) -> Decimal:
        return self.parts[0][1] if self.scales else ONE


def plan_of(risk: RiskSettings) -> EntryPlan:
    return EntryPlan(limit=risk.entry_order == "limit", timeout=timedelta(minutes=risk.entry_timeout_min),
                     min_fill_pct=risk.entry_min_fill_pct, parts=parse_parts(risk.scale_in))


def parse_parts(pairs: list[str]) -> tuple[tuple[Decimal, Decimal], ...]:
    """``["0:0.3", "1:0.35", "2:0.35"]`` → ((0, 0.3), (1, 0.35), (2, 0.35)), sorted by offset."""
    parts = []
    for pair in pairs:
        offset, share = pair.split(":")
        parts.append((Decimal(offset), Decimal(share)))
    return tuple(sorted(parts))


# --- opening -------------------------------------------------------------------------------------------------
def shape_open(tr: lc.Transition, plan: EntryPlan, step: Decimal) -> lc.Transition:
    """The opening transition with a limit entry order and/or only the first part of a scale-in."""
    entry = tr.orders[0]
    pos = tr.position
    qty = entry.qty
    if plan.scales:
        first = floor_to_step(qty * plan.first_share, step)
        qty = first if first > 0 else qty
    order = replace(entry, qty=qty, type=OrderType.LIMIT if plan.limit else entry.type,
                    price=pos.entry_price if plan.limit else None)
    return lc.Transition(replace(pos, qty=qty), (order,), (lc.PlaceOrder(order),), tr.events)


# --- the limit entry's end ----------------------------------------------------------------------------------
def finish_entry(pos: Position, orders: list[Order], now: datetime, ctx: lc.Context,
                 plan: EntryPlan) -> lc.Transition | None:
    """At the threshold or the timeout: cancel the rest; None before that. The position is open (and
    protected) from the entry's first fill on, so only the rest goes; a position still pending with
    something filled (recorded by a version that opened it only here) is opened for what filled."""
    if pos.state not in (PositionState.PENDING, PositionState.OPEN) or pos.close_reason is not None:
        return None
    working = [o for o in lc.live(orders) if o.leg == Leg.ENTRY.value and o.type is OrderType.LIMIT]
    if not working:
        return None
    entry = working[0]
    reached = entry.filled_qty >= entry.qty * plan.min_fill_pct / HUNDRED
    if not reached and now < pos.created_at + plan.timeout:
        return None
    cancels = tuple(lc.CancelOrder(o) for o in working)
    if pos.state is PositionState.OPEN:  # protected since its first fill: the stop stays as it is
        return lc.Transition(pos, (), cancels)
    if pos.remaining <= 0:
        failed = replace(pos, close_reason=CloseReason.NOT_FILLED)
        return lc.Transition(failed, (), cancels, (EntryNotFilled(ts=now, paper=ctx.paper, position=failed),))
    opened = replace(pos, state=PositionState.OPEN, qty=pos.remaining, opened_at=now)
    protective = lc._protective_orders(opened, ctx, now)
    actions: list[lc.Action] = [*cancels, lc.PlaceOrder(protective[0], protective=True)]
    actions += [lc.PlaceOrder(o) for o in protective[1:]]
    opened_ev = PositionOpened(ts=now, paper=ctx.paper, position=opened, single_target=len(opened.targets) == 1)
    return lc.Transition(opened, tuple(protective), tuple(actions), (opened_ev,))


def late_fill(pos: Position, orders: list[Order], order: Order, fill: Fill, ctx: lc.Context) -> lc.Transition:
    """An entry fill for a limit entry that ended "not filled" (it raced the cancel of the entry, or
    the cancel came too late): the position is opened for what filled, stop and targets sized to it."""
    applied = lc.apply_fill_to_order(order, fill)
    held = pos.remaining + fill.qty
    entry = (pos.entry_price * pos.remaining + fill.price * fill.qty) / held if pos.remaining > 0 else fill.price
    opened = replace(pos, state=PositionState.OPEN, close_reason=None, closed_at=None, qty=held, remaining=held,
                     entry_price=entry, best_price=entry, fees=pos.fees + fill.fee,
                     realized_pnl=pos.realized_pnl - fill.fee, opened_at=fill.ts)
    protective = lc._protective_orders(opened, ctx, fill.ts)
    actions: list[lc.Action] = [lc.PlaceOrder(protective[0], protective=True)]
    actions += [lc.PlaceOrder(o) for o in protective[1:]]
    filled = OrderFilled(ts=fill.ts, paper=ctx.paper, position_id=pos.id, signal_id=pos.signal_id,
                         client_id=fill.client_id, leg=order.leg, symbol=pos.symbol, qty=fill.qty, price=fill.price,
                         fee=fill.fee)
    opened_ev = PositionOpened(ts=fill.ts, paper=ctx.paper, position=opened, single_target=len(opened.targets) == 1)
    return lc.Transition(opened, (applied, *protective), tuple(actions), (filled, opened_ev))


# --- scale-in ---------------------------------------------------------------------------------------------------
def scale_orders(pos: Position, orders: list[Order], now: datetime, ctx: lc.Context,
                 plan: EntryPlan) -> lc.Transition | None:
    """The resting parts of a scale-in, once, when the position is open; None when nothing to place."""
    if not plan.scales or pos.state is not PositionState.OPEN or pos.close_reason is not None:
        return None
    if pos.targets_hit > 0 or any(o.leg == Leg.SCALE.value for o in orders):
        return None
    if any(o.leg == Leg.ENTRY.value for o in lc.live(orders)):
        return None  # a limit entry still filling: the parts are sized on what it filled, once it is done
    entry = next((o for o in orders if o.leg == Leg.ENTRY.value), None)
    if entry is None or entry.filled_qty <= 0:
        return None
    total = entry.filled_qty / plan.first_share  # the planned size of the whole entry
    rest = [(offset, share) for offset, share in plan.parts[1:]]
    left = ONE - plan.first_share
    quantities = split_by_shares(total * left, [s / left for _, s in rest], ctx.market.qty_step)
    placed: list[Order] = []
    base = entry.avg_price or pos.entry_price
    for i, ((offset, _), qty) in enumerate(zip(rest, quantities, strict=True)):
        qty = floor_to_step(qty, ctx.market.qty_step)
        level = price_toward(base * (ONE - pos.side.sign * offset / HUNDRED), ctx.market.price_step,
                             up=pos.side is Side.SHORT)
        if qty <= 0 or qty < ctx.market.min_qty or (level - pos.stop_price) * pos.side.sign <= 0:
            continue  # too small, or at or beyond the stop: never reached while the position lives
        placed.append(Order(client_id=client_order_id(pos.id, Leg.SCALE.value, i), position_id=pos.id,
                            leg=Leg.SCALE.value, symbol=pos.symbol, action=pos.side.entry_action,
                            type=OrderType.LIMIT, qty=qty, created_at=now, price=level))
    if not placed:
        return None
    return lc.Transition(pos, tuple(placed), tuple(lc.PlaceOrder(o) for o in placed))


def unfilled(orders: list[Order]) -> Decimal:
    return sum((o.qty - o.filled_qty for o in lc.live(orders) if o.leg == Leg.SCALE.value), ZERO)
