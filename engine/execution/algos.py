"""Execution algorithms (TWAP, iceberg) for an entry or an exit, as pure functions → lifecycle Transitions.

A run's state (``engine.domain.algos.Algo``) travels in the Transition with the slice orders it
sends, so the manager writes both in one unit of work before the slices go out (their
acknowledgements are the next commit): a restart finds every slice persisted and looks its client
id up at the venue before sending it again (``engine.positions.recovery``), and the run goes on
from ``sent``.

- ``shape_entry``: the opening transition with the run and its first slice instead of one entry order.
- ``start_exit``: a run that closes ``qty`` of an open position (a reduce-only slice at a time).
- ``on_entry_slice_fill``: an entry slice's fill opens the position on its first fill (stop and
  targets for what filled) and re-sizes the protection on every later one, like a scale-in part.
  An exit slice's fill is a partial close (``lifecycle``: re-sized once the slice has filled).
- ``step``: on a tick, the slices due (``twap``) or the refill (``iceberg``), the end (all done,
  the stop price reached, the position closing, the iceberg's deadline) and the progress told
  (``AlgoProgressed``, once per slice filled).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from config.settings import RiskSettings
from engine.domain.algos import LEGS, Algo, AlgoKind, AlgoStatus, Progress, progress, seed_of
from engine.domain.events import AlgoProgressed, EntryNotFilled, Event, OrderFilled, PositionOpened
from engine.domain.models import (
    CloseReason,
    Fill,
    MarketSpec,
    Order,
    OrderType,
    Position,
    PositionState,
    slice_order_id,
)
from engine.domain.reasons import AdjustReason
from engine.domain.values import ZERO, floor_to_step
from engine.execution import iceberg, twap
from engine.positions import adjust
from engine.positions import lifecycle as lc


@dataclass(frozen=True)
class AlgoPlan:
    """How a run is shaped (from the settings: ``plan_of``)."""

    kind: AlgoKind
    minutes: Decimal = Decimal(30)  # TWAP: over how long; iceberg: its deadline
    slices: int = 10  # TWAP
    jitter_pct: Decimal = ZERO  # TWAP: ± % of the interval
    limit_pct: Decimal = ZERO  # TWAP: 0 = market slices; else marketable limits this % beyond the price
    visible_pct: Decimal = Decimal(10)  # iceberg: the shown share of the order


# --- slices ---------------------------------------------------------------------------------------------
def slice_order(algo: Algo, pos: Position, index: int, qty: Decimal, now: datetime,
                price: Decimal | None = None) -> Order:
    """Slice ``index`` of ``algo``: an iceberg's a limit at the run's price, a TWAP's at market or (with
    ``price``) a marketable limit; exits reduce-only."""
    limit = price if price is not None else algo.price if algo.kind is AlgoKind.ICEBERG else None
    return Order(client_id=slice_order_id(pos.id, algo.leg, algo.attempt, index), position_id=pos.id, leg=algo.leg,
                 symbol=pos.symbol, action=pos.side.entry_action if algo.entry else pos.side.exit_action,
                 type=OrderType.LIMIT if limit is not None else OrderType.MARKET, qty=qty, created_at=now,
                 price=limit, reduce_only=not algo.entry, venue=pos.venue)


def _new_run(plan: AlgoPlan, pos: Position, entry: bool, attempt: int, total: Decimal, now: datetime,
             market: MarketSpec, price: Decimal | None) -> Algo:
    leg = LEGS[(plan.kind, entry)]
    duration = int(plan.minutes * 60)
    if plan.kind is AlgoKind.TWAP:
        slices = twap.slice_count(total, plan.slices, market, price)
        return Algo(pos.id, leg, attempt, plan.kind, total, now, duration, slices=slices, jitter_pct=plan.jitter_pct,
                    limit_pct=plan.limit_pct, seed=seed_of(pos.id, leg, attempt))
    visible = iceberg.visible_qty(total, plan.visible_pct, market, price)
    slices = iceberg.count(total, visible, market, price)
    return Algo(pos.id, leg, attempt, plan.kind, total, now, duration, slices=slices, visible=visible, price=price,
                seed=seed_of(pos.id, leg, attempt))


def shape_entry(tr: lc.Transition, plan: AlgoPlan, market: MarketSpec, paper: bool) -> lc.Transition:
    """The opening transition (``lifecycle.open_position``) with the run in place of the entry order:
    the position PENDING for the whole quantity, the run's first slice sent now."""
    pos = tr.position
    entry = tr.orders[0]
    algo = _new_run(plan, pos, True, 0, entry.qty, pos.created_at, market, pos.entry_price)
    opened = lc.Transition(pos, (), (), tr.events, (algo,))
    ctx = lc.Context(market=market, taker_fee=ZERO, paper=paper)
    first = step(algo, pos, [], pos.entry_price, pos.created_at, ctx)  # the planned price: a limit slice's reference
    return first if first is not None else opened


def start_exit(pos: Position, orders: list[Order], runs: list[Algo], plan: AlgoPlan, qty: Decimal | None,
               price: Decimal, now: datetime, ctx: lc.Context) -> lc.Transition | adjust.Refusal:
    """A run closing ``qty`` (None: all that remains) of an open position; refused when the position
    is not open, busy (a close, a partial close, an addition, another exit run) or the amount too small."""
    refused = adjust.ready(pos, orders)
    if refused is not None:
        return refused
    if any(not a.status.is_final and not a.entry for a in runs):
        return adjust.Refusal(AdjustReason.BUSY)
    total = floor_to_step(min(qty, pos.remaining) if qty is not None else pos.remaining, ctx.market.qty_step)
    if total <= 0 or total < ctx.market.min_qty:
        return adjust.Refusal(AdjustReason.TOO_SMALL, {"min_qty": str(ctx.market.min_qty)})
    leg = LEGS[(plan.kind, False)]
    attempt = max((a.attempt + 1 for a in runs if a.leg == leg), default=0)
    algo = _new_run(plan, pos, False, attempt, total, now, ctx.market, price)
    first = step(algo, pos, orders, price, now, ctx)
    return first if first is not None else lc.Transition(pos, (), (), (), (algo,))


# --- fills ----------------------------------------------------------------------------------------------
def on_entry_slice_fill(pos: Position, orders: list[Order], order: Order, fill: Fill, ctx: lc.Context,
                        ev: OrderFilled) -> lc.Transition:
    """``order`` has the fill applied. The first fill opens the position (stop and targets for what
    filled); a later one re-sizes them (``adjust.on_add_fill``); one after the position closed, or
    while it closes, is closed again at market (``adjust.orphan_fill``)."""
    if pos.state is PositionState.PENDING:
        total = pos.remaining + fill.qty
        price = fill.price if pos.remaining == 0 else (pos.entry_price * pos.remaining + fill.price * fill.qty) / total
        opened = replace(pos, state=PositionState.OPEN, qty=total, remaining=total, entry_price=price,
                         fees=pos.fees + fill.fee, realized_pnl=pos.realized_pnl - fill.fee, best_price=price,
                         opened_at=fill.ts)
        protective = lc._protective_orders(opened, ctx, fill.ts)
        actions = [lc.PlaceOrder(protective[0], protective=True)] + [lc.PlaceOrder(o) for o in protective[1:]]
        told = PositionOpened(ts=fill.ts, paper=ctx.paper, position=opened, single_target=len(opened.targets) == 1)
        return lc.Transition(opened, (order, *protective), tuple(actions), (ev, told))
    if pos.state is PositionState.OPEN and pos.close_reason is None:
        return adjust.on_add_fill(pos, orders, order, fill, ctx, ev, every_fill=True)
    return adjust.orphan_fill(pos, orders, order, fill, ctx)


# --- a tick ---------------------------------------------------------------------------------------------
def step(algo: Algo, pos: Position, orders: list[Order], price: Decimal | None, now: datetime,
         ctx: lc.Context) -> lc.Transition | None:
    """What ``algo`` does now: None when nothing (no slice due, no progress to tell)."""
    if algo.status.is_final:
        return None
    done = progress(algo, orders)
    ended = _ended(algo, pos, done, price, now)
    if ended is not None:
        return finish(algo, pos, done, ended, now, ctx)
    stale: list[Order] = []
    if algo.kind is AlgoKind.TWAP:
        stale = twap.stale(algo, done, now)  # marketable limits not filled by the next slice's time
        placed, counted = twap.due(algo, pos, orders, done, now, ctx.market, price, stale)
        complete = algo.sent + counted >= algo.slices
    else:
        refill = iceberg.refill(algo, pos, done, now, ctx.market)
        placed = [refill] if refill is not None else []
        counted, complete = len(placed), not placed
    if not placed and complete and not done.working:
        return finish(algo, pos, done, AlgoStatus.DONE, now, ctx)
    after = replace(algo, sent=algo.sent + counted, reported=done.done)
    events: tuple[Event, ...] = (told(after, pos, done, ctx.paper, now),) if done.done != algo.reported else ()
    if not placed and not events and not counted and not stale:
        return None
    actions: list[lc.Action] = [lc.CancelOrder(o) for o in stale]  # their rest goes into the last slice
    actions += [lc.PlaceOrder(o) for o in placed]
    return lc.Transition(pos, tuple(placed), tuple(actions), events, (after,))


def _ended(algo: Algo, pos: Position, done: Progress, price: Decimal | None, now: datetime) -> AlgoStatus | None:
    if not pos.is_open or pos.close_reason is not None:
        return AlgoStatus.CANCELLED
    if not algo.entry and pos.remaining <= 0:
        return AlgoStatus.DONE
    if price is not None and (price - pos.stop_price) * pos.side.sign <= 0:
        return AlgoStatus.STOPPED  # the stop order (or, before any fill, nothing) takes over
    if algo.kind is AlgoKind.ICEBERG and (now >= algo.start + timedelta(seconds=algo.duration_s) or done.rejected):
        return AlgoStatus.CANCELLED  # its deadline, or a slice refused (it would be refused again)
    return None


def finish(algo: Algo, pos: Position, done: Progress, status: AlgoStatus, now: datetime,
           ctx: lc.Context) -> lc.Transition:
    """The run ends: its working slices cancelled; an entry that filled nothing ends the position
    (never opened, ``EntryNotFilled``)."""
    ended = replace(algo, status=status, reported=done.done)
    events: list[Event] = [told(ended, pos, done, ctx.paper, now)]
    if algo.entry and pos.state is PositionState.PENDING and done.filled <= 0 and pos.close_reason is None:
        pos = replace(pos, close_reason=CloseReason.NOT_FILLED)
        events.append(EntryNotFilled(ts=now, paper=ctx.paper, position=pos, by=algo.kind.value))
    return lc.Transition(pos, (), tuple(lc.CancelOrder(o) for o in done.working), tuple(events), (ended,))


def told(algo: Algo, pos: Position, done: Progress, paper: bool, now: datetime) -> AlgoProgressed:
    return AlgoProgressed(ts=now, paper=paper, position=pos, kind=algo.kind.value, entry=algo.entry, done=done.done,
                          slices=max(algo.slices, done.done), filled=done.filled, total=algo.total,
                          avg_price=done.avg_price, status=algo.status.value)


# --- the choice -----------------------------------------------------------------------------------------
TWAP = "twap"
MARKET = "market"  # asked for one order whatever the settings say


def plan_of(risk: RiskSettings, kind: AlgoKind) -> AlgoPlan:
    if kind is AlgoKind.TWAP:
        return AlgoPlan(kind, minutes=risk.twap_minutes, slices=risk.twap_slices, jitter_pct=risk.twap_jitter_pct,
                        limit_pct=risk.twap_limit_pct)
    return AlgoPlan(kind, minutes=risk.iceberg_minutes, visible_pct=risk.iceberg_visible_pct)


def choose(risk: RiskSettings, notional: Decimal, asked: str | None) -> AlgoPlan | None:
    """The run an entry of ``notional`` gets: the one asked for (``twap`` from the card's button,
    ``market`` for none), else the settings' default above ``algo_above_notional`` (0: never)."""
    if asked == TWAP:
        return plan_of(risk, AlgoKind.TWAP)
    if asked == MARKET or risk.algo_above_notional <= 0 or notional <= risk.algo_above_notional:
        return None
    return plan_of(risk, AlgoKind(risk.algo_kind))
