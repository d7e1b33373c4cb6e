"""The pure lifecycle rules for targets refused or lost, and for a stop that must not move:
``take_target``, ``missing_targets``, ``on_fill(move_stop=False)``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from engine.domain.events import PositionClosed, StopMovedToBreakeven, TargetHit
from engine.domain.models import (
    CloseReason,
    Fill,
    MarketSpec,
    Order,
    OrderStatus,
    OrderType,
    PositionState,
    Signal,
    Target,
)
from engine.domain.values import OrderAction, Side
from engine.positions import lifecycle as lc

D = Decimal
T0 = datetime(2024, 3, 1, tzinfo=UTC)
MKT = MarketSpec("ETH/USDT", "ETH", "USDT", D("0.01"), D("0.001"), D("0.001"), D("5"))
CTX = lc.Context(market=MKT, taker_fee=D("0.0004"))


def opened(qty: str = "1.237"):  # type: ignore[no-untyped-def]
    """A long with its entry filled: (position, orders) with the stop and both targets working."""
    sig = Signal(id="s", symbol="ETH/USDT", side=Side.LONG, score=80, factors=(), entry=D("100"), stop=D("98"),
                 targets=(Target(D("104"), D("0.5")), Target(D("108"), D("0.5"))), leverage=3, created_at=T0,
                 expires_at=T0 + timedelta(minutes=15))
    tr = lc.open_position(sig, "p1", D(qty), T0, single_target=False)
    entry = tr.orders[0]
    fill = Fill("t0", entry.client_id, "ETH/USDT", OrderAction.BUY, D(qty), D("100"), D("0.04"), T0)
    done = lc.on_fill(tr.position, [entry], entry, fill, CTX)
    return done.position, [replace(o, status=OrderStatus.OPEN) if o.leg != "en" else o for o in done.orders]


def by_leg(orders: list[Order], leg: str) -> Order:
    return next(o for o in orders if o.leg == leg)


def test_a_refused_target_is_taken_at_market_under_its_own_leg_and_the_next_attempt() -> None:
    pos, orders = opened()
    tp1 = replace(by_leg(orders, "tp1"), status=OrderStatus.REJECTED, error="would_trigger: -2021")
    orders = [tp1 if o.leg == "tp1" else o for o in orders]
    tr = lc.take_target(pos, orders, tp1, T0)
    assert tr is not None
    (take,) = tr.orders
    assert (take.client_id, take.leg, take.type, take.qty, take.reduce_only, take.action) == (
        "sp-p1-tp1-1", "tp1", OrderType.MARKET, tp1.qty, True, OrderAction.SELL)
    assert tr.actions == (lc.PlaceOrder(take),) and tr.events == ()

    # its fill is TP1's: the share closed, the stop to breakeven
    fill = Fill("t1", take.client_id, "ETH/USDT", OrderAction.SELL, take.qty, D("105"), D("0.02"), T0)
    after = lc.on_fill(pos, [*orders, take], take, fill, CTX)
    assert after.position.targets_hit == 1 and after.position.breakeven
    assert [type(e) for e in after.events][1:] == [TargetHit, StopMovedToBreakeven]
    assert after.position.exits[-1].reason == "tp1"


def test_nothing_is_taken_for_a_position_being_closed() -> None:
    pos, orders = opened()
    closing = replace(pos, close_reason=CloseReason.MANUAL)
    assert lc.take_target(closing, orders, by_leg(orders, "tp1"), T0) is None
    assert lc.missing_targets(closing, orders, CTX, T0) == []


def test_a_completed_target_with_move_stop_off_leaves_the_stop_alone() -> None:
    pos, orders = opened()
    tp1 = by_leg(orders, "tp1")
    fill = Fill("t1", tp1.client_id, "ETH/USDT", OrderAction.SELL, tp1.qty, D("104"), D("0.02"), T0)
    tr = lc.on_fill(pos, orders, tp1, fill, CTX, move_stop=False)
    assert tr.actions == () and tr.position.stop_price == pos.stop_price and not tr.position.breakeven
    assert tr.position.targets_hit == 1 and tr.position.stop_kind == "stop"
    hit = next(e for e in tr.events if isinstance(e, TargetHit))
    assert hit.target == 1 and hit.new_stop is None
    # the stop (sized for the whole position) then fills what is left: a stop, closed
    stop = by_leg(orders, "sl")
    left = Fill("t2", stop.client_id, "ETH/USDT", OrderAction.SELL, tr.position.remaining, D("97.9"), D("0.02"), T0)
    end = lc.on_fill(tr.position, list(tr.orders) + [o for o in orders if o.leg != "tp1"], stop, left, CTX)
    closed = next(e for e in end.events if isinstance(e, PositionClosed))
    assert closed.reason is CloseReason.STOP and end.position.state is PositionState.CLOSED
    assert by_leg(list(end.orders), "sl").status is OrderStatus.FILLED  # clamped by the venue: done


def test_missing_targets_are_placed_again_for_what_is_not_promised_to_a_working_target() -> None:
    pos, orders = opened()
    tp1, tp2 = by_leg(orders, "tp1"), by_leg(orders, "tp2")
    assert lc.missing_targets(pos, orders, CTX, T0) == []  # all working

    lost = [replace(tp1, status=OrderStatus.CANCELLED, error="unknown at venue") if o.leg == "tp1" else o
            for o in orders]
    (again,) = lc.missing_targets(pos, lost, CTX, T0)
    assert (again.client_id, again.type, again.qty, again.price, again.reduce_only) == (
        "sp-p1-tp1-1", OrderType.TAKE_PROFIT, tp1.qty, D("104"), True)

    # the last target takes what TP1's working order does not already cover
    lost2 = [replace(tp2, status=OrderStatus.REJECTED, error="would_trigger: -2021") if o.leg == "tp2" else o
             for o in orders]
    (last,) = lc.missing_targets(pos, lost2, CTX, T0)
    assert last.client_id == "sp-p1-tp2-1" and last.qty == pos.remaining - tp1.qty == tp2.qty

    both = [replace(o, status=OrderStatus.CANCELLED) if o.leg.startswith("tp") else o for o in orders]
    assert [(o.leg, o.qty) for o in lc.missing_targets(pos, both, CTX, T0)] == [("tp1", tp1.qty), ("tp2", tp2.qty)]


def test_a_target_refused_for_another_reason_is_not_retried_forever() -> None:
    pos, orders = opened()
    refused = [replace(o, status=OrderStatus.REJECTED, error="invalid_order: -4164 notional") if o.leg == "tp1"
               else o for o in orders]
    assert lc.missing_targets(pos, refused, CTX, T0) == []


def test_target_number_and_next_attempt() -> None:
    pos, orders = opened()
    assert [lc.target_number(leg) for leg in ("tp1", "tp12", "sl", "en", "tpx")] == [1, 12, None, None, None]
    assert lc.next_attempt(orders, "tp1") == 1 and lc.next_attempt(orders, "cl") == 0
