"""Properties of a limit entry that fills in pieces, as pure lifecycle steps on random paths: partial
fills of the entry (before and racing its cancel), the threshold and the timeout, a target, the stop,
a close from the chat, and fills of the entry's rest racing its cancel (at the threshold, the timeout, the
stop or the close).

After every step: an open position has exactly one stop working, reduce-only, for exactly what is
held, and its targets never promise more than that. The threshold and the timeout only cancel the rest
of an entry that filled (no second stop). At the end the exits sum to the entry's fills.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.domain.models import (
    CloseReason,
    Fill,
    Leg,
    MarketSpec,
    Order,
    OrderStatus,
    Position,
    PositionState,
    Signal,
    Target,
)
from engine.domain.values import ZERO, Side
from engine.execution.entry import EntryPlan, finish_entry, late_fill, shape_open
from engine.positions import adjust
from engine.positions import lifecycle as lc

MKT = MarketSpec("ETH/USDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal("0.001"), Decimal("5"))
T0 = datetime(2024, 3, 1, tzinfo=UTC)
CTX = lc.Context(market=MKT, taker_fee=Decimal("0.0004"))
PLAN = EntryPlan(limit=True, timeout=timedelta(minutes=15), min_fill_pct=Decimal(90))


def signal(side: Side) -> Signal:
    sign = side.sign
    return Signal(id="sig", symbol="ETH/USDT", side=side, score=80, factors=(), entry=Decimal("100"),
                  stop=Decimal(100 - 2 * sign),
                  targets=(Target(Decimal(100 + 4 * sign), Decimal("0.5")),
                           Target(Decimal(100 + 8 * sign), Decimal("0.5"))),
                  leverage=3, created_at=T0, expires_at=T0 + timedelta(minutes=15))


class Run:
    def __init__(self, side: Side) -> None:
        tr = shape_open(lc.open_position(signal(side), "p1", Decimal("1"), T0, single_target=False), PLAN,
                        MKT.qty_step)
        self.side, self.now, self.n = side, T0, 0
        self.pos: Position = tr.position
        self.orders: dict[str, Order] = {o.client_id: replace(o, status=OrderStatus.OPEN) for o in tr.orders}
        self.bought = ZERO
        self.stops_placed: list[Decimal] = []  # the quantity of each stop placed

    def apply(self, tr: lc.Transition | None) -> None:
        if tr is None:
            return
        self.pos = tr.position
        for o in tr.orders:
            self.orders[o.client_id] = o
        for a in tr.actions:
            if isinstance(a, lc.CancelOrder):
                o = self.orders[a.order.client_id]
                self.orders[o.client_id] = o if o.status.is_final else replace(o, status=OrderStatus.CANCELLED)
            elif isinstance(a, lc.PlaceOrder):
                self.orders[a.order.client_id] = replace(self.orders[a.order.client_id], status=OrderStatus.OPEN)
                if a.order.leg == Leg.STOP.value:
                    self.stops_placed.append(a.order.qty)
        if self.pos.close_reason is CloseReason.NOT_FILLED and self.pos.state is PositionState.PENDING:
            self.pos = lc.entry_failed(self.pos, self.now)

    def fill(self, order: Order, qty: Decimal, price: Decimal) -> None:
        self.n += 1
        action = order.action
        f = Fill(trade_id=f"t{self.n}", client_id=order.client_id, symbol="ETH/USDT", action=action, qty=qty,
                 price=price, fee=ZERO, ts=self.now)
        if order.leg == Leg.ENTRY.value:
            self.bought += qty
        # as engine.positions.fill_intake dispatches a fill
        if order.leg == Leg.ENTRY.value and self.pos.close_reason is CloseReason.NOT_FILLED:
            self.apply(late_fill(self.pos, list(self.orders.values()), order, f, CTX))
        elif order.leg == Leg.ENTRY.value and self.pos.state is PositionState.CLOSED:
            self.apply(adjust.orphan_fill(self.pos, list(self.orders.values()), order, f, CTX))
        else:
            self.apply(lc.on_fill(self.pos, list(self.orders.values()), order, f, CTX))
        for close in [o for o in lc.live(list(self.orders.values())) if o.leg == Leg.CLOSE.value]:
            self.fill(close, close.qty - close.filled_qty, price)  # a market close fills at once

    def live(self, leg: str) -> list[Order]:
        return [o for o in lc.live(list(self.orders.values())) if o.leg == leg or (
            leg == Leg.TARGET.value and lc.target_number(o.leg) is not None)]

    def check(self) -> None:
        if self.pos.remaining > 0:  # something held: protected, whatever the entry still does
            assert self.pos.state is PositionState.OPEN, "held but not open (no stop)"
            stops = self.live(Leg.STOP.value)
            assert len(stops) == 1, "open without exactly one stop"
            assert stops[0].reduce_only and stops[0].qty == self.pos.remaining, "the stop does not cover what is held"
            assert sum((o.qty - o.filled_qty for o in self.live(Leg.TARGET.value)), ZERO) <= self.pos.remaining
        else:
            assert not self.live(Leg.STOP.value), "a stop left working for nothing held"


OPS = st.one_of(
    st.tuples(st.just("fill"), st.integers(min_value=1, max_value=70)),  # % of the planned entry
    st.tuples(st.just("time"), st.integers(min_value=1, max_value=10)),  # minutes, then the watch runs
    st.tuples(st.just("race"), st.integers(min_value=1, max_value=40)),  # a fill of the rest after its cancel
    st.tuples(st.just("tp1"), st.just(0)),
    st.tuples(st.just("stop"), st.just(0)),
    st.tuples(st.just("close"), st.just(0)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(side=st.sampled_from([Side.LONG, Side.SHORT]), steps=st.lists(OPS, min_size=1, max_size=20))
def test_a_limit_entry_filling_in_pieces_is_covered_by_one_stop_and_exits_sum_to_fills(
        side: Side, steps: list[tuple[str, int]]) -> None:
    r = Run(side)
    entry_id = next(iter(r.orders))
    for op, arg in steps:
        entry = r.orders[entry_id]
        rest = entry.qty - entry.filled_qty
        if op == "fill" and not entry.status.is_final and rest > 0:
            r.fill(entry, min(rest, max(MKT.qty_step, Decimal(arg) / 100)), Decimal("100"))
        elif op == "race" and entry.status is OrderStatus.CANCELLED and rest > 0:
            r.fill(entry, min(rest, max(MKT.qty_step, Decimal(arg) / 100)), Decimal("100"))
        elif op == "time":
            r.now += timedelta(minutes=arg)
            was_open = r.pos.state is PositionState.OPEN
            tr = finish_entry(r.pos, list(r.orders.values()), r.now, CTX, PLAN)
            if tr is not None and was_open:  # protected since its first fill: only the rest goes
                assert all(isinstance(a, lc.CancelOrder) and a.order.leg == Leg.ENTRY.value for a in tr.actions)
            r.apply(tr)
        elif op == "tp1" and r.pos.state is PositionState.OPEN and (tps := [
                o for o in r.live(Leg.TARGET.value) if o.leg == "tp1"]):
            r.fill(tps[0], min(tps[0].qty - tps[0].filled_qty, r.pos.remaining), tps[0].price or Decimal("104"))
        elif op == "stop" and r.pos.state is PositionState.OPEN and (stops := r.live(Leg.STOP.value)):
            r.fill(stops[0], min(stops[0].qty, r.pos.remaining), r.pos.stop_price)
        elif op == "close" and r.pos.state is PositionState.OPEN:
            r.apply(lc.close(r.pos, list(r.orders.values()), CloseReason.MANUAL, r.now, CTX))
            for close in r.live(Leg.CLOSE.value):
                r.fill(close, close.qty, Decimal("100"))
        r.check()
    # the end: the timeout passes, then what is held is closed
    r.now += PLAN.timeout
    r.apply(finish_entry(r.pos, list(r.orders.values()), r.now, CTX, PLAN))
    r.check()
    assert not [o for o in r.live(Leg.ENTRY.value)], "the rest of the entry still works after the timeout"
    if r.pos.state is PositionState.OPEN:
        r.apply(lc.close(r.pos, list(r.orders.values()), CloseReason.MANUAL, r.now, CTX))
        for close in r.live(Leg.CLOSE.value):
            r.fill(close, close.qty, Decimal("100"))
    if r.bought == 0:
        assert r.pos.state is PositionState.FAILED and r.pos.close_reason is CloseReason.NOT_FILLED
        assert not r.stops_placed
        return
    assert r.pos.state is PositionState.CLOSED and r.pos.remaining == 0
    assert sum((e.qty for e in r.pos.exits), ZERO) == r.bought == r.pos.qty, "exits do not sum to fills"
